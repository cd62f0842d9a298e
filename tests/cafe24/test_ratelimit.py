"""The pacer's rule for the usage quota, which the sandbox run in test_resilience checks end to end."""

from __future__ import annotations

import threading

from sources.cafe24.ratelimit import BucketPacer


def _second_call_leaves(pacer: BucketPacer) -> threading.Event:
    left = threading.Event()
    threading.Thread(target=lambda: (pacer.acquire(), left.set()), daemon=True).start()
    return left


def test_below_half_the_quota_calls_overlap() -> None:
    pacer = BucketPacer()
    pacer.acquire()
    pacer.observe({"x-cafe24-call-usage": "10.00", "x-cafe24-time-usage": "49.00"})
    pacer.acquire()
    assert _second_call_leaves(pacer).wait(5)


def test_past_half_the_quota_a_call_waits_for_the_one_in_flight() -> None:
    """docs/cafe24-reference.md#usage-quota: usage is reported per answer, so calls in flight are not in it yet."""
    pacer = BucketPacer()
    pacer.acquire()
    pacer.observe({"x-cafe24-call-usage": "12.00", "x-cafe24-time-usage": "50.00"})
    pacer.acquire()
    left = _second_call_leaves(pacer)
    assert not left.wait(0.5)
    pacer.observe({"x-cafe24-call-usage": "13.00", "x-cafe24-time-usage": "51.00"})
    assert left.wait(5)


def test_a_call_that_got_no_answer_still_frees_its_slot() -> None:
    pacer = BucketPacer()
    pacer.acquire()
    pacer.observe({"x-cafe24-call-usage": "70.00"})
    pacer.acquire()
    left = _second_call_leaves(pacer)
    pacer.observe({})
    assert left.wait(5)
