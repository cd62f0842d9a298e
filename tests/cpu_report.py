"""Opt-in: `pytest -p tests.cpu_report` ends with each module's CPU seconds, costliest first, counting the
processes its tests started (CLI runs, dbt, Dagster) once they have ended. The suite is bound by CPU, so this is
what LONGEST_FIRST in tests/conftest.py is ordered by. Works with pytest-xdist: each test's count travels in its
teardown report to the controller."""

from __future__ import annotations

import resource
from collections import defaultdict
from collections.abc import Iterator

import pytest

KEY = "cpu_seconds"
SHOWN = 30
_spent: defaultdict[str, float] = defaultdict(float)
_started = pytest.StashKey[float]()


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    item.stash[_started] = _cpu()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    if call.when == "teardown" and _started in item.stash:
        outcome.get_result().user_properties.append((KEY, _cpu() - item.stash[_started]))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, value in report.user_properties:
        if name == KEY:
            _spent[report.nodeid.split("::")[0]] += value


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _spent:
        return
    terminalreporter.section(f"CPU seconds per module, {sum(_spent.values()):.0f} s in all")
    for module, seconds in sorted(_spent.items(), key=lambda kv: -kv[1])[:SHOWN]:
        terminalreporter.write_line(f"{seconds:8.1f}  {module}")
