"""The schema contract at the level of one page (sources/cafe24/tables.py): what fits is typed, what is new is
typed by its name, and what breaks a declared type stops with a message naming the table, column and value."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
import pytest

from sandbox.models import MallContext, Order, OrderLine
from sandbox.render import orders as sandbox_orders
from sandbox.store import SHOPS
from sources.cafe24.endpoints import BY_TABLE
from sources.cafe24.tables import UnexpectedValue, frames
from tests.sandbox.test_render_orders_customers import PROPERTIES

ORDERS = BY_TABLE["orders"]


def shaped(rows: list[dict]) -> dict[str, pa.Table]:
    return dict(frames(rows, "orders", {"mall_id": "m", "shop_no": 1}, ORDERS.primary_key, ORDERS.children))


def test_mixed_prints_of_one_declared_column_land_typed() -> None:
    tables = shaped(
        [
            {
                "order_id": "a",
                "payment_amount": "1100.00",
                "order_date": "2024-05-01 10:00:00",
                "first_order": "T",
                "member_id": "",
            },
            {
                "order_id": "b",
                "payment_amount": 1000,
                "order_date": "2024-05-01T10:00:00+09:00",
                "first_order": "F",
                "member_id": "kim",
            },
        ]
    )
    orders = tables["orders"]
    assert orders.schema.field("payment_amount").type == pa.decimal128(38, 9)
    assert orders["payment_amount"].to_pylist() == [Decimal("1100"), Decimal("1000")]
    assert len(set(orders["order_date"].to_pylist())) == 1  # both are 10:00 in Korea
    assert orders["first_order"].to_pylist() == [True, False]
    assert orders["member_id"].to_pylist() == [None, "kim"]  # a guest
    assert orders.schema.field("order_id").nullable is False
    assert orders["cancel_date"].null_count == 2  # declared, no value on this page: still there, typed
    assert orders.schema.field("cancel_date").type == pa.timestamp("us", tz="UTC")


def test_children_carry_the_parents_key_and_receivers_their_place() -> None:
    tables = shaped(
        [
            {
                "order_id": "a",
                "items": [{"order_item_code": "a-01"}, {"order_item_code": "a-02"}],
                "receivers": [{"name": "x"}, {"name": "y"}],
            }
        ]
    )
    assert tables["order_items"].select(["mall_id", "shop_no", "order_id", "order_item_code"]).to_pylist() == [
        {"mall_id": "m", "shop_no": 1, "order_id": "a", "order_item_code": "a-01"},
        {"mall_id": "m", "shop_no": 1, "order_id": "a", "order_item_code": "a-02"},
    ]
    assert tables["order_receivers"]["receiver_no"].to_pylist() == [1, 2]


def test_claims_are_keyed_by_their_claim_code_and_keyless_lists_by_their_place() -> None:
    tables = shaped(
        [
            {
                "order_id": "a",
                "shop_no": 1,
                "return": [{"shop_no": 1, "order_id": "a", "claim_code": "C1", "point_used": "-500.00"}],
                "tax_detail": [
                    {"name": "VAT", "amount": "60.00", "region_tax": {"rate": "10.00"}},
                    {"name": "TAX", "amount": 20},
                ],
            }
        ]
    )
    assert tables["order_returns"].select(["order_id", "claim_code", "point_used"]).to_pylist() == [
        {"order_id": "a", "claim_code": "C1", "point_used": Decimal("-500")}
    ]
    taxes = tables["order_tax_details"]
    assert taxes["tax_detail_no"].to_pylist() == [1, 2]
    assert taxes["amount"].to_pylist() == [Decimal(60), Decimal(20)]
    assert taxes["region_tax__rate"].to_pylist() == [Decimal(10), None]
    assert "return" not in tables["orders"].column_names and "order_exchanges" not in tables  # no rows, no table


def test_an_items_lists_are_keyed_by_the_item_and_their_place() -> None:
    tables = shaped(
        [
            {
                "order_id": "a",
                "items": [
                    {
                        "order_item_code": "a-01",
                        "multi_invoice": [
                            {"tracking_no": "1", "shipping_company_id": 2, "quantity": 1},
                            {"tracking_no": "2", "shipping_company_id": "2"},
                        ],
                    },
                    {"order_item_code": "a-02", "product_bundle_list": [{"product_no": 7, "product_price": "10.00"}]},
                ],
            }
        ]
    )
    invoices = tables["order_item_invoices"]
    assert invoices.select(["order_id", "order_item_code", "invoice_no", "shipping_company_id"]).to_pylist() == [
        {"order_id": "a", "order_item_code": "a-01", "invoice_no": 1, "shipping_company_id": 2},
        {"order_id": "a", "order_item_code": "a-01", "invoice_no": 2, "shipping_company_id": 2},
    ]
    assert tables["order_item_bundle_parts"].select(["order_item_code", "part_no", "product_no"]).to_pylist() == [
        {"order_item_code": "a-02", "part_no": 1, "product_no": 7}
    ]
    assert "multi_invoice" not in tables["order_items"].column_names


def test_an_undeclared_field_is_typed_by_its_name() -> None:
    orders = shaped(
        [
            {
                "order_id": "a",
                "gift_wrap_price": "500",
                "gift_note": "hi",
                "gift_tags": ["x"],
                "gift": {"box_date": "2024-05-01"},
            }
        ]
    )["orders"]
    assert orders.schema.field("gift_wrap_price").type == pa.decimal128(38, 9)
    assert orders.schema.field("gift_note").type == pa.string()
    assert orders["gift_tags"].to_pylist() == ['["x"]']  # JSON text
    assert orders.schema.field("gift__box_date").type == pa.timestamp("us", tz="UTC")


@pytest.mark.parametrize(
    ("row", "named"),
    [
        ({"order_id": "a", "payment_amount": "12,000"}, "orders.payment_amount"),
        ({"order_id": "a", "first_order": "Y"}, "orders.first_order"),
        ({"order_id": "a", "order_date": "yesterday"}, "orders.order_date"),
        ({"order_id": "a", "buyer": "kim"}, "orders.buyer"),
        ({"order_id": None}, "orders.order_id"),
    ],
)
def test_a_value_that_breaks_the_contract_stops_with_its_table_column_and_value(row: dict, named: str) -> None:
    with pytest.raises(UnexpectedValue, match=named.replace(".", r"\.")):
        shaped([row])


def test_the_orders_call_asks_for_every_list_embed_and_so_reaches_90_percent_of_the_order_properties() -> None:
    """docs/cafe24-reference.md#orders: the list call takes items, receivers, buyer, return, cancellation and
    exchange; with them the orders table and its children carry 90% of the chapter's property list (the rest are
    the detail call's embeds and fields, and the PUT call's)."""
    asked = set(ORDERS.params["embed"].split(","))
    assert asked == set(sandbox_orders.LIST_EMBEDS)
    documented = PROPERTIES["orders"]
    o = Order("20180626-0000001", 1, "kim", (OrderLine(1, 0, 1, 1000),), 0, 0, "card", {"order_date": 1_530_000_000})
    ctx = MallContext("m", 1, {1: SHOPS[0]}, {}, {}, {})
    reached = set(sandbox_orders.order(o, ctx, 1_530_000_000)) | asked
    assert sum(name in reached for name in documented) / len(documented) >= 0.9
