"""The table shapes analysts join and trust (issue #11, items 3 and 4): child tables keyed by their parent's
natural key and replaced with it, every declared column present with its type, and a field the API starts
sending that nobody declared lands and is named. Runs go through `pipelines.run.load`, over real HTTP into a
project's DuckDB file."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import httpx
import pytest

from pipelines.project import Project
from pipelines.report import RunResult
from pipelines.run import load
from sandbox.config import Limits, SandboxConfig, Volumes
from sandbox.render import orders
from sandbox.server import SandboxServer
from sources.cafe24.auth import Grant, TokenStore
from sources.cafe24.endpoints import BY_TABLE
from sources.cafe24.fields import DECLARED
from sources.cafe24.tables import ARROW
from tests.cafe24.helpers import APP, bootstrap, pace

MALL = "shapemall"
DUCKDB_TYPES = {
    "bigint": "BIGINT",
    "decimal": "DECIMAL(38,9)",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "json": "VARCHAR",
    "text": "VARCHAR",
}


@pytest.fixture
def project(tmp_path: Path):
    config = SandboxConfig(
        volumes=Volumes(products=60, orders=400, customers=60),
        limits=Limits(drain_rate=200, max_per_second=0),
        clock_runs=False,
    )
    with SandboxServer(config) as server:
        project = Project.at(tmp_path)
        TokenStore(project.root / "tokens").write(Grant.from_response(bootstrap(server, MALL)))
        yield server, project


def run(server: SandboxServer, project: Project) -> RunResult:
    return load(
        {
            "mall_id": MALL,
            "base_url": server.url + "/{mall_id}",
            "credentials": dict(APP),
            "token_store": str(project.root / "tokens"),
            **pace(server),
        },
        project=project,
        out=io.StringIO(),
    )


def sql(project: Project, query: str, *args: object) -> list[tuple]:
    with duckdb.connect(str(project.duckdb), read_only=True) as con:
        return con.execute(query, list(args)).fetchall()


def test_an_item_cancelled_from_an_order_disappears_from_order_items(project) -> None:
    server, project = project
    run(server, project)
    store = server.sandbox.mall(MALL)
    now = int(server.sandbox.clock.now())
    order = next(
        o
        for o in store.orders
        if len(o.lines) >= 3 and "cancel_date" not in o.timeline and o.timeline["order_date"] < now
    )
    before = sql(
        project, "SELECT count(*) FROM cafe24_data.order_items WHERE mall_id = ? AND order_id = ?", MALL, order.order_id
    )
    assert before == [(len(order.lines),)]
    store.cancel_line(order.order_id, now + 60)
    httpx.post(f"{server.url}/__sandbox__/clock/advance", json={"seconds": 120}).raise_for_status()
    run(server, project)
    codes = sql(
        project,
        "SELECT order_item_code FROM cafe24_data.order_items WHERE mall_id = ? AND order_id = ? ORDER BY 1",
        MALL,
        order.order_id,
    )
    assert len(codes) == len(order.lines) == before[0][0] - 1
    # Every child row joins its parent by natural key, without dlt's ids.
    orphans = sql(
        project,
        "SELECT count(*) FROM cafe24_data.order_items i LEFT JOIN cafe24_data.orders o "
        "USING (mall_id, shop_no, order_id) WHERE o.order_id IS NULL",
    )
    assert orphans == [(0,)]


def test_every_declared_column_exists_with_its_type_even_when_no_row_has_a_value(project) -> None:
    server, project = project
    run(server, project)
    landed = {
        (t, c): d
        for t, c, d in sql(
            project,
            "SELECT table_name, column_name, data_type FROM "
            "information_schema.columns WHERE table_schema = 'cafe24_data'",
        )
    }
    null_only = []
    tables = ("shops", "categories", "products", "product_variants", "orders", "order_items", "order_receivers")
    with duckdb.connect(str(project.duckdb), read_only=True) as con:  # one connection: a connect costs 40 ms
        for table in (*tables, "customers"):
            for column, kind in DECLARED[table].items():
                assert landed.get((table, column)) == DUCKDB_TYPES[kind], (table, column, kind, ARROW[kind])
                if con.execute(f'SELECT count("{column}") FROM cafe24_data."{table}"').fetchall() == [(0,)]:
                    null_only.append(f"{table}.{column}")
    assert len(null_only) > 10, "the sandbox leaves some documented fields empty; they must still exist"


def test_a_field_the_api_starts_sending_lands_and_the_run_names_it(project) -> None:
    server, project = project
    first = run(server, project)
    assert first.new_columns == []
    httpx.post(
        f"{server.url}/__sandbox__/malls/{MALL}/new-fields",
        json={"products": {"eco_label": "FSC", "carbon_grams": "120.5"}},
    ).raise_for_status()
    again = run(server, project)  # products are walked again only if they changed: a full refresh reads them all
    refreshed = load(
        {
            "mall_id": MALL,
            "base_url": server.url + "/{mall_id}",
            "credentials": dict(APP),
            "token_store": str(project.root / "tokens"),
            **pace(server),
        },
        project=project,
        out=io.StringIO(),
        tables=["products"],
        full_refresh=True,
    )
    assert again.new_columns == []
    assert refreshed.new_columns == ["products.carbon_grams", "products.eco_label"]
    assert sql(project, "SELECT DISTINCT eco_label FROM cafe24_data.products") == [("FSC",)]
    types = dict(
        sql(
            project,
            "SELECT column_name, data_type FROM information_schema.columns WHERE "
            "table_schema = 'cafe24_data' AND table_name = 'products'",
        )
    )
    assert types["eco_label"] == "VARCHAR" and types["carbon_grams"] == "VARCHAR"


def test_an_order_several_walks_return_in_one_run_lands_once_with_its_items_once(project) -> None:
    """The merge skips dlt's dedup (sources.cafe24.MERGE), so the source must hand each key over once even when
    several date types' walks return the same order in one run."""
    server, project = project
    run(server, project)
    before = int(server.sandbox.clock.now())
    httpx.post(f"{server.url}/__sandbox__/clock/advance", json={"seconds": 5 * 86400}).raise_for_status()
    after = int(server.sandbox.clock.now())
    store = server.sandbox.mall(MALL)
    twice = [o for o in store.orders if sum(before < t <= after for t in o.timeline.values()) >= 2]
    assert twice, "the store must have orders that two date types' walks return in the same run"
    run(server, project)
    for table, key in (
        ("orders", "order_id"),
        ("order_items", "order_id, order_item_code"),
        ("order_receivers", "order_id, receiver_no"),
    ):
        rows, keys = sql(
            project, f"SELECT count(*), count(DISTINCT (mall_id, shop_no, {key})) FROM cafe24_data.{table}"
        )[0]
        assert rows == keys, table


def test_the_orders_claims_and_nested_lists_land_as_child_tables_with_every_row_the_api_shows(project) -> None:
    """docs/cafe24-reference.md#orders: the list call's cancellation, return and exchange embeds, the orders'
    tax_detail, regional_surcharge_detail, additional_order_info_list and service_data lists, and the items'
    product_bundle_list, additional_option_values and multi_invoice, each a table keyed by its order: as many rows
    per table as the sandbox shows for the orders loaded, typed as declared."""
    server, project = project
    run(server, project)
    store, now = server.sandbox.mall(MALL), server.sandbox.clock.now()
    loaded = {order_id for (order_id,) in sql(project, "SELECT order_id FROM cafe24_data.orders")}
    shown = [(orders.order(o, store.ctx, now), o) for o in store.orders if o.order_id in loaded]
    items = [item for _, o in shown for item in orders.items(o, store.ctx, now)]
    item_lists = next(c for c in BY_TABLE["orders"].children if c.table == "order_items").children
    for child in BY_TABLE["orders"].children + item_lists:
        if child.table in ("order_items", "order_receivers"):
            continue
        embed = orders.order_embeds.get(child.field)
        if child in item_lists:
            expected = sum(len(item[child.field]) for item in items)
        else:
            expected = sum(len((embed(o, store.ctx, now) if embed else row[child.field]) or ()) for row, o in shown)
        landed = sql(
            project,
            f"SELECT count(*), count(o.order_id) FROM cafe24_data.{child.table} c LEFT JOIN "
            "cafe24_data.orders o USING (mall_id, shop_no, order_id)",
        )[0]
        assert expected > 0, f"the sandbox shows no {child.field} for the test to compare"
        assert landed == (expected, expected), child.table  # every row, and every row joins its order
    amounts = sql(
        project,
        "SELECT data_type FROM information_schema.columns WHERE table_schema = 'cafe24_data' "
        "AND table_name = 'order_tax_details' AND column_name = 'amount'",
    )
    assert amounts == [("DECIMAL(38,9)",)]
