"""Orders as the Admin API prints them: the order object, its items, receivers and buyer, and the claim embeds.

Shapes follow tests/fixtures/cafe24_examples/admin_orders_*.json key for key (docs/cafe24-reference.md#orders,
#order-items). Every value is derived from the `Order` record, the sandbox clock (`now`) and a generator seeded
with the order id, so the same order at the same `now` renders the same bytes. Events later than `now` have not
happened: their dates are null and the status, flags and amounts are those before them.

Choices where the reference is silent:
- Guest orders print `member_id` "" (not null): the chapter types it as a plain string id and tells members from
  guests with a separate code (`member_type` 2/3), and the examples print "" for empty text fields.
  `member_email` is "" and `member_authentication` "F" for them.
- Order dates use `kst()` ("2018-07-04T11:21:35+09:00"); item dates use `kst_plain()` ("2017-07-10 15:55:51").
- `canceled` turns "T" (and `cancel_date` is set) once the cancellation is complete (cancel_complete_date or
  cancel_date); a request alone shows in order_status (C00/C10). `shipping_status` is F until shipbegin_date, M until
  shipend_date, then T. `return_confirmed_date` is the return's accept date.
- `actual_order_amount` drops to zero after a completed cancellation and to the shipping fee after a completed
  return; before that it equals `initial_order_amount` (with `total_amount_due` set while unpaid).
- Item `payment_amount` is null for malls without 할인금액 자동계산 (drawn once per mall), as the chapter says.
- Claim codes are keyed on the order ("C{order date}-{order seq}", exchanges "B..."), so they are unique per mall.
- The Customer record is not reachable from an order, so a member buyer's name, phone and e-mail are drawn from
  the member id (stable across that member's orders); the address is the one `customers.customer_privacy` shows.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from sandbox.clock import kst, kst_date, kst_plain
from sandbox.models import MallContext, Order, Product, Shop, base36
from sandbox.render import korean
from sandbox.render.catalog import option_grid  # one source for a variant's option values

# Labels of the codes an order can reach (orders.md `order_status`).
STATUS_TEXT: dict[str, str] = {
    "N00": "입금전", "N10": "상품준비중", "N20": "배송준비중", "N30": "배송중", "N40": "배송완료",
    "N50": "구매확정", "C00": "취소신청", "C10": "취소접수 - 관리자", "C40": "취소완료",
    "C48": "입금전취소 - 자동취소", "R00": "반품신청", "R10": "반품접수", "R40": "반품완료 - 환불완료",
    "E00": "교환신청", "E10": "교환접수", "E40": "교환완료",
}  # fmt: skip
# orders.md `payment_method` codes.
PAYMENT_METHOD_NAME: dict[str, str] = {
    "cash": "무통장", "card": "신용카드", "cell": "휴대폰", "tcash": "계좌이체", "icash": "가상계좌",
    "prepaid": "선불금", "credit": "예치금", "point": "적립금", "cvs": "편의점", "cod": "후불",
    "giftcard": "제휴상품권", "pointcard": "제휴포인트", "etc": "기타",
}  # fmt: skip
# (order_place_id, order_place_name, cumulative share); ids from orders.md `order_place_id`.
ORDER_PLACES: tuple[tuple[str, str, float], ...] = (
    ("cafe24", "카페24", 0.45), ("mobile", "모바일웹", 0.83), ("mobile_d", "모바일앱", 0.93),
    ("NCHECKOUT", "네이버페이", 1.0),
)  # fmt: skip
NAVER_PAY_STATUS: dict[str, str] = {
    "N00": "PAYMENT_WAITING", "N10": "PAYED", "N20": "PAYED", "N30": "DELIVERING", "N40": "DELIVERED",
    "N50": "PURCHASE_DECIDED", "C00": "CANCEL_REQUEST", "C10": "CANCELING", "C40": "CANCEL_DONE",
    "C48": "CANCELED_BY_NOPAYMENT", "R00": "RETURN_REQUEST", "R10": "COLLECTING", "R40": "RETURN_DONE",
    "E00": "EXCHANGE_REQUEST", "E10": "COLLECTING", "E40": "EXCHANGE_DONE",
}  # fmt: skip
# (shipping_company_id, name, code)
CARRIERS: tuple[tuple[str, str, str], ...] = (
    ("1", "CJ대한통운", "0006"), ("2", "우체국택배", "0007"), ("3", "한진택배", "0008"),
    ("4", "롯데택배", "0009"), ("5", "로젠택배", "0010"),
)  # fmt: skip
PAYMENT_GATEWAYS: tuple[str, ...] = ("inicis", "kcp", "tosspayments", "nicepay")
EASYPAY_NAMES: tuple[str, ...] = ("카카오페이", "네이버페이", "토스페이", "페이코")
# (claim_reason_type, claim_reason) a buyer picks (orders-items.md `claim_reason_type`).
CLAIM_REASONS: tuple[tuple[str, str], ...] = (
    ("A", "단순 변심"), ("B", "배송 지연"), ("G", "서비스 불만족"), ("I", "다른 상품으로 재주문"),
)  # fmt: skip
SHIPPING_MESSAGES: tuple[str, ...] = (
    "부재 시 문 앞에 놓아주세요", "배송 전 연락 부탁드립니다", "경비실에 맡겨주세요", "", "", "",
)  # fmt: skip

# Shares of orders with the lists and fields the examples fill (orders[0] of the list example has them all).
RENTAL_SHARE = 0.02  # service_type "rental" with service_data (rental period and monthly amount)
RENTAL_MONTHS: tuple[int, ...] = (12, 24, 36)
ORDER_INFO_SHARE = 0.15  # additional_order_info_list: the mall's extra order-form question, answered
ORDER_INFO_QUESTION = "배송 요청사항"
ORDER_INFO_ANSWERS: tuple[str, ...] = ("문 앞에 놓아주세요", "선물 포장 부탁드립니다", "빠른 배송 부탁드립니다")
GIFT_OPTION_SHARE = 0.15  # an order with one item whose additional_option_values ask for gift wrapping
GIFT_OPTION_NAME = "선물 포장"
OVERSEAS_METHODS: tuple[tuple[str, str], ...] = (("PayPal", "PM002"), ("Alipay", "PM004"))
JEJU_ZIP_PREFIX = "63"  # receivers on Jeju pay the regional surcharge (regional_surcharge_detail)
JEJU_SURCHARGE = 3000  # KRW
# The overseas shops' destinations' tax rates as tax_detail prints them: (country_tax_rate, region_tax rate or None).
OVERSEAS_TAX: dict[str, tuple[str, str | None]] = {
    "USD": ("0.00", "7.25"),
    "JPY": ("10.00", None),
    "CNY": ("13.00", None),
}
BUNDLE_EVERY = 11  # product numbers divisible by this are sold as bundles of the two products before them
_CANCEL_EVENTS = ("cancel_request_date", "cancel_accept_date", "cancel_complete_date", "cancel_date")
_RETURN_EVENTS = ("return_request_date", "return_accept_date", "return_complete_date")
_EXCHANGE_EVENTS = ("exchange_request_date", "exchange_accept_date", "exchange_complete_date")
_SUPPLIER = ("S0000000", "자체공급")
QUIRK_SHARE = 0.125  # orders that, like orders[1] of the list example, lack market_discount_info etc.


class _Party(NamedTuple):
    person: korean.Person
    address: korean.Address
    email: str


class _Traits(NamedTuple):
    """Per-order details the record leaves open, drawn once from the order's generator."""

    place_id: str
    place_name: str
    first_order: bool
    coupon: int  # o.discount split into its kinds (KRW)
    membership: int
    points: int
    quirk: bool
    easypay: str
    subscription: bool
    bank: tuple[str, str]
    tracking_no: str
    carrier: tuple[str, str, str]
    claim_reason: tuple[str, str]
    pg: str
    refund_account_no: str
    shipping_message: str
    receiver_phone: bool
    guest: _Party | None  # the buyer of a guest order
    recipient: _Party | None  # someone other than the buyer receives the goods (a gift)
    # Drawn after the fields above, so adding them left every earlier draw (and value) as it was.
    rental_months: int  # 0: not a rental order (service_type "rental" and its service_data otherwise)
    order_info: str | None  # the buyer's answer to the mall's extra order-form question, if asked
    gift_line: int  # the order line (0-based) that carries an additional option (gift wrap), -1: none
    overseas_method: tuple[str, str] | None  # sub_payment_method (name, code) of an overseas card payment


class _Mall(NamedTuple):
    auto_discount_calc: bool  # item payment_amount is null unless the mall uses 할인금액 자동계산
    bank_account_no: str
    bank_account_owner: str


# Renderers of one order (order, items, receivers, buyer) share one draw per order and one per member; these
# bounded caches keep the generators from being re-seeded for each of them (seeding costs more than a render).
_CACHE_LIMIT = 8192
_MALLS: dict[tuple[int, str], _Mall] = {}
_ORDERS: dict[tuple[object, ...], _Traits] = {}
_MEMBERS: dict[tuple[int, str, str], _Party] = {}


def _mall(ctx: MallContext) -> _Mall:
    key = (ctx.seed, ctx.mall_id)
    found = _MALLS.get(key)
    if found is None:
        rng = ctx.rng("mall", "orders")
        found = _MALLS[key] = _Mall(
            auto_discount_calc=rng.random() < 0.6,
            bank_account_no=f"{rng.randrange(10**13):013d}",
            bank_account_owner=korean.person(rng).name,
        )
    return found


def _party(rng: random.Random) -> _Party:
    """A guest buyer or a gift recipient."""
    person = korean.person(rng)
    address = korean.address(rng)
    email = f"{person.name_english.split()[0].lower()}{rng.randrange(100)}@{rng.choice(korean.EMAIL_DOMAINS)}"
    return _Party(person, address, email)


def _member(ctx: MallContext, member_id: str) -> _Party:
    """A member as their orders show them; the address is the one customers.customer_privacy shows."""
    key = (ctx.seed, ctx.mall_id, member_id)
    found = _MEMBERS.get(key)
    if found is None:
        rng = ctx.rng("member", member_id)
        address = korean.address(rng)  # first draw, as in customers._member
        person = korean.person(rng)
        email = f"{member_id}@{rng.choice(korean.EMAIL_DOMAINS)}"
        record = ctx.customers.get(member_id)
        if record is not None:  # the buyer is the member the customers endpoints show
            person = korean.Person(record.name, person.name_english, record.cellphone)
            email = record.email
        found = _Party(person, address, email)
        if len(_MEMBERS) >= _CACHE_LIMIT:
            _MEMBERS.clear()
        _MEMBERS[key] = found
    return found


def _buyer(o: Order, ctx: MallContext) -> _Party:
    if o.member_id:
        return _member(ctx, o.member_id)
    guest = _traits(o, ctx).guest
    assert guest is not None
    return guest


def _traits(o: Order, ctx: MallContext) -> _Traits:
    key = (ctx.seed, ctx.mall_id, o.order_id, o.member_id, o.discount, o.payment_method)
    found = _ORDERS.get(key)
    if found is None:
        found = _draw_traits(o, ctx)
        if len(_ORDERS) >= _CACHE_LIMIT:
            _ORDERS.clear()
        _ORDERS[key] = found
    return found


def _draw_traits(o: Order, ctx: MallContext) -> _Traits:
    rng = ctx.rng("order", o.order_id)
    r = rng.random()
    place_id, place_name, _ = next(p for p in ORDER_PLACES if r < p[2])
    split = rng.random()
    coupon = membership = points = 0
    if not o.member_id or split < 0.6:
        coupon = o.discount
    elif split < 0.85:
        membership = o.discount
    else:
        points = o.discount
    misc = rng.random()
    card = o.payment_method == "card"
    overseas = ctx.shops[o.shop_no].currency_code != "KRW" and card
    return _Traits(  # keyword arguments are drawn in order: new draws go last, so earlier values stay
        place_id=place_id,
        place_name=place_name,
        first_order=misc < 0.2,
        coupon=coupon,
        membership=membership,
        points=points,
        quirk=rng.random() < QUIRK_SHARE,
        easypay=EASYPAY_NAMES[int(misc * 100) % len(EASYPAY_NAMES)] if card and misc > 0.7 else "",
        subscription=misc < 0.03,
        bank=rng.choice(korean.BANKS),
        tracking_no=str(rng.randrange(10**11, 10**12)),
        carrier=rng.choice(CARRIERS),
        claim_reason=rng.choice(CLAIM_REASONS),
        pg=PAYMENT_GATEWAYS[int(misc * 1000) % len(PAYMENT_GATEWAYS)],
        refund_account_no=f"{rng.randrange(10**12):012d}",
        shipping_message=rng.choice(SHIPPING_MESSAGES),
        receiver_phone=rng.random() < 0.3,
        guest=None if o.member_id else _party(rng),
        recipient=_party(rng) if rng.random() < 0.2 else None,
        rental_months=rng.choice(RENTAL_MONTHS) if rng.random() < RENTAL_SHARE else 0,
        order_info=rng.choice(ORDER_INFO_ANSWERS) if rng.random() < ORDER_INFO_SHARE else None,
        gift_line=rng.randrange(4) if rng.random() < GIFT_OPTION_SHARE else -1,
        overseas_method=rng.choice(OVERSEAS_METHODS) if overseas and rng.random() < 0.5 else None,
    )


def _money(value: float, rate: float) -> str:
    return f"{value * rate:.2f}"


def _order_key(order_id: str) -> int:
    """'20170710-0000013' -> 1707100000013: unique per order, the base of item numbers."""
    return int(order_id[2:8] + order_id[9:])


def _item_codes(o: Order) -> list[str]:
    return [f"{o.order_id}-{i + 1:02d}" for i in range(len(o.lines))]


def _claim_code(o: Order, prefix: str) -> str:
    return f"{prefix}{o.order_id}"


def _first(seen: dict[str, int], events: tuple[str, ...]) -> int | None:
    times = [seen[e] for e in events if e in seen]
    return min(times) if times else None


def _cancelled_at(seen: dict[str, int]) -> int | None:
    return seen.get("cancel_date") or seen.get("cancel_complete_date")


def _amounts(items: int, shipping: int, t: _Traits, rate: float, due: bool, discounts: bool) -> dict[str, object]:
    coupon, membership, points = (t.coupon, t.membership, t.points) if discounts else (0, 0, 0)
    return _amount_fields(items, shipping, coupon, membership, points, t.quirk, rate, due)


@lru_cache(maxsize=16384)
def _amount_fields(
    items: int, shipping: int, coupon: int, membership: int, points: int, quirk: bool, rate: float, due: bool
) -> dict[str, object]:
    """The amounts object of its scalars; orders with the same prices share one (read-only) rather than each
    formatting its own fifteen strings."""
    pay = items + shipping - coupon - membership - points
    out: dict[str, object] = {
        "order_price_amount": _money(items, rate),
        "shipping_fee": _money(shipping, rate),
        "points_spent_amount": _money(points, rate),
        "credits_spent_amount": "0.00",
        "coupon_discount_price": _money(coupon, rate),
        "coupon_shipping_fee_amount": "0.00",
        "membership_discount_amount": _money(membership, rate),
        "shipping_fee_discount_amount": "0.00",
    }
    if not quirk:
        out["set_product_discount_amount"] = "0.00"
    out["app_discount_amount"] = "0.00"
    out["point_incentive_amount"] = "0.00"
    out["total_amount_due"] = _money(pay, rate) if due else "0.00"
    out["payment_amount"] = _money(pay, rate)
    out["market_other_discount_amount"] = "0.00"
    out["tax"] = _money(round(pay / 11), rate)  # VAT included in Korean prices
    return out


def order(o: Order, ctx: MallContext, now: float, *, detail: bool = False) -> dict[str, object]:
    """The order object of GET /orders (detail=False) or GET /orders/{order_id} (detail=True).

    The order must be visible (its order_date <= now). Embeds are added by the caller from `order_embeds`.
    """
    seen = o.visible(now)
    shop = ctx.shops[o.shop_no]
    rate = shop.exchange_rate
    t = _traits(o, ctx)
    mall = _mall(ctx)
    paid_at = seen.get("pay_date")
    cancelled_at = _cancelled_at(seen)
    returned = "return_complete_date" in seen
    items_total = o.items_total
    initial = _amounts(items_total, o.shipping_fee, t, rate, due=False, discounts=True)
    if cancelled_at is not None:
        actual = _amounts(0, 0, t, rate, due=False, discounts=False)
    elif returned:  # the goods are refunded, the shipping fee is not
        actual = _amounts(0, o.shipping_fee, t, rate, due=False, discounts=False)
    else:
        actual = _amounts(items_total, o.shipping_fee, t, rate, due=paid_at is None, discounts=True)
    member = bool(o.member_id)
    cash = o.payment_method == "cash"
    codes = _item_codes(o)
    shipping_status = "T" if "shipend_date" in seen else "M" if "shipbegin_date" in seen else "F"
    supply = 0
    for line in o.lines:
        product = ctx.products.get(line.product_no)
        supply += line.quantity * (product.supply_price if product else round(line.unit_price * 0.7))
    domestic = shop.currency_code == "KRW"
    return_accepted = seen.get("return_accept_date")
    naver = t.place_id == "NCHECKOUT"

    out: dict[str, object] = {
        "shop_no": o.shop_no,
        "currency": shop.currency_code,
        "order_id": o.order_id,
        "market_id": "self",
        "market_order_no": None,
        "member_id": o.member_id or "",
        "member_email": _member(ctx, o.member_id).email if o.member_id else "",
        "member_authentication": "T" if member else "F",
        # In the chapter's property list but in neither example; the detail example has the longer name only.
        "group_no_when_ordering": 1 if member else None,
    }
    if detail:
        out["customer_group_no_when_ordering"] = 1 if member else None
    out.update(
        {
            "initial_order_amount": initial,
            "actual_order_amount": actual,
            "billing_name": _buyer(o, ctx).person.name if cash else "",
            "bank_code": t.bank[0] if cash else None,
            "bank_code_name": t.bank[1] if cash else None,
            "payment_method": [o.payment_method],
            "payment_method_name": [PAYMENT_METHOD_NAME.get(o.payment_method, o.payment_method)],
            "payment_gateway_names": [t.pg] if o.payment_method == "card" else None,
            "sub_payment_method_name": t.overseas_method[0] if t.overseas_method else None,
            "sub_payment_method_code": t.overseas_method[1] if t.overseas_method else None,
            "transaction_ids": None,
            "paid": "T" if paid_at is not None else "F",
            "canceled": "T" if cancelled_at is not None else "F",
            "order_date": kst(o.timeline["order_date"]),
            "first_order": "T" if t.first_order else "F",
            "payment_date": kst(paid_at) if paid_at is not None else None,
            "order_from_mobile": "T" if t.place_id in ("mobile", "mobile_d") else "F",
            "use_escrow": "F",
            "bank_account_no": mall.bank_account_no if cash else None,
            "bank_account_owner_name": mall.bank_account_owner if cash else None,
            "market_seller_id": None,
            "payment_amount": actual["payment_amount"],
            "cancel_date": kst(cancelled_at) if cancelled_at is not None else None,
            "order_place_name": t.place_name,
            "order_place_id": t.place_id,
            "payment_confirmation": None,
            "commission": "0.00",
            "postpay": "F",
            "admin_additional_amount": "0.00",
            "additional_shipping_fee": "0.00",
            "international_shipping_insurance": "0.00",
            "additional_handling_fee": "0.00",
            "shipping_type": "A" if domestic else "B",
            "shipping_type_text": "국내배송" if domestic else "해외배송",
            "shipping_status": shipping_status,
            "shipping_fee_detail": [
                {
                    "shipping_group_code": int(o.order_id[9:]),
                    "supplier_code": _SUPPLIER[0],
                    "shipping_fee": _money(o.shipping_fee, rate),
                    "cancel_shipping_fee": _money(o.shipping_fee, rate) if cancelled_at is not None else "0.00",
                    "additional_shipping_fee": "0.00",
                    "refunded_shipping_fee": "0.00",
                    "return_shipping_fee": "0.00",
                    "items": codes,
                }
            ],
            "regional_surcharge_detail": _regional_surcharge(o, ctx, t, codes, cancelled_at is not None),
            "wished_delivery_date": "",
            "wished_delivery_time": None,
            "wished_carrier_id": None,
            "wished_carrier_name": None,
            "return_confirmed_date": kst(return_accepted) if return_accepted is not None else None,
            "total_supply_price": str(round(supply * rate)),  # no decimals, as the example prints it
            "naver_point": 0,
            "additional_order_info_list": _order_info(o, ctx, t),
            "store_pickup": "F",
            "easypay_name": t.easypay,
            "loan_status": None,
            "subscription": "T" if t.subscription else "F",
            "multiple_addresses": "F",
            "exchange_rate": f"{1 / rate:.4f}",
            "first_payment_methods": [o.payment_method],
            "naverpay_payment_information": "N" if naver else None,
        }
    )
    if not t.quirk:
        out["market_discount_info"] = None
    out.update(
        {
            "include_tax": "T",
            "tax_detail": _tax_detail(o, shop, codes),
            "service_type": "rental" if t.rental_months else None,
            "service_data": _service_data(o, t, rate),
            "show_shipping_address": "T",
            "social_member_code": None,
            "social_name": None,
        }
    )
    return out


def _regional_surcharge(
    o: Order, ctx: MallContext, t: _Traits, codes: list[str], cancelled: bool
) -> list[dict[str, object]]:
    """Orders shipped to Jeju carry the mall's island surcharge template. The record's amounts are what the buyer
    paid, so the surcharge shows here only: the sandbox does not add it to the order's totals."""
    if (t.recipient or _buyer(o, ctx)).address.zipcode[:2] != JEJU_ZIP_PREFIX:
        return []
    fee = _money(JEJU_SURCHARGE, ctx.shops[o.shop_no].exchange_rate)
    return [
        {
            "shipping_group_code": int(o.order_id[9:]),
            "supplier_code": _SUPPLIER[0],
            "regional_surcharge_amount": fee,
            "regional_surcharge_calculation_type": "default",
            "template_code": 1,
            "template_name": "제주/도서산간 배송비",
            "cancel_shipping_fee": fee if cancelled else "0.00",
            "additional_shipping_fee": "0.00",
            "refunded_shipping_fee": "0.00",
            "return_shipping_fee": "0.00",
            "items": codes,
        }
    ]


def _order_info(o: Order, ctx: MallContext, t: _Traits) -> list[dict[str, object]]:
    """The buyer's answer to the mall's extra order-form question, applied to every product of the order."""
    if t.order_info is None:
        return []
    names = [p.name for p in (ctx.products.get(line.product_no) for line in o.lines) if p is not None]
    return [
        {
            "id": 1,
            "name": ORDER_INFO_QUESTION,
            "value": t.order_info,
            "input_type": "A",
            "product_type": "A",
            "applied_product_list": list(dict.fromkeys(names)),
        }
    ]


def _tax_detail(o: Order, shop: Shop, codes: list[str]) -> list[dict[str, object]]:
    """Overseas shops' tax breakdown (VAT on the goods, TAX on the shipping fee) as tax_detail prints it, with the
    destination's country and regional rates; domestic orders print none (their VAT is the amounts' `tax`)."""
    rates = OVERSEAS_TAX.get(shop.currency_code)
    if rates is None:
        return []
    country, region = rates
    percent = float(country) + float(region or 0)
    no_override = {"rate": None, "taxation_method": None}
    out: list[dict[str, object]] = []
    for name, base, kind in (("VAT", o.items_total - o.discount, "I"), ("TAX", o.shipping_fee, "S")):
        if base <= 0:
            continue
        out.append(
            {
                "name": name,
                "amount": _money(base * percent / 100, shop.exchange_rate),
                "price_before_tax": _money(base, shop.exchange_rate),
                "price_before_tax_type": kind,
                "order_item_code": codes,
                "country_tax_rate": country,
                "region_tax": {"rate": region, "taxation_method": "A" if region else None},
                "product_tax_override": dict(no_override),
                "shipping_tax_override": dict(no_override),
            }
        )
    return out


def _service_data(o: Order, t: _Traits, rate: float) -> list[dict[str, object]] | None:
    """A rental order's period (months) and monthly amount; null for other orders, as before."""
    if not t.rental_months:
        return None
    monthly = f"{(o.items_total - o.discount) / t.rental_months * rate:.2f}".rstrip("0").rstrip(".")
    return [
        {"key": "rental_period", "value": str(t.rental_months), "title": "rental period"},
        {"key": "rental_amount", "value": monthly, "title": "rental amount"},  # "10000", as the example
    ]


def _option_value(product: Product, index: int) -> tuple[str, list[dict[str, object]]]:
    """'색상=블랙, 사이즈=M' and the `options` list of one variant, with the values the catalog's variants show."""
    return _variant_option_value(product.product_no, product.n_variants, product.option_names or ("옵션",), index)


@lru_cache(maxsize=16384)
def _variant_option_value(
    product_no: int, n_variants: int, names: tuple[str, ...], index: int
) -> tuple[str, list[dict[str, object]]]:
    """_option_value of the fields it reads: the orders of one product share it (read-only, like option_grid's)."""
    parts: list[str] = []
    options: list[dict[str, object]] = []
    grid = option_grid(product_no, n_variants, names)
    for j, (name, values) in enumerate(zip(names, grid, strict=True)):
        index, k = divmod(index, len(values))  # the first option varies fastest, as in catalog._variant_options
        parts.append(f"{name}={values[k]}")
        options.append(
            {
                "option_code": f"O{product_no % 10**6:06d}{j}",
                "option_name": name,
                "option_value": {"option_text": values[k], "value_no": k + 1},
            }
        )
    return ", ".join(parts), options


def _option_text(extras: list[dict[str, object]]) -> str:
    """additional_option_value: the additional options as one text, '선물 포장=예'."""
    if not extras:  # most items: skip building the join's generator
        return ""
    return ", ".join(f"{x['name']}={x['value']}" for x in extras)


def _gift_option() -> list[dict[str, object]]:
    """The additional option (추가입력옵션) a buyer filled in on one item: gift wrapping asked for."""
    return [{"key": "item_option_add", "type": "text", "name": GIFT_OPTION_NAME, "value": "예"}]


def _bundle(
    product: Product, ctx: MallContext, quantity: int, extras: list[dict[str, object]], rate: float
) -> list[dict[str, object]]:
    """product_bundle_list of an item whose product is a bundle (every BUNDLE_EVERY-th product number): the two
    products numbered just below it that still exist, one of each (their first variant) per bundle ordered."""
    if product.product_no % BUNDLE_EVERY:
        return []
    parts = [ctx.products[no] for no in (product.product_no - 1, product.product_no - 2) if no in ctx.products]
    out: list[dict[str, object]] = []
    for part in parts:
        variant_code = part.variant_code(0)
        option_value = _option_value(part, 0)[0] if part.n_variants > 1 else ""
        out.append(
            {
                "product_no": part.product_no,
                "product_code": part.product_code,
                "variant_code": variant_code,
                "product_name": part.name,
                "product_name_default": part.name,
                "option_id": variant_code[8:],
                "option_value": option_value,
                "option_value_default": option_value,
                "additional_option_value": _option_text(extras),
                "additional_option_values": extras,
                "quantity": quantity,
                "supplier_id": _SUPPLIER[0],
                "eng_product_name": part.eng_name or None,
                "hs_code": "",
                "product_price": _money(part.price, rate),
                "option_price": "0.00",
                "custom_product_code": "",
                "custom_variant_code": None,
            }
        )
    return out


def items(o: Order, ctx: MallContext, now: float) -> list[dict[str, object]]:
    """One object per order line, as GET /orders/{order_id}/items and the `items` embed print it."""
    seen = o.visible(now)
    status = o.status(now)
    shop = ctx.shops[o.shop_no]
    rate = shop.exchange_rate
    t = _traits(o, ctx)
    mall = _mall(ctx)

    def plain(event: str) -> str | None:
        at = seen.get(event)
        return kst_plain(at) if at is not None else None

    cancelled_at = _cancelled_at(seen)
    paid = "pay_date" in seen
    refund_at = seen.get("return_complete_date") or (seen.get("cancel_complete_date") if paid else None)
    collected = None
    if "return_accept_date" in o.timeline and "return_complete_date" in o.timeline:
        mid = (o.timeline["return_accept_date"] + o.timeline["return_complete_date"]) // 2
        collected = kst_plain(mid) if mid <= now else None
    claim_start = min(
        (v for k, v in seen.items() if k in _CANCEL_EVENTS or k in _RETURN_EVENTS or k in _EXCHANGE_EVENTS),
        default=None,
    )
    claim_code = None
    if claim_start is not None:
        claim_code = _claim_code(o, "B" if _first(seen, _EXCHANGE_EVENTS) is not None else "C")
    before_cs = o.status(claim_start - 1) if claim_start is not None else None
    shipped = "shipbegin_date" in seen
    tracking = t.tracking_no if shipped else None
    carrier_id, carrier_name, carrier_code = t.carrier if shipped else (None, None, None)
    shipping_code = f"D-{o.order_id}-00" if "place_date" in seen else None
    bank_refund = claim_start is not None and o.payment_method == "cash" and paid
    refund_bank = t.bank if bank_refund else (None, None)
    refund_holder = _buyer(o, ctx).person.name if bank_refund else None
    status_code = (
        "N1" if status[0] == "N" else "C1" if status == "C48" else "C2" if status[0] == "C"
        else "C3" if status[0] == "R" else "E1"
    )  # fmt: skip
    naver = t.place_id == "NCHECKOUT"
    dates = (
        kst_plain(o.timeline["order_date"]), plain("shipbegin_date"), plain("shipend_date"),
        plain("purchaseconfirmation_date"), kst_plain(cancelled_at) if cancelled_at is not None else None,
        plain("return_accept_date"), plain("return_request_date"), collected, plain("cancel_request_date"),
        kst_plain(refund_at) if refund_at is not None else None, plain("exchange_request_date"),
        plain("exchange_complete_date"),
    )  # fmt: skip
    key = _order_key(o.order_id) * 100
    total = o.items_total or 1
    coupon_left, discount_left = t.coupon, o.discount
    last = len(o.lines) - 1

    out: list[dict[str, object]] = []
    for i, line in enumerate(o.lines):
        product = ctx.products.get(line.product_no)
        line_total = line.quantity * line.unit_price
        if i == last:
            coupon_share, discount_share = coupon_left, discount_left
        else:
            coupon_share = t.coupon * line_total // total
            discount_share = o.discount * line_total // total
            coupon_left -= coupon_share
            discount_left -= discount_share
        if product is not None:
            product_code, name, eng_name = product.product_code, product.name, product.eng_name
            variant_code = product.variant_code(line.variant_index)
            supply = product.supply_price
            option_value, options = _option_value(product, line.variant_index) if product.n_variants > 1 else ("", [])
        else:  # the product was deleted since: keep what the order line knows
            product_code = f"P{base36(line.product_no, 7)}"
            name, eng_name = f"상품 {line.product_no}", None
            variant_code = f"{product_code}{base36(line.variant_index + 1, 4)}"
            supply = round(line.unit_price * 0.7)
            option_value, options = "", []
        code = f"{o.order_id}-{i + 1:02d}"
        extras = _gift_option() if i == t.gift_line else []
        bundle = _bundle(product, ctx, line.quantity, extras, rate) if product is not None else []
        out.append(
            {
                "shop_no": o.shop_no,
                "item_no": key + i + 1,
                "order_item_code": code,
                "variant_code": variant_code,
                "product_no": line.product_no,
                "product_code": product_code,
                "internal_product_name": name,
                "custom_product_code": "",
                "custom_variant_code": "",
                "eng_product_name": eng_name or None,
                "option_id": variant_code[8:],
                "option_value": option_value,
                "option_value_default": option_value,
                "additional_option_value": _option_text(extras),
                "additional_option_values": extras,
                "product_name": name,
                "product_name_default": name,
                "product_price": _money(line.unit_price, rate),
                "option_price": "0.00",
                "additional_discount_price": "0.00",
                "coupon_discount_price": _money(coupon_share, rate),
                "app_item_discount_amount": "0.00",
                "payment_amount": _money(line_total - discount_share, rate) if mall.auto_discount_calc else None,
                "quantity": line.quantity,
                "product_tax_type": "A",
                "tax_rate": 10,
                "supplier_product_name": "",
                "supplier_transaction_type": "D",
                "supplier_id": _SUPPLIER[0],
                "supplier_name": _SUPPLIER[1],
                "tracking_no": tracking,
                "shipping_code": shipping_code,
                "claim_code": claim_code,
                "claim_reason_type": t.claim_reason[0] if claim_code else None,
                "claim_reason": t.claim_reason[1] if claim_code else None,
                "refund_bank_name": refund_bank[1],
                "refund_bank_account_no": t.refund_account_no if bank_refund else None,
                "refund_bank_account_holder": refund_holder,
                "post_express_flag": None,
                "order_status": status,
                "request_undone": None,
                "claim_quantity": line.quantity if claim_code else 0,
                "order_status_additional_info": None,
                "status_code": status_code,
                "status_text": STATUS_TEXT[status],
                "open_market_status": "",
                "bundled_shipping_type": "N",
                "shipping_company_id": carrier_id,
                "shipping_company_name": carrier_name,
                "shipping_company_code": carrier_code,
                "product_bundle": "T" if bundle else "F",
                "product_bundle_no": str(line.product_no) if bundle else "0",
                "product_bundle_name": name if bundle else None,
                "product_bundle_name_default": name if bundle else None,
                "product_bundle_type": "C",
                "was_product_bundle": None,
                "original_bundle_item_no": None,
                "naver_pay_order_id": f"{o.order_id[:8]}{o.order_id[9:]}{i + 1}" if naver else None,
                "naver_pay_claim_status": NAVER_PAY_STATUS[status] if naver else None,
                "individual_shipping_fee": "0.00",
                "shipping_fee_type": "X",
                "shipping_fee_type_text": "기본배송",
                "shipping_payment_option": "P" if o.shipping_fee else "F",
                "payment_info_id": "0",
                "original_item_no": [],
                "store_pickup": "F",
                "ordered_date": dates[0],
                "shipped_date": dates[1],
                "delivered_date": dates[2],
                "purchaseconfirmation_date": dates[3],
                "cancel_date": dates[4],
                "return_confirmed_date": dates[5],
                "return_request_date": dates[6],
                "return_collected_date": dates[7],
                "cancel_request_date": dates[8],
                "refund_date": dates[9],
                "exchange_request_date": dates[10],
                "exchange_date": dates[11],
                "product_material": None,
                "product_material_eng": None,
                "cloth_fabric": None,
                "product_weight": "1.00",
                "volume_size": None,
                "volume_size_weight": None,
                "clearance_category": None,
                "clearance_category_info": None,
                "clearance_category_code": None,
                "hs_code": "",
                "one_plus_n_event": None,
                "origin_place": "국내",
                "origin_place_no": 1798,
                "made_in_code": "KR",
                "origin_place_value": "",
                "gift": "F",
                "item_granting_gift": None,
                "subscription": "T" if t.subscription else "F",
                "product_bundle_list": bundle,
                "market_cancel_request": None,
                "market_cancel_request_quantity": None,
                "market_fail_reason": None,
                "market_fail_reason_guide": None,
                "market_fail_reason_type": None,
                "market_item_no": None,
                "market_custom_variant_code": None,
                "option_type": "T" if options else None,
                "options": options,
                "market_discount_amount": "0.00",
                "labels": None,
                "order_status_before_cs": before_cs,
                "supply_price": _money(supply, rate),
                "multi_invoice": [
                    {
                        "type": "M",
                        "tracking_no": tracking,
                        "shipping_company_id": int(carrier_id),
                        "shipping_company_name": carrier_name,
                        "shipping_company_code": carrier_code,
                        "quantity": line.quantity,
                    }
                ]
                if carrier_id is not None
                else [],
                "shipping_expected_date": None,
            }
        )
    return out


def receivers(o: Order, ctx: MallContext, now: float) -> list[dict[str, object]]:
    """The `receivers` embed: one receiver (multiple_addresses is always "F" here)."""
    t = _traits(o, ctx)
    party = t.recipient or _buyer(o, ctx)
    person, address = party.person, party.address
    placed = o.timeline.get("place_date")
    return [
        {
            "shop_no": o.shop_no,
            "name": person.name,
            "name_furigana": "",
            "phone": address.phone if t.receiver_phone else "",
            "cellphone": person.cellphone,
            "virtual_phone_no": None,
            "zipcode": address.zipcode,
            "address1": address.address1,
            "address2": address.address2,
            "name_en": None,
            "city_en": None,
            "state_en": None,
            "street_en": None,
            "country_code": "",
            "country_name": None,
            "country_name_en": None,
            "shipping_message": t.shipping_message,
            "clearance_information_type": None,
            "clearance_information": None,
            "wished_delivery_date": "",
            "wished_delivery_time": None,
            "shipping_code": f"D-{o.order_id}-00" if placed is not None and placed <= now else None,
        }
    ]


def buyer(o: Order, ctx: MallContext) -> dict[str, object]:
    """The `buyer` embed: who placed the order (member or guest)."""
    party = _buyer(o, ctx)
    person, address = party.person, party.address
    member_id = o.member_id or ""
    return {
        "shop_no": o.shop_no,
        "member_id": member_id,
        "member_group_no": 1 if member_id else None,
        "name": person.name,
        "names_furigana": "",
        "email": party.email,
        "phone": address.phone,
        "cellphone": person.cellphone,
        "customer_notification": None,
        "updated_date": kst(o.timeline["order_date"]),
        "user_id": member_id,
        "user_name": person.name,
        "company_name": "",
        "company_registration_no": "",
        "buyer_zipcode": address.zipcode,
        "buyer_address1": address.address1,
        "buyer_address2": address.address2,
    }


def _claim(o: Order, ctx: MallContext, now: float, claim_code: str, refund: int) -> dict[str, object]:
    """The fields the cancellation, return and exchange embeds share (cancellation.md, return.md, exchange.md).
    A paid cash order is refunded to the buyer's bank account, the one its items show (refund_bank_*)."""
    t = _traits(o, ctx)
    rate = ctx.shops[o.shop_no].exchange_rate
    methods = [f"{PAYMENT_METHOD_NAME.get(o.payment_method, o.payment_method)} 환불"] if refund else []
    bank = o.payment_method == "cash" and "pay_date" in o.visible(now)
    return {
        "shop_no": o.shop_no,
        "order_id": o.order_id,
        "claim_code": claim_code,
        "claim_reason_type": t.claim_reason[0],
        "claim_reason": t.claim_reason[1],
        "refund_methods": methods,
        "refund_reason": "",
        "refund_bank_code": t.bank[0] if bank else None,
        "refund_bank_name": t.bank[1] if bank else None,
        "refund_bank_account_no": t.refund_account_no if bank else None,
        "refund_bank_account_holder": _buyer(o, ctx).person.name if bank else None,
        "order_price_amount": _money(o.items_total, rate),
        "refund_amounts": [{"payment_method": o.payment_method, "amount": _money(refund, rate)}] if refund else [],
        "shipping_fee": _money(o.shipping_fee, rate),
        "coupon_discount_amount": _money(t.coupon, rate),
        "point_used": _money(-t.points, rate) if t.points else "0.00",
        "credit_used": "0.00",
        "undone": "F",
        "items": _item_codes(o),
        "include_tax": "T",
        "tax": None,
        "cancel_fee_amount": None,
    }


def cancellation(o: Order, ctx: MallContext, now: float) -> list[dict[str, object]]:
    seen = o.visible(now)
    if _first(seen, _CANCEL_EVENTS) is None:
        return []
    done = _cancelled_at(seen) is not None
    paid = "pay_date" in seen
    refund = o.items_total + o.shipping_fee - o.discount if paid and done else 0
    claim = _claim(o, ctx, now, _claim_code(o, "C"), refund)
    claim["status"] = "canceled" if done else "canceling"
    return [claim]


def return_(o: Order, ctx: MallContext, now: float) -> list[dict[str, object]]:
    seen = o.visible(now)
    requested = _first(seen, _RETURN_EVENTS)
    if requested is None:
        return []
    done = "return_complete_date" in seen
    accepted = "return_accept_date" in seen
    t = _traits(o, ctx)
    claim = _claim(o, ctx, now, _claim_code(o, "C"), o.items_total - o.discount if done else 0)
    claim["claim_due_date"] = kst_date(requested + 3 * 86400)
    claim["return_invoice_no"] = str(int(t.tracking_no) + 1) if accepted else None
    claim["return_shipping_company_name"] = t.carrier[1] if accepted else None
    claim["status"] = "returned" if done else "processing" if accepted else "accepted"
    claim["pickup_completed"] = "T" if done else "F"
    return [claim]


def exchange(o: Order, ctx: MallContext, now: float) -> list[dict[str, object]]:
    seen = o.visible(now)
    requested = _first(seen, _EXCHANGE_EVENTS)
    if requested is None:
        return []
    claim = _claim(o, ctx, now, _claim_code(o, "B"), 0)
    claim["claim_due_date"] = kst_date(requested + 3 * 86400)
    claim["exchanged_items"] = _item_codes(o)  # the same variants are sent again
    claim["status"] = "exchanged" if "exchange_complete_date" in seen else "accept"
    return [claim]


def benefits(o: Order, ctx: MallContext, now: float) -> list[dict[str, object]]:
    """Detail-only embed (orders-benefits.md): the member-grade discount, when the order had one."""
    t = _traits(o, ctx)
    if not t.membership:
        return []
    seq = int(o.order_id[9:])
    return [
        {
            "shop_no": o.shop_no,
            "order_id": o.order_id,
            "order_item_code": f"{o.order_id}-01",
            "benefit_no": seq,
            "benefit_title": "회원등급 할인",
            "benefit_name": "회원등급 할인",
            "benefit_code": 1,
            "benefit_percent": None,
            "benefit_value": _money(t.membership, ctx.shops[o.shop_no].exchange_rate),
            "benefit_app_key": None,
        }
    ]


def coupons(o: Order, ctx: MallContext, now: float) -> list[dict[str, object]]:
    """Detail-only embed (orders-coupons.md): the coupon the discount came from, when it was a coupon."""
    t = _traits(o, ctx)
    if not t.coupon:
        return []
    value = _money(t.coupon, ctx.shops[o.shop_no].exchange_rate)
    return [
        {
            "shop_no": o.shop_no,
            "order_id": o.order_id,
            "order_item_code": f"{o.order_id}-01",
            "coupon_name": "신규회원 할인쿠폰" if t.first_order else "주문 할인쿠폰",
            "coupon_code": f"{_order_key(o.order_id) % 10**19:019d}",
            "coupon_percent": None,
            "coupon_value": value,
            "coupon_value_final": value,
        }
    ]


def refunds(o: Order, ctx: MallContext, now: float) -> list[dict[str, object]]:
    """Detail-only embed (refunds.md): one refund once a paid order's cancel or return is complete."""
    seen = o.visible(now)
    if "pay_date" not in seen:
        return []
    done = seen.get("return_complete_date") or seen.get("cancel_complete_date")
    if done is None:
        return []
    returned = "return_complete_date" in seen
    accepted = seen.get("return_accept_date" if returned else "cancel_accept_date", done)
    amount = o.items_total - o.discount + (0 if returned else o.shipping_fee)
    shop = ctx.shops[o.shop_no]
    value = _money(amount, shop.exchange_rate)
    return [
        {
            "shop_no": o.shop_no,
            "order_id": o.order_id,
            "refund_code": _claim_code(o, "C"),
            "currency": shop.currency_code,
            "order_date": kst(o.timeline["order_date"]),
            "accepted_refund_date": kst(accepted),
            "refund_date": kst(done),
            "order_item_code": _item_codes(o),
            "quantity": sum(line.quantity for line in o.lines),
            "actual_refund_amount": value,
            "refund_amount": value,
            "status": "T",
            "payment_methods": [o.payment_method],
            "refund_payment_methods": [o.payment_method],
            "include_tax": "T",
            "cancel_fee_amount": None,
        }
    ]


# The embeds GET /orders takes (items … exchange) and the three only GET /orders/{order_id} adds.
order_embeds: dict[str, Callable[[Order, MallContext, float], object]] = {
    "items": items,
    "receivers": receivers,
    "buyer": lambda o, ctx, now: buyer(o, ctx),
    "return": return_,
    "cancellation": cancellation,
    "exchange": exchange,
    "benefits": benefits,
    "coupons": coupons,
    "refunds": refunds,
}
LIST_EMBEDS: frozenset[str] = frozenset({"items", "receivers", "buyer", "return", "cancellation", "exchange"})
