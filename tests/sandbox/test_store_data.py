"""The generated store looks like a real Korean Cafe24 mall, and keeps the awkward cases a connector must survive.

docs/cafe24-reference.md sections per resource, and issue #2 §4 "Data that looks like a real store": Korean names, KRW
money as decimal strings, T/F flags, orders that reference real products, a realistic spread of order statuses, member
PII, a category tree, optional fields that are null in some rows only; plus the volumes that break naive
paging (a bulk-edit day over the 5,000 offset cap, a sale season over the 15,000 orders cap, one second shared
by 100+ rows, a product with more variants than the list embed returns). Everything is read over HTTP; the
in-process store is used only as ground truth.
"""

from __future__ import annotations

import bisect
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

import httpx
import pytest

from sandbox.clock import KST, kst
from sandbox.config import SandboxConfig, Volumes
from sandbox.params import add_months
from sandbox.server import SandboxServer
from tests.conftest import UNLIMITED, admin_client

MALL = "storedata"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
FIXED_START = 1790000000  # 2026-09-21 23:13:20 KST: a fixed sandbox clock for the private sandboxes
ORDER_STATUSES = (
    "N00",
    "N10",
    "N20",
    "N30",
    "N40",
    "N50",
    "C00",
    "C10",
    "C40",
    "C48",
    "R00",
    "R10",
    "R40",
    "E00",
    "E10",
    "E40",
)


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def kst_day(epoch: float) -> date:
    return datetime.fromtimestamp(epoch, KST).date()


def day_start(day: date) -> float:
    return datetime.combine(day, clock_time(0), KST).timestamp()


def window(server: SandboxServer, days: int = 85) -> dict[str, str]:
    """The most recent date-only orders window of `days` + 1 days (under 3 months)."""
    end = kst_day(server.sandbox.clock.now())
    return {"start_date": str(end - timedelta(days=days)), "end_date": str(end)}


@pytest.fixture(scope="module")
def client(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with admin_client(sandbox, MALL) as c:
        yield c


@pytest.fixture(scope="module")
def products(client: httpx.Client) -> list[dict]:
    return ok(client.get("/api/v2/admin/products", params={"limit": 100}))["products"]


@pytest.fixture(scope="module")
def orders(sandbox: SandboxServer, client: httpx.Client) -> list[dict]:
    params = {**window(sandbox, 60), "limit": 1000, "embed": "items"}
    return ok(client.get("/api/v2/admin/orders", params=params))["orders"]


@pytest.fixture(scope="module")
def members(client: httpx.Client) -> list[dict]:
    return ok(client.get("/api/v2/admin/customersprivacy", params={"limit": 1000}))["customersprivacy"]


# ---- what a real Korean store looks like --------------------------------------------------------------------


def test_product_names_are_korean(products: list[dict]) -> None:
    """docs/cafe24-reference.md#products (product_name); issue #2 §4: Korean product names."""
    assert len(products) == 100
    assert all(HANGUL.search(p["product_name"]) for p in products), [p["product_name"] for p in products[:5]]
    assert len({p["product_name"] for p in products}) > 30  # not one name repeated


def test_krw_prices_are_decimal_strings(sandbox: SandboxServer, products: list[dict]) -> None:
    """docs/cafe24-reference.md#products: the examples mix string prices ("1100.00") and numeric
    prices (1000); issue #2 §4: KRW prices as decimal strings such as "12900.00"."""
    truth = sandbox.sandbox.mall(MALL).products
    strings = [p for p in products if isinstance(p["price"], str)]
    numbers = [p for p in products if not isinstance(p["price"], str)]
    assert len(strings) >= 90 and all(isinstance(p["price"], int) for p in numbers)
    for p in strings:
        assert re.fullmatch(r"[1-9]\d{3,6}\.00", p["price"]), p["price"]
        assert p["price"] == f"{truth[p['product_no']].price}.00"
        assert re.fullmatch(r"\d+\.00", p["retail_price"]) and re.fullmatch(r"\d+\.00", p["supply_price"])
        assert float(p["supply_price"]) < float(p["price"])
    assert all(int(float(p["price"])) % 100 == 0 for p in products)  # won prices end in 00
    assert len({p["price"] for p in strings}) >= 5


def test_flags_are_t_or_f(products: list[dict]) -> None:
    """docs/cafe24-reference.md#products (display, selling); the API's flags are the strings "T"/"F"."""
    for name in ("display", "selling", "sold_out", "use_naverpay", "adult_certification"):
        assert {p[name] for p in products} <= {"T", "F"}, name
    for name in ("display", "selling"):
        assert {p[name] for p in products} == {"T", "F"}, f"{name} never varies"


def test_order_items_reference_existing_products(client: httpx.Client, orders: list[dict]) -> None:
    """docs/cafe24-reference.md#order-items: order items carry `product_no`/`variant_code`; issue #2 §4: orders whose
    items name products that exist in the catalogue."""
    catalogue: dict[int, str] = {}
    cursor = 0
    while True:
        page = ok(client.get("/api/v2/admin/products", params={"since_product_no": cursor, "limit": 100}))
        if not page["products"]:
            break
        catalogue.update({p["product_no"]: p["product_code"] for p in page["products"]})
        cursor = page["products"][-1]["product_no"]
    items = [i for o in orders for i in o["items"]]
    assert len(orders) > 100 and len(items) > len(orders)  # some orders have several items
    assert {i["product_no"] for i in items} <= set(catalogue)
    assert all(i["variant_code"].startswith(catalogue[i["product_no"]]) for i in items)
    assert all(i["order_item_code"].startswith(o["order_id"]) for o in orders for i in o["items"])


def test_order_statuses_are_realistic_over_a_large_window(sandbox: SandboxServer, client: httpx.Client) -> None:
    """docs/cafe24-reference.md#orders: order_status (N*, C*, R*, E*): cancellations, returns and exchanges show in
    order_status (C*/R*/E*); issue #2 §4: a realistic mix."""
    params = window(sandbox)
    total = ok(client.get("/api/v2/admin/orders/count", params=params))["count"]
    counts = {
        code: ok(client.get("/api/v2/admin/orders/count", params={**params, "order_status": code}))["count"]
        for code in ORDER_STATUSES
    }
    assert total > 300
    assert sum(counts.values()) == total, counts  # every order is in exactly one documented status
    for code in ("N10", "N40", "N50"):
        assert counts[code] > 0, counts
    for family in "CRE":
        assert sum(n for code, n in counts.items() if code.startswith(family)) > 0, counts
    assert counts["N50"] > counts["N40"] > counts["N10"]  # most orders of the quarter are long delivered
    cancelled = ok(client.get("/api/v2/admin/orders/count", params={**params, "order_status": "C00,C10,C40,C48"}))[
        "count"
    ]
    assert cancelled == sum(counts[c] for c in ("C00", "C10", "C40", "C48"))
    assert 0.03 * total < cancelled < 0.3 * total


def test_order_item_statuses_use_documented_codes(orders: list[dict]) -> None:
    """docs/cafe24-reference.md#orders: order_status codes; the `canceled` flag agrees with C*."""
    statuses = Counter(i["order_status"] for o in orders for i in o["items"])
    assert set(statuses) <= set(ORDER_STATUSES), statuses
    assert len(statuses) >= 5
    for o in orders:
        if o["canceled"] == "T":
            assert all(i["order_status"].startswith("C") for i in o["items"]), o["order_id"]


def test_members_carry_korean_pii(members: list[dict]) -> None:
    """docs/cafe24-reference.md#customersprivacy (member_id, name, cellphone, email); issue #2 §4: member
    PII shaped like Korean members'."""
    assert len(members) > 300 and {m["shop_no"] for m in members} == {1}
    for m in members:
        assert HANGUL.search(m["name"]), m["name"]
        assert re.fullmatch(r"010-\d{4}-\d{4}", m["cellphone"]), m["cellphone"]
        assert re.fullmatch(r"[a-z0-9._-]+@[a-z0-9.-]+\.[a-z]{2,}", m["email"]), m["email"]
        assert 0 < len(m["member_id"]) <= 20  # "최대글자수 : [20자]"
    assert len({m["member_id"] for m in members}) == len(members)
    assert len({m["cellphone"] for m in members}) > 0.95 * len(members)


def test_categories_form_a_tree_up_to_four_levels(client: httpx.Client) -> None:
    """docs/cafe24-reference.md#categories: category_depth 1..4; "대분류만 검색하고자 할 경우
    parent_category_no =1"."""
    rows = ok(client.get("/api/v2/admin/categories", params={"limit": 100}))["categories"]
    assert len(rows) == ok(client.get("/api/v2/admin/categories/count"))["count"] > 10
    by_no = {c["category_no"]: c for c in rows}
    for c in rows:
        parent = c["parent_category_no"]
        assert parent == 1 or parent in by_no, c
        assert c["category_depth"] == (1 if parent == 1 else by_no[parent]["category_depth"] + 1)
        assert c["full_category_no"][str(c["category_depth"])] == str(c["category_no"])
        assert HANGUL.search(c["category_name"])
    assert {c["category_depth"] for c in rows} == {1, 2, 3, 4}
    tops = ok(client.get("/api/v2/admin/categories", params={"parent_category_no": 1, "limit": 100}))["categories"]
    assert {c["category_no"] for c in tops} == {c["category_no"] for c in rows if c["category_depth"] == 1}


# Fields the renderers fill for some records and leave null for others (render/catalog.py, orders.py,
# customers.py), each with the JSON type of its non-null values.
NULLABLE = [
    ("products", "margin_rate", str),  # null under automatic tax calculation
    ("products", "icon", list),
    ("products", "clearance_category_eng", str),
    ("products", "shipping_fee_type", str),  # null under automatic shipping calculation
    ("orders", "payment_date", str),  # unpaid orders
    ("orders", "cancel_date", str),
    ("orders", "bank_code", str),  # cash payments only
    ("orders", "payment_gateway_names", list),  # card payments only
    ("members", "birthday", str),
    ("members", "last_login_date", str),
    ("members", "wedding_anniversary", str),
    ("members", "gender", str),
]


@pytest.mark.parametrize(("resource", "field", "kind"), NULLABLE, ids=[f"{r}.{f}" for r, f, _ in NULLABLE])
def test_optional_field_is_null_in_some_rows_only(
    request: pytest.FixtureRequest, resource: str, field: str, kind: type
) -> None:
    """docs/cafe24-reference.md#order-items: e.g. payment_amount is null; the examples print null for optional fields;
    issue #2 §4: a loader must meet both null and non-null values of the same column."""
    rows = request.getfixturevalue(resource)
    values = [row[field] for row in rows]
    nulls = sum(v is None for v in values)
    assert 0 < nulls < len(values), f"{field}: {nulls} nulls in {len(values)} rows"
    assert all(isinstance(v, kind) for v in values if v is not None)


# ---- the awkward cases, at volume ------------------------------------------------------------------------------

AWKWARD = "awkward"


@pytest.fixture(scope="module")
def awkward() -> Iterator[tuple[SandboxServer, httpx.Client, Any]]:
    """A private sandbox whose mall is big enough for every awkward case, on a fixed clock."""
    with SandboxServer(SandboxConfig(limits=UNLIMITED, start_time=FIXED_START)) as server:
        server.sandbox.set_volumes(AWKWARD, Volumes(products=11000, orders=40000, customers=2000))
        store = server.sandbox.mall(AWKWARD)
        with admin_client(server, AWKWARD) as client:
            yield server, client, store


def test_more_than_5000_products_were_updated_on_one_day(awkward: tuple) -> None:
    """docs/cafe24-reference.md#products: "상품이 5,000개가 넘을 경우에는 offset 으로는 조회할 수 없으므로
    since_product_no"; a bulk-edit day (webhook 90041 "bulk edit") puts more than 5,000 products in one
    date-only updated window, so that window cannot be paged by offset."""
    _, client, store = awkward
    per_day = Counter(kst_day(p.updated) for p in store.products.values())
    day, expected = per_day.most_common(1)[0]
    pair = {"updated_start_date": str(day), "updated_end_date": str(day)}
    count = ok(client.get("/api/v2/admin/products/count", params=pair))["count"]
    assert count == expected > 5000
    assert ok(client.get("/api/v2/admin/products/count"))["count"] == 11000
    last = ok(client.get("/api/v2/admin/products", params={**pair, "limit": 100, "offset": 5000}))["products"]
    assert len(last) == 100  # rows beyond offset 5000 + 100 exist and are out of offset's reach
    assert client.get("/api/v2/admin/products", params={**pair, "offset": 5001}).status_code == 422


def test_more_than_15000_orders_fall_in_one_window_under_three_months(awkward: tuple) -> None:
    """docs/cafe24-reference.md#orders: "offset최대값: [15000]" and "3개월 이상 검색 불가": a sale season
    puts more than 15,000 orders of one shop into one legal window, beyond what offset can reach."""
    _, client, store = awkward
    times = sorted(o.timeline["order_date"] for o in store.orders if o.shop_no == 1)
    anchor = kst_day(FIXED_START)
    best = (0, anchor, anchor)
    for back in range(30, 150):  # every legal window of maximal length: start .. (start + 3 months) - 1 day
        start = anchor - timedelta(days=back)
        end = kst_day(add_months(day_start(start), 3)) - timedelta(days=1)
        n = bisect.bisect_right(times, day_start(end) + 86399) - bisect.bisect_left(times, day_start(start))
        best = max(best, (n, start, end))
    expected, start, end = best
    params = {"start_date": str(start), "end_date": str(end)}
    count = ok(client.get("/api/v2/admin/orders/count", params=params))["count"]
    assert count == expected > 15000
    last = ok(client.get("/api/v2/admin/orders", params={**params, "limit": 10, "offset": 15000}))
    assert len(last["orders"]) == 10
    assert client.get("/api/v2/admin/orders", params={**params, "offset": 15001}).status_code == 422


def test_100_or_more_products_share_one_updated_second(awkward: tuple) -> None:
    """docs/cafe24-reference.md#products: updated_date to the second ("2018-01-19T11:19:27+09:00"): a bulk
    edit stamps 100+ products with the same second, so a cursor on updated_date alone cannot advance."""
    _, client, store = awkward
    second, expected = Counter(p.updated for p in store.products.values()).most_common(1)[0]
    at = kst(second)
    pair = {"updated_start_date": at, "updated_end_date": at}
    assert ok(client.get("/api/v2/admin/products/count", params=pair))["count"] == expected >= 100
    page = ok(client.get("/api/v2/admin/products", params={**pair, "limit": 100}))["products"]
    assert len(page) == 100 and {p["updated_date"] for p in page} == {at}


def test_a_product_has_more_variants_than_the_list_embed_returns(awkward: tuple) -> None:
    """docs/cafe24-reference.md#products: embed variants "상품당 품목정보를 100개까지"; GET /products/{no}/variants has
    no limit: one product has 120."""
    _, client, store = awkward
    big = [p.product_no for p in store.products.values() if p.n_variants > 100]
    assert len(big) >= 1
    variants = ok(client.get(f"/api/v2/admin/products/{big[0]}/variants"))["variants"]
    assert len(variants) == 120 and len({v["variant_code"] for v in variants}) == 120
    listed = ok(client.get("/api/v2/admin/products", params={"product_no": big[0], "embed": "variants"}))
    assert len(listed["products"][0]["variants"]) == 100


def test_many_members_joined_in_one_second(awkward: tuple) -> None:
    """docs/cafe24-reference.md#customersprivacy: created_date cursor "creted_start_date를 증가시키면서": a bulk
    member import puts 100+ members into one second, more than a small page holds."""
    _, client, store = awkward
    second, _ = Counter(c.created for c in store.customers if c.shop_no == 1).most_common(1)[0]
    rows = ok(
        client.get(
            "/api/v2/admin/customersprivacy",
            params={"search_type": "created_date", "created_start_date": kst(second), "limit": 1000},
        )
    )["customersprivacy"]
    assert sum(r["created_date"] == kst(second) for r in rows) >= 100


# ---- determinism --------------------------------------------------------------------------------------------------


def _first_pages(server: SandboxServer) -> tuple[list, list]:
    params = {"start_date": "2026-07-01", "end_date": "2026-09-21", "limit": 100, "embed": "items"}
    with admin_client(server, "same") as client:
        products = ok(client.get("/api/v2/admin/products", params={"limit": 100}))["products"]
        orders = ok(client.get("/api/v2/admin/orders", params=params))["orders"]
    assert len(products) == 100 and len(orders) == 100
    return products, orders


def test_same_seed_and_start_give_identical_pages_and_another_seed_differs(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    """docs/sandbox.md, "The generated store": generated from (seed, mall, volumes, start time): two sandboxes with the
    same settings answer alike, so a failing connector test can be replayed."""
    one = _first_pages(start_sandbox(SandboxConfig(seed=7, start_time=FIXED_START, limits=UNLIMITED)))
    two = _first_pages(start_sandbox(SandboxConfig(seed=7, start_time=FIXED_START, limits=UNLIMITED)))
    other = _first_pages(start_sandbox(SandboxConfig(seed=8, start_time=FIXED_START, limits=UNLIMITED)))
    assert one[0] == two[0]
    assert one[1] == two[1]
    assert other[0] != one[0]
    assert other[1] != one[1]
    assert [p["product_name"] for p in other[0]] != [p["product_name"] for p in one[0]]


# ---- scale ----------------------------------------------------------------------------------------------------------


def test_a_1000_order_page_with_embeds_at_100k_orders(start_sandbox: Callable[..., SandboxServer]) -> None:
    """docs/cafe24-reference.md#orders: "limit최소: [1]~최대: [1000]" with embeds items, receivers, buyer: the
    heaviest page a connector asks for, from a mall of 100,000 orders, 50,000 products and 50,000 members."""
    server = start_sandbox(SandboxConfig(limits=UNLIMITED, start_time=FIXED_START))
    server.sandbox.set_volumes("scale", Volumes(orders=100000, products=50000, customers=50000))
    started = time.perf_counter()
    server.sandbox.mall("scale")  # generated here, not inside a request a busy machine could time out
    generated = time.perf_counter() - started
    with admin_client(server, "scale") as client:
        assert ok(client.get("/api/v2/admin/products/count"))["count"] == 50000
        params = {"start_date": "2026-08-01", "end_date": "2026-08-31", "limit": 1000, "embed": "items,receivers,buyer"}
        started = time.perf_counter()
        body = ok(client.get("/api/v2/admin/orders", params=params))
        elapsed = time.perf_counter() - started
    rows = body["orders"]
    assert len(rows) == 1000 and len({o["order_id"] for o in rows}) == 1000
    assert all(o["items"] and o["receivers"] and o["buyer"] for o in rows)
    assert [link["rel"] for link in body["links"]] == ["next"]
    print(f"\n100k orders: generation {generated:.2f} s, 1000-order page with embeds {elapsed:.2f} s")
