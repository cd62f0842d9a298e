"""Every example response of the documentation loads as it is, into stable typed columns (examples/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import dlt
import pytest

from sources.cafe24 import child_hints
from sources.cafe24.endpoints import BY_TABLE, KEYS
from sources.cafe24.fields import DECLARED
from sources.cafe24.paging import detail_lists
from sources.cafe24.tables import frames
from tests.cafe24.helpers import make_pipeline, query

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "cafe24_examples"
# example file -> (table, primary key) as the Admin source lands it
ADMIN = {
    "admin_products_list.json": ("products", "product_no"),
    "admin_products_detail.json": ("products", "product_no"),
    "admin_orders_list.json": ("orders", "order_id"),
    "admin_orders_detail.json": ("orders", "order_id"),
    "admin_customersprivacy_list.json": ("customers", "member_id"),
    "admin_customersprivacy_detail.json": ("customers", "member_id"),
    "admin_categories_list.json": ("categories", "category_no"),
    "admin_categories_detail.json": ("categories", "category_no"),
    "admin_shops_list.json": ("shops", "shop_no"),
    "admin_shops_detail.json": ("shops", "shop_no"),
    "admin_orders_items_list.json": ("order_items", "order_item_code"),
    "admin_orders_receivers_list.json": ("order_receivers", "shipping_code"),
    "admin_orders_buyer.json": ("orders", "member_id"),  # lands as buyer__member_id
    "admin_products_variants_list.json": ("product_variants", "variant_code"),
}
# Embeds print on their own in the examples: each goes back into a parent row, as the list endpoints embed it.
EMBEDDED = {
    "admin_orders_items_list.json": ("orders", "items"),
    "admin_orders_receivers_list.json": ("orders", "receivers"),
    "admin_orders_buyer.json": ("orders", "buyer"),
    "admin_products_variants_list.json": ("products", "variants"),
}


def _rows(name: str) -> list[dict]:
    body = json.loads((EXAMPLES / name).read_text())
    payload = next(v for k, v in body.items() if k != "links")
    return payload if isinstance(payload, list) else [payload]


def _parent_rows(name: str) -> tuple[str, list[dict]]:
    """The example's rows as the endpoint that loads them prints them."""
    if name not in EMBEDDED:
        table, rows = ADMIN[name][0], _rows(name)
        details = BY_TABLE[table].details
        if name.endswith("_detail.json") and details:  # as the source shapes a detail call's fields
            rows = [{**row, **detail_lists(details, row)} for row in rows]
        return table, rows
    table, field = EMBEDDED[name]
    key = BY_TABLE[table].primary_key[-1]
    rows = _rows(name)
    parent = rows[0].get(key) or (0 if key == "product_no" else f"example-{field}")
    return table, [{"shop_no": 1, key: parent, field: rows if field != "buyer" else rows[0]}]


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> dlt.Pipeline:
    """Every example through the connector's own shaping (sources.cafe24.tables), into DuckDB."""
    pipeline = make_pipeline(tmp_path_factory.mktemp("examples"))
    resources = []
    for name in ADMIN:
        table, rows = _parent_rows(name)
        ep = BY_TABLE[table]
        hints = child_hints(ep)
        items = [
            data if t == table else dlt.mark.with_hints(data, hints[t], True)
            for t, data in frames(rows, table, {"mall_id": "yourmall"}, ep.primary_key, ep.all_children)
        ]
        resources.append(
            dlt.resource(
                items,
                name=name.removesuffix(".json"),
                table_name=table,
                write_disposition="merge",
                primary_key=list(ep.primary_key),
            )
        )
    pipeline.run(resources, loader_file_format="parquet")
    return pipeline


def test_every_example_row_lands(landed: dlt.Pipeline) -> None:
    """Each example's rows arrive (merged on their keys), none dropped for its shape."""
    for name, (table, key) in ADMIN.items():
        column = "buyer__member_id" if name == "admin_orders_buyer.json" else key
        for row in _rows(name):
            value = row[key]
            found = query(landed, f"select count(*) from {table} where cast({column} as varchar) = '{value}'")
            assert found[0][0] >= 1, (name, key, value)


def test_every_example_field_is_a_declared_column(landed: dlt.Pipeline) -> None:
    """The declaration (fields.py) covers every field the reference prints: nothing lands undeclared."""
    columns = query(
        landed,
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'cafe24_data' and table_name not like '_dlt%'",
    )
    undeclared = sorted(
        f"{t}.{c}"
        for t, c in columns  # key columns (receiver_no, …) are the connector's own
        if c not in DECLARED[t] and c not in {*KEYS[t], "_dlt_load_id", "_dlt_id"}
    )
    assert not undeclared
    assert len(columns) > 400


def test_mixed_types_in_the_examples_land_in_one_typed_column(landed: dlt.Pipeline) -> None:
    """products[0] prints price "1100.00" and products[1] prints 1000; orders print "27000" and numbers."""
    types = dict(
        query(
            landed,
            "select table_name || '.' || column_name, data_type from information_schema.columns "
            "where table_schema = 'cafe24_data'",
        )
    )
    assert not [c for c in types if "__v_" in c], "a value of another type split a column"
    assert types["products.price"].startswith("DECIMAL")
    assert types["products.retail_price"].startswith("DECIMAL")
    assert types["orders.total_supply_price"].startswith("DECIMAL")
    assert types["orders.order_date"] == "TIMESTAMP WITH TIME ZONE"
    assert types["order_items.ordered_date"] == "TIMESTAMP WITH TIME ZONE"  # "2017-07-10 15:55:51", read as KST
    assert types["order_items.shipping_company_id"] == "BIGINT"  # "2" on the item, 2 in multi_invoice
    assert types["products.display"] == "BOOLEAN"
    assert types["shops.active"] == types["shops.default"] == "BOOLEAN"
    assert types["orders.include_tax"] == "VARCHAR"  # its name says tax, its documented values T/F
    numeric = _rows("admin_products_list.json")[1]
    assert numeric["price"] == 1000
    assert query(landed, f"select price from products where product_no = {numeric['product_no']}") == [(1000,)]


def test_an_item_date_without_offset_is_read_as_kst(landed: dlt.Pipeline) -> None:
    """Order items print "2017-07-10 15:55:51": Korea time, 06:55:51 UTC."""
    rows = query(landed, "select epoch(ordered_date) from order_items where ordered_date is not null limit 1")
    assert rows[0][0] % 86400 == (15 - 9) * 3600 + 55 * 60 + 51
