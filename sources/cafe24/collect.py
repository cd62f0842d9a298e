"""What the sources build during a run, gathered for the run that called them: clients (calls per mall), mall
sessions (shops and clocks to check counts against) and D.Collection feeds. dlt builds a source inside its own
call, so a context variable is how the caller sees what was built, without a global that two runs would share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Generic, TypeVar

T = TypeVar("T")


class Collector(Generic[T]):
    def __init__(self, name: str) -> None:
        self._found: ContextVar[list[T] | None] = ContextVar(name, default=None)

    @contextmanager
    def __call__(self) -> Iterator[list[T]]:
        """Everything added inside the block."""
        found: list[T] = []
        token = self._found.set(found)
        try:
            yield found
        finally:
            self._found.reset(token)

    def add(self, item: T) -> None:
        found = self._found.get()
        if found is not None:
            found.append(item)
