"""Both pacers' arithmetic on a fake clock: the pacer's condition variable advances the clock by the time it would
have waited, so a minute of pacing runs in microseconds and each wait can be read off exactly."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest

from sources.cafe24 import cafe24_source, ratelimit
from sources.cafe24.ratelimit import BucketPacer, MinutePacer


class Blocked(Exception):
    """A wait with no timeout: in one thread it would never end, so the test sees it as this error."""


class FakeClock:
    """time.monotonic for the pacer module, and every wait the pacer asked for, in order."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waited: list[float] = []

    def monotonic(self) -> float:
        return self.now


class FakeCondition:
    """Stands in for the pacer's threading.Condition: waiting moves the fake clock on."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def __enter__(self) -> FakeCondition:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def wait(self, timeout: float | None = None) -> bool:
        if timeout is None:
            raise Blocked
        self.clock.waited.append(timeout)
        self.clock.now += timeout
        return False

    def notify_all(self) -> None:
        return None


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(monotonic=fake.monotonic))
    return fake


def paced(pacer: BucketPacer | MinutePacer, clock: FakeClock) -> BucketPacer | MinutePacer:
    pacer.lock = FakeCondition(clock)
    return pacer


def call(pacer: BucketPacer | MinutePacer, headers: dict[str, str] | None = None) -> None:
    """One whole call, as the client makes it: acquire, then observe the answer's headers once it has ended."""
    pacer.acquire()
    pacer.observe(httpx.Headers(headers or {}))


def leave_times(pacer: BucketPacer | MinutePacer, clock: FakeClock, n: int) -> list[float]:
    """The second (after the start) at which each of `n` calls left the pacer."""
    times = []
    for _ in range(n):
        call(pacer)
        times.append(clock.now - 1000.0)
    return times


# --- the Admin API's leaky bucket: 40 calls, draining 2 a second ---


def test_a_full_bucket_of_calls_leaves_at_once_then_one_per_drain(clock: FakeClock) -> None:
    pacer = paced(BucketPacer(headroom=0, max_per_second=1000), clock)
    times = leave_times(pacer, clock, 43)
    assert times[:40] == [0.0] * 40
    assert times[40:] == [0.5, 1.0, 1.5]


def test_headroom_keeps_slots_free_for_other_apps(clock: FakeClock) -> None:
    pacer = paced(BucketPacer(max_per_second=1000), clock)
    times = leave_times(pacer, clock, 38)
    assert times[:37] == [0.0] * 37 and times[37] == 0.5


def test_no_more_than_the_ceiling_leaves_in_one_second(clock: FakeClock) -> None:
    pacer = paced(BucketPacer(), clock)  # 10 calls/s is the reference's warning; the pacer keeps to 6
    times = leave_times(pacer, clock, 13)
    assert times == [0.0] * 6 + [1.0] * 6 + [2.0]


def test_the_bucket_drains_between_calls(clock: FakeClock) -> None:
    pacer = paced(BucketPacer(headroom=0, max_per_second=1000), clock)
    leave_times(pacer, clock, 40)
    clock.now += 5.0  # ten calls drained
    start = clock.now
    for _ in range(10):
        call(pacer)
    assert clock.now == start
    call(pacer)
    assert clock.now == start + 0.5


def test_the_level_follows_x_api_call_limit(clock: FakeClock) -> None:
    """Other apps of the mall fill the same bucket: the header, not the pacer's own count, is the level."""
    pacer = paced(BucketPacer(), clock)
    call(pacer, {"X-Api-Call-Limit": "38/40"})
    pacer.acquire()
    assert clock.waited == [1.0]  # (38 + 1 - 37) / 2 s


def test_a_new_pacer_sends_one_call_alone_until_an_answer_says_the_level(clock: FakeClock) -> None:
    """A run that just ended, or another app, may have left the bucket nearly full: a burst of 7 calls into a bucket
    at 8/10 would overflow it. The first call goes alone, and its answer's level paces the rest."""
    pacer = paced(BucketPacer(max_per_second=1000), clock)
    pacer.acquire()
    with pytest.raises(Blocked):  # waits for the first call's answer
        pacer.acquire()
    pacer.observe(httpx.Headers({}))  # no answer came: still nothing known
    pacer.acquire()
    with pytest.raises(Blocked):
        pacer.acquire()
    pacer.observe(httpx.Headers({"X-Api-Call-Limit": "8/10"}))
    pacer.acquire()
    assert clock.waited == [1.0]  # (8 + 1 - 7) / 2 s: paced by the level the answer gave
    pacer.acquire()  # the level is known: calls no longer wait for each other's answers


def test_calls_still_in_flight_stay_counted_over_the_level_an_earlier_answer_gives(clock: FakeClock) -> None:
    """Three calls out at once: the first answer's level may not count the other two yet, so the pacer adds
    them, and a fourth call waits for the bucket to drain below the target."""
    pacer = paced(BucketPacer(max_per_second=1000), clock)
    call(pacer, {"X-Api-Call-Limit": "1/10"})  # the level is known: calls no longer go one at a time
    for _ in range(3):
        pacer.acquire()
    pacer.observe(httpx.Headers({"X-Api-Call-Limit": "5/10"}))  # two calls still in flight
    pacer.acquire()
    assert clock.waited == [0.5]  # (5 + 2 + 1 - 7) / 2 s; taking the level as 5 would have sent it at once


def test_the_header_also_says_the_bucket_size(clock: FakeClock) -> None:
    pacer = paced(BucketPacer(max_per_second=1000), clock)
    call(pacer, {"X-Api-Call-Limit": "1/80"})
    times = leave_times(pacer, clock, 77)
    assert times[:76] == [0.0] * 76 and times[76] == 0.5


@pytest.mark.parametrize("limit", ["1e9/40", "nan/40", "-5/40", "5/2"])
def test_a_bucket_header_that_would_hang_the_run_is_refused(clock: FakeClock, limit: str) -> None:
    pacer = paced(BucketPacer(), clock)
    pacer.acquire()
    with pytest.raises(ValueError, match="X-Api-Call-Limit"):
        pacer.observe(httpx.Headers({"X-Api-Call-Limit": limit}))
    assert pacer.in_flight == 0  # counted out all the same


def test_an_unreadable_bucket_header_is_ignored(clock: FakeClock) -> None:
    pacer = paced(BucketPacer(), clock)
    call(pacer, {"X-Api-Call-Limit": "lots"})
    assert pacer.level == 1.0


def test_a_429_fills_the_bucket(clock: FakeClock) -> None:
    pacer = paced(BucketPacer(), clock)
    call(pacer)
    pacer.back_off()
    pacer.acquire()
    assert clock.waited == [2.0]  # (40 + 1 - 37) / 2 s: the bucket drains to the target


def test_the_usage_quota_blocks_for_as_long_as_the_remain_header_says(clock: FakeClock) -> None:
    pacer = paced(BucketPacer(), clock)
    call(pacer, {"X-Cafe24-Call-Remain": "30", "X-Cafe24-Time-Remain": "45"})
    pacer.acquire()
    assert clock.waited == [45.0]


def test_a_remain_header_past_the_longest_wait_is_refused(clock: FakeClock) -> None:
    pacer = paced(BucketPacer(), clock)
    pacer.acquire()
    with pytest.raises(ValueError, match="X-Cafe24-Time-Remain"):
        pacer.observe(httpx.Headers({"X-Cafe24-Time-Remain": "86400"}))


def test_past_half_the_usage_quota_calls_go_one_at_a_time(clock: FakeClock) -> None:
    pacer = paced(BucketPacer(), clock)
    call(pacer, {"X-Cafe24-Call-Usage": "60.00"})
    pacer.acquire()
    with pytest.raises(Blocked):  # waits for the call in flight to be observed
        pacer.acquire()
    pacer.observe(httpx.Headers({"X-Cafe24-Call-Usage": "61.00"}))
    pacer.acquire()


# --- D.Collection: 40 calls in any rolling minute ---


def test_forty_calls_a_rolling_minute(clock: FakeClock) -> None:
    pacer = paced(MinutePacer(per_minute=40, headroom=0), clock)
    times = leave_times(pacer, clock, 41)
    assert times[:40] == [0.0] * 40 and times[40] == 60.0


def test_the_minute_rolls_with_each_call(clock: FakeClock) -> None:
    """Each call leaves the window 60 s after it was made, not at a fixed minute boundary."""
    pacer = paced(MinutePacer(per_minute=40, headroom=0), clock)
    for _ in range(40):
        call(pacer)
        clock.now += 1.0
    start = clock.now - 1000.0  # 40 s: the first call leaves the window at 60 s, the second at 61 s
    assert start == 40.0
    assert leave_times(pacer, clock, 2) == [60.0, 61.0]


def test_the_default_keeps_two_calls_of_headroom(clock: FakeClock) -> None:
    pacer = paced(MinutePacer(), clock)
    times = leave_times(pacer, clock, 39)
    assert times[:38] == [0.0] * 38 and times[38] == 60.0


def test_an_exhausted_minute_waits_for_the_reset_header(clock: FakeClock) -> None:
    pacer = paced(MinutePacer(), clock)
    call(pacer, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "12"})
    pacer.acquire()
    assert clock.waited == [12.0]


def test_a_reset_header_that_would_hang_the_run_is_refused(clock: FakeClock) -> None:
    pacer = paced(MinutePacer(), clock)
    pacer.acquire()
    with pytest.raises(ValueError, match="X-RateLimit-Reset"):
        pacer.observe(httpx.Headers({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "inf"}))


def test_a_429_waits_until_the_oldest_call_leaves_the_minute(clock: FakeClock) -> None:
    pacer = paced(MinutePacer(), clock)
    call(pacer)
    clock.now += 20.0
    pacer.back_off()
    pacer.acquire()
    assert clock.waited == [40.0]


@pytest.mark.parametrize("option", ["bucket_drain_per_second", "max_calls_per_second"])
@pytest.mark.parametrize("pace", [0, -2.0, float("nan")])
def test_a_pace_that_is_not_above_zero_is_refused_naming_the_option(option: str, pace: float) -> None:
    """A ceiling of 0 calls a second would never let a call leave (and 0 drain divides by zero): refuse it."""
    with pytest.raises(ValueError, match=f"{option} = .*above 0"):
        cafe24_source(mall_id="anymall", credentials={"client_id": "id", "client_secret": "s"}, **{option: pace})
