"""The /__sandbox__ control API (issue #2, control API): injected faults, the clock, volumes, live activity,
ground truth, and the error body of unknown paths. None of this exists on Cafe24; what the client sees when a
fault fires is checked from an httpx client's point of view.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
import pytest

from sandbox.clock import kst
from sandbox.config import SandboxConfig, Volumes
from sandbox.server import SandboxServer
from tests.conftest import UNLIMITED, admin_client

SMALL = Volumes(products=50, orders=200, customers=50)
START = 1767225600 + 2  # 2026-01-01T09:00:02+09:00: two seconds into a minute, so two sandboxes see the same minutes
PRODUCTS = "/api/v2/admin/products"
PRODUCTS_RE = r"/api/v2/admin/products$"
HOUR = 3600


@pytest.fixture
def server(start_sandbox: Callable[..., SandboxServer]) -> SandboxServer:
    """A private sandbox: faults, clock and live settings belong to one sandbox."""
    return start_sandbox(SandboxConfig(limits=UNLIMITED, volumes=SMALL))


@pytest.fixture
def mall() -> str:
    return f"ctl{uuid.uuid4().hex[:10]}"


def control(server: SandboxServer, method: str, path: str, **kwargs: object) -> httpx.Response:
    return httpx.request(method, f"{server.url}/__sandbox__{path}", **kwargs)  # type: ignore[arg-type]


def add_fault(server: SandboxServer, **spec: object) -> dict:
    response = control(server, "POST", "/faults", json=spec)
    assert response.status_code == 200, response.text
    return response.json()


def advance(server: SandboxServer, seconds: float) -> dict:
    response = control(server, "POST", "/clock/advance", json={"seconds": seconds})
    assert response.status_code == 200, response.text
    return response.json()


def clock_now(server: SandboxServer) -> datetime:
    return datetime.fromisoformat(control(server, "GET", "/clock").json()["now"])


def assert_error_body(response: httpx.Response, status: int) -> dict:
    """docs/cafe24-reference.md#errors: {"error": {"code", "message", "more_info"}}."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "more_info"}
    assert body["error"]["code"] == status
    return body["error"]


def order_window(now: datetime) -> dict[str, str]:
    """start_date/end_date covering a few days around `now` (KST dates), well inside the 3-month limit."""
    return {
        "start_date": (now - timedelta(days=2)).date().isoformat(),
        "end_date": (now + timedelta(days=2)).date().isoformat(),
    }


# ---- faults: what each kind looks like to a client -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["500", "503"])
def test_5xx_fault_answers_with_the_error_body(server: SandboxServer, mall: str, kind: str) -> None:
    """Issue #2, control API: kind 500/503 answers that status with the Cafe24 error body, then recovers."""
    add_fault(server, kind=kind, path=PRODUCTS_RE, mall=mall, nth=1, times=1)
    with admin_client(server, mall) as client:
        failed = client.get(PRODUCTS)
        recovered = client.get(PRODUCTS)
    assert_error_body(failed, int(kind))
    assert failed.headers["x-api-call-limit"].endswith("/40")
    assert recovered.status_code == 200


def test_504_fault_answers_after_the_delay(server: SandboxServer, mall: str) -> None:
    """Issue #2, control API: kind 504_after_delay holds the request for `delay` seconds, then answers 504."""
    add_fault(server, kind="504_after_delay", path=PRODUCTS_RE, nth=1, times=2, delay=0.2)
    with admin_client(server, mall) as client:
        with pytest.raises(httpx.ReadTimeout):  # nothing arrives within 0.05 s of a 0.2 s delay
            client.get(PRODUCTS, timeout=httpx.Timeout(5, read=0.05))
        late = client.get(PRODUCTS)
    assert_error_body(late, 504)


def test_reset_fault_breaks_the_connection(server: SandboxServer, mall: str) -> None:
    """Issue #2, control API: kind reset starts a 200 and drops the connection mid-body."""
    add_fault(server, kind="reset", path=PRODUCTS_RE, nth=1, times=1)
    with admin_client(server, mall) as client:
        with pytest.raises(httpx.TransportError) as caught:
            client.get(PRODUCTS)
        assert isinstance(caught.value, (httpx.RemoteProtocolError, httpx.ReadError))
        assert client.get(PRODUCTS).status_code == 200  # the next connection is fine


def test_truncated_json_fault_sends_half_a_body(server: SandboxServer, mall: str) -> None:
    """Issue #2, control API: kind truncated_json answers 200 with the first half of the real body."""
    with admin_client(server, mall) as client:
        full = client.get(PRODUCTS).content
        add_fault(server, kind="truncated_json", path=PRODUCTS_RE, nth=1, times=1)
        broken = client.get(PRODUCTS)
    assert broken.status_code == 200
    assert broken.headers["content-type"].startswith("application/json")
    assert broken.content == full[: len(full) // 2]
    with pytest.raises(ValueError):
        json.loads(broken.content)


def test_malformed_json_fault_sends_unparseable_json(server: SandboxServer, mall: str) -> None:
    """Issue #2, control API: kind malformed_json answers 200 with a body that is not JSON."""
    add_fault(server, kind="malformed_json", path=PRODUCTS_RE, nth=1, times=1)
    with admin_client(server, mall) as client:
        broken = client.get(PRODUCTS)
    assert broken.status_code == 200
    assert broken.content.startswith(b"{'")
    with pytest.raises(ValueError):
        broken.json()


def test_html_error_fault_sends_a_502_page(server: SandboxServer, mall: str) -> None:
    """Issue #2, control API: kind html_error answers 502 text/html, as a proxy in front of the API would."""
    add_fault(server, kind="html_error", path=PRODUCTS_RE, nth=1, times=1)
    with admin_client(server, mall) as client:
        page = client.get(PRODUCTS)
    assert page.status_code == 502
    assert page.headers["content-type"].startswith("text/html")
    assert b"502 Bad Gateway" in page.content
    with pytest.raises(ValueError):
        page.json()


# ---- faults: when they fire ------------------------------------------------------------------------------------


def test_nth_fault_fires_on_every_nth_matching_request(server: SandboxServer, mall: str) -> None:
    """Issue #2, control API: nth=3 fires on the 3rd, 6th, 9th matching request; other paths do not count."""
    add_fault(server, kind="500", path=PRODUCTS_RE, nth=3)
    statuses, others = [], []
    with admin_client(server, mall) as client:
        for _ in range(9):
            statuses.append(client.get(PRODUCTS).status_code)
            others.append(client.get("/api/v2/admin/categories").status_code)
    assert statuses == [200, 200, 500] * 3
    assert others == [200] * 9
    rules = control(server, "GET", "/faults").json()["faults"]
    assert [(r["seen"], r["fired"]) for r in rules] == [(9, 3)]


def test_times_limits_the_firings(server: SandboxServer, mall: str) -> None:
    """Issue #2, control API: `times` stops a fault after that many firings."""
    fault = add_fault(server, kind="503", path=PRODUCTS_RE, nth=1, times=2)
    assert (fault["times"], fault["fired"]) == (2, 0)
    with admin_client(server, mall) as client:
        statuses = [client.get(PRODUCTS).status_code for _ in range(5)]
    assert statuses == [503, 503, 200, 200, 200]
    assert control(server, "GET", "/faults").json()["faults"][0]["fired"] == 2


def test_rate_fault_fires_with_probability(server: SandboxServer, mall: str) -> None:
    """Issue #2, control API: `rate` 1.0 always fires and 0 < rate < 1 fires on some requests only."""
    add_fault(server, kind="500", path=PRODUCTS_RE, rate=1.0, times=3)
    with admin_client(server, mall) as client:
        assert [client.get(PRODUCTS).status_code for _ in range(4)] == [500, 500, 500, 200]
        control(server, "DELETE", "/faults")
        add_fault(server, kind="500", path=PRODUCTS_RE, rate=0.5)
        statuses = [client.get(PRODUCTS, params={"limit": 1}).status_code for _ in range(60)]
    assert 5 < statuses.count(500) < 55 and statuses.count(500) + statuses.count(200) == 60


def test_fault_for_one_mall_spares_the_others(server: SandboxServer, mall: str) -> None:
    """Issue #2, control API: `mall` restricts a fault to one mall."""
    add_fault(server, kind="500", mall=mall, nth=1)
    with admin_client(server, mall) as hit, admin_client(server, mall + "b") as spared:
        assert hit.get(PRODUCTS).status_code == 500
        assert spared.get(PRODUCTS).status_code == 200


def test_faults_fire_only_after_the_token_check(server: SandboxServer, mall: str) -> None:
    """Issue #2, control API (gate order: limits, token/scope, version, faults): a refused call sees no fault."""
    add_fault(server, kind="500", path=PRODUCTS_RE, nth=1)
    response = httpx.get(f"{server.mall_url(mall)}{PRODUCTS}", headers={"Authorization": "Bearer nonsense"})
    assert_error_body(response, 401)
    assert control(server, "GET", "/faults").json()["faults"][0]["seen"] == 0


def test_delete_faults_clears_them(server: SandboxServer, mall: str) -> None:
    """Issue #2, control API: DELETE /__sandbox__/faults removes every rule."""
    add_fault(server, kind="500", nth=1)
    add_fault(server, kind="html_error", nth=2)
    assert len(control(server, "GET", "/faults").json()["faults"]) == 2
    cleared = control(server, "DELETE", "/faults")
    assert cleared.status_code == 200 and cleared.json() == {"faults": []}
    with admin_client(server, mall) as client:
        assert [client.get(PRODUCTS).status_code for _ in range(3)] == [200, 200, 200]


def test_faults_are_counted_in_stats(server: SandboxServer, mall: str) -> None:
    """Issue #2, control API: /__sandbox__/stats counts fired faults and errors per endpoint."""
    add_fault(server, kind="503", path=PRODUCTS_RE, nth=2)
    with admin_client(server, mall) as client:
        for _ in range(4):
            client.get(PRODUCTS)
    row = control(server, "GET", "/stats").json()["malls"][mall]["GET /api/v2/admin/products"]
    assert row == {"requests": 4, "200": 2, "503": 2, "errors": 2, "faults": 2}


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "teapot", "nth": 1},
        {"kind": "500"},  # neither nth nor rate
        {"kind": "500", "nth": 1, "colour": "red"},
    ],
)
def test_bad_fault_spec_is_422(server: SandboxServer, spec: dict) -> None:
    """Issue #2, control API: a fault the sandbox cannot apply is refused with the error body."""
    assert_error_body(control(server, "POST", "/faults", json=spec), 422)
    assert control(server, "GET", "/faults").json() == {"faults": []}


# ---- clock -----------------------------------------------------------------------------------------------------


def test_clock_reports_now_in_kst(start_sandbox: Callable[..., SandboxServer]) -> None:
    """Issue #2, control API: GET /__sandbox__/clock gives the sandbox time as KST ISO 8601 and epoch."""
    server = start_sandbox(SandboxConfig(limits=UNLIMITED, volumes=SMALL, start_time=START))
    body = control(server, "GET", "/clock").json()
    assert set(body) == {"now", "epoch"}
    now = datetime.fromisoformat(body["now"])
    assert now.utcoffset() == timedelta(hours=9)
    assert now.timestamp() == int(body["epoch"])
    assert START <= body["epoch"] < START + 60
    assert body["now"].startswith("2026-01-01T09:0")


def test_clock_advance_moves_the_sandbox_time(server: SandboxServer) -> None:
    """Issue #2, control API: POST /__sandbox__/clock/advance {"seconds": s} moves the clock forward by s."""
    before = control(server, "GET", "/clock").json()["epoch"]
    after = advance(server, 3 * HOUR)["epoch"]
    assert 3 * HOUR <= after - before < 3 * HOUR + 60
    assert control(server, "GET", "/clock").json()["epoch"] >= after


def test_clock_does_not_go_back(server: SandboxServer) -> None:
    """Issue #2, control API: a negative advance is refused and the clock stays put."""
    before = control(server, "GET", "/clock").json()["epoch"]
    assert_error_body(control(server, "POST", "/clock/advance", json={"seconds": -10}), 422)
    assert control(server, "GET", "/clock").json()["epoch"] >= before


def test_clock_is_per_sandbox(start_sandbox: Callable[..., SandboxServer]) -> None:
    """Issue #2, control API: advancing one sandbox's clock leaves another's alone."""
    a = start_sandbox(SandboxConfig(limits=UNLIMITED, volumes=SMALL, start_time=START))
    b = start_sandbox(SandboxConfig(limits=UNLIMITED, volumes=SMALL, start_time=START))
    advance(a, 24 * HOUR)
    assert control(b, "GET", "/clock").json()["epoch"] < START + 60


# ---- volumes ---------------------------------------------------------------------------------------------------


def test_volumes_set_the_size_of_a_mall(server: SandboxServer, mall: str) -> None:
    """Issue #2, control API: PUT /__sandbox__/malls/{m}/volumes {"products": 20} → the count endpoint says 20."""
    with admin_client(server, mall) as client:
        assert client.get(f"{PRODUCTS}/count").json() == {"count": 50}
        put = control(server, "PUT", f"/malls/{mall}/volumes", json={"products": 20})
        assert put.status_code == 200 and put.json()["products"] == 20
        assert put.json()["orders"] == 200  # the other sizes stay as they were
        assert control(server, "GET", f"/malls/{mall}/volumes").json()["products"] == 20
        assert client.get(f"{PRODUCTS}/count").json() == {"count": 20}
        assert len(client.get(PRODUCTS, params={"limit": 100}).json()["products"]) == 20
    with admin_client(server, mall + "b") as other:
        assert other.get(f"{PRODUCTS}/count").json() == {"count": 50}


def test_volumes_refuse_unknown_settings(server: SandboxServer, mall: str) -> None:
    """Issue #2, control API: an unknown volume name is a 422 with the error body."""
    error = assert_error_body(control(server, "PUT", f"/malls/{mall}/volumes", json={"widgets": 3}), 422)
    assert "widgets" in error["message"]


# ---- live activity ---------------------------------------------------------------------------------------------


def live_body() -> dict:
    return {"orders_per_hour": 60, "product_edits_per_hour": 30, "customers_per_hour": 10}


def test_live_mall_grows_as_the_clock_moves(server: SandboxServer, mall: str) -> None:
    """Issue #2, control API: a live mall gets new orders, product edits and members as sandbox time passes."""
    with admin_client(server, mall) as client:
        now = clock_now(server)
        window = order_window(now)
        orders_before = client.get("/api/v2/admin/orders/count", params=window).json()["count"]
        members_before = client.get("/api/v2/admin/customersprivacy/count").json()["count"]
        products_before = {
            p["product_no"]: p["updated_date"] for p in client.get(PRODUCTS, params={"limit": 100}).json()["products"]
        }
        response = control(server, "POST", f"/malls/{mall}/live", json=live_body())
        assert response.status_code == 200 and response.json()["orders_per_hour"] == 60
        advance(server, 2 * HOUR)
    with admin_client(server, mall) as client:  # a new token: the old one died with the 2 hours
        orders_after = client.get("/api/v2/admin/orders/count", params=window).json()["count"]
        members_after = client.get("/api/v2/admin/customersprivacy/count").json()["count"]
        products_after = {
            p["product_no"]: p["updated_date"] for p in client.get(PRODUCTS, params={"limit": 100}).json()["products"]
        }
    # ~120 orders in 2 h, ~82 % of them in shop 1; ~60 edits; ~20 members (shop 1 gets most).
    assert orders_after - orders_before >= 50
    assert members_after - members_before >= 5
    assert set(products_after) == set(products_before)
    moved = [
        n
        for n in products_before
        if datetime.fromisoformat(products_after[n]) > datetime.fromisoformat(products_before[n])
    ]
    assert len(moved) >= 10
    assert all(datetime.fromisoformat(products_after[n]) >= now for n in moved)
    assert all(
        datetime.fromisoformat(products_after[n]) >= datetime.fromisoformat(products_before[n]) for n in products_before
    )


def test_quiet_mall_does_not_grow(server: SandboxServer, mall: str) -> None:
    """Issue #2, control API: without live rates the store only changes by its planned order lifecycles."""
    with admin_client(server, mall):
        truth_before = control(server, "GET", f"/malls/{mall}/truth").json()
        advance(server, 2 * HOUR)
        truth_after = control(server, "GET", f"/malls/{mall}/truth").json()
    for key in ("products", "orders", "customers", "variants"):
        assert truth_after[key] == truth_before[key]


def test_live_rates_for_one_mall_leave_other_malls_quiet(server: SandboxServer, mall: str) -> None:
    """Issue #2, control API: POST /__sandbox__/malls/{m}/live makes only mall m live."""
    quiet = mall + "q"
    with admin_client(server, quiet) as other:  # the quiet mall exists before the live one does
        window = order_window(clock_now(server))
        before = other.get("/api/v2/admin/orders/count", params=window).json()["count"]
        control(server, "POST", f"/malls/{mall}/live", json=live_body())
        advance(server, 2 * HOUR)
    with admin_client(server, quiet) as other:  # a new token: the old one died with the 2 hours
        after = other.get("/api/v2/admin/orders/count", params=window).json()["count"]
    with admin_client(server, mall) as live:
        grown = live.get("/api/v2/admin/orders/count", params=window).json()["count"]
    assert after == before
    assert grown >= 50


def test_same_seed_and_clock_moves_give_the_same_store(start_sandbox: Callable[..., SandboxServer]) -> None:
    """Issue #2, control API: two sandboxes with one seed and start_time stay identical through live activity."""
    mall = "twinmall"
    results = []
    for _ in range(2):
        server = start_sandbox(SandboxConfig(limits=UNLIMITED, volumes=SMALL, start_time=START, seed=7))
        control(server, "POST", f"/malls/{mall}/live", json=live_body())
        advance(server, 2 * HOUR)
        with admin_client(server, mall) as client:
            products = client.get(PRODUCTS, params={"limit": 100}).json()["products"]
            # An explicit end bound both sandboxes have passed, so real-time drift between them does not matter.
            orders = client.get(
                "/api/v2/admin/orders",
                params={
                    "start_date": "2025-12-30",
                    "end_date": kst(START + 2 * HOUR),
                    "limit": 1000,
                    "fields": "order_id,order_date",
                },
            ).json()["orders"]
        results.append((products, [o["order_id"] for o in orders]))
    (products_a, orders_a), (products_b, orders_b) = results
    assert len(products_a) == 50
    assert products_a == products_b
    assert len(orders_a) >= 50
    assert orders_a == orders_b


def test_different_seed_gives_a_different_store(start_sandbox: Callable[..., SandboxServer]) -> None:
    """Issue #2, control API: the seed decides the store (so the sameness above is not vacuous)."""
    names = []
    for seed in (7, 8):
        server = start_sandbox(SandboxConfig(limits=UNLIMITED, volumes=SMALL, start_time=START, seed=seed))
        with admin_client(server, "twinmall") as client:
            names.append([p["product_name"] for p in client.get(PRODUCTS, params={"limit": 100}).json()["products"]])
    assert names[0] != names[1]


def test_order_payment_appears_when_the_clock_passes_it(start_sandbox: Callable[..., SandboxServer]) -> None:
    """Issue #2, control API: planned lifecycle events (here pay_date) become visible as the clock passes them."""
    server = start_sandbox(SandboxConfig(limits=UNLIMITED, start_time=START))  # default volumes: recent orders
    mall = "paymall"
    store = server.sandbox.mall(mall)
    now = server.sandbox.clock.now()
    pending = [o for o in store.orders if o.timeline["order_date"] <= now < o.timeline.get("pay_date", -1)]
    assert pending, "the generated history should hold an order placed but not yet paid"
    order = pending[0]
    pay_date = order.timeline["pay_date"]
    with admin_client(server, mall) as client:
        before = client.get(f"/api/v2/admin/orders/{order.order_id}").json()["order"]
        assert (before["paid"], before["payment_date"]) == ("F", None)
        advance(server, pay_date - server.sandbox.clock.now() + 1)
    with admin_client(server, mall) as client:  # the first token may have expired meanwhile
        after = client.get(f"/api/v2/admin/orders/{order.order_id}").json()["order"]
    assert (after["paid"], after["payment_date"]) == ("T", kst(pay_date))
    assert after["order_date"] == before["order_date"]


# ---- truth and unknown paths -----------------------------------------------------------------------------------


def test_truth_lists_every_key(server: SandboxServer, mall: str) -> None:
    """Issue #2, control API: GET /__sandbox__/malls/{m}/truth gives the keys a complete load must contain."""
    truth = control(server, "GET", f"/malls/{mall}/truth").json()
    assert set(truth) == {"now", "products", "categories", "orders", "customers", "variants"}
    assert set(truth["orders"]) == set(truth["customers"]) == {"1", "2", "3"}
    assert sum(len(ids) for ids in truth["orders"].values()) == 200
    assert sum(len(ids) for ids in truth["customers"].values()) == 50
    with admin_client(server, mall) as client:
        listed = client.get(PRODUCTS, params={"limit": 100}).json()["products"]
        categories = client.get("/api/v2/admin/categories/count").json()["count"]
    assert truth["products"] == sorted(p["product_no"] for p in listed)
    assert len(truth["categories"]) == categories
    assert truth["variants"] >= len(truth["products"])


def test_unknown_control_path_is_404_with_the_error_body(server: SandboxServer) -> None:
    """Issue #2, control API: an unknown path answers 404 with the Cafe24 error body."""
    error = assert_error_body(control(server, "GET", "/no-such-thing"), 404)
    assert "/__sandbox__/no-such-thing" in error["message"]


def test_unknown_api_path_is_404_with_the_error_body(server: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#errors: 404 with {"error": {"code", "message", "more_info"}}."""
    with admin_client(server, mall) as client:
        assert_error_body(client.get("/api/v2/admin/no-such-resource"), 404)


def test_wrong_method_on_a_control_path_is_405_with_the_error_body(server: SandboxServer) -> None:
    """Issue #2, control API: a path served for other methods answers 405 with the error body."""
    assert_error_body(control(server, "PUT", "/clock"), 405)


# ---- the merchant's deletions (docs/cafe24-reference.md#deleted-records: no flag, no list; rows just go) ----


def test_deleted_products_leave_every_shop_and_come_back_from_the_trash_unchanged(
    server: SandboxServer, mall: str
) -> None:
    with admin_client(server, mall) as api:
        victims = control(server, "GET", f"/malls/{mall}/truth").json()["products"][:3]
        before = api.get(f"{PRODUCTS}/{victims[0]}").json()["product"]["updated_date"]
        counts = {s: api.get(f"{PRODUCTS}/count", params={"shop_no": s}).json()["count"] for s in (1, 2)}
        assert control(server, "POST", f"/malls/{mall}/delete", json={"products": victims}).json() == {
            "products": sorted(victims),
            "members": [],
        }
        for shop in (1, 2):
            listed = api.get(PRODUCTS, params={"shop_no": shop, "limit": 100, "fields": "product_no"}).json()
            assert not {p["product_no"] for p in listed["products"]} & set(victims)
            assert api.get(f"{PRODUCTS}/count", params={"shop_no": shop}).json()["count"] == counts[shop] - 3
        assert api.get(f"{PRODUCTS}/{victims[0]}").status_code == 404
        assert control(server, "POST", f"/malls/{mall}/delete", json={"products": victims[:1]}).status_code == 404

        control(server, "POST", f"/malls/{mall}/restore", json={"products": victims[:1]}).raise_for_status()
        assert api.get(f"{PRODUCTS}/{victims[0]}").json()["product"]["updated_date"] == before
        assert control(server, "GET", f"/malls/{mall}/truth").json()["products"][:1] == victims[:1]


def test_deleted_members_leave_lists_counts_and_details(server: SandboxServer, mall: str) -> None:
    with admin_client(server, mall) as api:
        members = control(server, "GET", f"/malls/{mall}/truth").json()["customers"]["1"][:2]
        count = api.get("/api/v2/admin/customersprivacy/count", params={"shop_no": 1}).json()["count"]
        control(server, "POST", f"/malls/{mall}/delete", json={"members": members}).raise_for_status()
        assert api.get("/api/v2/admin/customersprivacy/count", params={"shop_no": 1}).json()["count"] == count - 2
        listed = api.get("/api/v2/admin/customersprivacy", params={"shop_no": 1, "limit": 1000}).json()
        assert not {c["member_id"] for c in listed["customersprivacy"]} & set(members)
        assert api.get(f"/api/v2/admin/customersprivacy/{members[0]}").status_code == 404
        assert control(server, "POST", f"/malls/{mall}/delete", json={"members": ["nobody"]}).status_code == 404
