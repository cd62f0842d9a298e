"""Many malls on Dagster: `definitions.py` is the code location, `dagster.yaml` the instance's run queue, and
`dev.py` what `make dagster` starts against the sandbox."""
