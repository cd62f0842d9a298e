"""Date windows: cover a period with windows the API accepts, and split a window until its rows fit under
the offset cap. Bounds are whole seconds, inclusive at both ends, printed in KST as the API expects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

KST = timezone(timedelta(hours=9))
# 89 days less a second is shorter than any three calendar months (the shortest, Feb-Apr, is 89 days).
ORDER_WINDOW = timedelta(days=89) - timedelta(seconds=1)


def kst_iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, KST).isoformat()


def covering(start: int, end: int, span: timedelta = ORDER_WINDOW) -> Iterator[tuple[int, int]]:
    """Consecutive [lo, hi] windows from start to end, none longer than `span`."""
    step = int(span.total_seconds())
    lo = start
    while lo <= end:
        hi = min(end, lo + step)
        yield lo, hi
        lo = hi + 1


def fitting(
    count: Callable[[int, int], int], lo: int, hi: int, cap: int, known: int | None = None
) -> Iterator[tuple[int, int, int]]:
    """Halve [lo, hi] until each part holds at most `cap` rows; yields (lo, hi, rows).

    A single second holding more than `cap` rows is yielded as it is: the caller must say it cannot be paged.
    """
    rows = count(lo, hi) if known is None else known
    if rows <= cap or hi <= lo:
        yield lo, hi, rows
        return
    mid = (lo + hi) // 2
    yield from fitting(count, lo, mid, cap)
    yield from fitting(count, mid + 1, hi, cap)
