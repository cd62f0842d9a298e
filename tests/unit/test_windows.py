"""Date windows: `covering` must tile a period with no gap, no overlap and no window the orders API refuses;
`fitting` must split until every part fits under the offset cap, counting only what it must."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from sources.cafe24.windows import KST, ORDER_WINDOW, covering, fitting, kst_iso

DAY = 86400
START = int(datetime(2024, 1, 1, tzinfo=KST).timestamp())


def test_a_short_period_is_one_window() -> None:
    assert list(covering(START, START + DAY)) == [(START, START + DAY)]


def test_a_single_second_is_one_window() -> None:
    assert list(covering(START, START)) == [(START, START)]


def test_an_empty_period_has_no_window() -> None:
    assert list(covering(START, START - 1)) == []


def test_a_year_is_tiled_without_gap_or_overlap() -> None:
    end = START + 365 * DAY
    windows = list(covering(START, end))
    assert windows[0][0] == START and windows[-1][1] == end
    assert all(nxt[0] == prev[1] + 1 for prev, nxt in zip(windows, windows[1:], strict=False))
    assert len(windows) == 5  # 365 days in windows of 89 days less a second


def test_no_window_reaches_three_months() -> None:
    """The API refuses a window of 3 months or more; the shortest three months (Feb-Apr) are 89 days."""
    step = int(ORDER_WINDOW.total_seconds())
    windows = list(covering(START, START + 400 * DAY))
    assert all(hi - lo <= step for lo, hi in windows)
    assert all(hi - lo == step for lo, hi in windows[:-1])  # full windows, so no call is wasted
    assert timedelta(seconds=step) < timedelta(days=89)


def test_a_custom_span() -> None:
    assert list(covering(0, 10, timedelta(seconds=4))) == [(0, 4), (5, 9), (10, 10)]


def test_kst_iso_prints_korean_time() -> None:
    assert kst_iso(START) == "2024-01-01T00:00:00+09:00"


def _counter(stamps: list[int]) -> tuple[list[tuple[int, int]], Callable[[int, int], int]]:
    """A count over fixed timestamps that records each window it is asked about."""
    asked: list[tuple[int, int]] = []

    def count(lo: int, hi: int) -> int:
        asked.append((lo, hi))
        return sum(lo <= s <= hi for s in stamps)

    return asked, count


def test_a_window_that_fits_is_counted_once_and_kept() -> None:
    asked, count = _counter([1, 2, 3])
    assert list(fitting(count, 0, 100, 5)) == [(0, 100, 3)]
    assert asked == [(0, 100)]


def test_a_known_count_is_not_asked_again() -> None:
    asked, count = _counter([1, 2, 3])
    assert list(fitting(count, 0, 100, 5, known=3)) == [(0, 100, 3)]
    assert asked == []


def test_a_full_window_is_halved_until_each_part_fits() -> None:
    stamps = [0, 1, 2, 3, 60, 61, 62, 99]
    asked, count = _counter(stamps)
    parts = list(fitting(count, 0, 99, 3))
    assert all(rows <= 3 for _, _, rows in parts)
    assert parts[0][0] == 0 and parts[-1][1] == 99
    assert all(nxt[0] == prev[1] + 1 for prev, nxt in zip(parts, parts[1:], strict=False))
    assert sum(rows for _, _, rows in parts) == len(stamps)
    assert parts == [(0, 1, 2), (2, 3, 2), (4, 6, 0), (7, 12, 0), (13, 24, 0), (25, 49, 0), (50, 74, 3), (75, 99, 1)]
    assert (0, 99) in asked


@pytest.mark.parametrize("rows_in_the_second", [4, 50])
def test_a_single_second_over_the_cap_is_yielded_as_it_is(rows_in_the_second: int) -> None:
    """It cannot be split further: the caller must refuse it rather than page it short."""
    asked, count = _counter([7] * rows_in_the_second)
    parts = list(fitting(count, 0, 15, 3))
    assert (7, 7, rows_in_the_second) in parts
    assert sum(rows for _, _, rows in parts) == rows_in_the_second
