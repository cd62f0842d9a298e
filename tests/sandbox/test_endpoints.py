"""Conformance of the sandbox's endpoints over real HTTP, one behaviour per test, against docs/cafe24-reference.md.

Every test talks to a running sandbox (the session `sandbox` fixture, or a private one) through httpx, the way
the connector will. In-process access (`server.sandbox.mall(...)`) is used only to pick records to ask about and
to know the ground truth to compare with.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sandbox.clock import KST, kst
from sandbox.config import SandboxConfig, Volumes
from sandbox.server import SandboxServer
from sandbox.store import SHOPS
from tests.conftest import UNLIMITED, admin_client
from tests.sandbox.shapes import json_type

MALL = "endpoints"
EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "cafe24_examples"
CLIENT_ID, CLIENT_SECRET = "sandbox-client-id", "sandbox-client-secret"
DC_AUTH = {"Authorization": "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()}
FRONT_HEADERS = {"X-Cafe24-Client-Id": CLIENT_ID}
DC_CATEGORY = "C110000"  # a middle category; the big D.Collection shop sells only under it
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


# ---- fixtures and helpers --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with admin_client(sandbox, MALL) as c:
        yield c


@pytest.fixture(scope="module")
def dc(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{sandbox.url}/dcollection/api", headers=DC_AUTH, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def store(sandbox: SandboxServer, client: httpx.Client) -> Any:
    return sandbox.sandbox.mall(MALL)


def today(server: SandboxServer) -> date:
    return datetime.fromtimestamp(server.sandbox.clock.now(), KST).date()


def window(server: SandboxServer, days: int = 80, *, ending_days_ago: int = 0) -> dict[str, str]:
    """A date-only orders window (well under 3 months) ending `ending_days_ago` days before the sandbox's today."""
    end = today(server) - timedelta(days=ending_days_ago)
    return {"start_date": str(end - timedelta(days=days)), "end_date": str(end)}


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def assert_error(response: httpx.Response, status: int, parameter: str | None = None) -> dict:
    """A refusal carries the documented error body (docs/cafe24-reference.md#errors: error body)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "more_info"}
    assert body["error"]["code"] == status
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if parameter is not None:
        assert body["error"]["more_info"].get("parameter") == parameter, body
    return body


def big_product(store: Any) -> int:
    """The product with 120 variants (Volumes.max_variants), found in-process."""
    found = [p.product_no for p in store.products.values() if p.n_variants == 120]
    assert len(found) == 1
    return found[0]


# ---- top-level keys ----------------------------------------------------------------------------------------------


def _ids(client: httpx.Client, server: SandboxServer) -> dict[str, Any]:
    """Real identifiers to put in detail paths, read from the list endpoints."""
    # a product in the usual money form (decimal strings, with price_excluding_tax), as the examples' first row
    products = ok(client.get("/api/v2/admin/products", params={"limit": 100}))["products"]
    product = next(p for p in products if isinstance(p["price"], str))
    variant = ok(client.get(f"/api/v2/admin/products/{product['product_no']}/variants"))["variants"][0]
    # an order in the fuller form of the examples' orders[0] (orders[1] lacks market_discount_info)
    orders = ok(client.get("/api/v2/admin/orders", params={**window(server), "limit": 100}))["orders"]
    order = next(o for o in orders if "market_discount_info" in o)
    member = ok(client.get("/api/v2/admin/customersprivacy", params={"limit": 1}))["customersprivacy"][0]
    category = ok(client.get("/api/v2/admin/categories", params={"category_depth": 4, "limit": 1}))["categories"][0]
    return {
        "product_no": product["product_no"],
        "variant_code": variant["variant_code"],
        "order_id": order["order_id"],
        "member_id": member["member_id"],
        "cellphone": member["cellphone"],
        "category_no": category["category_no"],
    }


@pytest.fixture(scope="module")
def ids(client: httpx.Client, sandbox: SandboxServer) -> dict[str, Any]:
    return _ids(client, sandbox)


# (name, api, path template, params, top-level key, JSON type of its value)
TOP_LEVEL = [
    ("products", "admin", "/api/v2/admin/products", {}, "products", list),
    ("products/count", "admin", "/api/v2/admin/products/count", {}, "count", int),
    ("products/{no}", "admin", "/api/v2/admin/products/{product_no}", {}, "product", dict),
    ("products/{no}/variants", "admin", "/api/v2/admin/products/{product_no}/variants", {}, "variants", list),
    ("variants/{code}", "admin", "/api/v2/admin/products/{product_no}/variants/{variant_code}", {}, "variant", dict),
    (
        "variants/{code}/inventories",
        "admin",
        "/api/v2/admin/products/{product_no}/variants/{variant_code}/inventories",
        {},
        "inventory",
        dict,
    ),
    ("categories", "admin", "/api/v2/admin/categories", {}, "categories", list),
    ("categories/count", "admin", "/api/v2/admin/categories/count", {}, "count", int),
    ("categories/{no}", "admin", "/api/v2/admin/categories/{category_no}", {}, "category", dict),
    ("shops", "admin", "/api/v2/admin/shops", {}, "shops", list),
    ("shops/{n}", "admin", "/api/v2/admin/shops/2", {}, "shop", dict),
    ("orders", "admin", "/api/v2/admin/orders", "window", "orders", list),
    ("orders/count", "admin", "/api/v2/admin/orders/count", "window", "count", int),
    ("orders/{id}", "admin", "/api/v2/admin/orders/{order_id}", {}, "order", dict),
    ("orders/{id}/items", "admin", "/api/v2/admin/orders/{order_id}/items", {}, "items", list),
    ("orders/{id}/receivers", "admin", "/api/v2/admin/orders/{order_id}/receivers", {}, "receivers", list),
    ("orders/{id}/buyer", "admin", "/api/v2/admin/orders/{order_id}/buyer", {}, "buyer", dict),
    ("customersprivacy", "admin", "/api/v2/admin/customersprivacy", {}, "customersprivacy", list),
    ("customersprivacy/count", "admin", "/api/v2/admin/customersprivacy/count", {}, "count", int),
    ("customersprivacy/{id}", "admin", "/api/v2/admin/customersprivacy/{member_id}", {}, "customersprivacy", dict),
    ("customers?member_id", "admin", "/api/v2/admin/customers", {"member_id": "{member_id}"}, "customers", list),
    ("customers?cellphone", "admin", "/api/v2/admin/customers", {"cellphone": "{cellphone}"}, "customers", list),
    ("front products", "front", "/api/v2/products", {}, "products", list),
    ("front products/count", "front", "/api/v2/products/count", {}, "count", int),
    ("dcollection shops", "dc", "/shops", {}, "shops", list),
    ("dcollection products", "dc", "/products", {"dcollection_product_category": DC_CATEGORY}, "products", list),
    (
        "dcollection products/count",
        "dc",
        "/products/count",
        {"dcollection_product_category": DC_CATEGORY},
        "count",
        int,
    ),
    ("dcollection storeproducts", "dc", "/storeproducts", {"store_id": "dcstore01"}, "store_products", list),
    ("dcollection standardtags", "dc", "/products/standardtags", {}, "standardtags", list),
]


def _get(
    api: str, path: str, query: dict, sandbox: SandboxServer, client: httpx.Client, dc: httpx.Client
) -> httpx.Response:
    """A GET to the Admin API (bearer token), the Front API (client id) or D.Collection (Basic auth)."""
    if api == "admin":
        return client.get(path, params=query)
    if api == "front":
        return httpx.get(sandbox.mall_url(MALL) + path, params=query, headers=FRONT_HEADERS)
    return dc.get(path, params=query)


@pytest.mark.parametrize(
    ("api", "path", "params", "key", "kind"), [row[1:] for row in TOP_LEVEL], ids=[row[0] for row in TOP_LEVEL]
)
def test_every_endpoint_answers_with_its_documented_top_level_key(
    sandbox: SandboxServer,
    client: httpx.Client,
    dc: httpx.Client,
    ids: dict[str, Any],
    api: str,
    path: str,
    params: Any,
    key: str,
    kind: type,
) -> None:
    """docs/cafe24-reference.md: the response key of each endpoint section (products, orders, customersprivacy,
    customers, categories, shops, D.Collection) and the Front API."""
    query = window(sandbox) if params == "window" else {k: v.format(**ids) for k, v in params.items()}
    url = path.format(**ids)
    body = ok(_get(api, url, query, sandbox, client, dc))
    assert key in body, sorted(body)
    assert set(body) <= {key, "links"}
    assert isinstance(body[key], kind) and not isinstance(body[key], bool)
    if kind is list:
        assert body[key], f"{path} returned an empty {key} list"
    if kind is int:
        assert body[key] > 0


def test_customers_lookup_finds_the_member_named_by_member_id_or_cellphone(
    client: httpx.Client, ids: dict[str, Any]
) -> None:
    """docs/cafe24-reference.md#customer-lookup: a lookup by cellphone or member_id, comma lists allowed."""
    by_id = ok(client.get("/api/v2/admin/customers", params={"member_id": ids["member_id"]}))["customers"]
    assert [c["member_id"] for c in by_id] == [ids["member_id"]]
    by_phone = ok(client.get("/api/v2/admin/customers", params={"cellphone": ids["cellphone"]}))["customers"]
    assert ids["member_id"] in [c["member_id"] for c in by_phone]


def test_customers_lookup_without_cellphone_or_member_id_is_refused(client: httpx.Client) -> None:
    """docs/cafe24-reference.md#customer-lookup: "cellphone 또는 member_id 중 하나는 반드시 검색 조건으로 지정"."""
    assert_error(client.get("/api/v2/admin/customers"), 422)
    assert_error(client.get("/api/v2/admin/customers", params={"shop_no": 1}), 422)


def test_front_api_needs_the_client_id_header_and_no_bearer_token(sandbox: SandboxServer) -> None:
    """docs/cafe24-reference.md#front-api: auth by `X-Cafe24-Client-Id: {client_id}`, no OAuth token."""
    url = sandbox.mall_url(MALL) + "/api/v2/products"
    products = ok(httpx.get(url, headers=FRONT_HEADERS))["products"]
    assert len(products) == 10
    assert_error(httpx.get(url), 401)
    assert_error(httpx.get(url, headers={"X-Cafe24-Client-Id": "someone-else"}), 401)


@pytest.mark.parametrize("path", ["/api/v2/products", "/api/v2/products/count"])
def test_front_api_does_not_offer_display(sandbox: SandboxServer, path: str) -> None:
    """docs/cafe24-reference.md#front-api: the Admin list's parameters except `display`; the
    count takes the list's filters, so it refuses `display` too."""
    response = httpx.get(sandbox.mall_url(MALL) + path, params={"display": "T"}, headers=FRONT_HEADERS)
    assert_error(response, 422, "display")


def test_front_api_lists_only_displayed_products(sandbox: SandboxServer, client: httpx.Client) -> None:
    """docs/cafe24-reference.md#front-api: the storefront's products: the count matches the Admin count of
    display=T products."""
    front = ok(httpx.get(sandbox.mall_url(MALL) + "/api/v2/products/count", headers=FRONT_HEADERS))["count"]
    shown = ok(client.get("/api/v2/admin/products/count", params={"display": "T"}))["count"]
    everything = ok(client.get("/api/v2/admin/products/count"))["count"]
    assert front == shown < everything


def test_dcollection_needs_basic_auth_with_the_app_credentials(sandbox: SandboxServer) -> None:
    """docs/cafe24-reference.md#dcollection: GET /api/shops, "Basic Auth 기반의 인증 시스템",
    base64(clientId:clientSecret)."""
    url = f"{sandbox.url}/dcollection/api/shops"
    assert len(ok(httpx.get(url, headers=DC_AUTH))["shops"]) == 10
    assert_error(httpx.get(url), 401)
    wrong = base64.b64encode(f"{CLIENT_ID}:not-the-secret".encode()).decode()
    assert_error(httpx.get(url, headers={"Authorization": f"Basic {wrong}"}), 401)


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/products", {}, "dcollection_product_category"),
        ("/products/count", {}, "dcollection_product_category"),
        ("/storeproducts", {}, "store_id"),
    ],
)
def test_dcollection_required_parameters_are_enforced(
    dc: httpx.Client, path: str, params: dict, parameter: str
) -> None:
    """docs/cafe24-reference.md#dcollection: GET /api/products requires dcollection_product_category;
    /api/storeproducts requires store_id."""
    assert_error(dc.get(path, params=params), 422, parameter)


# ---- shapes against the documented examples ----------------------------------------------------------------

MONEY = re.compile(r"(price|amount|fee|points|credits|commission)")
# The error example prints placeholders ("error code"): the sandbox puts the HTTP status there, a number.
PLACEHOLDERS = {"error_response.json": {".code"}}


def shape_differences(example: Any, got: Any, path: str = "", skip: frozenset[str] = frozenset()) -> list[str]:
    """Where `got` does not have the example's shape: missing top-level keys, and JSON types of shared keys.

    A null on either side matches anything (the examples print sample values for optional fields the sandbox
    leaves null in some rows, and null where the sandbox has values); a money field may be a string or a number
    (the examples print both, README "Shapes to reproduce"). Nested objects are compared on shared keys only,
    since the examples themselves vary there (orders[1] lacks keys orders[0] has).
    """
    out: list[str] = []
    if path in skip or example is None or got is None:
        return out
    key = path.rsplit(".", 1)[-1]
    te, tg = json_type(example), json_type(got)
    if te != tg:
        if not (MONEY.search(key) and {te, tg} <= {"string", "number"}):
            out.append(f"{path or '.'}: example {te} {example!r:.40}, sandbox {tg} {got!r:.40}")
        return out
    if isinstance(example, dict):
        if path == "":
            out += [f".{k}: missing" for k in example if k not in got]
        for k in example:
            if k in got:
                out += shape_differences(example[k], got[k], f"{path}.{k}", skip)
    elif isinstance(example, list) and example and got:
        out += shape_differences(example[0], got[0], f"{path}[0]", skip)
    return out


def _oauth_code(server: SandboxServer) -> str:
    redirect = "https://connector.example/callback"
    response = httpx.get(
        f"{server.mall_url(MALL)}/api/v2/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": CLIENT_ID,
            "state": "xyz",
            "redirect_uri": redirect,
            "scope": "mall.read_product,mall.read_order",
        },
    )
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


def _token(server: SandboxServer, form: dict[str, str]) -> dict:
    return ok(httpx.post(f"{server.mall_url(MALL)}/api/v2/oauth/token", data=form, headers=DC_AUTH))


def _first(key: str) -> Callable[[dict], Any]:
    return lambda body: body[key][0] if isinstance(body[key], list) else body[key]


def _whole(body: dict) -> dict:
    return body


def _product_row(numeric: bool) -> Callable[[dict], Any]:
    """The first product row whose money is a JSON number (numeric) or a decimal string."""
    return lambda body: next(p for p in body["products"] if isinstance(p["price"], str) != numeric)


def _order_row(short: bool) -> Callable[[dict], Any]:
    """The first order row in the short form of the example's orders[1] (no market_discount_info), or not."""
    return lambda body: next(o for o in body["orders"] if ("market_discount_info" in o) != short)


# case -> (which API, path template, params, how to pick the object in the sandbox's body [, in the example's])
SHAPES: dict[str, tuple[Any, ...]] = {
    # README "Shapes to reproduce": products[0] carries string money and price_excluding_tax; products[1]
    # carries numbers and no price_excluding_tax. The sandbox renders both forms; each is compared with its own.
    "admin_products_list.json": (
        "admin",
        "/api/v2/admin/products",
        {"limit": 100},
        _product_row(False),
        lambda body: body["products"][0],
    ),
    "admin_products_list.json#numeric_money": (
        "admin",
        "/api/v2/admin/products",
        {"limit": 100},
        _product_row(True),
        lambda body: body["products"][1],
    ),
    "admin_products_detail.json": ("admin", "/api/v2/admin/products/{product_no}", {}, _first("product")),
    "admin_products_count.json": ("admin", "/api/v2/admin/products/count", {}, _whole),
    "admin_products_variants_list.json": (
        "admin",
        "/api/v2/admin/products/{product_no}/variants",
        {},
        _first("variants"),
    ),
    "admin_products_variants_detail.json": (
        "admin",
        "/api/v2/admin/products/{product_no}/variants/{variant_code}",
        {},
        _first("variant"),
    ),
    "admin_products_variants_inventories.json": (
        "admin",
        "/api/v2/admin/products/{product_no}/variants/{variant_code}/inventories",
        {},
        _first("inventory"),
    ),
    # README "Shapes to reproduce": orders[1] lacks market_discount_info and, inside initial_order_amount and
    # actual_order_amount, set_product_discount_amount. The sandbox renders both forms.
    "admin_orders_list.json": (
        "admin",
        "/api/v2/admin/orders",
        "window+100",
        _order_row(False),
        lambda body: body["orders"][0],
    ),
    "admin_orders_list.json#short_form": (
        "admin",
        "/api/v2/admin/orders",
        "window+100",
        _order_row(True),
        lambda body: body["orders"][1],
    ),
    "admin_orders_detail.json": ("admin", "/api/v2/admin/orders/{order_id}", {}, _first("order")),
    "admin_orders_count.json": ("admin", "/api/v2/admin/orders/count", "window", _whole),
    "admin_orders_items_list.json": ("admin", "/api/v2/admin/orders/{order_id}/items", {}, _first("items")),
    "admin_orders_receivers_list.json": ("admin", "/api/v2/admin/orders/{order_id}/receivers", {}, _first("receivers")),
    "admin_orders_buyer.json": ("admin", "/api/v2/admin/orders/{order_id}/buyer", {}, _first("buyer")),
    "admin_customersprivacy_list.json": ("admin", "/api/v2/admin/customersprivacy", {}, _first("customersprivacy")),
    "admin_customersprivacy_count.json": ("admin", "/api/v2/admin/customersprivacy/count", {}, _whole),
    "admin_customersprivacy_detail.json": (
        "admin",
        "/api/v2/admin/customersprivacy/{member_id}",
        {},
        _first("customersprivacy"),
    ),
    "admin_categories_list.json": ("admin", "/api/v2/admin/categories", {}, _first("categories")),
    "admin_categories_count.json": ("admin", "/api/v2/admin/categories/count", {}, _whole),
    "admin_categories_detail.json": ("admin", "/api/v2/admin/categories/{category_no}", {}, _first("category")),
    "admin_shops_list.json": ("admin", "/api/v2/admin/shops", {}, _first("shops")),
    "admin_shops_detail.json": ("admin", "/api/v2/admin/shops/1", {}, _first("shop")),
    "dcollection_shops_list.json": ("dc", "/shops", {}, _first("shops")),
    "dcollection_products_list.json": (
        "dc",
        "/products",
        {"dcollection_product_category": DC_CATEGORY},
        _first("products"),
    ),
    "dcollection_products_count.json": ("dc", "/products/count", {"dcollection_product_category": DC_CATEGORY}, _whole),
    "error_response.json": ("admin", "/api/v2/admin/no-such-resource", {}, _first("error")),
    "oauth_token_authorization_code.json": ("oauth", "authorization_code", {}, _whole),
    "oauth_token_refresh_token.json": ("oauth", "refresh_token", {}, _whole),
}


def test_every_example_file_has_a_shape_case() -> None:
    """examples/README.md "Files": one response body per endpoint; each is compared below."""
    assert sorted(p.name for p in EXAMPLES.glob("*.json")) == sorted({case.split("#")[0] for case in SHAPES})


@pytest.mark.parametrize("case", sorted(SHAPES))
def test_response_has_the_keys_and_json_types_of_the_documented_example(
    sandbox: SandboxServer,
    client: httpx.Client,
    dc: httpx.Client,
    ids: dict[str, Any],
    case: str,
) -> None:
    """docs/cafe24-reference.md: each endpoint's response key and fields; examples/README.md "Shapes to reproduce": the
    sandbox's first object has every key of the example's first object, with the same JSON types."""
    api, path, params, pick, *pick_example = SHAPES[case]
    example_file = case.split("#")[0]
    example = (pick_example[0] if pick_example else pick)(
        json.loads((EXAMPLES / example_file).read_text(encoding="utf-8"))
    )
    query = (
        {**window(sandbox), "limit": 100}
        if params == "window+100"
        else window(sandbox)
        if params == "window"
        else params
    )
    if api == "oauth":
        first = _token(
            sandbox,
            {
                "grant_type": "authorization_code",
                "code": _oauth_code(sandbox),
                "redirect_uri": "https://connector.example/callback",
            },
        )
        body = (
            first
            if path == "authorization_code"
            else _token(sandbox, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
        )
    else:
        response = (dc if api == "dc" else client).get(path.format(**ids), params=query)
        assert response.status_code == (404 if example_file == "error_response.json" else 200), response.text
        body = response.json()
    got = pick(body)
    assert isinstance(got, dict) and got
    problems = shape_differences(example, got, skip=frozenset(PLACEHOLDERS.get(example_file, ())))
    assert not problems, "\n".join(problems)


def test_shape_comparison_catches_a_missing_key_and_a_wrong_type() -> None:
    """The comparison itself can fail: a dropped key, a number where the example has a string, an object
    where it has a list. (examples/README.md: "A test that diffs the key sets is cheap.")"""
    example = {"a": "x", "b": [{"c": "1"}], "price": "1.00", "d": None}
    assert shape_differences(example, {"a": "y", "b": [{"c": "2"}], "price": 1, "d": {}}) == []
    assert shape_differences(example, {"b": [{"c": "2"}], "price": "1.00", "d": 1}) == [".a: missing"]
    assert shape_differences(example, {"a": 1, "b": [{"c": 2}], "price": "1", "d": 1}) == [
        ".a: example string 'x', sandbox number 1",
        ".b[0].c: example string '1', sandbox number 2",
    ]
    assert shape_differences(example, {"a": "x", "b": {}, "price": "1", "d": 1}) == [
        ".b: example array [{'c': '1'}], sandbox object {}"
    ]


# ---- limits, offset caps, comma lists, unknown and unevaluated parameters ---------------------------------------

# (id, api, path, params, expected status, expected row count or None)
LIMITS = [
    ("products default limit 10", "admin", "/api/v2/admin/products", {}, 200, 10),
    ("products limit 1", "admin", "/api/v2/admin/products", {"limit": 1}, 200, 1),
    ("products limit 100", "admin", "/api/v2/admin/products", {"limit": 100}, 200, 100),
    ("products limit 0", "admin", "/api/v2/admin/products", {"limit": 0}, 422, "limit"),
    ("products limit 101", "admin", "/api/v2/admin/products", {"limit": 101}, 422, "limit"),
    ("products offset 5000", "admin", "/api/v2/admin/products", {"offset": 5000}, 200, 0),
    ("products offset 5001", "admin", "/api/v2/admin/products", {"offset": 5001}, 422, "offset"),
    ("orders default limit 10", "admin", "/api/v2/admin/orders", "window", 200, 10),
    ("orders limit 1000", "admin", "/api/v2/admin/orders", {"limit": 1000}, 200, None),
    ("orders limit 1001", "admin", "/api/v2/admin/orders", {"limit": 1001}, 422, "limit"),
    ("orders offset 15000", "admin", "/api/v2/admin/orders", {"offset": 15000}, 200, 0),
    ("orders offset 15001", "admin", "/api/v2/admin/orders", {"offset": 15001}, 422, "offset"),
    ("customersprivacy default limit 30", "admin", "/api/v2/admin/customersprivacy", {}, 200, 30),
    ("customersprivacy limit 1000", "admin", "/api/v2/admin/customersprivacy", {"limit": 1000}, 200, None),
    ("customersprivacy limit 1001", "admin", "/api/v2/admin/customersprivacy", {"limit": 1001}, 422, "limit"),
    ("customersprivacy offset 8000", "admin", "/api/v2/admin/customersprivacy", {"offset": 8000}, 200, 0),
    ("customersprivacy offset 8001", "admin", "/api/v2/admin/customersprivacy", {"offset": 8001}, 422, "offset"),
    ("categories default limit 10", "admin", "/api/v2/admin/categories", {}, 200, 10),
    ("categories limit 100", "admin", "/api/v2/admin/categories", {"limit": 100}, 200, None),
    ("categories limit 101", "admin", "/api/v2/admin/categories", {"limit": 101}, 422, "limit"),
    ("categories offset 8000", "admin", "/api/v2/admin/categories", {"offset": 8000}, 200, 0),
    ("categories offset 8001", "admin", "/api/v2/admin/categories", {"offset": 8001}, 422, "offset"),
    ("dcollection shops default limit 10", "dc", "/shops", {}, 200, 10),
    ("dcollection shops limit 101", "dc", "/shops", {"limit": 101}, 422, "limit"),
    ("dcollection shops offset 5001", "dc", "/shops", {"offset": 5001}, 422, "offset"),
    (
        "dcollection products limit 100",
        "dc",
        "/products",
        {"dcollection_product_category": DC_CATEGORY, "limit": 100},
        200,
        100,
    ),
    (
        "dcollection products limit 101",
        "dc",
        "/products",
        {"dcollection_product_category": DC_CATEGORY, "limit": 101},
        422,
        "limit",
    ),
    (
        "dcollection products offset 5000",
        "dc",
        "/products",
        {"dcollection_product_category": DC_CATEGORY, "offset": 5000, "limit": 100},
        200,
        100,
    ),
    (
        "dcollection products offset 5001",
        "dc",
        "/products",
        {"dcollection_product_category": DC_CATEGORY, "offset": 5001},
        422,
        "offset",
    ),
    ("front products limit 101", "front", "/api/v2/products", {"limit": 101}, 422, "limit"),
    ("front products offset 5001", "front", "/api/v2/products", {"offset": 5001}, 422, "offset"),
]


@pytest.mark.parametrize(
    ("api", "path", "params", "status", "expect"), [row[1:] for row in LIMITS], ids=[row[0] for row in LIMITS]
)
def test_limit_and_offset_bounds(
    sandbox: SandboxServer,
    client: httpx.Client,
    dc: httpx.Client,
    api: str,
    path: str,
    params: Any,
    status: int,
    expect: Any,
) -> None:
    """docs/cafe24-reference.md#products, #front-api: "limit최소: [1]~최대: [100]" DEFAULT 10, "offset최대값: [5000]"
    (products, Front API); orders 1000/15000; customersprivacy 1000 (DEFAULT 30)/8000; categories 100/8000; D.Collection
    100/5000."""
    query = dict(window(sandbox)) if params == "window" else dict(params)
    if "/orders" in path:
        query = {**window(sandbox), **query}
    response = _get(api, path, query, sandbox, client, dc)
    if status == 200:
        rows = next(iter(ok(response).values()))
        if expect is not None:
            assert len(rows) == expect
        else:
            assert 0 < len(rows) <= int(query["limit"])
    else:
        assert_error(response, status, expect)


def test_dcollection_big_shop_passes_the_offset_cap_in_one_category(dc: httpx.Client) -> None:
    """docs/cafe24-reference.md#dcollection: /api/products, offset 0–5000: a category with more than 5,100 products
    cannot be read by offset alone (the last page starts at 5,000)."""
    count = ok(dc.get("/products/count", params={"dcollection_product_category": DC_CATEGORY}))["count"]
    assert count > 5100


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v2/admin/products", "product_no"),
        ("/api/v2/admin/orders", "order_id"),
        ("/api/v2/admin/customersprivacy", "member_id"),
        ("/api/v2/admin/categories", "category_no"),
    ],
)
def test_comma_list_of_more_than_100_values_is_refused(
    sandbox: SandboxServer, client: httpx.Client, path: str, name: str
) -> None:
    """docs/cafe24-reference.md#query-conventions: comma lists "(단, 100개 항목 이하로 입력 해주세요.)"."""
    extra = window(sandbox) if "orders" in path else {}
    values = [str(n) for n in range(1, 102)]
    assert_error(client.get(path, params={**extra, name: ",".join(values)}), 422, name)
    assert client.get(path, params={**extra, name: ",".join(values[:100])}).status_code == 200


def test_comma_list_values_are_ored(client: httpx.Client) -> None:
    """docs/cafe24-reference.md#query-conventions: "콤마(,)로 추가한 검색 조건은 OR 조건으로"."""
    numbers = [p["product_no"] for p in ok(client.get("/api/v2/admin/products", params={"limit": 3}))["products"]]
    found = ok(client.get("/api/v2/admin/products", params={"product_no": ",".join(map(str, numbers))}))["products"]
    assert sorted(p["product_no"] for p in found) == sorted(numbers)


@pytest.mark.parametrize(
    ("api", "path", "params", "name"),
    [
        ("admin", "/api/v2/admin/products", {"colour": "red"}, "colour"),
        ("admin", "/api/v2/admin/products/count", {"limit": "10"}, "limit"),
        ("admin", "/api/v2/admin/orders", {"sort": "order_date"}, "sort"),
        ("admin", "/api/v2/admin/customersprivacy", {"since_member_id": "a"}, "since_member_id"),
        ("admin", "/api/v2/admin/categories", {"created_start_date": "2024-01-01"}, "created_start_date"),
        ("admin", "/api/v2/admin/shops", {"limit": "10"}, "limit"),
        ("dc", "/shops", {"updated_start_date": "2024-01-01"}, "updated_start_date"),
    ],
)
def test_unknown_parameter_is_refused(
    sandbox: SandboxServer, client: httpx.Client, dc: httpx.Client, api: str, path: str, params: dict, name: str
) -> None:
    """docs/cafe24-reference.md: each section lists its parameters; the sandbox answers 422 ("정해진 스펙과 다를
    경우") to any other name so a misspelt filter cannot silently widen a result."""
    extra = window(sandbox) if "orders" in path else {}
    response = (dc if api == "dc" else client).get(path, params={**extra, **params})
    assert_error(response, 422, name)


@pytest.mark.parametrize(
    ("api", "path", "params"),
    [
        ("admin", "/api/v2/admin/products", {"brand_code": "B0000000"}),
        ("admin", "/api/v2/admin/products/count", {"supplier_code": "S0000000"}),
        ("admin", "/api/v2/admin/orders", {"buyer_name": "김민준"}),
        ("admin", "/api/v2/admin/orders/count", {"carrier_id": "1"}),
        ("admin", "/api/v2/admin/customersprivacy", {"keyword": "kim"}),
        (
            "admin",
            "/api/v2/admin/customersprivacy",
            {"date_type": "wedding", "start_date": "2024-01-01", "end_date": "2024-01-31"},
        ),
        ("dc", "/shops", {"shop_grade": "black"}),
        ("dc", "/products", {"dcollection_product_category": DC_CATEGORY, "brand_name": "자체제작"}),
    ],
)
def test_documented_but_unevaluated_filter_answers_501(
    sandbox: SandboxServer, client: httpx.Client, dc: httpx.Client, api: str, path: str, params: dict
) -> None:
    """docs/cafe24-reference.md: the documented filters of products, orders, customersprivacy and D.Collection; the
    sandbox answers 501 for those it does not evaluate rather than ignoring them."""
    extra = window(sandbox) if "orders" in path else {}
    response = (dc if api == "dc" else client).get(path, params={**extra, **params})
    assert_error(response, 501)


# ---- dates ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/api/v2/admin/products", {"created_start_date": "2026-01-01"}, "created_end_date"),
        ("/api/v2/admin/products", {"created_end_date": "2026-01-01"}, "created_start_date"),
        ("/api/v2/admin/products", {"updated_start_date": "2026-01-01"}, "updated_end_date"),
        ("/api/v2/admin/products/count", {"updated_end_date": "2026-01-01T00:00:00+09:00"}, "updated_start_date"),
        ("/api/v2/admin/orders", {"start_date": "2026-01-01"}, "end_date"),
        ("/api/v2/admin/orders", {"end_date": "2026-01-31"}, "start_date"),
        ("/api/v2/admin/orders/count", {"start_date": "2026-01-01"}, "end_date"),
    ],
)
def test_unpaired_date_bound_is_refused(client: httpx.Client, path: str, params: dict, parameter: str) -> None:
    """docs/cafe24-reference.md#products, #orders: products "수정일 검색 종료일과 같이 사용해야함" (and the
    created pair); orders end_date "검색 시작일과 같이 사용해야함"."""
    assert_error(client.get(path, params=params), 422, parameter)


@pytest.mark.parametrize("path", ["/api/v2/admin/orders", "/api/v2/admin/orders/count"])
def test_orders_without_start_date_are_refused(client: httpx.Client, path: str) -> None:
    """docs/cafe24-reference.md#orders: start_date is not marked Required, but every documented call sends
    it and the 3-month rule needs it: the sandbox takes the strict reading."""
    assert_error(client.get(path), 422, "start_date")
    assert_error(client.get(path, params={"order_status": "N40"}), 422, "start_date")


@pytest.mark.parametrize("path", ["/api/v2/admin/orders", "/api/v2/admin/orders/count"])
def test_orders_window_of_three_months_is_refused_and_just_under_is_served(client: httpx.Client, path: str) -> None:
    """docs/cafe24-reference.md#orders: 3-month window: "검색기간은 한 호출에 3개월 이상 검색 불가"."""
    assert_error(client.get(path, params={"start_date": "2026-05-10", "end_date": "2026-08-10"}), 422, "end_date")
    assert_error(
        client.get(path, params={"start_date": "2026-05-10T00:00:00+09:00", "end_date": "2026-08-10T00:00:00+09:00"}),
        422,
        "end_date",
    )
    assert_error(client.get(path, params={"start_date": "2026-01-01", "end_date": "2026-12-31"}), 422, "end_date")
    assert client.get(path, params={"start_date": "2026-05-10", "end_date": "2026-08-09"}).status_code == 200
    assert (
        client.get(
            path, params={"start_date": "2026-05-10T00:00:00+09:00", "end_date": "2026-08-09T23:59:59+09:00"}
        ).status_code
        == 200
    )
    # calendar months: Nov 30 + 3 months is the end of February
    assert client.get(path, params={"start_date": "2025-11-30", "end_date": "2026-02-27"}).status_code == 200
    assert_error(client.get(path, params={"start_date": "2025-11-30", "end_date": "2026-02-28"}), 422, "end_date")


@pytest.fixture(scope="module")
def early_morning_product(store: Any) -> Any:
    """A product last edited before 09:00 KST, so its KST day and its UTC day differ, alone in its second (the
    bulk-edit second is shared by 100+ products, more than one page)."""
    seconds = Counter(p.updated for p in store.products.values())
    candidates = sorted(
        (
            p
            for p in store.products.values()
            if datetime.fromtimestamp(p.updated, KST).hour < 9 and seconds[p.updated] == 1
        ),
        key=lambda p: p.product_no,
    )
    assert candidates
    return candidates[0]


def test_products_updated_window_with_offset_datetimes_is_exact(
    client: httpx.Client, store: Any, early_morning_product: Any
) -> None:
    """docs/cafe24-reference.md#products: updated_start_date/updated_end_date in the
    "2018-01-03T14:01:26+09:00" form; the sandbox's bounds are inclusive and to the second."""
    p = early_morning_product
    at = kst(p.updated)
    assert at.endswith("+09:00")
    same = {"updated_start_date": at, "updated_end_date": at}
    found = ok(client.get("/api/v2/admin/products", params={**same, "limit": 100}))["products"]
    assert p.product_no in [row["product_no"] for row in found]
    assert all(row["updated_date"] == at for row in found)
    expected = sum(1 for q in store.products.values() if q.updated == p.updated)
    assert ok(client.get("/api/v2/admin/products/count", params=same))["count"] == expected
    after = kst(p.updated + 1)
    later = ok(
        client.get(
            "/api/v2/admin/products",
            params={"updated_start_date": after, "updated_end_date": after, "product_no": p.product_no},
        )
    )["products"]
    assert later == []
    # the same instant written in UTC is the same instant
    utc = datetime.fromtimestamp(p.updated, UTC).isoformat()
    assert utc.endswith("+00:00")
    found = ok(
        client.get(
            "/api/v2/admin/products",
            params={"updated_start_date": utc, "updated_end_date": utc, "product_no": p.product_no},
        )
    )["products"]
    assert [row["product_no"] for row in found] == [p.product_no]


def test_products_date_only_bounds_cover_the_whole_kst_day(
    client: httpx.Client, store: Any, early_morning_product: Any
) -> None:
    """docs/cafe24-reference.md#products: date-only bounds ("created_start_date=2018-01-03"); "검색 시작일과
    종료일이 동일할 경우 해당 날짜로만 검색": a date is a KST day, 00:00:00 to 23:59:59 +09:00."""
    p = early_morning_product
    day = datetime.fromtimestamp(p.updated, KST).date()
    pair = {"updated_start_date": str(day), "updated_end_date": str(day)}
    found = ok(client.get("/api/v2/admin/products", params={**pair, "product_no": p.product_no}))["products"]
    assert [row["product_no"] for row in found] == [p.product_no]
    expected = sum(1 for q in store.products.values() if datetime.fromtimestamp(q.updated, KST).date() == day)
    assert ok(client.get("/api/v2/admin/products/count", params=pair))["count"] == expected
    # the product's UTC date is the day before; as a KST date it does not contain the product
    utc_day = datetime.fromtimestamp(p.updated, UTC).date()
    assert utc_day == day - timedelta(days=1)
    before = {"updated_start_date": str(utc_day), "updated_end_date": str(utc_day), "product_no": p.product_no}
    assert ok(client.get("/api/v2/admin/products", params=before))["products"] == []


def test_products_created_window_filters_by_creation_time(client: httpx.Client, store: Any) -> None:
    """docs/cafe24-reference.md#products: "상품 등록일이 해당 날짜 이후인/이전인 상품 검색"."""
    times = sorted(p.created for p in store.products.values())
    lo, hi = times[10], times[40]
    params = {"created_start_date": kst(lo), "created_end_date": kst(hi)}
    assert ok(client.get("/api/v2/admin/products/count", params=params))["count"] == sum(
        1 for t in times if lo <= t <= hi
    )


DATE_FIELDS_MIN = 2


def _datetimes(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _datetimes(v)
    elif isinstance(value, list):
        for v in value:
            yield from _datetimes(v)
    elif isinstance(value, str) and DATETIME.match(value):
        yield value


@pytest.mark.parametrize("resource", ["products", "orders"])
def test_every_datetime_in_a_page_ends_with_kst_offset(
    sandbox: SandboxServer, client: httpx.Client, resource: str
) -> None:
    """docs/cafe24-reference.md#dates-and-times: dates in ISO 8601 "YYYY-MM-DDTHH:MM:SS+09:00"."""
    params = {"limit": 100} if resource == "products" else {**window(sandbox), "limit": 100}
    rows = ok(client.get(f"/api/v2/admin/{resource}", params=params))[resource]
    assert len(rows) == 100
    stamps = [s for row in rows for s in _datetimes(row)]
    assert len(stamps) >= DATE_FIELDS_MIN * len(rows)
    wrong = sorted({s for s in stamps if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00", s)})
    assert wrong == []


# ---- since_product_no -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("other", [{"offset": 10}, {"sort": "created_date"}, {"order": "asc"}, {"product_no": "20"}])
def test_since_product_no_cannot_be_combined_with_offset_sort_order_or_product_no(
    client: httpx.Client, other: dict
) -> None:
    """docs/cafe24-reference.md#products: "해당 검색 조건 사용시 다음 파라메터로는 사용할 수 없다. product_no
    sort order offset"."""
    assert_error(client.get("/api/v2/admin/products", params={"since_product_no": 0, **other}), 422, next(iter(other)))


def test_since_product_no_walks_upward_and_covers_every_product(client: httpx.Client, store: Any) -> None:
    """docs/cafe24-reference.md#products: since_product_no: "해당 검색조건 사용시 offset과 관계 없이 모든
    상품을 검색할 수 있다"."""
    seen: list[int] = []
    cursor, pages = 0, 0
    while True:
        page = ok(client.get("/api/v2/admin/products", params={"since_product_no": cursor, "limit": 100}))
        numbers = [p["product_no"] for p in page["products"]]
        pages += 1
        if not numbers:
            break
        assert numbers == sorted(numbers) and numbers[0] > cursor
        seen += numbers
        cursor = numbers[-1]
    count = ok(client.get("/api/v2/admin/products/count"))["count"]
    assert len(seen) == len(set(seen)) == count == len(store.products)
    assert pages == count // 100 + 2 - (count % 100 == 0)
    # the cursor is a filter the count endpoint takes as well
    assert ok(client.get("/api/v2/admin/products/count", params={"since_product_no": seen[99]}))["count"] == count - 100


# ---- embed and fields -------------------------------------------------------------------------------------------


def test_variants_embed_on_the_list_stops_at_100_while_the_variants_endpoint_returns_all(
    client: httpx.Client, store: Any
) -> None:
    """docs/cafe24-reference.md#products: embed variants "상품당 품목정보를 100개까지 조회할 수 있음";
    GET /products/{product_no}/variants has no limit."""
    number = big_product(store)
    listed = ok(client.get("/api/v2/admin/products", params={"product_no": number, "embed": "variants"}))
    embedded = listed["products"][0]["variants"]
    assert len(embedded) == 100
    everything = ok(client.get(f"/api/v2/admin/products/{number}/variants"))["variants"]
    assert len(everything) == 120
    codes = [v["variant_code"] for v in everything]
    assert len(set(codes)) == 120 and all(re.fullmatch(r"[A-Z0-9]{12}", c) for c in codes)
    assert [v["variant_code"] for v in embedded] == codes[:100]
    detail = ok(client.get(f"/api/v2/admin/products/{number}", params={"embed": "variants"}))["product"]
    assert len(detail["variants"]) == 120


def test_variants_endpoint_embeds_inventories_on_request(client: httpx.Client, store: Any) -> None:
    """docs/cafe24-reference.md#variants: embed `inventories` ("품목의 재고 리소스")."""
    number = big_product(store)
    rows = ok(client.get(f"/api/v2/admin/products/{number}/variants", params={"embed": "inventories"}))["variants"]
    assert all(isinstance(v["inventories"], list) and v["inventories"] for v in rows)
    bare = ok(client.get(f"/api/v2/admin/products/{number}/variants"))["variants"]
    assert all("inventories" not in v for v in bare)


@pytest.mark.parametrize(
    ("path", "embed"),
    [
        ("/api/v2/admin/products", "variant"),
        ("/api/v2/admin/products", "variants,memos"),  # memos is a detail-only embed
        ("/api/v2/admin/orders", "refunds"),  # refunds is a detail-only embed
        ("/api/v2/admin/orders", "items,nothing"),
    ],
)
def test_unknown_embed_is_refused(sandbox: SandboxServer, client: httpx.Client, path: str, embed: str) -> None:
    """docs/cafe24-reference.md: the embeds each list call offers (products: channeldiscountprices … hits; orders:
    items, receivers, buyer, return, cancellation, exchange)."""
    extra = window(sandbox) if "orders" in path else {}
    assert_error(client.get(path, params={**extra, "embed": embed}), 422, "embed")


def test_orders_embed_attaches_items_receivers_and_buyer(sandbox: SandboxServer, client: httpx.Client) -> None:
    """docs/cafe24-reference.md#orders: embeds (list): items, receivers, buyer, …"""
    params = {**window(sandbox), "limit": 50}
    bare = ok(client.get("/api/v2/admin/orders", params=params))["orders"]
    rows = ok(client.get("/api/v2/admin/orders", params={**params, "embed": "items,receivers,buyer"}))["orders"]
    assert [o["order_id"] for o in rows] == [o["order_id"] for o in bare]
    assert all(not {"items", "receivers", "buyer"} & set(o) for o in bare)
    for o in rows:
        assert o["items"] and all(i["order_item_code"].startswith(o["order_id"] + "-") for i in o["items"])
        assert isinstance(o["receivers"], list) and o["receivers"]
        assert isinstance(o["buyer"], dict) and o["buyer"]["member_id"] == o["member_id"]
    one = rows[0]
    assert ok(client.get(f"/api/v2/admin/orders/{one['order_id']}/items"))["items"] == one["items"]


def test_fields_returns_only_the_named_keys(sandbox: SandboxServer, client: httpx.Client) -> None:
    """docs/cafe24-reference.md#query-conventions: `fields=a,b` returns only those fields."""
    rows = ok(client.get("/api/v2/admin/products", params={"fields": "product_no,product_name", "limit": 5}))
    assert len(rows["products"]) == 5
    assert all(set(p) == {"product_no", "product_name"} for p in rows["products"])
    orders = ok(client.get("/api/v2/admin/orders", params={**window(sandbox), "fields": "order_id", "limit": 3}))
    assert all(set(o) == {"order_id"} for o in orders["orders"])


def test_detail_returns_more_fields_than_the_list(client: httpx.Client, ids: dict[str, Any]) -> None:
    """docs/cafe24-reference.md#requests: "상세 조회는 … 목록 조회보다 더 많은 항목이 반환됩니다"; products:
    description appears only in the detail."""
    listed = ok(client.get("/api/v2/admin/products", params={"product_no": ids["product_no"]}))["products"][0]
    detail = ok(client.get(f"/api/v2/admin/products/{ids['product_no']}"))["product"]
    assert set(listed) < set(detail)
    assert "description" in detail and "description" not in listed


# ---- orders: links, date_type ---------------------------------------------------------------------------------


def test_orders_links_point_at_the_next_page_on_the_same_host(sandbox: SandboxServer, client: httpx.Client) -> None:
    """docs/cafe24-reference.md#orders: the list carries `"links": [{"rel": "next", "href": ...}]`."""
    params = {**window(sandbox), "limit": 7}
    first = ok(client.get("/api/v2/admin/orders", params=params))
    nexts = [link for link in first["links"] if link["rel"] == "next"]
    assert len(nexts) == 1
    href = urlsplit(nexts[0]["href"])
    assert f"{href.scheme}://{href.netloc}" == sandbox.url
    assert href.path == f"/{MALL}/api/v2/admin/orders"
    query = {k: v[0] for k, v in parse_qs(href.query).items()}
    assert query == {**params, "limit": "7", "offset": "7"}
    second = ok(httpx.get(nexts[0]["href"], headers=client.headers))
    expected = ok(client.get("/api/v2/admin/orders", params={**params, "offset": 7}))
    assert [o["order_id"] for o in second["orders"]] == [o["order_id"] for o in expected["orders"]]
    assert not {o["order_id"] for o in second["orders"]} & {o["order_id"] for o in first["orders"]}


def test_orders_last_page_has_no_next_link(sandbox: SandboxServer, client: httpx.Client) -> None:
    """docs/cafe24-reference.md#orders: `links` shows where the next page is; the last page has none."""
    params = window(sandbox, 30)  # a quiet month: the sale week lies further back
    count = ok(client.get("/api/v2/admin/orders/count", params=params))["count"]
    assert 0 < count <= 1000
    whole = ok(client.get("/api/v2/admin/orders", params={**params, "limit": 1000}))
    assert len(whole["orders"]) == count
    assert "links" not in whole
    tail = ok(client.get("/api/v2/admin/orders", params={**params, "limit": 10, "offset": count - 5}))
    assert len(tail["orders"]) == 5
    assert [link["rel"] for link in tail["links"]] == ["prev"]


def test_orders_count_depends_on_date_type(sandbox: SandboxServer, client: httpx.Client, store: Any) -> None:
    """docs/cafe24-reference.md#orders: date_type picks the date the range applies to, DEFAULT order_date."""
    params = window(sandbox, 30, ending_days_ago=20)
    by_order = ok(client.get("/api/v2/admin/orders/count", params=params))["count"]
    explicit = ok(client.get("/api/v2/admin/orders/count", params={**params, "date_type": "order_date"}))["count"]
    by_pay = ok(client.get("/api/v2/admin/orders/count", params={**params, "date_type": "pay_date"}))["count"]
    assert by_order == explicit > 0
    assert by_pay > 0 and by_pay != by_order
    lo = datetime.fromisoformat(params["start_date"]).replace(tzinfo=KST).timestamp()
    hi = lo + 31 * 86400 - 1
    truth = sum(1 for o in store.orders if o.shop_no == 1 and lo <= o.timeline.get("pay_date", -1) <= hi)
    assert by_pay == truth
    assert_error(
        client.get("/api/v2/admin/orders/count", params={**params, "date_type": "modified_date"}), 422, "date_type"
    )


def test_cancelled_order_is_found_by_its_cancel_date(sandbox: SandboxServer, client: httpx.Client, store: Any) -> None:
    """docs/cafe24-reference.md#orders: date_type cancel_date (one of the 16 date types)."""
    now = sandbox.sandbox.clock.now()

    def day(epoch: int) -> date:
        return datetime.fromtimestamp(epoch, KST).date()

    order = next(
        o
        for o in reversed(store.orders)
        if o.shop_no == 1
        and o.timeline.get("cancel_date", now + 1) < now - 86400
        and day(o.timeline["cancel_date"]) != day(o.timeline["order_date"])
    )
    cancel_day = str(day(order.timeline["cancel_date"]))
    params = {"start_date": cancel_day, "end_date": cancel_day, "limit": 1000}
    by_cancel = ok(client.get("/api/v2/admin/orders", params={**params, "date_type": "cancel_date"}))["orders"]
    assert order.order_id in [o["order_id"] for o in by_cancel]
    assert all(o["canceled"] == "T" for o in by_cancel)
    by_order = ok(client.get("/api/v2/admin/orders", params=params))["orders"]
    assert order.order_id not in [o["order_id"] for o in by_order]


# ---- customersprivacy search_type=created_date ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("other", "parameter"),
    [
        ({"offset": 0}, "offset"),
        ({"offset": 30}, "offset"),
        ({"member_id": "x"}, "member_id"),
        ({"sms": "T"}, "sms"),
        ({"date_type": "join", "start_date": "2026-01-01", "end_date": "2026-01-31"}, None),
    ],
)
def test_created_date_search_refuses_offset_and_other_filters(
    client: httpx.Client, other: dict, parameter: str | None
) -> None:
    """docs/cafe24-reference.md#customersprivacy: "가입일 기준 사용시 created_start_date 외의 모든 검색
    조건은 사용할 수 없다"; "offset은 사용할 수 없다"."""
    params = {"search_type": "created_date", "created_start_date": "2025-01-01", **other}
    assert_error(client.get("/api/v2/admin/customersprivacy", params=params), 422, parameter)


def test_created_date_search_is_ascending_with_an_inclusive_start(client: httpx.Client) -> None:
    """docs/cafe24-reference.md#customersprivacy: created_start_date: "해당 가입일 이후에 가입한 회원"."""
    rows = ok(client.get("/api/v2/admin/customersprivacy", params={"search_type": "created_date", "limit": 1000}))
    stamps = [datetime.fromisoformat(r["created_date"]) for r in rows["customersprivacy"]]
    assert len(stamps) > 100 and stamps == sorted(stamps)
    pivot = rows["customersprivacy"][50]
    later = ok(
        client.get(
            "/api/v2/admin/customersprivacy",
            params={"search_type": "created_date", "created_start_date": pivot["created_date"], "limit": 5},
        )
    )
    first = later["customersprivacy"][0]
    assert first["created_date"] == pivot["created_date"]
    assert all(datetime.fromisoformat(r["created_date"]) >= stamps[50] for r in later["customersprivacy"])


def test_customersprivacy_join_window_reads_space_separated_times_as_kst(client: httpx.Client, store: Any) -> None:
    """docs/cafe24-reference.md#customersprivacy: date_type join; start_date "ex) 2018-12-31 00:00:00",
    end_date "ex) 2018-12-31 23:59:59" (a datetime with a space and no offset: Korea time)."""
    shop1 = [c for c in store.customers if c.shop_no == 1]
    seconds = Counter(c.created for c in shop1)
    member = next(c for c in shop1 if seconds[c.created] == 1)
    at = datetime.fromtimestamp(member.created, KST).strftime("%Y-%m-%d %H:%M:%S")
    rows = ok(
        client.get("/api/v2/admin/customersprivacy", params={"date_type": "join", "start_date": at, "end_date": at})
    )["customersprivacy"]
    assert [r["member_id"] for r in rows] == [member.member_id]
    day = at[:10]
    count = ok(
        client.get(
            "/api/v2/admin/customersprivacy/count",
            params={"date_type": "join", "start_date": f"{day} 00:00:00", "end_date": f"{day} 23:59:59"},
        )
    )["count"]
    assert count == sum(1 for c in shop1 if str(datetime.fromtimestamp(c.created, KST).date()) == day)
    assert_error(client.get("/api/v2/admin/customersprivacy", params={"start_date": at}), 422, "end_date")


def test_created_date_cursor_walk_collects_every_member_of_the_shop(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    """docs/cafe24-reference.md#customersprivacy: "가입일 기준으로 검색할 경우 offset과 관계 없이 전체 회원을
    검색할 수 있다" by raising created_start_date ("creted_start_date를 증가시키면서")."""
    server = start_sandbox(SandboxConfig(limits=UNLIMITED, volumes=Volumes(customers=3000, orders=10, products=20)))
    store = server.sandbox.mall("walk")
    expected = {c.member_id for c in store.customers if c.shop_no == 1}
    assert len(expected) > 2000  # more than two pages of 1000
    collected: dict[str, str] = {}
    params: dict[str, Any] = {"search_type": "created_date", "limit": 1000}
    pages = 0
    with admin_client(server, "walk") as client:
        while True:
            rows = ok(client.get("/api/v2/admin/customersprivacy", params=params))["customersprivacy"]
            pages += 1
            assert all(r["shop_no"] == 1 for r in rows)
            new = {r["member_id"]: r["created_date"] for r in rows if r["member_id"] not in collected}
            collected.update(new)
            if len(rows) < 1000:
                break
            assert new, "a full page added no member: the cursor is stuck"
            params["created_start_date"] = rows[-1]["created_date"]
        assert pages >= 3
        assert set(collected) == expected
        assert ok(client.get("/api/v2/admin/customersprivacy/count"))["count"] == len(expected)


# ---- shops ------------------------------------------------------------------------------------------------------


def test_shops_lists_several_shops_one_on_los_angeles_time(client: httpx.Client) -> None:
    """docs/cafe24-reference.md#multi-shop: shops have `shop_no`, `default`, `currency_code` and a per-shop
    `timezone` — the example shows shop 2 with "America/Los_Angeles"."""
    shops = ok(client.get("/api/v2/admin/shops"))["shops"]
    assert len(shops) >= 2
    assert [s["shop_no"] for s in shops if s["default"] == "T"] == [1]
    by_no = {s["shop_no"]: s for s in shops}
    assert by_no[2]["timezone"] == "America/Los_Angeles"
    assert by_no[1]["timezone"] == "Asia/Seoul" and by_no[1]["currency_code"] == "KRW"
    detail = ok(client.get("/api/v2/admin/shops/2"))["shop"]
    assert detail["shop_no"] == 2 and detail["timezone"] == "America/Los_Angeles"
    assert detail["currency_code"] == "USD"


def test_shop_no_2_renders_products_in_its_currency(client: httpx.Client, store: Any) -> None:
    """docs/cafe24-reference.md#multi-shop: "멀티쇼핑몰 번호를 명시하지 않을 경우, 기본 쇼핑몰의 정보를
    조회합니다"; shop_no picks the shop (and its currency_code)."""
    p = next(p for p in sorted(store.products.values(), key=lambda p: p.product_no) if p.product_no % 17)
    krw = ok(client.get("/api/v2/admin/products", params={"product_no": p.product_no}))["products"][0]
    usd = ok(client.get("/api/v2/admin/products", params={"product_no": p.product_no, "shop_no": 2}))["products"][0]
    assert krw["shop_no"] == 1 and usd["shop_no"] == 2
    assert krw["price"] == f"{p.price}.00"
    rate = next(s.exchange_rate for s in SHOPS if s.currency_code == "USD")
    assert usd["price"] == f"{round(p.price * rate, 2):.2f}"
    assert usd["price"] != krw["price"]
    rows = ok(client.get("/api/v2/admin/products", params={"shop_no": 2, "limit": 20}))["products"]
    assert len(rows) == 20 and {r["shop_no"] for r in rows} == {2}


def test_shop_no_2_orders_carry_shop_2_and_usd(sandbox: SandboxServer, client: httpx.Client) -> None:
    """docs/cafe24-reference.md#orders: rows carry `shop_no`; shop_no DEFAULT 1."""
    default = ok(client.get("/api/v2/admin/orders", params={**window(sandbox), "limit": 50}))["orders"]
    rows = ok(client.get("/api/v2/admin/orders", params={**window(sandbox), "shop_no": 2, "limit": 50}))["orders"]
    assert rows and {o["shop_no"] for o in rows} == {2} and {o["currency"] for o in rows} == {"USD"}
    assert {o["shop_no"] for o in default} == {1} and {o["currency"] for o in default} == {"KRW"}


@pytest.mark.parametrize("path", ["/api/v2/admin/products", "/api/v2/admin/customersprivacy", "/api/v2/admin/shops/9"])
def test_unknown_shop_no_is_not_found(client: httpx.Client, path: str) -> None:
    """docs/cafe24-reference.md#multi-shop: shops are those `GET /shops` lists."""
    params = {} if path.endswith("/9") else {"shop_no": 9}
    assert_error(client.get(path, params=params), 404)


# ---- not found ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/admin/no-such-resource",
        "/api/v2/admin/products/999999999",
        "/api/v2/admin/orders/20000101-0000001",
        "/api/v2/admin/customersprivacy/nobody",
        "/api/v2/admin/categories/1",
    ],
)
def test_unknown_path_or_record_is_404_with_the_cafe24_error_body(client: httpx.Client, path: str) -> None:
    """docs/cafe24-reference.md#errors: status 404 and the error body `{"error": {"code", "message",
    "more_info": {}}}`."""
    body = assert_error(client.get(path), 404)
    assert body["error"]["more_info"] == {}


def test_unknown_top_level_path_is_404_with_the_cafe24_error_body(sandbox: SandboxServer) -> None:
    """docs/cafe24-reference.md#errors: error body; the sandbox answers every unknown path with it."""
    assert_error(httpx.get(f"{sandbox.url}/no/such/path"), 404)
