# Everything a newcomer needs: `make demo` and `make test` install what they use into .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
SANDBOX_PORT ?= 8024

.PHONY: install test demo sandbox bench clean

install: $(INSTALLED)

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

test: $(INSTALLED)
	$(BIN)/python -m pytest

demo: $(INSTALLED)
	$(BIN)/python -m pipelines.demo --port $(SANDBOX_PORT)

sandbox: $(INSTALLED)
	$(BIN)/cafe24-sandbox --host 127.0.0.1 --port $(SANDBOX_PORT)

clean:
	rm -rf $(VENV) .pytest_cache cafe24_demo

# Not part of `make test`: minutes of real-time rate limits. Writes BENCHMARKS.md and benchmarks/results/.
BENCH_INSTALLED := $(VENV)/.installed-bench

$(BENCH_INSTALLED): $(INSTALLED) pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,bench]'
	touch $@

bench: $(BENCH_INSTALLED)
	$(BIN)/python -m benchmarks.run
