"""One clock per sandbox: real time plus whatever the tests advanced it by."""

from __future__ import annotations

import threading
import time
from datetime import timedelta, timezone

KST_SECONDS = 9 * 3600
KST = timezone(timedelta(seconds=KST_SECONDS), "KST")


class Clock:
    """`running=False` stops real time from moving it, so a test sees exactly the moments it advanced to."""

    def __init__(self, start: float | None = None, running: bool = True) -> None:
        self._origin = time.time() if start is None else start
        self._started = time.monotonic()
        self._running = running
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            elapsed = time.monotonic() - self._started if self._running else 0.0
            return self._origin + elapsed + self._offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()


def kst_wall(epoch: float) -> time.struct_time:
    """KST wall time of the whole second `epoch` is in. KST is a fixed +9 h, so shifting the epoch and reading it as
    UTC is exact, and formatting the fields costs a third of datetime's strftime (which every dated row paid)."""
    return time.gmtime(int(epoch) + KST_SECONDS)


def kst(epoch: float) -> str:
    """ISO 8601 with the +09:00 offset, as every Admin API date is printed."""
    y, mo, d, h, mi, s = kst_wall(epoch)[:6]
    return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}+09:00"


def kst_plain(epoch: float) -> str:
    """'YYYY-MM-DD HH:MM:SS' in KST, the form order items and customer dates use."""
    y, mo, d, h, mi, s = kst_wall(epoch)[:6]
    return f"{y}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}"  # strftime's %Y: no padding below year 1000


def kst_oauth(epoch: float) -> str:
    """OAuth timestamps: KST wall time with milliseconds and no offset."""
    y, mo, d, h, mi, s = kst_wall(epoch)[:6]
    return f"{y}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}.000"


def kst_date(epoch: float) -> str:
    y, mo, d = kst_wall(epoch)[:3]
    return f"{y}-{mo:02d}-{d:02d}"
