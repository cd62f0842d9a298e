"""One clock per sandbox: real time plus whatever the tests advanced it by."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

KST = timezone(timedelta(hours=9), "KST")


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


def kst(epoch: float) -> str:
    """ISO 8601 with the +09:00 offset, as every Admin API date is printed."""
    return datetime.fromtimestamp(int(epoch), KST).isoformat()


def kst_plain(epoch: float) -> str:
    """'YYYY-MM-DD HH:MM:SS' in KST, the form order items and customer dates use."""
    return datetime.fromtimestamp(int(epoch), KST).strftime("%Y-%m-%d %H:%M:%S")


def kst_oauth(epoch: float) -> str:
    """OAuth timestamps: KST wall time with milliseconds and no offset."""
    return datetime.fromtimestamp(int(epoch), KST).strftime("%Y-%m-%dT%H:%M:%S.000")


def kst_date(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), KST).strftime("%Y-%m-%d")
