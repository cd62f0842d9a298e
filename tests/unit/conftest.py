"""A unit test that takes seconds is a hang (a walker paging forever), not a slow test: fail it fast instead of
waiting for the suite's 300 s timeout."""

from __future__ import annotations

import pytest

UNIT_TIMEOUT_SECONDS = 10


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(UNIT_TIMEOUT_SECONDS))
