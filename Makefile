# Everything a newcomer needs: `make demo` and `make test` install what they use into .venv.
# .venv's interpreter: Debian's python3.11 where the machine has it, since Debian builds it with profile-guided and
# link-time optimization and pyenv's default build of 3.11 has neither: test_run_state and test_deletions took 3-11%
# less CPU on it (two interleaved runs each). Elsewhere, the first python3.11 or python3 on PATH.
# None of them able to make a venv: python3 anyway, so that venv's own message says what to install.
PYTHON ?= $(or $(shell for p in /usr/bin/python3.11 python3.11 python3; do \
	command -v $$p >/dev/null && $$p -c 'import ensurepip, venv' 2>/dev/null && command -v $$p && break; done),python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
SANDBOX_PORT ?= 8024

.PHONY: install test unit lint demo report sandbox bench dagster clean

install: $(INSTALLED)

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

test: $(INSTALLED)
	$(BIN)/python -m pytest

# ruff's lint and format check over the repository, mypy --strict over sources/cafe24 and pipelines (pyproject.toml).
LINT_INSTALLED := $(VENV)/.installed-lint

$(LINT_INSTALLED): $(INSTALLED) pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,lint]'
	touch $@

lint: $(LINT_INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
# Seconds, not minutes: the unit tests alone, in one process (no sandbox, no workers to start).
unit: $(INSTALLED)
	$(BIN)/python -m pytest tests/unit -n 0 -q

demo: $(INSTALLED)
	$(BIN)/python -m pipelines.demo --port $(SANDBOX_PORT)

# docs/report.png, the README's chart, from the models the demo built (run `make demo` first).
report: $(INSTALLED)
	$(BIN)/python -m pipelines.chart --out docs/report.png

sandbox: $(INSTALLED)
	$(BIN)/cafe24-sandbox --host 127.0.0.1 --port $(SANDBOX_PORT)

clean:
	rm -rf $(VENV) .pytest_cache cafe24_demo cafe24_dagster

# Not part of `make test`: minutes of real-time rate limits. Writes BENCHMARKS.md and benchmarks/results/.
BENCH_INSTALLED := $(VENV)/.installed-bench

$(BENCH_INSTALLED): $(INSTALLED) pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,bench]'
	touch $@

bench: $(BENCH_INSTALLED)
	$(BIN)/python -m benchmarks.run

# Dagster's UI on 127.0.0.1:$(DAGSTER_PORT) with the Cafe24 code location, against the sandbox (orchestration/dev.py).
DAGSTER_PORT ?= 3000
DAGSTER_INSTALLED := $(VENV)/.installed-dagster

$(DAGSTER_INSTALLED): $(INSTALLED) pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,dagster]'
	touch $@

dagster: $(DAGSTER_INSTALLED)
	$(BIN)/python -m orchestration.dev --port $(SANDBOX_PORT) --ui-port $(DAGSTER_PORT)
