"""Each walker against an in-memory API: the rows it yields, the calls it makes, the state it leaves for the next
run or chunk, and the errors it raises where paging on would silently lose rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from sources.cafe24 import paging
from sources.cafe24.endpoints import BY_TABLE
from sources.cafe24.errors import Cafe24Error
from sources.cafe24.paging import (
    AHEAD,
    BACKFILL,
    KEY_WALKS,
    MEMBERS_AT_CURSOR,
    WALKERS,
    Plan,
    by_keys,
    count_rows,
    created_cursor,
    offset,
    order_sweep,
    shops,
    updated_keyset,
)
from sources.cafe24.windows import KST, covering, kst_iso
from tests.unit.fakes import FakeApi, epoch

DAY = 86400
START = int(datetime(2024, 1, 1, tzinfo=KST).timestamp())
NOW = START + 200 * DAY  # three order windows: covering(START, NOW)
WINDOWS = list(covering(START, NOW))
# Small pages and caps, so a few rows exercise every branch.
CATEGORIES = replace(BY_TABLE["categories"], limit=3, offset_max=6)
PRODUCTS = replace(BY_TABLE["products"], limit=2)
ORDERS = replace(BY_TABLE["orders"], limit=2, offset_max=2)  # reach: offset 2 + 2 rows = 4 orders a window
CUSTOMERS = replace(BY_TABLE["customers"], limit=3)


def plan(**changes: Any) -> Plan:
    base = Plan(
        now=NOW, start=START, lookback=600, order_date_types=("order_date", "pay_date"), customers_full_refresh_days=7
    )
    return replace(base, **changes)


def walk(walker: Any, api: FakeApi, ep: Any, state: dict, run: Plan) -> list[list[dict]]:
    return list(walker(api.client(), ep, 1, state, run))


def flat(pages: list[list[dict]], key: str) -> list[Any]:
    return [row[key] for page in pages for row in page]


def count_of(rows: list[dict]) -> dict[str, int]:
    return {"count": len(rows)}


# --- categories: offset paging, which must refuse a table longer than the cap rather than stop short ---


def categories_api(n: int) -> FakeApi:
    rows = [{"category_no": i} for i in range(1, n + 1)]

    def page(params: dict[str, str]) -> dict:
        at, limit = int(params["offset"]), int(params["limit"])
        assert at <= CATEGORIES.offset_max, "the API refuses an offset past the cap"
        return {"categories": rows[at : at + limit]}

    return FakeApi({"/categories": page, "/categories/count": lambda _: count_of(rows)})


def test_offset_walks_pages_until_a_short_one() -> None:
    api = categories_api(7)
    pages = walk(offset, api, CATEGORIES, {}, plan())
    assert flat(pages, "category_no") == list(range(1, 8))
    assert [p["offset"] for p in api.params("/categories")] == ["0", "3", "6"]
    assert all(p["shop_no"] == "1" and p["limit"] == "3" for p in api.params("/categories"))


def test_offset_ends_on_an_empty_page_at_the_cap() -> None:
    api = categories_api(6)
    assert flat(walk(offset, api, CATEGORIES, {}, plan()), "category_no") == list(range(1, 7))
    assert [p["offset"] for p in api.params("/categories")] == ["0", "3", "6"]


def test_offset_raises_past_the_cap_instead_of_truncating() -> None:
    api = categories_api(10)
    pages: list[list[dict]] = []
    with pytest.raises(Cafe24Error, match="more rows than offset 6 reaches"):
        pages.extend(offset(api.client(), CATEGORIES, 1, {}, plan()))
    assert flat(pages, "category_no") == list(range(1, 10))


def test_shops_costs_no_call() -> None:
    api = FakeApi({})
    rows = ({"shop_no": 1}, {"shop_no": 2})
    assert walk(shops, api, BY_TABLE["shops"], {}, plan(shop_rows=rows)) == [list(rows)]
    assert api.calls == []


# --- products: since_product_no (no cap), in chunks, then updated_date windows ---


def products_api(n: int, variants: int = 0) -> FakeApi:
    rows = [
        {"product_no": i, "variants": [{"variant_code": f"v{i}-{k}"} for k in range(variants)]} for i in range(1, n + 1)
    ]

    def page(params: dict[str, str]) -> dict:
        if "product_no" in params:
            wanted = {int(k) for k in params["product_no"].split(",")}
            return {"products": [r for r in rows if r["product_no"] in wanted]}
        since = int(params["since_product_no"])
        return {"products": [r for r in rows if r["product_no"] > since][: int(params["limit"])]}

    routes = {"/products": page, "/products/count": lambda _: count_of(rows)}
    for row in rows:
        routes[f"/products/{row['product_no']}/variants"] = lambda _, no=row["product_no"]: {
            "variants": [{"variant_code": f"v{no}-{k}"} for k in range(variants + 5)]
        }
    return FakeApi(routes)


def sinces(api: FakeApi) -> list[int]:
    return [int(p["since_product_no"]) for p in api.params("/products")]


def test_products_first_run_walks_the_catalogue_by_product_no() -> None:
    api = products_api(5)
    state: dict = {}
    pages = walk(updated_keyset, api, PRODUCTS, state, plan())
    assert flat(pages, "product_no") == [1, 2, 3, 4, 5]
    assert sinces(api) == [0, 2, 4]
    assert all(p["embed"] == "variants" and "updated_start_date" not in p for p in api.params("/products"))
    assert state == {"updated_cursor": NOW}


def test_products_yield_no_empty_page_when_the_last_page_is_full() -> None:
    api = products_api(4)
    assert walk(updated_keyset, api, PRODUCTS, {}, plan()) == [
        [{"product_no": 1, "variants": []}, {"product_no": 2, "variants": []}],
        [{"product_no": 3, "variants": []}, {"product_no": 4, "variants": []}],
    ]
    assert sinces(api) == [0, 2, 4]


def test_products_backfill_stops_at_the_chunk_and_goes_on_from_there() -> None:
    api = products_api(7)
    state: dict = {}
    first = walk(updated_keyset, api, PRODUCTS, state, plan(backfill_chunk_rows=4))
    assert flat(first, "product_no") == [1, 2, 3, 4]
    assert state == {BACKFILL: {"since": 4, "started": NOW}}
    assert paging.backfill_pending({1: state})

    api.calls.clear()
    second = walk(updated_keyset, api, PRODUCTS, state, plan(now=NOW + 3600, backfill_chunk_rows=4))
    assert flat(second, "product_no") == [5, 6, 7]
    assert sinces(api) == [4, 6]
    # The cursor is when the backfill started, so the next run sees what changed while it went on.
    assert state == {"updated_cursor": NOW}
    assert not paging.backfill_pending({1: state})


def test_products_later_runs_ask_for_the_updated_window_since_the_cursor() -> None:
    api = products_api(3)
    cursor = NOW - DAY
    state = {"updated_cursor": cursor}
    assert flat(walk(updated_keyset, api, PRODUCTS, state, plan()), "product_no") == [1, 2, 3]
    first = api.params("/products")[0]
    assert first["updated_start_date"] == kst_iso(cursor - 600)
    assert first["updated_end_date"] == kst_iso(NOW)
    assert state == {"updated_cursor": NOW}


def test_products_with_a_full_embed_fetch_every_variant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "EMBED_VARIANTS_MAX", 2)
    api = products_api(1, variants=2)
    [[row]] = walk(updated_keyset, api, PRODUCTS, {}, plan())
    assert len(row["variants"]) == 7
    assert api.params("/products/1/variants") == [{"shop_no": "1"}]


def test_a_later_chunk_walks_only_the_shops_whose_backfill_goes_on() -> None:
    api = products_api(3)
    assert walk(WALKERS["updated_keyset"], api, PRODUCTS, {"updated_cursor": START}, plan(backfills_only=True)) == []
    assert api.calls == []
    pending = {BACKFILL: {"since": 1, "started": NOW}}
    assert flat(walk(WALKERS["updated_keyset"], api, PRODUCTS, pending, plan(backfills_only=True)), "product_no") == [
        2,
        3,
    ]


# --- orders: date windows under three months, split under the offset cap ---


def orders_api(stamps: list[int], date_type: str = "order_date") -> FakeApi:
    rows = [{"order_id": f"o{i}", date_type: kst_iso(t)} for i, t in enumerate(sorted(stamps))]

    def matching(params: dict[str, str]) -> list[dict]:
        lo, hi = epoch(params["start_date"]), epoch(params["end_date"])
        assert hi - lo < 89 * DAY, "the API refuses a window of three months"
        field = params["date_type"]
        return [r for r in rows if field in r and lo <= epoch(r[field]) <= hi]

    def page(params: dict[str, str]) -> dict:
        at = int(params.get("offset", 0))
        assert at <= ORDERS.offset_max, "the API refuses an offset past the cap"
        return {"orders": matching(params)[at : at + int(params["limit"])]}

    return FakeApi({"/orders": page, "/orders/count": lambda params: count_of(matching(params))})


def windows_asked(api: FakeApi, path: str = "/orders") -> list[tuple[int, int]]:
    return [(epoch(p["start_date"]), epoch(p["end_date"])) for p in api.params(path)]


def test_orders_backfill_asks_each_window_once_and_sets_every_cursor() -> None:
    stamps = [START + 10 * DAY, START + 100 * DAY, START + 190 * DAY]
    api = orders_api(stamps)
    state: dict = {}
    pages = walk(order_sweep, api, ORDERS, state, plan())
    assert flat(pages, "order_id") == ["o0", "o1", "o2"]
    assert windows_asked(api) == WINDOWS
    assert all(p["date_type"] == "order_date" and "offset" not in p for p in api.params("/orders"))
    assert api.params("/orders/count") == []  # a window under one page costs one call
    assert state == {"cursors": {"order_date": NOW, "pay_date": NOW}}


def test_orders_a_window_over_one_page_but_under_the_cap_pages_by_offset() -> None:
    api = orders_api([START + 1, START + 2, START + 3])
    assert flat(walk(order_sweep, api, ORDERS, {}, plan()), "order_id") == ["o0", "o1", "o2"]
    first_window = [p.get("offset") for p in api.params("/orders") if epoch(p["start_date"]) == START]
    assert first_window == [None, "2"]
    assert windows_asked(api, "/orders/count") == [WINDOWS[0]]


def test_orders_a_window_over_the_cap_is_split_until_each_part_fits() -> None:
    stamps = [START + k * DAY for k in range(6)]  # six orders in the first window, four fit
    api = orders_api(stamps)
    pages = walk(order_sweep, api, ORDERS, {}, plan())
    ids = flat(pages, "order_id")
    # The whole window's first page is out before the split; its rows come again in the first part (merged).
    assert ids[:2] == ["o0", "o1"]
    assert ids[2:] == [f"o{i}" for i in range(6)]
    paged = [(lo, hi, p.get("offset")) for (lo, hi), p in zip(windows_asked(api), api.params("/orders"), strict=False)]
    split = [call for call in paged[1:] if call[1] < WINDOWS[0][1]]
    assert [at for *_, at in split] == ["0", "2", "0", "2"]  # each part from offset 0, within the cap
    parts = sorted({(lo, hi) for lo, hi, _ in split})
    assert parts[0][0] == START and parts[0][1] + 1 == parts[1][0]
    assert len(paged) == 1 + len(split) + 2  # parts counted empty cost no page; the other windows one each


def test_orders_more_than_the_cap_in_one_second_raise() -> None:
    api = orders_api([START + 5] * 5)
    with pytest.raises(Cafe24Error, match="5 orders share the second"):
        walk(order_sweep, api, ORDERS, {}, plan())


def test_orders_backfill_stops_where_a_window_ends_and_goes_on_one_second_later() -> None:
    api = orders_api([START + DAY, START + 190 * DAY])
    state: dict = {}
    first = walk(order_sweep, api, ORDERS, state, plan(backfill_chunk_rows=1))
    assert flat(first, "order_id") == ["o0"]
    assert state == {"cursors": {}, BACKFILL: {"next": WINDOWS[0][1] + 1, "until": NOW}}

    api.calls.clear()
    second = walk(order_sweep, api, ORDERS, state, plan(now=NOW + DAY, backfill_chunk_rows=1))
    assert flat(second, "order_id") == ["o1"]
    assert windows_asked(api) == list(covering(WINDOWS[0][1] + 1, NOW))  # to the first chunk's end, not later
    assert state == {"cursors": {"order_date": NOW, "pay_date": NOW}}


def test_orders_later_runs_sweep_every_date_type_from_its_cursor() -> None:
    api = orders_api([NOW - 100], date_type="pay_date")
    cursor = NOW - DAY
    state = {"cursors": {"order_date": cursor}}
    pages = walk(order_sweep, api, ORDERS, state, plan())
    assert pages == [[{"order_id": "o0", "pay_date": kst_iso(NOW - 100)}]]  # empty windows yield no page
    asked = [(p["date_type"], epoch(p["start_date"]), epoch(p["end_date"])) for p in api.params("/orders")]
    assert asked == [("order_date", cursor - 600, NOW)] + [("pay_date", lo, hi) for lo, hi in WINDOWS]
    assert state == {"cursors": {"order_date": NOW, "pay_date": NOW}}


def test_orders_counted_ahead_are_not_counted_or_asked_again() -> None:
    api = orders_api([START + 1, START + 2, START + 3, START + 190 * DAY])
    run = plan()
    assert AHEAD["order_sweep"](api.client(), ORDERS, 1, {}, run) == 4
    assert run.counted == {
        (1, WINDOWS[0][0], WINDOWS[0][1]): 3,
        (1, WINDOWS[1][0], WINDOWS[1][1]): 0,
        (1, WINDOWS[2][0], WINDOWS[2][1]): 1,
    }
    api.calls.clear()
    assert flat(walk(order_sweep, api, ORDERS, {}, run), "order_id") == ["o0", "o1", "o2", "o3"]
    assert api.params("/orders/count") == []
    assert WINDOWS[1] not in windows_asked(api)  # counted empty: not asked at all
    assert AHEAD["order_sweep"](api.client(), ORDERS, 1, {"cursors": {"order_date": NOW}}, plan()) == 0


# --- customers: join time cursor, a page starting one second before the last join time seen ---


def customers_api(stamps: list[int]) -> FakeApi:
    rows = [{"member_id": f"m{i}", "created_date": kst_iso(t)} for i, t in enumerate(sorted(stamps))]

    def page(params: dict[str, str]) -> dict:
        assert params["search_type"] == "created_date" and "offset" not in params
        start = epoch(params["created_start_date"]) if "created_start_date" in params else None
        found = [r for r in rows if start is None or epoch(r["created_date"]) >= start]
        return {"customersprivacy": found[: int(params["limit"])]}

    return FakeApi({"/customersprivacy": page, "/customersprivacy/count": lambda _: count_of(rows)})


MEMBER_TIMES = [START + 10 * k for k in range(1, 8)]  # seven members, ten seconds apart


def starts(api: FakeApi) -> list[int | None]:
    return [
        epoch(p["created_start_date"]) if "created_start_date" in p else None for p in api.params("/customersprivacy")
    ]


def test_customers_first_run_walks_by_join_time_each_member_once() -> None:
    api = customers_api(MEMBER_TIMES)
    state: dict = {}
    pages = walk(created_cursor, api, CUSTOMERS, state, plan())
    assert flat(pages, "member_id") == [f"m{i}" for i in range(7)]
    t = MEMBER_TIMES
    assert starts(api) == [None, t[2] - 1, t[4] - 1, t[6] - 1]
    assert state == {"created_cursor": t[6], MEMBERS_AT_CURSOR: ["m6"], "full_refresh_at": NOW}


def test_customers_more_than_a_page_joining_in_one_second_raise() -> None:
    api = customers_api([START + 5] * 4)
    with pytest.raises(Cafe24Error, match="more than 3 members joined within one second"):
        walk(created_cursor, api, CUSTOMERS, {}, plan())


def test_customers_full_walk_goes_in_chunks() -> None:
    api = customers_api(MEMBER_TIMES)
    state: dict = {}
    t = MEMBER_TIMES
    first = walk(created_cursor, api, CUSTOMERS, state, plan(backfill_chunk_rows=3))
    assert flat(first, "member_id") == ["m0", "m1", "m2"]
    assert state == {BACKFILL: {"start": t[2] - 1, "newest": t[2], "started": NOW}}

    api.calls.clear()
    later = plan(now=NOW + DAY, backfill_chunk_rows=100)
    second = walk(created_cursor, api, CUSTOMERS, state, later)
    assert flat(second, "member_id") == ["m2", "m3", "m4", "m5", "m6"]  # the last second again: merged
    assert starts(api)[0] == t[2] - 1
    assert state == {"created_cursor": t[6], MEMBERS_AT_CURSOR: ["m6"], "full_refresh_at": NOW}


def test_customers_later_runs_go_on_from_the_newest_join_time() -> None:
    api = customers_api(MEMBER_TIMES)
    t = MEMBER_TIMES
    state = {"created_cursor": t[4], "full_refresh_at": NOW - DAY}
    assert flat(walk(created_cursor, api, CUSTOMERS, state, plan()), "member_id") == ["m4", "m5", "m6"]
    assert starts(api) == [t[4] - 1, t[6] - 1]
    assert state == {"created_cursor": t[6], MEMBERS_AT_CURSOR: ["m6"], "full_refresh_at": NOW - DAY}


def test_customers_of_the_cursors_second_are_loaded_once_and_a_newcomer_in_it_is_not_missed() -> None:
    """An import gives members one join time: a run with nothing new loads none of them again, and one who
    joins in that same second later is loaded."""
    same = START + 50
    state: dict = {}
    assert flat(walk(created_cursor, customers_api([START + 10, same]), CUSTOMERS, state, plan()), "member_id") == [
        "m0",
        "m1",
    ]
    assert state["created_cursor"] == same and state[MEMBERS_AT_CURSOR] == ["m1"]

    api = customers_api([START + 10, same])
    assert walk(created_cursor, api, CUSTOMERS, state, plan()) == []
    assert starts(api) == [same - 1]  # the cursor's second is still asked for

    api = customers_api([START + 10, same, same])  # m2 joins in the cursor's second
    assert flat(walk(created_cursor, api, CUSTOMERS, state, plan()), "member_id") == ["m2"]
    assert state["created_cursor"] == same and state[MEMBERS_AT_CURSOR] == ["m1", "m2"]


def test_customers_walk_from_the_start_again_every_few_days() -> None:
    api = customers_api(MEMBER_TIMES)
    state = {"created_cursor": MEMBER_TIMES[6], "full_refresh_at": NOW - 8 * DAY}
    assert len(flat(walk(created_cursor, api, CUSTOMERS, state, plan()), "member_id")) == 7
    assert starts(api)[0] is None
    assert state == {"created_cursor": MEMBER_TIMES[6], MEMBERS_AT_CURSOR: ["m6"], "full_refresh_at": NOW}


# --- the deletions' key walks, rows by key, and the counts ---


def test_product_keys_walk_asks_only_for_the_key() -> None:
    api = products_api(5)
    assert list(KEY_WALKS["updated_keyset"](api.client(), PRODUCTS, 1)) == [[1, 2], [3, 4], [5]]
    assert all(p["fields"] == "product_no" and "embed" not in p for p in api.params("/products"))


def test_member_keys_walk_asks_only_for_the_key_and_join_time() -> None:
    api = customers_api(MEMBER_TIMES)
    keys = [k for page in KEY_WALKS["created_cursor"](api.client(), CUSTOMERS, 1) for k in page]
    assert keys == [f"m{i}" for i in range(7)]
    assert all(p["fields"] == "member_id,created_date" for p in api.params("/customersprivacy"))


def test_by_keys_asks_a_hundred_keys_a_call() -> None:
    api = products_api(250)
    keys = list(range(1, 251))
    assert flat(list(by_keys(api.client(), PRODUCTS, 1, keys)), "product_no") == keys
    asked = api.params("/products")
    assert [p["limit"] for p in asked] == ["100", "100", "50"]
    assert asked[2]["product_no"] == ",".join(map(str, range(201, 251)))
    assert all(p["embed"] == "variants" for p in asked)


def test_count_rows_sums_the_order_windows() -> None:
    api = orders_api([START + 1, START + 100 * DAY, NOW + 1])
    assert count_rows(api.client(), ORDERS, 1, START, NOW) == 2
    assert windows_asked(api, "/orders/count") == WINDOWS


def test_count_rows_stops_products_and_members_at_the_end() -> None:
    api = FakeApi(
        {
            "/products/count": lambda _: {"count": 7},
            "/customersprivacy/count": lambda _: {"count": 3},
            "/categories/count": lambda _: {"count": 2},
        }
    )
    client = api.client()
    assert count_rows(client, PRODUCTS, 1, START, NOW) == 7
    assert count_rows(client, CUSTOMERS, 1, START, NOW) == 3
    assert count_rows(client, CATEGORIES, 1, START, NOW) == 2
    assert api.params("/products/count") == [
        {"shop_no": "1", "created_start_date": kst_iso(0), "created_end_date": kst_iso(NOW)}
    ]
    assert api.params("/customersprivacy/count") == [
        {"shop_no": "1", "date_type": "join", "start_date": kst_iso(0), "end_date": kst_iso(NOW)}
    ]
    assert api.params("/categories/count") == [{"shop_no": "1"}]


def test_products_and_members_are_counted_ahead_only_from_the_start() -> None:
    client = products_api(5).client()
    assert AHEAD["updated_keyset"](client, PRODUCTS, 1, {}, plan()) == 5
    assert AHEAD["updated_keyset"](client, PRODUCTS, 1, {"updated_cursor": START}, plan()) == 0
    assert AHEAD["updated_keyset"](client, PRODUCTS, 1, {BACKFILL: {"since": 2, "started": NOW}}, plan()) == 0
    members = customers_api(MEMBER_TIMES).client()
    assert AHEAD["created_cursor"](members, CUSTOMERS, 1, {}, plan()) == 7
    recent = {"created_cursor": START, "full_refresh_at": NOW - DAY}
    assert AHEAD["created_cursor"](members, CUSTOMERS, 1, recent, plan()) == 0
    assert AHEAD["created_cursor"](members, CUSTOMERS, 1, {**recent, "full_refresh_at": NOW - 8 * DAY}, plan()) == 7
