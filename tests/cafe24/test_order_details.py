"""The order detail call's embeds (issue #15 item 7): `benefits`, `coupons` and `refunds` come only with
`GET /orders/{order_id}` (docs/cafe24-reference.md#orders), so `order_details = true` calls it once per order a
run loads and fills order_benefits, order_coupons and order_refunds; off, the default, nothing calls it. Three
runs over real HTTP against a small store: on (a backfill), on again with nothing new, and off in another
project."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest

from pipelines.project import Project
from sandbox.render import orders
from sandbox.server import SandboxServer
from sources.cafe24.endpoints import BY_TABLE, DETAIL_TABLES, KEYS, PARENT_OF
from tests.cafe24.details import (
    assert_a_quiet_run_calls_no_detail,
    assert_off_calls_no_detail,
    assert_one_detail_call_per_row,
    detail_runs,
    sql,
)
from tests.cafe24.projects import orders as order_count

MALL = "detailmall"
DETAIL = "GET /api/v2/admin/orders/{order_id}"
TABLES = tuple(t for t in DETAIL_TABLES if PARENT_OF[t] == "orders")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    yield from detail_runs(tmp_path_factory, MALL, "order_details", DETAIL)


def test_every_order_loaded_costs_one_detail_call_and_nothing_else(runs) -> None:
    """One call per order the walk yields, paced and counted with the others: a backfill of the store's orders
    makes as many detail calls as orders, and costs exactly that many calls more than the same backfill without
    the option (docs/cafe24-reference.md#rate-limits: every call counts against the bucket)."""
    server = runs["server"]
    loaded = sql(runs["on"], f"SELECT count(*) FROM cafe24_data.orders WHERE mall_id = '{MALL}'")[0][0]
    assert loaded == order_count(server, MALL) > 0
    assert_one_detail_call_per_row(runs, loaded, "orders")


def test_a_run_with_nothing_new_makes_no_detail_call(runs) -> None:
    """docs/cafe24-reference.md#orders: orders have no updated date, so a run with nothing new walks the date types
    and loads no order; with the option on it calls no detail either, and its calls are those of any such run."""
    assert_a_quiet_run_calls_no_detail(runs)


def test_with_the_option_off_no_detail_call_is_made_and_no_detail_table_exists(runs) -> None:
    """The default (docs/cafe24-reference.md#orders: the embeds are the detail call's only) costs nothing."""
    assert_off_calls_no_detail(runs, TABLES)


def _shown(server: SandboxServer, project: Project) -> dict[str, list[tuple]]:
    """What the sandbox's detail call shows for every order the project loaded, as rows of the child tables."""
    store, now = server.sandbox.mall(MALL), server.sandbox.clock.now()
    loaded = {order_id for (order_id,) in sql(project, "SELECT order_id FROM cafe24_data.orders")}
    shown: dict[str, list[tuple]] = {table: [] for table in TABLES}
    for o in store.orders:
        if o.order_id not in loaded:
            continue
        for n, b in enumerate(orders.benefits(o, store.ctx, now), 1):
            shown["order_benefits"].append(
                (o.shop_no, o.order_id, n, b["order_item_code"], b["benefit_no"], Decimal(b["benefit_value"]))
            )
        for n, c in enumerate(orders.coupons(o, store.ctx, now), 1):
            shown["order_coupons"].append(
                (o.shop_no, o.order_id, n, c["coupon_code"], Decimal(c["coupon_value_final"]))
            )
        for r in orders.refunds(o, store.ctx, now):
            codes = json.dumps(r["order_item_code"], separators=(",", ":"))  # as the JSON column holds them
            shown["order_refunds"].append((o.shop_no, o.order_id, r["refund_code"], codes, Decimal(r["refund_amount"])))
    return {table: sorted(rows) for table, rows in shown.items()}


def test_the_detail_tables_hold_exactly_what_the_detail_call_shows_for_every_order(runs) -> None:
    """docs/cafe24-reference.md#orders: the detail adds `benefits`, `coupons` and `refunds`. Each lands in its
    table keyed by the order (mall_id, shop_no, order_id) and its own key, every row the sandbox shows and no
    other, typed as declared, and every row joins its order."""
    server, project = runs["server"], runs["on"]
    shown = _shown(server, project)
    columns = {
        "order_benefits": "shop_no, order_id, benefit_line_no, order_item_code, benefit_no, benefit_value",
        "order_coupons": "shop_no, order_id, coupon_line_no, coupon_code, coupon_value_final",
        "order_refunds": "shop_no, order_id, refund_code, order_item_code, refund_amount",
    }
    for table in TABLES:
        assert shown[table], f"the sandbox shows no {table} for the test to compare"
        landed = sql(project, f"SELECT {columns[table]} FROM cafe24_data.{table} WHERE mall_id = '{MALL}' ORDER BY ALL")
        assert [tuple(row) for row in landed] == shown[table], table
        key = ", ".join(KEYS[table])
        rows, keys, joined = sql(
            project,
            f"SELECT count(*), count(DISTINCT ({key})), count(o.order_id) FROM cafe24_data.{table} "
            "LEFT JOIN cafe24_data.orders o USING (mall_id, shop_no, order_id)",
        )[0]
        assert rows == keys == joined == len(shown[table]), table
    assert sql(project, "SELECT DISTINCT mall_id FROM cafe24_data.order_refunds") == [(MALL,)]
    types = dict(
        sql(
            project,
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'order_refunds'",
        )
    )
    assert types["refund_date"] == "TIMESTAMP WITH TIME ZONE" and types["refund_amount"] == "DECIMAL(38,9)"
    assert "benefits" not in {c.field for c in BY_TABLE["orders"].children}  # the list call never embeds them
