"""Pacing, so the bucket never overflows: 429 is a fallback, never how the edge is found.

One `BucketPacer` per mall, shared by every thread that calls that mall. It tracks the bucket level from
`X-Api-Call-Limit`, drains it at the documented rate between calls, waits when the next call would pass the
target level, keeps under the per-second ceiling, and stops for as long as the usage headers say when the
usage quota is exhausted (FACTS.md "Rate limits").
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

from .settings import BUCKET_DRAIN_PER_SECOND, BUCKET_SIZE, MAX_CALLS_PER_SECOND


class BucketPacer:
    def __init__(self, drain_per_second: float = BUCKET_DRAIN_PER_SECOND, bucket_size: int = BUCKET_SIZE,
                 headroom: int = 3, max_per_second: float = MAX_CALLS_PER_SECOND - 4,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.drain = drain_per_second
        self.size = bucket_size
        self.headroom = headroom  # slots kept free for other apps of the mall and for clock skew
        # Calls leave the pacer evenly but can reach the server bunched (threads, GIL, network), so the
        # per-second ceiling keeps well below the 10 the reference warns about.
        self.max_per_second = max_per_second
        self.clock = clock
        self.sleep = sleep
        self.level = 0.0
        self.stamp = clock()
        self.blocked_until = 0.0
        self.recent: deque[float] = deque()
        self.lock = threading.Lock()
        self.waited = 0.0

    def _drained(self, now: float) -> float:
        return max(0.0, self.level - (now - self.stamp) * self.drain)

    def acquire(self) -> None:
        """Block until one more call fits, then count it in."""
        with self.lock:
            while True:
                now = self.clock()
                level = self._drained(now)
                while self.recent and now - self.recent[0] >= 1.0:
                    self.recent.popleft()
                waits = [self.blocked_until - now]
                target = self.size - self.headroom
                if level + 1 > target:
                    waits.append((level + 1 - target) / self.drain)
                if len(self.recent) >= self.max_per_second:
                    waits.append(1.0 - (now - self.recent[0]))
                wait = max(waits)
                if wait <= 0:
                    break
                self.waited += wait
                self.sleep(wait)
            self.level, self.stamp = level + 1, now
            self.recent.append(now)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Correct the estimate from what the platform says about the bucket and the usage quota."""
        with self.lock:
            now = self.clock()
            limit = headers.get("x-api-call-limit")
            if limit and "/" in limit:
                used, _, size = limit.partition("/")
                try:
                    self.level, self.stamp, self.size = float(used), now, int(size)
                except ValueError:
                    pass
            remain = [headers.get("x-cafe24-call-remain"), headers.get("x-cafe24-time-remain")]
            seconds = [float(r) for r in remain if r and r.replace(".", "", 1).isdigit()]
            if seconds:
                self.blocked_until = max(self.blocked_until, now + max(seconds))

    def back_off(self) -> None:
        """After a 429: treat the bucket as full so the next calls wait for it to drain."""
        with self.lock:
            now = self.clock()
            self.level, self.stamp = float(self.size), now
            self.blocked_until = max(self.blocked_until, now + 1.0 / self.drain)


class MinutePacer:
    """D.Collection: at most `per_minute` calls per client in any 60 seconds, shared by every resource of a run."""

    def __init__(self, per_minute: int = 40, headroom: int = 2, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.per_minute = per_minute - headroom
        self.calls: deque[float] = deque()
        self.clock = clock
        self.sleep = sleep
        self.lock = threading.Lock()
        self.blocked_until = 0.0

    def acquire(self) -> None:
        with self.lock:
            while True:
                now = self.clock()
                while self.calls and now - self.calls[0] >= 60.0:
                    self.calls.popleft()
                waits = [self.blocked_until - now]
                if len(self.calls) >= self.per_minute:
                    waits.append(60.0 - (now - self.calls[0]))
                wait = max(waits)
                if wait <= 0:
                    break
                self.sleep(wait)
            self.calls.append(now)

    def observe(self, headers: Mapping[str, str]) -> None:
        remaining, reset = headers.get("x-ratelimit-remaining"), headers.get("x-ratelimit-reset")
        if remaining == "0" and reset and reset.isdigit():
            with self.lock:
                self.blocked_until = max(self.blocked_until, self.clock() + int(reset))

    def back_off(self) -> None:
        """After a 429: wait until the oldest call of the window leaves it."""
        with self.lock:
            now = self.clock()
            wait = 60.0 - (now - self.calls[0]) if self.calls else 1.0
            self.blocked_until = max(self.blocked_until, now + max(1.0, wait))
