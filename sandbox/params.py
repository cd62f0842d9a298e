"""Query-parameter checks shared by every endpoint: ranges, comma lists, paired dates, ISO 8601 in KST.

Each failure is a 422 with the Cafe24 error body naming the parameter (docs/cafe24-reference.md#errors).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, time

from .clock import KST
from .errors import ApiError, invalid

COMMA_LIST_MAX = 100


class Query:
    """The query string of one request, read through the documented rules; unknown names are refused."""

    def __init__(self, params: Mapping[str, str], allowed: Iterable[str]) -> None:
        self.params = dict(params)
        unknown = sorted(set(self.params) - set(allowed))
        if unknown:
            # The reference does not say what happens to unknown parameters; the sandbox refuses them so a
            # misspelt filter cannot silently widen a result.
            raise invalid(unknown[0], "unknown parameter")

    def has(self, name: str) -> bool:
        return name in self.params

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.params.get(name)
        return default if value is None or value == "" else value

    def int(self, name: str, default: int | None = None, *, lo: int | None = None, hi: int | None = None) -> int | None:
        raw = self.params.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise invalid(name, "must be an integer") from None
        if lo is not None and value < lo or hi is not None and value > hi:
            raise invalid(name, f"must be between {lo} and {hi}")
        return value

    def choice(self, name: str, choices: Iterable[str], default: str | None = None) -> str | None:
        value = self.str(name, default)
        options = tuple(choices)
        if value is not None and value not in options:
            raise invalid(name, f"must be one of {', '.join(options)}")
        return value

    def flag(self, name: str) -> bool | None:
        value = self.choice(name, ("T", "F"))
        return None if value is None else value == "T"

    def comma(self, name: str, *, max_items: int = COMMA_LIST_MAX) -> list[str] | None:
        value = self.str(name)
        if value is None:
            return None
        items = [v.strip() for v in value.split(",") if v.strip()]
        if len(items) > max_items:
            raise invalid(name, f"at most {max_items} comma-separated values")
        return items

    def comma_ints(self, name: str, *, max_items: int = COMMA_LIST_MAX) -> list[int] | None:
        items = self.comma(name, max_items=max_items)
        if items is None:
            return None
        try:
            return [int(v) for v in items]
        except ValueError:
            raise invalid(name, "must be comma-separated integers") from None

    def page(self, *, default_limit: int, max_limit: int, max_offset: int) -> tuple[int, int]:
        limit = self.int("limit", default_limit, lo=1, hi=max_limit)
        offset = self.int("offset", 0, lo=0, hi=max_offset)
        return limit, offset  # type: ignore[return-value]

    def date_range(self, start: str, end: str) -> tuple[float, float] | None:
        """A start/end pair: both or neither; a date-only bound covers its whole KST day; bounds are inclusive."""
        has_start, has_end = self.str(start) is not None, self.str(end) is not None
        if has_start != has_end:
            raise invalid(end if has_start else start, f"{start} and {end} must be used together")
        if not has_start:
            return None
        lo = parse_date(start, self.params[start], end_of_day=False)
        hi = parse_date(end, self.params[end], end_of_day=True)
        if hi < lo:
            raise invalid(end, f"{end} is before {start}")
        return lo, hi


def parse_date(name: str, raw: str, *, end_of_day: bool) -> float:
    """'2018-01-03', '2018-01-03T14:01:26+09:00' or '2018-12-31 23:59:59' (KST when no offset is given)."""
    text = raw.strip()
    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d").date()
            moment = datetime.combine(day, time(23, 59, 59) if end_of_day else time(0, 0, 0), KST)
        else:
            moment = datetime.fromisoformat(text.replace(" ", "T", 1))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=KST)
    except ValueError:
        raise invalid(name, "must be YYYY-MM-DD or ISO 8601 like 2018-01-03T14:01:26+09:00") from None
    return moment.timestamp()


def add_months(epoch: float, months: int) -> float:
    """Calendar months in KST, clamping the day (Nov 30 + 3 months = Feb 28/29)."""
    moment = datetime.fromtimestamp(epoch, KST)
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    day = moment.day
    while True:
        try:
            return moment.replace(year=year, month=month, day=day).timestamp()
        except ValueError:
            day -= 1


def refuse_unevaluated(q: Query, documented: Iterable[str], evaluated: Iterable[str]) -> None:
    """A documented filter the sandbox does not evaluate answers 501 rather than being silently ignored."""
    skipped = [name for name in documented if q.has(name) and name not in evaluated]
    if skipped:
        raise ApiError(501, f"The sandbox does not evaluate the documented filter '{skipped[0]}'.")
