"""The sandbox's order and customer renderers print what the Cafe24 examples print, and follow the sandbox clock."""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from pathlib import Path

import pytest

import sandbox
from sandbox.clock import kst, kst_plain
from sandbox.models import Customer, MallContext, Order, OrderLine, Product, Shop
from sandbox.render import catalog, customers, orders
from tests.sandbox.shapes import json_type

EXAMPLES = Path(__file__).parents[1] / "fixtures" / "cafe24_examples"
PROPERTIES = json.loads(
    (Path(sandbox.__file__).parent / "reference" / "orders_customers_properties.json").read_text("utf-8")
)

T0 = 1_530_000_000  # 2018-06-26 17:00 KST
DAY = 86_400
SHOP = Shop(1, "샘플몰", "KRW", "ko_KR", "Asia/Seoul", True, True, 1.0)
TEE = Product(14, "P000000N", "반팔 티셔츠", "Short sleeve tee", T0 - 90 * DAY, T0 - DAY, 29000, 35000, 15000,
              True, True, (24,), 6, ("색상", "사이즈"))  # fmt: skip
MUG = Product(15, "P000000P", "머그컵", "Mug", T0 - 90 * DAY, T0 - DAY, 12000, 15000, 6000, True, True, (25,), 1, ())
DELIVERED = {
    "pay_date": T0 + 600,
    "place_date": T0 + DAY,
    "shipbegin_date": T0 + 2 * DAY,
    "shipend_date": T0 + 4 * DAY,
    "purchaseconfirmation_date": T0 + 7 * DAY,
}
LATER = T0 + 60 * DAY
ISO_KST = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$")
PLAIN = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")

# Keys whose example value is set but which the sandbox prints null for the rendered record's state (guest,
# payment method, no claim, no overseas payment, no rental ...). Any other key must keep the example's JSON type.
NULLABLE = {
    "order": {"bank_code", "bank_code_name", "bank_account_no", "bank_account_owner_name", "sub_payment_method_name",
              "sub_payment_method_code", "naverpay_payment_information", "service_type", "service_data",
              "customer_group_no_when_ordering"},
    "item": {"claim_code", "claim_reason_type", "claim_reason", "refund_bank_name", "refund_bank_account_no",
             "refund_bank_account_holder", "naver_pay_claim_status", "order_status_before_cs", "option_type",
             "payment_amount"},
    "receiver": {"clearance_information_type", "clearance_information"},
    "buyer": {"customer_notification"},
    "customersprivacy": {"wedding_anniversary", "birthday", "gender", "last_login_date", "company_type",
                         "foreigner_type", "authentication_method", "refund_bank_code", "refund_bank_account_no",
                         "refund_bank_account_holder", "account_reactivation_date"},
}  # fmt: skip


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text("utf-8"))


def context(seed: int = 24, products: tuple[Product, ...] = (TEE, MUG)) -> MallContext:
    return MallContext("sandboxmall", seed, {1: SHOP}, {}, {p.product_no: p for p in products}, {})


def make_order(seq: int = 13, member_id: str | None = "sampleid", payment_method: str = "card", **events: int) -> Order:
    lines = (OrderLine(14, 3, 1, 29000), OrderLine(15, 0, 2, 12000))
    return Order(f"20180626-{seq:07d}", 1, member_id, lines, 2500, 1000, payment_method, {"order_date": T0, **events})


def make_customer(member_id: str = "sampleid") -> Customer:
    return Customer(member_id, 1, "김민준", T0 - 400 * DAY, T0 - DAY, 1, "1990-04-02", "M", True, False,
                    "010-1234-5678", f"{member_id}@example.com")  # fmt: skip


def assert_shape(rendered: dict, reference: dict, nullable: Collection[str] = frozenset()) -> None:
    """Every key of the example is rendered (nested objects and lists of objects too) with the same JSON type.

    null in the example matches anything; money may be a string or a number; a key in `nullable` may be null.
    """
    missing = set(reference) - set(rendered)
    assert not missing, f"missing keys: {sorted(missing)}"
    for key, ref in reference.items():
        if ref is None:
            continue
        got = rendered[key]
        if got is None and key in nullable:
            continue
        types = {json_type(ref), json_type(got)}
        text = ref if isinstance(ref, str) else got
        money = types == {"string", "number"} and re.fullmatch(r"-?\d+(\.\d+)?", str(text))
        assert len(types) == 1 or money, f"{key}: example {ref!r}, rendered {got!r}"
        if isinstance(ref, dict):
            assert_shape(got, ref, nullable)
        elif isinstance(ref, list) and ref and got and isinstance(ref[0], dict):  # compare the first objects
            assert_shape(got[0], ref[0], nullable)


def coverage(rendered_keys: set[str], resource: str) -> float:
    names = PROPERTIES[resource]
    return sum(name in rendered_keys for name in names) / len(names)


# ---- shapes ---------------------------------------------------------------------------------------------------


def test_order_list_object_has_the_keys_and_types_of_the_list_example() -> None:
    """docs/cafe24-reference.md#orders: the order object matches orders[0] of the list example."""
    ctx = context()
    rendered = [orders.order(make_order(seq, **DELIVERED), ctx, LATER) for seq in range(1, 41)]
    full = next(r for r in rendered if "market_discount_info" in r)
    assert_shape(full, example("admin_orders_list")["orders"][0], NULLABLE["order"])


def test_some_orders_lack_market_discount_info_and_set_product_discount_amount() -> None:
    """docs/cafe24-reference.md#orders; examples/README.md "Shapes to reproduce": orders[1] lacks
    market_discount_info and set_product_discount_amount in both amount objects — so must a fraction of orders."""
    ctx = context()
    rendered = [orders.order(make_order(seq, **DELIVERED), ctx, LATER) for seq in range(1, 401)]
    quirky = [r for r in rendered if "market_discount_info" not in r]
    assert 0.05 < len(quirky) / len(rendered) < 0.25
    for r in quirky:
        assert "set_product_discount_amount" not in r["initial_order_amount"]
        assert "set_product_discount_amount" not in r["actual_order_amount"]
        assert_shape(r, example("admin_orders_list")["orders"][1], NULLABLE["order"])
    for r in rendered:
        if r not in quirky:
            assert "set_product_discount_amount" in r["initial_order_amount"]
            assert "set_product_discount_amount" in r["actual_order_amount"]


def test_order_detail_adds_customer_group_no_when_ordering_to_the_list_object() -> None:
    """docs/cafe24-reference.md#requests ("상세 조회 … 더 많은 항목"), #orders: the detail object
    has every key of the detail example; it keeps the list keys the detail example happens to omit."""
    ctx = context()
    o = next(
        make_order(seq, **DELIVERED)
        for seq in range(1, 41)
        if "market_discount_info" in orders.order(make_order(seq), ctx, LATER)
    )
    listed, detail = orders.order(o, ctx, LATER), orders.order(o, ctx, LATER, detail=True)
    assert_shape(detail, example("admin_orders_detail")["order"], NULLABLE["order"])
    assert set(detail) - set(listed) == {"customer_group_no_when_ordering"}
    assert detail["customer_group_no_when_ordering"] == 1


def test_order_items_have_the_keys_and_types_of_the_items_example() -> None:
    """docs/cafe24-reference.md#order-items: GET /api/v2/admin/orders/{order_id}/items."""
    rendered = orders.items(make_order(**DELIVERED), context(), LATER)
    for item in rendered:
        assert_shape(item, example("admin_orders_items_list")["items"][0], NULLABLE["item"])
    assert rendered[0]["shipping_company_id"].isdigit()  # "2" on the item ...
    assert isinstance(rendered[0]["multi_invoice"][0]["shipping_company_id"], int)  # ... 2 inside multi_invoice


def test_item_payment_amount_is_null_unless_the_mall_computes_discounts() -> None:
    """docs/cafe24-reference.md#order-items: payment_amount is null unless the mall uses 할인금액 자동계산; when set,
    the items' payment amounts add up to the order's goods minus its discount."""
    o = make_order(**DELIVERED)
    by_mall = [[i["payment_amount"] for i in orders.items(o, context(seed), LATER)] for seed in range(20)]
    assert [None, None] in by_mall
    computed = [amounts for amounts in by_mall if amounts != [None, None]]
    assert computed
    for amounts in computed:
        assert sum(float(a) for a in amounts) == o.items_total - o.discount


def test_receivers_and_buyer_have_the_keys_and_types_of_their_examples() -> None:
    """docs/cafe24-reference.md#orders (embeds receivers, buyer)."""
    ctx, o = context(), make_order(**DELIVERED)
    (receiver,) = orders.receivers(o, ctx, LATER)
    assert_shape(receiver, example("admin_orders_receivers_list")["receivers"][0], NULLABLE["receiver"])
    assert_shape(orders.buyer(o, ctx), example("admin_orders_buyer")["buyer"], NULLABLE["buyer"])
    assert re.fullmatch(r"010-\d{4}-\d{4}", receiver["cellphone"])
    assert re.fullmatch(r"\d{5}", receiver["zipcode"])
    assert receiver["shipping_code"] == f"D-{o.order_id}-00"


def test_customersprivacy_list_and_detail_have_the_keys_and_types_of_their_examples() -> None:
    """docs/cafe24-reference.md#customersprivacy (list and GET /customersprivacy/{member_id})."""
    ctx, nullable = context(), NULLABLE["customersprivacy"]
    for n in range(30):
        c = make_customer(f"member{n}")
        listed = customers.customer_privacy(c, ctx)
        detail = customers.customer_privacy(c, ctx, detail=True)
        assert_shape(listed, example("admin_customersprivacy_list")["customersprivacy"][0], nullable)
        assert_shape(detail, example("admin_customersprivacy_detail")["customersprivacy"], nullable)
        assert set(detail) - set(listed) == {"available_credits", "additional_information"}
        assert ISO_KST.match(listed["created_date"]) and ISO_KST.match(listed["last_login_date"])
        assert listed["cellphone"] == c.cellphone and listed["email"] == c.email and listed["name"] == c.name
        assert (listed["sms"], listed["news_mail"]) == ("T", "F")


def test_customers_lookup_prints_the_property_list_with_clean_key_names() -> None:
    """docs/cafe24-reference.md#customer-lookup: fields as listed, without the example's trailing spaces."""
    rendered = customers.customer(make_customer(), context())
    assert set(rendered) == set(PROPERTIES["customers"])
    assert all(key == key.strip() for key in rendered)


def test_customer_lookup_agrees_with_customersprivacy() -> None:
    """docs/cafe24-reference.md#customer-lookup, #customersprivacy describe the same member."""
    ctx = context()
    for n in range(20):
        c = make_customer(f"member{n}")
        lookup, privacy = customers.customer(c, ctx), customers.customer_privacy(c, ctx, detail=True)
        for key in set(lookup) & set(privacy):
            assert lookup[key] == privacy[key], key


# ---- coverage of the property lists ---------------------------------------------------------------------------


def test_rendered_orders_carry_at_least_90_percent_of_each_property_list() -> None:
    """docs/cafe24-reference.md#orders, #order-items: property lists of orders.md and orders-items.md
    (the embeds count for orders, since the list names them as attributes: the list call's six, the detail's nine)."""
    ctx, o = context(), make_order(**DELIVERED)
    listed = set(orders.order(o, ctx, LATER)) | orders.LIST_EMBEDS
    assert coverage(listed, "orders") >= 0.9
    assert coverage(set(orders.order(o, ctx, LATER, detail=True)) | set(orders.order_embeds), "orders") >= 0.9
    assert coverage(set(orders.items(o, ctx, LATER)[0]), "order_items") >= 0.9


def test_rendered_customers_carry_at_least_90_percent_of_each_property_list() -> None:
    """docs/cafe24-reference.md#customersprivacy, #customer-lookup."""
    ctx, c = context(), make_customer()
    assert coverage(set(customers.customer_privacy(c, ctx)), "customersprivacy") >= 0.9
    assert coverage(set(customers.customer_privacy(c, ctx, detail=True)), "customersprivacy") >= 0.9
    assert coverage(set(customers.customer(c, ctx)), "customers") >= 0.9


# ---- determinism ----------------------------------------------------------------------------------------------


def render_everything(ctx: MallContext, o: Order, c: Customer, now: float) -> str:
    embeds = {name: fn(o, ctx, now) for name, fn in orders.order_embeds.items()}
    rendered = [orders.order(o, ctx, now, detail=True), embeds]
    return json.dumps([*rendered, customers.customer_privacy(c, ctx), customers.customer(c, ctx)], ensure_ascii=False)


def test_same_record_and_clock_render_the_same_json() -> None:
    """docs/cafe24-reference.md#orders, #customersprivacy: paging re-reads rows, so a row
    must not change between two reads at the same clock."""
    o = make_order(member_id=None, payment_method="cash", **DELIVERED, return_request_date=T0 + 8 * DAY)
    c = make_customer()
    first = render_everything(context(), o, c, LATER)
    orders._ORDERS.clear()  # a fresh process: nothing cached
    orders._MEMBERS.clear()
    assert render_everything(context(), o, c, LATER) == first
    assert render_everything(context(seed=25), o, c, LATER) != first


# ---- state follows the clock ----------------------------------------------------------------------------------


def test_payment_shows_only_once_pay_date_has_passed() -> None:
    """docs/cafe24-reference.md#orders: paid/payment_date follow the sandbox clock."""
    ctx, o = context(), make_order(payment_method="cash", pay_date=T0 + DAY)
    before, after = orders.order(o, ctx, T0 + 3600), orders.order(o, ctx, T0 + 2 * DAY)
    assert (before["paid"], before["payment_date"]) == ("F", None)
    assert before["actual_order_amount"]["total_amount_due"] == before["actual_order_amount"]["payment_amount"]
    assert (after["paid"], after["payment_date"]) == ("T", kst(T0 + DAY))
    assert after["actual_order_amount"]["total_amount_due"] == "0.00"
    assert ISO_KST.match(after["order_date"]) and ISO_KST.match(after["payment_date"])
    assert [i["order_status"] for i in orders.items(o, ctx, T0 + 3600)] == ["N00", "N00"]
    assert [i["order_status"] for i in orders.items(o, ctx, T0 + 2 * DAY)] == ["N10", "N10"]


def test_item_dates_are_null_until_their_event_has_happened() -> None:
    """docs/cafe24-reference.md#order-items: event dates (shipped_date, delivered_date,
    …) in the items example's format."""
    ctx, o = context(), make_order(**DELIVERED)
    between = orders.items(o, ctx, T0 + 3 * DAY)[0]
    assert between["ordered_date"] == kst_plain(T0) and PLAIN.match(between["ordered_date"])
    assert between["shipped_date"] == kst_plain(T0 + 2 * DAY)
    assert between["delivered_date"] is None and between["purchaseconfirmation_date"] is None
    assert between["order_status"] == "N30" and between["tracking_no"] is not None
    done = orders.items(o, ctx, LATER)[0]
    assert done["delivered_date"] == kst_plain(T0 + 4 * DAY)
    assert done["purchaseconfirmation_date"] == kst_plain(T0 + 7 * DAY)
    assert done["order_status"] == "N50"
    fresh = orders.items(o, ctx, T0 + 60)[0]
    assert fresh["shipped_date"] is None and fresh["tracking_no"] is None and fresh["multi_invoice"] == []
    assert fresh["shipping_code"] is None


def test_shipping_status_follows_the_shipment_events() -> None:
    """docs/cafe24-reference.md#orders: shipping_status F (before) / M (in transit) / T (delivered)."""
    ctx, o = context(), make_order(**DELIVERED)
    assert [orders.order(o, ctx, now)["shipping_status"] for now in (T0 + DAY, T0 + 3 * DAY, LATER)] == ["F", "M", "T"]


def test_a_cancelled_order_shows_canceled_and_its_cancellation() -> None:
    """docs/cafe24-reference.md#orders: cancellations show in order_status (C*) and `canceled`."""
    ctx = context()
    o = make_order(pay_date=T0 + 600, cancel_request_date=T0 + DAY, cancel_accept_date=T0 + DAY + 600,
                   cancel_complete_date=T0 + 2 * DAY)  # fmt: skip
    requested = orders.order(o, ctx, T0 + DAY + 60)
    assert (requested["canceled"], requested["cancel_date"]) == ("F", None)
    assert orders.items(o, ctx, T0 + DAY + 60)[0]["order_status"] == "C00"
    assert orders.cancellation(o, ctx, T0 + DAY + 60)[0]["status"] == "canceling"
    done = orders.order(o, ctx, LATER)
    assert (done["canceled"], done["cancel_date"]) == ("T", kst(T0 + 2 * DAY))
    assert done["actual_order_amount"]["payment_amount"] == "0.00" == done["payment_amount"]
    assert done["initial_order_amount"]["payment_amount"] == "54500.00"  # 29000 + 2 x 12000 + 2500 - 1000
    item = orders.items(o, ctx, LATER)[0]
    assert (item["order_status"], item["status_code"], item["order_status_before_cs"]) == ("C40", "C2", "N10")
    assert item["cancel_date"] == kst_plain(T0 + 2 * DAY) and item["refund_date"] == kst_plain(T0 + 2 * DAY)
    assert orders.cancellation(o, ctx, LATER)[0]["status"] == "canceled"
    assert orders.refunds(o, ctx, LATER)[0]["refund_amount"] == "54500.00"
    assert orders.cancellation(o, ctx, T0 + 3600) == [] and orders.refunds(o, ctx, T0 + 3600) == []


def test_an_unpaid_order_cancelled_automatically_shows_c48() -> None:
    """docs/cafe24-reference.md#orders: order_status C48 (입금전취소 - 자동취소), nothing refunded."""
    ctx, o = context(), make_order(payment_method="cash", cancel_date=T0 + 3 * DAY)
    rendered = orders.order(o, ctx, LATER)
    assert (rendered["paid"], rendered["canceled"]) == ("F", "T")
    item = orders.items(o, ctx, LATER)[0]
    assert (item["order_status"], item["status_code"], item["refund_date"]) == ("C48", "C1", None)
    assert orders.refunds(o, ctx, LATER) == []


def test_a_returned_order_keeps_only_its_shipping_fee() -> None:
    """docs/cafe24-reference.md#orders: return_confirmed_date and the R* statuses; actual differs from initial."""
    ctx = context()
    o = make_order(**DELIVERED, return_request_date=T0 + 8 * DAY, return_accept_date=T0 + 9 * DAY,
                   return_complete_date=T0 + 11 * DAY)  # fmt: skip
    accepted = orders.order(o, ctx, T0 + 9 * DAY + 60)
    assert accepted["return_confirmed_date"] == kst(T0 + 9 * DAY)
    assert accepted["actual_order_amount"] == accepted["initial_order_amount"]
    done = orders.order(o, ctx, LATER)
    assert done["actual_order_amount"]["payment_amount"] == "2500.00"
    item = orders.items(o, ctx, LATER)[0]
    assert (item["order_status"], item["status_code"]) == ("R40", "C3")
    assert item["return_collected_date"] is not None and item["refund_date"] == kst_plain(T0 + 11 * DAY)
    assert orders.items(o, ctx, T0 + 9 * DAY + 60)[0]["return_collected_date"] is None
    assert orders.return_(o, ctx, LATER)[0]["status"] == "returned"
    assert orders.exchange(o, ctx, LATER) == []


# ---- records ----------------------------------------------------------------------------------------------------


def test_order_fields_come_from_the_record() -> None:
    """docs/cafe24-reference.md#orders: order_id, shop_no, currency, member_id, payment_method, amounts."""
    ctx, o = context(), make_order(**DELIVERED)
    rendered = orders.order(o, ctx, LATER)
    assert (rendered["order_id"], rendered["shop_no"], rendered["currency"]) == (o.order_id, 1, "KRW")
    assert rendered["member_id"] == "sampleid" and rendered["payment_method"] == ["card"]
    amounts = rendered["initial_order_amount"]
    assert (amounts["order_price_amount"], amounts["shipping_fee"]) == ("53000.00", "2500.00")
    assert rendered["total_supply_price"] == "27000"  # 15000 + 2 x 6000, no decimals like the example
    codes = [i["order_item_code"] for i in orders.items(o, ctx, LATER)]
    assert codes == [f"{o.order_id}-01", f"{o.order_id}-02"]
    assert rendered["shipping_fee_detail"][0]["items"] == codes


def test_items_take_product_fields_from_the_catalogue_or_the_line() -> None:
    """docs/cafe24-reference.md#order-items: product_no, product_code, variant_code (12 chars) per line."""
    o = make_order(**DELIVERED)
    tee, mug = orders.items(o, context(), LATER)
    assert (tee["product_code"], tee["variant_code"]) == ("P000000N", TEE.variant_code(3))
    assert tee["product_name"] == "반팔 티셔츠"
    assert tee["option_value"] and tee["options"] and mug["option_value"] == "" and mug["options"] == []
    assert (tee["product_price"], mug["quantity"]) == ("29000.00", 2)
    orphan, _ = orders.items(o, context(products=(MUG,)), LATER)  # product 14 deleted since
    assert orphan["product_no"] == 14 and len(orphan["variant_code"]) == 12 and orphan["product_name"]
    assert orphan["product_price"] == "29000.00"


def test_item_options_are_the_options_of_the_ordered_variant() -> None:
    """docs/cafe24-reference.md#order-items (variant_code) and GET /api/v2/admin/products/{product_no}/variants — an
    item names the same option values as the variant it was ordered from."""
    ctx = context()
    for index in range(TEE.n_variants):
        o = Order("20180626-0000099", 1, None, (OrderLine(14, index, 1, 29000),), 0, 0, "card", {"order_date": T0})
        (item,) = orders.items(o, ctx, LATER)
        variant = catalog.variant(TEE, index, ctx, 1)
        assert item["variant_code"] == variant["variant_code"]
        assert item["option_value"] == ", ".join(f"{opt['name']}={opt['value']}" for opt in variant["options"])


def test_guest_orders_print_an_empty_member_id() -> None:
    """docs/cafe24-reference.md#orders: member_id of a guest order (member_type 3 : 비회원)."""
    ctx, o = context(), make_order(member_id=None, **DELIVERED)
    assert orders.order(o, ctx, LATER)["member_id"] == ""
    assert orders.buyer(o, ctx)["member_id"] == ""
    assert orders.buyer(o, ctx)["name"]


@pytest.mark.parametrize("payment_method", ["card", "cash"])
def test_member_buyer_address_is_the_customersprivacy_address(payment_method: str) -> None:
    """docs/cafe24-reference.md#customersprivacy, #orders (buyer) show one member."""
    ctx = context()
    for n in range(20):
        member_id = f"member{n}"
        privacy = customers.customer_privacy(make_customer(member_id), ctx)
        buyer = orders.buyer(make_order(n + 1, member_id=member_id, payment_method=payment_method), ctx)
        if privacy["address1"]:
            assert (buyer["buyer_zipcode"], buyer["buyer_address1"]) == (privacy["zipcode"], privacy["address1"])


def test_a_member_orders_buyer_is_the_member_the_customer_endpoints_show() -> None:
    """docs/cafe24-reference.md#order-receivers-and-buyer, #customersprivacy:
    the buyer and the member describe the same member."""
    member = make_customer("buyer01")
    ctx = context()
    ctx.customers[member.member_id] = member
    buyer = orders.buyer(make_order(member_id="buyer01"), ctx)
    assert (buyer["name"], buyer["cellphone"], buyer["email"]) == (member.name, member.cellphone, member.email)


# ---- the nested lists the examples fill --------------------------------------------------------------------------


def test_overseas_orders_carry_tax_detail_shaped_like_the_example_and_domestic_orders_none() -> None:
    """docs/cafe24-reference.md#orders (tax_detail, orders.md "세금 상세 정보"): the example's elements."""
    usd = Shop(2, "English Shop", "USD", "en_US", "America/Los_Angeles", False, True, 0.00075)
    ctx = context()
    ctx.shops[2] = usd
    domestic = orders.order(make_order(**DELIVERED), ctx, LATER)
    overseas = orders.order(
        Order("20180626-0000014", 2, None, make_order().lines, 2500, 1000, "card", {"order_date": T0, **DELIVERED}),
        ctx,
        LATER,
    )
    assert domestic["tax_detail"] == []
    assert [t["name"] for t in overseas["tax_detail"]] == ["VAT", "TAX"]  # goods, then the shipping fee
    for rendered, documented in zip(
        overseas["tax_detail"], example("admin_orders_list")["orders"][0]["tax_detail"], strict=False
    ):
        assert_shape(rendered, documented, {"rate", "taxation_method"})  # no product or shipping override here
    assert overseas["tax_detail"][0]["price_before_tax"] == f"{(53000 - 1000) * 0.00075:.2f}"


def test_orders_fill_their_lists_in_some_rows_the_same_way_every_time() -> None:
    """docs/cafe24-reference.md#orders: regional_surcharge_detail (receivers on Jeju: here only gift recipients,
    as the one member lives elsewhere), additional_order_info_list and service_data (rental orders) in some orders,
    each element shaped like the example's."""
    ctx = context()
    rendered = [orders.order(make_order(seq, **DELIVERED), ctx, LATER) for seq in range(1, 801)]
    documented = example("admin_orders_list")["orders"][0]
    for key, share in (
        ("regional_surcharge_detail", (0.005, 0.3)),
        ("additional_order_info_list", (0.08, 0.25)),
        ("service_data", (0.002, 0.06)),
    ):
        filled = [r[key] for r in rendered if r[key]]
        assert share[0] < len(filled) / len(rendered) < share[1], key
        for value in filled:
            assert_shape(value[0], documented[key][0])
    for r in rendered:
        receiver = orders.receivers(make_order(int(r["order_id"][9:]), **DELIVERED), ctx, LATER)[0]
        assert bool(r["regional_surcharge_detail"]) == receiver["zipcode"].startswith(orders.JEJU_ZIP_PREFIX)
        assert (r["service_type"] == "rental") == bool(r["service_data"])
    assert [orders.order(make_order(seq, **DELIVERED), ctx, LATER) for seq in range(1, 801)] == rendered


def test_a_bundle_items_components_and_a_gift_option_have_the_examples_shape() -> None:
    """docs/cafe24-reference.md#order-items:
    product_bundle_list (the bundle's products) and additional_option_values."""
    parts = (
        Product(21, "P000000L", "머그컵 A", "Mug A", T0 - DAY, T0, 9000, 9000, 4000, True, True, (25,), 1, ()),
        Product(20, "P000000K", "머그컵 B", "Mug B", T0 - DAY, T0, 8000, 8000, 4000, True, True, (25,), 1, ()),
    )
    bundle = Product(
        22, "P000000M", "머그컵 세트", "Mug set", T0 - DAY, T0, 15000, 17000, 8000, True, True, (25,), 1, ()
    )
    ctx = context(products=(TEE, MUG, bundle, *parts))
    documented = example("admin_orders_items_list")["items"][0]
    found = set()
    for seq in range(1, 200):
        o = Order(
            f"20180626-{seq:07d}",
            1,
            None,
            (OrderLine(22, 0, 1, 15000), OrderLine(15, 0, 1, 12000)),
            0,
            0,
            "card",
            {"order_date": T0, **DELIVERED},
        )
        set_item, mug = orders.items(o, ctx, LATER)
        assert [p["product_no"] for p in set_item["product_bundle_list"]] == [21, 20]
        assert (set_item["product_bundle"], mug["product_bundle"], mug["product_bundle_list"]) == ("T", "F", [])
        assert_shape(set_item["product_bundle_list"][0], documented["product_bundle_list"][0])
        for item in (set_item, mug):
            if item["additional_option_values"]:
                found.add(item["order_item_code"][-2:])
                assert_shape(item["additional_option_values"][0], documented["additional_option_values"][0])
                assert item["additional_option_value"] == f"{orders.GIFT_OPTION_NAME}=예"
    assert found == {"01", "02"}  # some orders, on either line


def test_a_claim_refunds_a_paid_cash_order_to_the_account_its_items_show() -> None:
    """docs/cafe24-reference.md#orders (return embed), #order-items (refund_bank_*): one refund account."""
    ctx = context()
    o = make_order(payment_method="cash", **DELIVERED, return_request_date=T0 + 8 * DAY)
    (claim,) = orders.return_(o, ctx, LATER)
    item = orders.items(o, ctx, LATER)[0]
    for key in ("refund_bank_name", "refund_bank_account_no", "refund_bank_account_holder"):
        assert claim[key] == item[key] and claim[key]
    card = make_order(**DELIVERED, return_request_date=T0 + 8 * DAY)
    assert orders.return_(card, ctx, LATER)[0]["refund_bank_account_no"] is None
