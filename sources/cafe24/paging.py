"""How each kind of endpoint is walked to the end without stopping silently at an offset cap.

Every walker takes the mall's client, the endpoint, the shop and its slice of dlt resource state, and yields
pages of raw rows. State is written as the walk goes; dlt keeps it only if the whole load succeeds.

A walk from the beginning (a backfill) stops at a safe place once it has yielded `backfill_chunk_rows` and keeps
where to go on under `BACKFILL`, so each chunk is its own load package and a killed backfill loses one chunk, not
all of it. Its cursors are set only when it ends, to when it started, so the next run sees what changed meanwhile.

A walk from the beginning can be counted ahead (`AHEAD`, when the plan asks): the resource counts every shop
before it walks any, so a progress display has the whole total from the start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .client import ApiClient
from .columns import parse_timestamp
from .endpoints import Details, Endpoint
from .errors import Cafe24Error
from .settings import EMBED_VARIANTS_MAX
from .windows import covering, fitting, kst_iso

Page = list[dict[str, Any]]
State = dict[str, Any]  # a resource's or a shop's slice of dlt state
# Rows of one shop's backfill per load package: what a kill can lose, and what the destination merges at once.
BACKFILL_CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class Plan:
    """What this run covers: the server's clock, where a first run starts, and how far back to overlap."""

    now: int  # epoch seconds, from the server's Date header
    start: int  # first backfill start (orders)
    lookback: int  # seconds each incremental window reaches back before its cursor
    order_date_types: tuple[str, ...]
    customers_full_refresh_days: float
    shop_rows: tuple[dict[str, Any], ...] = ()  # the shops list, fetched once per run to plan it
    count_totals: bool = False  # count walks from the beginning ahead, for a progress display
    backfill_chunk_rows: int = BACKFILL_CHUNK_ROWS  # a walk from the beginning stops after this many rows a shop
    backfills_only: bool = False  # a run's later chunk: the shops whose backfill goes on, and no others
    counted: dict[tuple[int, int, int], int] = field(default_factory=dict)  # (shop, lo, hi) -> orders, if counted


# A shop's walk from the beginning that has not reached its end: where the next chunk goes on.
BACKFILL = "backfill"
# The members who joined in the newest second a shop's walk has loaded (its created_cursor).
MEMBERS_AT_CURSOR = "members_at_cursor"


def backfill_pending(resource_state: State) -> bool:
    """Whether a resource has a shop whose backfill must go on in another chunk."""
    return any(isinstance(shop, dict) and BACKFILL in shop for shop in resource_state.values())


def _count(client: ApiClient, ep: Endpoint, params: dict[str, Any]) -> int:
    return int(client.get(f"{ep.path}/count", params)["count"])


# How a count stops at a moment: rows created later are not in it (categories have no created date).
_CREATED_UNTIL = {
    "updated_keyset": ({}, "created_start_date", "created_end_date"),
    "created_cursor": ({"date_type": "join"}, "start_date", "end_date"),
}


def count_rows(client: ApiClient, ep: Endpoint, shop_no: int, start: int, end: int) -> int:
    """What the API says one shop holds as of `end`: the orders placed from `start` to `end` (by order_date),
    summed over the windows the API accepts; products and members created by `end`; every category. The
    completeness check's side of the sum."""
    if ep.slicing == "order_sweep":
        return sum(_count(client, ep, _window(shop_no, "order_date", lo, hi)) for lo, hi in covering(start, end))
    params: dict[str, Any] = {"shop_no": shop_no}
    if ep.slicing in _CREATED_UNTIL:
        fixed, lo, hi = _CREATED_UNTIL[ep.slicing]
        params.update(fixed, **{lo: kst_iso(0), hi: kst_iso(end)})  # both bounds, as the API pairs them
    return _count(client, ep, params)


def shops(client: ApiClient, ep: Endpoint, shop_no: int, state: State, plan: Plan) -> Iterator[Page]:
    """The shops list the run was planned with: loading it costs no second call."""
    yield list(plan.shop_rows)


def offset(client: ApiClient, ep: Endpoint, shop_no: int, state: State, plan: Plan) -> Iterator[Page]:
    params = {**ep.params, "shop_no": shop_no, "limit": ep.limit}
    at = 0
    while True:
        rows = client.get(ep.path, {**params, "offset": at})[ep.data_key]
        yield rows
        if len(rows) < ep.limit:
            return
        at += ep.limit
        if at > ep.offset_max:
            raise Cafe24Error(
                client.mall_id,
                f"{ep.table} has more rows than offset {ep.offset_max} reaches; "
                "this endpoint has no filter to split by.",
                endpoint=ep.path,
            )


def updated_keyset(client: ApiClient, ep: Endpoint, shop_no: int, state: State, plan: Plan) -> Iterator[Page]:
    """First run: the whole catalogue by since_product_no, in chunks that go on from the last product number.
    Later: the updated_date window since the cursor."""
    params: dict[str, Any] = {**ep.params, "shop_no": shop_no, "limit": ep.limit}
    cursor = state.get("updated_cursor")
    backfill = None
    if cursor is not None:
        params["updated_start_date"] = kst_iso(cursor - plan.lookback)
        params["updated_end_date"] = kst_iso(plan.now)
    else:
        backfill = state.setdefault(BACKFILL, {"since": 0, "started": plan.now})
    taken = 0
    for rows, since in _by_product_no(client, ep, params, backfill["since"] if backfill else 0):
        yield [_with_all_variants(client, ep, shop_no, row) for row in rows]
        taken += len(rows)
        if backfill is not None and since is not None and taken >= plan.backfill_chunk_rows:
            backfill["since"] = since
            return
    state["updated_cursor"] = plan.now if backfill is None else state.pop(BACKFILL)["started"]


def _by_product_no(
    client: ApiClient, ep: Endpoint, params: dict[str, Any], since: int
) -> Iterator[tuple[Page, int | None]]:
    """Pages by since_product_no (no offset, so no cap), each with the number the next page starts after, or None
    after the last page."""
    while True:
        rows = client.get(ep.path, {**params, "since_product_no": since})[ep.data_key]
        if rows:
            since = max(int(row["product_no"]) for row in rows)
        if len(rows) < ep.limit:
            if rows:
                yield rows, None
            return
        yield rows, since


def _with_all_variants(client: ApiClient, ep: Endpoint, shop_no: int, row: dict[str, Any]) -> dict[str, Any]:
    """The embed stops at 100 variants per product; fetch the whole list for products that reach it."""
    if len(row.get("variants") or ()) >= EMBED_VARIANTS_MAX:
        path = f"{ep.path}/{row['product_no']}/variants"
        row = {**row, "variants": client.get(path, {"shop_no": shop_no})["variants"]}
    return row


def order_sweep(client: ApiClient, ep: Endpoint, shop_no: int, state: State, plan: Plan) -> Iterator[Page]:
    """Sweep each date_type from its cursor to now. A first run needs only order_date: it sees every order in
    its current state; later runs sweep every date_type, so each status change is seen by the event it made."""
    cursors: dict[str, int] = state.setdefault("cursors", {})
    if not cursors:
        yield from _orders_backfill(client, ep, shop_no, state, plan)
        return
    for date_type in plan.order_date_types:
        start = cursors[date_type] - plan.lookback if date_type in cursors else plan.start
        for lo, hi in covering(start, plan.now):
            yield from (page for page, _ in _orders_window(client, ep, shop_no, date_type, lo, hi) if page)
    for date_type in plan.order_date_types:
        cursors[date_type] = plan.now


def _orders_backfill(client: ApiClient, ep: Endpoint, shop_no: int, state: State, plan: Plan) -> Iterator[Page]:
    """order_date from `start` to the backfill's fixed end, in time order. A chunk ends where a (sub-)window
    ends: every order before that second is loaded, so the next chunk starts one second later."""
    backfill = state.setdefault(BACKFILL, {"next": plan.start, "until": plan.now})
    taken = 0
    for lo, hi in covering(backfill["next"], backfill["until"]):
        for page, through in _orders_window(
            client, ep, shop_no, "order_date", lo, hi, plan.counted.get((shop_no, lo, hi))
        ):
            if page:
                yield page
                taken += len(page)
            if through is not None:
                backfill["next"] = through + 1
                if taken >= plan.backfill_chunk_rows and through < backfill["until"]:
                    return
    state["cursors"] = dict.fromkeys(plan.order_date_types, state.pop(BACKFILL)["until"])


def _window(shop_no: int, date_type: str, lo: int, hi: int) -> dict[str, Any]:
    return {"shop_no": shop_no, "date_type": date_type, "start_date": kst_iso(lo), "end_date": kst_iso(hi)}


def _orders_window(
    client: ApiClient, ep: Endpoint, shop_no: int, date_type: str, lo: int, hi: int, known: int | None = None
) -> Iterator[tuple[Page, int | None]]:
    """One window's orders, each page with the last second walked whole once it is (else None); `known` is
    the window's count when the backfill was counted ahead."""

    def params(a: int, b: int) -> dict[str, Any]:
        return _window(shop_no, date_type, a, b)

    if known == 0:
        yield [], hi
        return
    first = client.get(ep.path, {**ep.params, **params(lo, hi), "limit": ep.limit})[ep.data_key]
    if len(first) < ep.limit:
        yield first, hi
        return  # the common case: one call per window
    yield first, None
    reach = ep.offset_max + ep.limit

    def count(a: int, b: int) -> int:
        return _count(client, ep, params(a, b))

    total = count(lo, hi) if known is None else known
    for a, b, rows in fitting(count, lo, hi, reach, known=total):
        if rows > reach:
            raise Cafe24Error(
                client.mall_id,
                f"{rows} orders share the second {kst_iso(a)} ({date_type}); the "
                f"offset cap of {ep.offset_max} cannot page past them.",
                endpoint=ep.path,
            )
        start_at = ep.limit if (a, b) == (lo, hi) else 0  # the first page of the whole window is already out
        for at in range(start_at, rows, ep.limit):
            page = client.get(ep.path, {**ep.params, **params(a, b), "limit": ep.limit, "offset": at})[ep.data_key]
            yield page, None
        yield [], b  # this part is whole


def created_cursor(client: ApiClient, ep: Endpoint, shop_no: int, state: State, plan: Plan) -> Iterator[Page]:
    """Members by join time. Every few days the walk starts from the beginning instead, since no endpoint says
    which profiles changed; that walk goes in chunks, each going on from the page start where the last one
    stopped. A later run starts one second before the newest join time and skips the members of that second it
    has (MEMBERS_AT_CURSOR): an import gives many members one join time, and each run loaded them all again."""
    backfill = state.get(BACKFILL)
    if backfill is None and _members_from_the_start(state, plan):
        backfill = state[BACKFILL] = {"start": None, "newest": state.get("created_cursor"), "started": plan.now}
    newest: int | None
    loaded: set[str] = set()
    if backfill is not None:
        start, newest = backfill["start"], backfill["newest"]
    else:
        newest = state.get("created_cursor")
        start = None if newest is None else newest - 1
        loaded = set(state.get(MEMBERS_AT_CURSOR, ()))
    at_newest = set(loaded)
    taken = 0
    for page, next_start in _by_join_time(client, ep, shop_no, start):
        fresh = [row for row in page if row["member_id"] not in loaded]
        if fresh:
            yield fresh
            for row in fresh:
                joined = _epoch(row["created_date"])
                if newest is None or joined > newest:
                    newest, at_newest = joined, set()
                if joined == newest:
                    at_newest.add(row["member_id"])
            taken += len(fresh)
        if backfill is not None and next_start is not None and taken >= plan.backfill_chunk_rows:
            backfill.update(start=next_start, newest=newest)  # the next chunk sees the last second again: merged
            return
    if newest is not None:
        state["created_cursor"] = newest
        state[MEMBERS_AT_CURSOR] = sorted(at_newest)  # at most a page: more in one second raises
    if backfill is not None:
        state["full_refresh_at"] = state.pop(BACKFILL)["started"]


def _by_join_time(
    client: ApiClient, ep: Endpoint, shop_no: int, start: int | None, **extra: str
) -> Iterator[tuple[Page, int | None]]:
    """Members who joined from `start` on, each page's new rows with where the next page starts (None after the
    last). A page starts one second before the last join time seen, so it does not matter whether the platform's
    bound is inclusive; the rows of that second already yielded are dropped."""
    seen: set[str] = set()
    while True:
        params: dict[str, Any] = {"shop_no": shop_no, "search_type": "created_date", "limit": ep.limit, **extra}
        if start is not None:
            params["created_start_date"] = kst_iso(start)
        rows = client.get(ep.path, params)[ep.data_key]
        fresh = [row for row in rows if row["member_id"] not in seen]
        if len(rows) < ep.limit:
            yield fresh, None
            return
        last = _epoch(rows[-1]["created_date"])
        if start is not None and last - 1 <= start:
            raise Cafe24Error(
                client.mall_id,
                f"more than {ep.limit} members joined within one second at "
                f"{kst_iso(last)}; the created_date cursor cannot pass them.",
                endpoint=ep.path,
            )
        seen = {row["member_id"] for row in rows}
        start = last - 1
        yield fresh, start


def _members_from_the_start(state: State, plan: Plan) -> bool:
    full_at = state.get("full_refresh_at")
    return full_at is None or plan.now - full_at >= plan.customers_full_refresh_days * 86400


def _epoch(text: str) -> int:
    return int(parse_timestamp(text).timestamp())


Walker = Callable[[ApiClient, Endpoint, int, State, Plan], Iterator[Page]]


def _backfills_only(walk: Walker) -> Walker:
    """In a run's later chunks, a shop whose backfill ended (or that had none) was walked by the first chunk
    already: walking it again would cost its incremental calls once per chunk."""

    def walker(client: ApiClient, ep: Endpoint, shop_no: int, state: State, plan: Plan) -> Iterator[Page]:
        if BACKFILL in state or not plan.backfills_only:
            yield from walk(client, ep, shop_no, state, plan)

    return walker


WALKERS = {
    "shops": shops,
    "offset": offset,
    "updated_keyset": _backfills_only(updated_keyset),
    "order_sweep": _backfills_only(order_sweep),
    "created_cursor": _backfills_only(created_cursor),
}


# Counting ahead: what a walk from the beginning will yield (0 for a walk that will not start there, or that a
# chunk of an earlier run started: the first chunk's run counted it whole). Only the walks that can be long are
# counted; the small offset and shops tables are not.


def _products_ahead(client: ApiClient, ep: Endpoint, shop_no: int, state: State, plan: Plan) -> int:
    from_start = state.get("updated_cursor") is None and BACKFILL not in state
    return _count(client, ep, {"shop_no": shop_no}) if from_start else 0


def _orders_ahead(client: ApiClient, ep: Endpoint, shop_no: int, state: State, plan: Plan) -> int:
    """A backfill's windows, each counted once; the walk reuses a count instead of asking again."""
    if state.get("cursors") or BACKFILL in state:
        return 0
    for lo, hi in covering(plan.start, plan.now):
        plan.counted[(shop_no, lo, hi)] = _count(client, ep, _window(shop_no, "order_date", lo, hi))
    return sum(n for (shop, _, _), n in plan.counted.items() if shop == shop_no)


def _members_ahead(client: ApiClient, ep: Endpoint, shop_no: int, state: State, plan: Plan) -> int:
    from_start = (_members_from_the_start(state, plan) or state.get("created_cursor") is None) and BACKFILL not in state
    return _count(client, ep, {"shop_no": shop_no}) if from_start else 0


AHEAD = {"updated_keyset": _products_ahead, "order_sweep": _orders_ahead, "created_cursor": _members_ahead}


# The reconciliation's side (pipelines/deletions.py): every key a shop holds now, in as few columns as the API
# allows, and rows fetched again by key.


def _product_keys(client: ApiClient, ep: Endpoint, shop_no: int) -> Iterator[list[Any]]:
    params = {"shop_no": shop_no, "limit": ep.limit, "fields": "product_no"}
    for rows, _ in _by_product_no(client, ep, params, 0):
        yield [int(row["product_no"]) for row in rows]


def _member_keys(client: ApiClient, ep: Endpoint, shop_no: int) -> Iterator[list[Any]]:
    for rows, _ in _by_join_time(client, ep, shop_no, None, fields="member_id,created_date"):
        yield [row["member_id"] for row in rows]


KEY_WALKS: dict[str, Callable[[ApiClient, Endpoint, int], Iterator[list[Any]]]] = {
    "updated_keyset": _product_keys,
    "created_cursor": _member_keys,
}
# Keys per call when rows are fetched by key: the list endpoints take a comma list of product_no or member_id.
BY_KEY_BATCH = 100


def by_keys(client: ApiClient, ep: Endpoint, shop_no: int, keys: list[Any]) -> Iterator[Page]:
    """The rows of these keys, as the list endpoint prints them (embeds included), BY_KEY_BATCH keys a call."""
    name = ep.primary_key[-1]
    for at in range(0, len(keys), BY_KEY_BATCH):
        batch = keys[at : at + BY_KEY_BATCH]
        params = {**ep.params, "shop_no": shop_no, name: ",".join(map(str, batch)), "limit": len(batch)}
        rows = client.get(ep.path, params)[ep.data_key]
        yield [_with_all_variants(client, ep, shop_no, row) for row in rows]


def with_details(client: ApiClient, ep: Endpoint, shop_no: int, page: Page) -> Page:
    """The page's rows, each with the lists only its detail call returns (Endpoint.details): one call per row,
    e.g. `GET /orders/{order_id}?embed=benefits,coupons,refunds` (docs/cafe24-reference.md#orders) or
    `GET /products/{product_no}` (docs/cafe24-reference.md#products)."""
    details = ep.details
    if details is None:
        return page
    name = ep.primary_key[-1]
    params: dict[str, Any] = {"shop_no": shop_no, **({"embed": details.embed} if details.embedded else {})}
    out = []
    for row in page:
        path = details.path.format(**{name: quote(str(row[name]), safe="")})
        out.append({**row, **detail_lists(details, client.get(path, params)[details.data_key])})
    return out


def detail_lists(details: Details, detail: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The detail's fields the child tables load, each as rows: a list as it is, an object keyed by code as its
    entries, with columns renamed where they would clash with the parent's key."""
    out = {}
    for name in (c.field for c in details.children):
        value = detail.get(name)
        if name in details.entries:
            value = entries(value, *details.entries[name])
        rows, renamed = value or [], details.renamed.get(name, {})
        out[name] = [{renamed.get(k, k): v for k, v in item.items()} for item in rows] if renamed else rows
    return out


def entries(value: dict[str, Any] | None, key: str, name: str) -> list[dict[str, Any]]:
    """An object keyed by code as rows, one per entry: a product's country_hscode `{"JPN": "430310011"}` with
    ("country_code", "hscode") is `[{"country_code": "JPN", "hscode": "430310011"}]`
    (docs/cafe24-reference.md#products)."""
    return [{key: code, name: entry} for code, entry in (value or {}).items()]
