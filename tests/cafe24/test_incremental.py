"""Incremental runs on a live store: every change arrives, and a quiet run costs almost nothing (issue #3 §4)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from sandbox.config import Limits, SandboxConfig, Volumes
from sandbox.server import SandboxServer
from sources.cafe24.settings import ORDER_DATE_TYPES
from tests.cafe24.helpers import advance, bootstrap, calls, keys, make_pipeline, query, run, source, truth

MALL = "livemall"
FAST = Limits(drain_rate=200, bucket_size=40, max_per_second=0)


@pytest.fixture
def live(tmp_path: Path):
    config = SandboxConfig(volumes=Volumes(products=200, orders=1500, customers=300), limits=FAST, clock_runs=False)
    with SandboxServer(config) as server:
        grant = bootstrap(server, MALL)
        pipeline = make_pipeline(tmp_path)
        run(pipeline, source(server, tmp_path, MALL, grant["refresh_token"], start_date="2024-01-01"))
        yield server, pipeline, tmp_path


def test_an_incremental_run_picks_up_new_orders_status_changes_edits_and_members(live) -> None:
    """Orders have no updated filter: the date_type sweep must still see payments, shipments and cancels."""
    server, pipeline, workdir = live
    advance(server, MALL, 6 * 3600, orders_per_hour=40, product_edits_per_hour=30, customers_per_hour=10)
    run(pipeline, source(server, workdir, MALL, start_date="2024-01-01"))
    expected = truth(server, MALL)
    for shop in ("1", "2", "3"):
        assert keys(pipeline, "orders", "order_id", MALL, int(shop)) == expected["orders"][shop]
        assert keys(pipeline, "customers", "member_id", MALL, int(shop)) == expected["customers"][shop]
    assert keys(pipeline, "products", "product_no", MALL, 1) == expected["products"]

    store = server.sandbox.mall(MALL)
    now = server.sandbox.clock.now()
    landed = dict(
        query(
            pipeline,
            "select order_id, order_status from order_items i join orders o "
            f"using (mall_id, shop_no, order_id) where o.mall_id = '{MALL}' "
            "and i.order_item_code like '%-01'",
        )
    )
    stale = [
        o.order_id for o in store.orders if o.timeline["order_date"] <= now and landed[o.order_id] != o.status(now)
    ]
    assert stale == []
    prices = dict(
        query(
            pipeline, f"select product_no, epoch(updated_date) from products where mall_id = '{MALL}' and shop_no = 1"
        )
    )
    assert {p.product_no: p.updated for p in store.products.values()} == prices


def test_a_run_with_no_changes_costs_one_call_per_resource_and_date_type(live) -> None:
    """Issue #3: a quiet run may make at most one call per (resource, date_type) and shop."""
    server, pipeline, workdir = live
    advance(server, MALL, 60)
    before = calls(server, MALL)
    run(pipeline, source(server, workdir, MALL, start_date="2024-01-01"))
    shops = 3
    per_shop = 1 + 1 + len(ORDER_DATE_TYPES) + 1  # categories, products, orders per date_type, customers
    assert calls(server, MALL) - before <= 1 + shops * per_shop  # + the shops list


def test_state_does_not_advance_when_a_load_fails(live) -> None:
    """Issue #3 §4: cursors move only with a successful load, so a failed run loses nothing."""
    server, pipeline, workdir = live
    advance(server, MALL, 3600, orders_per_hour=30)
    fault = {"kind": "500", "path": "/orders", "rate": 1.0}
    httpx.post(f"{server.url}/__sandbox__/faults", json=fault).raise_for_status()
    with pytest.raises(Exception, match="500"):
        run(pipeline, source(server, workdir, MALL, start_date="2024-01-01", max_attempts=2))
    httpx.delete(f"{server.url}/__sandbox__/faults").raise_for_status()
    run(pipeline, source(server, workdir, MALL, start_date="2024-01-01"))
    assert keys(pipeline, "orders", "order_id", MALL, 1) == truth(server, MALL)["orders"]["1"]
