"""The product detail call's fields: `shipping_rates`, `relational_product` and `country_hscode` come only with
`GET /products/{product_no}` (docs/cafe24-reference.md#products: some fields come only from the detail call), so
`product_details = true` calls it once per product a run loads and fills product_shipping_rates, product_relations
and product_country_hscodes; off, the default, nothing calls it. Three runs over real HTTP against a small store:
on (a backfill), on again with nothing new, and off in another project."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import dlt
import pytest

from pipelines.deletions import _load, _tombstones
from pipelines.project import Project
from sandbox.render import catalog
from sandbox.server import SandboxServer
from sources.cafe24.endpoints import BY_TABLE, DETAIL_TABLES, KEYS, PARENT_OF
from tests.cafe24.details import (
    assert_a_quiet_run_calls_no_detail,
    assert_off_calls_no_detail,
    assert_one_detail_call_per_row,
    detail_runs,
    sql,
)
from tests.cafe24.helpers import truth
from tests.cafe24.projects import SHOPS

MALL = "pdetailmall"
DETAIL = "GET /api/v2/admin/products/{product_no}"
TABLES = tuple(t for t in DETAIL_TABLES if PARENT_OF[t] == "products")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    yield from detail_runs(tmp_path_factory, MALL, "product_details", DETAIL)


def test_the_list_call_lacks_the_detail_fields() -> None:
    """docs/cafe24-reference.md#products: the list call never returns them, so the products table declares none
    of them and only the detail call's child tables hold them."""
    ep = BY_TABLE["products"]
    assert ep.details is not None and not ep.details.embedded  # fields of the detail, not embeds to ask for
    fields = {c.field for c in ep.details.children}
    assert fields == {"shipping_rates", "relational_product", "country_hscode"}
    assert not fields & {c.field for c in ep.children}
    assert set(TABLES) == {"product_shipping_rates", "product_relations", "product_country_hscodes"}


def test_every_product_loaded_costs_one_detail_call_and_nothing_else(runs) -> None:
    """One call per product the walk yields (in every shop), paced and counted with the others: a backfill makes
    as many detail calls as product rows loaded, and costs exactly that many calls more than the same backfill
    without the option (docs/cafe24-reference.md#rate-limits: every call counts against the bucket)."""
    server = runs["server"]
    loaded = sql(runs["on"], f"SELECT count(*) FROM cafe24_data.products WHERE mall_id = '{MALL}'")[0][0]
    assert loaded == len(truth(server, MALL)["products"]) * SHOPS > 0  # every product is listed in every shop
    assert_one_detail_call_per_row(runs, loaded, "products")


def test_a_run_with_nothing_new_makes_no_detail_call(runs) -> None:
    """docs/cafe24-reference.md#products: the walk asks for products updated since the last run, so a run with
    nothing new loads no product; with the option on it calls no detail either, and its calls are those of any
    such run."""
    assert_a_quiet_run_calls_no_detail(runs)


def test_with_the_option_off_no_detail_call_is_made_and_no_detail_table_exists(runs) -> None:
    """The default (docs/cafe24-reference.md#products: the fields are the detail call's only) costs nothing."""
    assert_off_calls_no_detail(runs, TABLES)


def _shown(server: SandboxServer, project: Project) -> dict[str, list[tuple]]:
    """What the sandbox's detail call shows for every product the project loaded, in every shop it loaded it
    for, as rows of the child tables."""
    store = server.sandbox.mall(MALL)
    shown: dict[str, list[tuple]] = {table: [] for table in TABLES}
    for shop_no, no in sql(project, "SELECT shop_no, product_no FROM cafe24_data.products"):
        detail = catalog.product(store.products[no], store.ctx, shop_no, detail=True)
        for n, rate in enumerate(detail["shipping_rates"] or [], 1):
            low, high = (rate.get(k) for k in ("shipping_rates_min", "shipping_rates_max"))
            shown["product_shipping_rates"].append(
                (
                    shop_no,
                    no,
                    n,
                    None if low is None else Decimal(str(low)),
                    None if high is None else Decimal(str(high)),
                    Decimal(str(rate["shipping_fee"])),
                )
            )
        for related in detail["relational_product"]:
            shown["product_relations"].append((shop_no, no, related["product_no"], related["interrelated"] == "T"))
        for country, code in detail["country_hscode"].items():
            shown["product_country_hscodes"].append((shop_no, no, country, code))
    return {table: sorted(rows) for table, rows in shown.items()}


def test_the_detail_tables_hold_exactly_what_the_detail_call_shows_for_every_product(runs) -> None:
    """docs/cafe24-reference.md#products: the detail adds `shipping_rates` (brackets, keyed by their place),
    `relational_product` (keyed by the related product_no) and `country_hscode` (an object by country, one row
    per country). Each lands in its table keyed by the product (mall_id, shop_no, product_no) and its own key,
    every row the sandbox shows and no other, typed as declared (money decimal, T/F bool), and every row joins
    its product."""
    server, project = runs["server"], runs["on"]
    shown = _shown(server, project)
    columns = {
        "product_shipping_rates": "shop_no, product_no, shipping_rate_no, shipping_rates_min, shipping_rates_max, "
        "shipping_fee",
        "product_relations": "shop_no, product_no, related_product_no, interrelated",
        "product_country_hscodes": "shop_no, product_no, country_code, hscode",
    }
    for table in TABLES:
        assert shown[table], f"the sandbox shows no {table} for the test to compare"
        landed = sql(project, f"SELECT {columns[table]} FROM cafe24_data.{table} WHERE mall_id = '{MALL}' ORDER BY ALL")
        assert [tuple(row) for row in landed] == shown[table], table
        key = ", ".join(KEYS[table])
        rows, keys, joined = sql(
            project,
            f"SELECT count(*), count(DISTINCT ({key})), count(p.product_no) FROM cafe24_data.{table} "
            "LEFT JOIN cafe24_data.products p USING (mall_id, shop_no, product_no)",
        )[0]
        assert rows == keys == joined == len(shown[table]), table
        assert sql(project, f"SELECT DISTINCT mall_id FROM cafe24_data.{table}") == [(MALL,)], table
    types = {
        (table, column): kind
        for table, column, kind in sql(
            project,
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            f"WHERE table_name IN {tuple(TABLES)}",
        )
    }
    assert types["product_shipping_rates", "shipping_fee"] == "DECIMAL(38,9)"
    assert types["product_relations", "interrelated"] == "BOOLEAN"
    assert types["product_relations", "related_product_no"] == "BIGINT"
    assert types["product_country_hscodes", "hscode"] == "VARCHAR"


def test_a_hard_deleted_product_takes_its_detail_rows_with_it(runs) -> None:
    """docs/cafe24-reference.md#deleted-records: a product gone from the API, with deletions = "hard", is
    deleted with its child tables; the detail tables too, once the dataset has them (never created otherwise).
    Runs last: it deletes one product from the project the tests above read."""
    project, ep = runs["on"], BY_TABLE["products"]
    assert {r.name for r in _tombstones(ep, MALL, 1, [1])} == {"products_deleted", "product_variants_deleted"}
    (shop_no, no), *_ = sql(
        project,
        "SELECT shop_no, product_no FROM cafe24_data.product_shipping_rates JOIN cafe24_data.product_relations "
        "USING (mall_id, shop_no, product_no) JOIN cafe24_data.product_country_hscodes USING (mall_id, shop_no, "
        "product_no) ORDER BY ALL",
    )
    pipeline = dlt.pipeline(
        project.pipeline_name,
        pipelines_dir=str(project.pipelines_dir),
        destination=dlt.destinations.duckdb(str(project.duckdb)),
        dataset_name="cafe24_data",
    )
    _load(pipeline, _tombstones(ep, MALL, shop_no, [no], pipeline.default_schema.tables))
    for table in ("products", "product_variants", *TABLES):
        where = f"mall_id = '{MALL}' AND shop_no = {shop_no} AND product_no = {no}"
        assert sql(project, f"SELECT count(*) FROM cafe24_data.{table} WHERE {where}") == [(0,)], table
        assert sql(project, f"SELECT count(*) FROM cafe24_data.{table}")[0][0] > 0, table  # the others stay
