"""`run --transform`: the dbt models of transform/ built on the dataset a run just loaded, through dlt's dbt runner.

The runner takes the pipeline's destination, credentials and dataset, so the models land beside the tables they
read. It runs dbt in this environment (no venv of its own, which dlt would install from the network) with the
profiles of transform/profiles.yml: dlt's own DuckDB profile installs DuckDB extensions, which DuckDB downloads.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from subprocess import CalledProcessError
from typing import Any, TextIO

import dlt
from dlt.common.runners import Venv
from dlt.helpers.dbt.exceptions import DBTNodeResult, DBTProcessingError

TRANSFORM_DIR = Path(__file__).resolve().parent.parent / "transform"
DESTINATIONS = ("duckdb", "postgres")  # the ones transform/profiles.yml has a profile for
# dbt's statuses for a node that did what it should: models "success", tests "pass" (or "warn", which dbt itself
# does not count as a failure).
PASSED = ("success", "pass", "warn")


@dataclass
class TransformResult:
    """What dbt did: a result per model, then per test; `error` when dbt stopped before giving them."""

    models: list[DBTNodeResult]
    tests: list[DBTNodeResult]
    elapsed: float
    error: str | None = None

    @property
    def failed(self) -> list[DBTNodeResult]:
        return [r for r in (*self.models, *self.tests) if r.status not in PASSED]

    @property
    def ok(self) -> bool:
        return self.error is None and not self.failed

    @property
    def failed_tests(self) -> list[DBTNodeResult]:
        return [r for r in self.tests if r.status not in PASSED]

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.tests)


@contextlib.contextmanager
def _artifacts_in(folder: Path) -> Iterator[None]:
    """dbt's compiled SQL and logs go to the pipeline's working state, not into the repository's transform/, so
    two projects (or the tests) never write one folder."""
    saved = {k: os.environ.get(k) for k in ("DBT_TARGET_PATH", "DBT_LOG_PATH")}
    os.environ["DBT_TARGET_PATH"] = str(folder / "target")
    os.environ["DBT_LOG_PATH"] = str(folder / "logs")
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _this_environment() -> Venv:
    """dlt's Venv.restore_current() finds the environment by $VIRTUAL_ENV, which is unset when .venv/bin/cafe24-dlt
    runs without `activate`; dbt would then start under whatever `python` is first on PATH."""
    if sys.prefix != sys.base_prefix:
        return Venv.restore(sys.prefix, current=True)
    return Venv.restore_current()


def transform(pipeline: dlt.Pipeline, out: TextIO) -> TransformResult:
    """Builds the models (dbt run), then tests them (dbt test). dbt's own output goes to `out`. Not the runner's
    run_all: its `dbt deps` and `dbt seed` cost 9 s and do nothing here, since the project has no packages or seeds.
    """
    started = time.monotonic()
    runner = dlt.dbt.package(pipeline, str(TRANSFORM_DIR), venv=_this_environment())
    runner.config.package_profiles_dir = str(TRANSFORM_DIR)
    models: Sequence[DBTNodeResult] = []
    tests: Sequence[DBTNodeResult] = []
    error = None
    with _artifacts_in(Path(pipeline.working_dir) / "dbt"), redirect_stdout(out), redirect_stderr(out):
        try:
            models = runner.run(cmd_params=[])
            tests = runner.test()
        except DBTProcessingError as exc:  # a model or a test failed, or dbt could not start
            if exc.command == "test":
                tests = exc.run_results or []
            else:
                models = exc.run_results or []
            if not exc.run_results:
                error = f"dbt {exc.command} failed: {exc.dbt_results}"
        except CalledProcessError as exc:  # dbt's process died (its stderr went to `out` above)
            lines = (exc.stderr or exc.output or "").strip().splitlines()
            error = f"dbt stopped with exit code {exc.returncode}: {lines[-1] if lines else 'no message'}"
    return TransformResult(list(models or []), list(tests or []), time.monotonic() - started, error)


def describe(result: TransformResult) -> str:
    """A line per model, then the tests' counts and each test that did not pass."""
    lines = [f"  dbt models of transform/, built and tested in {result.elapsed:.1f} s:"]
    lines += [f"    {r.model_name:<24} {r.status:<8} {r.message or ''}" for r in result.models]
    if result.tests:
        lines.append(
            f"    tests: {result.count('pass')} passed, {result.count('warn')} warned, "
            f"{len(result.failed_tests)} failed"
        )
        lines += [f"    {r.status}: {r.model_name}: {r.message}" for r in result.tests if r.status != "pass"]
    if result.error:
        lines.append(f"    {result.error}")
    return "\n".join(lines)


def as_json(result: TransformResult) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "elapsed_seconds": round(result.elapsed, 3),
        "models": {r.model_name: r.status for r in result.models},
        "tests": {
            "passed": result.count("pass"),
            "warned": result.count("warn"),
            "failed": [r.model_name for r in result.failed_tests],
        },
        "error": result.error,
    }
