"""sources.cafe24.prefetch.ahead: the walker runs one page ahead in a thread, and nothing about the order of
pages, errors or stopping changes for the consumer."""

from __future__ import annotations

import threading

import pytest

from sources.cafe24.errors import Cafe24Error
from sources.cafe24.prefetch import ahead


def test_pages_arrive_in_order_and_the_walk_ends() -> None:
    assert list(ahead(iter(range(50)))) == list(range(50))


def test_a_walker_error_is_raised_after_the_pages_before_it() -> None:
    def walker():
        yield 1
        yield 2
        raise Cafe24Error("mall", "the API said no")

    got = []
    with pytest.raises(Cafe24Error, match="the API said no"):
        for page in ahead(walker()):
            got.append(page)
    assert got == [1, 2]


def test_a_consumer_that_stops_early_stops_the_walker() -> None:
    fetched, closed = [], threading.Event()

    def walker():
        try:
            for n in range(1000):
                fetched.append(n)
                yield n
        finally:
            closed.set()

    pages = ahead(walker())
    assert next(pages) == 0
    pages.close()
    assert closed.wait(5), "the walker was not closed"
    assert len(fetched) <= 3, "the walker ran on after the consumer stopped"
