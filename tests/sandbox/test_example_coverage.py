"""How much of each documented example response the sandbox reproduces, key path by key path.

A key path names a value by its keys from the top, with `[]` for a list element (`orders[].tax_detail[].name`);
each path carries the JSON type printed there. An example's path is matched when some response of the sandbox's
same endpoint has that path with a type the example prints there (a null in the example matches any type).
Responses are unioned over many rows and records, so a nested list that the sandbox fills in some rows counts,
and one it always leaves empty does not: its element paths are missing (examples/README.md: "a sandbox response
for the same endpoint should have the same keys, nesting and value types").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.server import SandboxServer
from tests.conftest import admin_client
from tests.sandbox.shapes import json_type
from tests.sandbox.test_endpoints import (
    DC_AUTH,
    DC_CATEGORY,
    EXAMPLES,
    PLACEHOLDERS,
    _oauth_code,
    _token,
    ok,
    window,
)

MALL = "coverage"
OVERALL_FLOOR = 0.95  # issue #15 item 7: of all the examples' key paths together
EXAMPLE_FLOOR = 0.90  # and of each example's
RECORDS = 200  # detail and sub-resource calls per endpoint: enough rows for the sometimes-filled lists

Paths = dict[str, set[str]]


def key_paths(value: Any, prefix: str = "", out: Paths | None = None) -> Paths:
    """Every key path below `value` with the JSON types printed at it."""
    out = {} if out is None else out
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}"
            out.setdefault(path, set()).add(json_type(item))
            key_paths(item, path, out)
    elif isinstance(value, list):
        for item in value:
            key_paths(item, prefix + "[]", out)
    return out


def matched(example: Paths, rendered: Paths, skip: frozenset[str] = frozenset()) -> tuple[int, list[str]]:
    """How many of the example's paths the rendering matches, and the paths it misses."""
    missing = []
    for path, types in example.items():
        if path in skip:
            continue
        got = rendered.get(path)
        if got is None or "null" not in types and not types & got:
            missing.append(path)
    return len(example) - len(skip & set(example)) - len(missing), missing


def test_the_measure_misses_an_always_empty_list_and_a_wrong_type() -> None:
    """The measure can fail: a list whose elements never appear, a string printed as a number."""
    example = key_paths({"o": [{"tax": [{"name": "VAT"}], "id": "1", "note": None}]})
    assert matched(example, key_paths({"o": [{"tax": [], "id": "2", "note": 3}]})) == (4, [".o[].tax[].name"])
    assert matched(example, key_paths({"o": [{"tax": [{"name": "VAT"}], "id": 2}]}))[1] == [".o[].id", ".o[].note"]
    both = key_paths({"o": [{"tax": [], "id": "1", "note": 1}, {"tax": [{"name": "x"}], "id": None}]})
    assert matched(example, both) == (5, [])


# ---- the sandbox's responses, per example ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with admin_client(sandbox, MALL) as c:
        yield c


def _orders(client: httpx.Client, server: SandboxServer) -> list[dict]:
    """Every page of an 80-day window in each active shop (overseas orders differ), 100 orders a page (so the
    pages carry `links`)."""
    pages = []
    for shop_no in (1, 2, 3):
        offset = 0
        while True:
            params = {**window(server), "shop_no": shop_no, "limit": 100, "offset": offset}
            pages.append(ok(client.get("/api/v2/admin/orders", params=params)))
            if len(pages[-1]["orders"]) < 100:
                break
            offset += 100
    return pages


def responses(server: SandboxServer, client: httpx.Client) -> dict[str, list[Any]]:
    """Per example file, the sandbox's bodies for the same endpoint."""
    orders = _orders(client, server)
    listed = [o for page in orders for o in page["orders"]]
    order_ids = [o["order_id"] for o in listed][:: max(1, len(listed) // RECORDS)]  # from every shop
    products = ok(client.get("/api/v2/admin/products", params={"limit": 100}))
    product_nos = [p["product_no"] for p in products["products"]][:RECORDS]
    variants = {no: ok(client.get(f"/api/v2/admin/products/{no}/variants")) for no in product_nos}
    codes = [(no, body["variants"][0]["variant_code"]) for no, body in variants.items()]
    members = ok(client.get("/api/v2/admin/customersprivacy", params={"limit": 1000}))
    categories = ok(client.get("/api/v2/admin/categories", params={"limit": 100}))

    def each(template: str, keys: list[Any]) -> list[Any]:
        return [ok(client.get(template.format(*(k if isinstance(k, tuple) else (k,))))) for k in keys]

    dc = httpx.Client(base_url=f"{server.url}/dcollection/api", headers=DC_AUTH, timeout=30)
    category = {"dcollection_product_category": DC_CATEGORY}
    first = _token(
        server,
        {
            "grant_type": "authorization_code",
            "code": _oauth_code(server),
            "redirect_uri": "https://connector.example/callback",
        },
    )
    with dc:
        return {
            "admin_products_list.json": [products],
            "admin_products_detail.json": each("/api/v2/admin/products/{}", product_nos),
            "admin_products_count.json": [ok(client.get("/api/v2/admin/products/count"))],
            "admin_products_variants_list.json": list(variants.values()),
            "admin_products_variants_detail.json": each("/api/v2/admin/products/{}/variants/{}", codes),
            "admin_products_variants_inventories.json": each(
                "/api/v2/admin/products/{}/variants/{}/inventories", codes
            ),
            "admin_orders_list.json": orders,
            "admin_orders_detail.json": each("/api/v2/admin/orders/{}", order_ids),
            "admin_orders_count.json": [ok(client.get("/api/v2/admin/orders/count", params=window(server)))],
            "admin_orders_items_list.json": each("/api/v2/admin/orders/{}/items", order_ids),
            "admin_orders_receivers_list.json": each("/api/v2/admin/orders/{}/receivers", order_ids),
            "admin_orders_buyer.json": each("/api/v2/admin/orders/{}/buyer", order_ids),
            "admin_customersprivacy_list.json": [members],
            "admin_customersprivacy_count.json": [ok(client.get("/api/v2/admin/customersprivacy/count"))],
            "admin_customersprivacy_detail.json": each(
                "/api/v2/admin/customersprivacy/{}", [m["member_id"] for m in members["customersprivacy"]][:RECORDS]
            ),
            "admin_categories_list.json": [categories],
            "admin_categories_count.json": [ok(client.get("/api/v2/admin/categories/count"))],
            "admin_categories_detail.json": each(
                "/api/v2/admin/categories/{}", [c["category_no"] for c in categories["categories"]]
            ),
            "admin_shops_list.json": [ok(client.get("/api/v2/admin/shops"))],
            "admin_shops_detail.json": each("/api/v2/admin/shops/{}", [1, 2, 3]),
            "dcollection_shops_list.json": [ok(dc.get("/shops"))],
            "dcollection_products_list.json": [ok(dc.get("/products", params={**category, "limit": 100}))],
            "dcollection_products_count.json": [ok(dc.get("/products/count", params=category))],
            "error_response.json": [client.get("/api/v2/admin/no-such-resource").json()],
            "oauth_token_authorization_code.json": [first],
            "oauth_token_refresh_token.json": [
                _token(server, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
            ],
        }


@pytest.fixture(scope="module")
def coverage(sandbox: SandboxServer, client: httpx.Client) -> dict[str, tuple[int, int, list[str]]]:
    """Per example: (paths matched, paths counted, paths missed)."""
    out = {}
    for name, bodies in responses(sandbox, client).items():
        example = key_paths(json.loads((EXAMPLES / name).read_text("utf-8")))
        rendered: Paths = {}
        for body in bodies:
            for path, types in key_paths(body).items():
                rendered.setdefault(path, set()).update(types)
        skip = frozenset(f".error{p}" for p in PLACEHOLDERS.get(name, ()))  # "error code": a placeholder
        hits, missing = matched(example, rendered, skip)
        out[name] = (hits, hits + len(missing), missing)
    return out


def test_every_example_file_is_measured(coverage: dict[str, tuple[int, int, list[str]]]) -> None:
    assert sorted(coverage) == sorted(p.name for p in EXAMPLES.glob("*.json"))


def test_the_sandbox_matches_the_examples_key_paths(
    coverage: dict[str, tuple[int, int, list[str]]], capsys: pytest.CaptureFixture[str]
) -> None:
    """examples/README.md: same keys, nesting and value types; issue #15 item 7: at least 95% of all the
    examples' key paths, and 90% of each example's."""
    hits = sum(h for h, _, _ in coverage.values())
    total = sum(n for _, n, _ in coverage.values())
    with capsys.disabled():
        print(f"\nkey-path coverage: {hits}/{total} = {hits / total:.1%}")
        for name, (h, n, missing) in sorted(coverage.items()):
            print(
                f"  {name:45} {h:4}/{n:<4} {h / n:6.1%}  missing: {', '.join(missing[:80])}"
                f"{' …' if len(missing) > 80 else ''}"
            )
    low = {
        name: f"{h / n:.1%} (missing {missing})" for name, (h, n, missing) in coverage.items() if h / n < EXAMPLE_FLOOR
    }
    assert not low
    assert hits / total >= OVERALL_FLOOR
