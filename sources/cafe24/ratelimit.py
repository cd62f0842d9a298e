"""Pacing, so the bucket never overflows: 429 is a fallback, never how the edge is found.

One `BucketPacer` per mall, shared by every thread that calls that mall. It tracks the bucket level from
`X-Api-Call-Limit`, drains it at the documented rate between calls, waits when the next call would pass the
target level, keeps under the per-second ceiling, and stops for as long as the usage headers say when the
usage quota is exhausted (docs/cafe24-reference.md#usage-quota).

Every `acquire` is closed by one `observe` once the call has ended (with empty headers when no answer came),
which is how the pacer knows how many calls are in flight. Until the first answer has come, calls go one at a
time. A header asking for a wait that would hang the run (not finite, negative, or past MAX_HEADER_WAIT_SECONDS)
makes `observe` raise ValueError, naming the header, after the call is counted out; the client turns it into a
non-retryable error.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Mapping

from .settings import BUCKET_DRAIN_PER_SECOND, BUCKET_SIZE, MAX_HEADER_WAIT_SECONDS, PACED_CALLS_PER_SECOND


class BucketPacer:
    def __init__(
        self,
        drain_per_second: float = BUCKET_DRAIN_PER_SECOND,
        bucket_size: int = BUCKET_SIZE,
        headroom: int = 3,
        max_per_second: float = PACED_CALLS_PER_SECOND,
        single_file_usage: float = 50.0,
    ) -> None:
        self.drain = drain_per_second
        self.size = bucket_size
        self.headroom = headroom  # slots kept free for other apps of the mall and for clock skew
        self.max_per_second = max_per_second
        self.level = 0.0
        self.stamp = time.monotonic()
        self.blocked_until = 0.0
        self.recent: deque[float] = deque()
        # Usage headers describe the calls already answered, not those in flight. Past this share of the quota
        # calls go one at a time, so the answer that reaches 100% is read before another call leaves.
        self.single_file_usage = single_file_usage
        self.usage = 0.0
        self.in_flight = 0
        # A new pacer does not know the level: another app, or a run that just ended, may have left the bucket
        # nearly full. Its first call goes alone, and the others wait for that answer's header.
        self.answered = False
        self.lock = threading.Condition()

    def _drained(self, now: float) -> float:
        return max(0.0, self.level - (now - self.stamp) * self.drain)

    def acquire(self) -> None:
        """Block until one more call fits, then count it in."""
        with self.lock:
            while True:
                if self.in_flight and (self.usage >= self.single_file_usage or not self.answered):
                    self.lock.wait()
                    continue
                now = time.monotonic()
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
                self.lock.wait(wait)
            self.level, self.stamp = level + 1, now
            self.recent.append(now)
            self.in_flight += 1

    def observe(self, headers: Mapping[str, str]) -> None:
        """End a call: correct the estimate from what the platform says about the bucket and the usage quota."""
        with self.lock:
            self.in_flight = max(0, self.in_flight - 1)
            self.lock.notify_all()
            self.answered = self.answered or bool(headers)
            now = time.monotonic()
            usage = [_seconds_or_percent(headers.get(f"x-cafe24-{kind}-usage")) for kind in ("call", "time")]
            if any(u is not None for u in usage):
                self.usage = max(u or 0.0 for u in usage)
            limit = headers.get("x-api-call-limit")
            bucket = _bucket(limit)
            if limit and bucket:
                _allowed_wait("X-Api-Call-Limit", limit, self._drain_wait(*bucket))
                # The header counts the calls the platform had seen when it answered; calls still in flight may
                # not be among them, so they stay counted. Taken as it is, the level would forget them, and
                # threads could overflow the bucket while the answers of earlier calls come in.
                self.level, self.stamp, self.size = bucket[0] + self.in_flight, now, bucket[1]
            seconds: list[float] = []
            for kind in ("Call", "Time"):
                remain = headers.get(f"x-cafe24-{kind.lower()}-remain")
                wait = _seconds_or_percent(remain)
                if remain and wait is not None:
                    seconds.append(_allowed_wait(f"X-Cafe24-{kind}-Remain", remain, wait))
            if seconds:
                self.blocked_until = max(self.blocked_until, now + max(seconds))

    def _drain_wait(self, used: float, size: int) -> float:
        """How long the next call would wait on a bucket reported as `used/size`; infinite if it could never leave."""
        if not (math.isfinite(used) and used >= 0 and size > self.headroom):
            return math.inf
        return max(0.0, (used + 1 - (size - self.headroom)) / self.drain)

    def back_off(self) -> None:
        """After a 429: treat the bucket as full so the next calls wait for it to drain."""
        with self.lock:
            now = time.monotonic()
            self.level, self.stamp = float(self.size), now
            self.blocked_until = max(self.blocked_until, now + 1.0 / self.drain)


_PACERS: dict[tuple[str, float, float], BucketPacer] = {}
_PACERS_LOCK = threading.Lock()


def pacer_for(api_url: str, drain_per_second: float, max_per_second: float) -> BucketPacer:
    """The process's one pacer for a mall's API. The platform keeps one bucket per mall, so every client of it in
    this process plans against the same level: a backfill's later chunks build new clients, and a fresh pacer
    would burst into a bucket the previous chunk left nearly full."""
    with _PACERS_LOCK:
        return _PACERS.setdefault(
            (api_url, drain_per_second, max_per_second),
            BucketPacer(drain_per_second=drain_per_second, max_per_second=max_per_second),
        )


def _seconds_or_percent(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _bucket(limit: str | None) -> tuple[float, int] | None:
    """`X-Api-Call-Limit: used/size`, or None when missing or unreadable."""
    used, _, size = (limit or "").partition("/")
    try:
        return (float(used), int(size)) if size else None
    except ValueError:
        return None


def _allowed_wait(header: str, value: str, seconds: float) -> float:
    """The wait a header asks for, unless sleeping on it would hang the run: `1e9`, `inf`, `nan`, `-5` are refused."""
    if not 0 <= seconds <= MAX_HEADER_WAIT_SECONDS:
        raise ValueError(
            f"the {header} header ({value[:40]!r}) means a wait of {seconds:g} s; refused, as a wait "
            f"from a header must be between 0 and {MAX_HEADER_WAIT_SECONDS} s"
        )
    return seconds


class MinutePacer:
    """D.Collection: at most `per_minute` calls per client in any 60 seconds, shared by every resource of a run."""

    def __init__(self, per_minute: int = 40, headroom: int = 2) -> None:
        self.per_minute = per_minute - headroom
        self.calls: deque[float] = deque()
        self.lock = threading.Condition()
        self.blocked_until = 0.0

    def acquire(self) -> None:
        with self.lock:
            while True:
                now = time.monotonic()
                while self.calls and now - self.calls[0] >= 60.0:
                    self.calls.popleft()
                waits = [self.blocked_until - now]
                if len(self.calls) >= self.per_minute:
                    waits.append(60.0 - (now - self.calls[0]))
                wait = max(waits)
                if wait <= 0:
                    break
                self.lock.wait(wait)
            self.calls.append(now)

    def observe(self, headers: Mapping[str, str]) -> None:
        remaining, reset = headers.get("x-ratelimit-remaining"), headers.get("x-ratelimit-reset")
        wait = _seconds_or_percent(reset)
        if remaining == "0" and reset and wait is not None:
            wait = _allowed_wait("X-RateLimit-Reset", reset, wait)
            with self.lock:
                self.blocked_until = max(self.blocked_until, time.monotonic() + wait)

    def back_off(self) -> None:
        """After a 429: wait until the oldest call of the window leaves it."""
        with self.lock:
            now = time.monotonic()
            wait = 60.0 - (now - self.calls[0]) if self.calls else 1.0
            self.blocked_until = max(self.blocked_until, now + max(1.0, wait))
