"""The pipeline's own failures, each with the exit code the CLI gives it."""

from __future__ import annotations

from typing import TypeVar

E = TypeVar("E", bound=BaseException)

EX_INCOMPLETE = 3  # --strict: the run loaded, but the completeness check found a table and shop off the API's count
EX_TRANSFORM = 4  # --transform: the run loaded, but a dbt model or test failed
EX_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C


class UsageError(Exception):
    """The command line or the configuration is wrong: exit code 2."""


class LoadFailed(Exception):
    """The destination refused some of the load: exit code 1."""


class Interrupted(Exception):
    """Ctrl-C (SIGINT) stopped the run: exit code 130, after saying what was kept."""


def cause_of(exc: BaseException, kind: type[E]) -> E | None:
    """The `kind` behind a dlt step failure, if any: dlt wraps it (`.exception`), and an error raised while
    handling it keeps it as its context, as when Ctrl-C lands while dlt closes a generator a thread still runs."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kind):
            return current
        todo += [getattr(current, "exception", None), current.__cause__, current.__context__]
    return None
