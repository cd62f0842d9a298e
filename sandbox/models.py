"""The facts of a generated store, kept compact so a mall of 100k orders stays small in memory.

Everything a response shows beyond these facts (names, addresses, flags, sub-amounts) is rendered on demand by
`sandbox.render`, deterministically from the record and the mall's seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# Order date types the orders endpoint filters on (docs/cafe24-reference.md#orders), in lifecycle order.
DATE_TYPES: tuple[str, ...] = (
    "order_date",
    "pay_date",
    "place_date",
    "shipbegin_date",
    "shipend_date",
    "purchaseconfirmation_date",
    "cancel_request_date",
    "cancel_accept_date",
    "cancel_complete_date",
    "cancel_date",
    "return_request_date",
    "return_accept_date",
    "return_complete_date",
    "exchange_request_date",
    "exchange_accept_date",
    "exchange_complete_date",
)

# The status an order shows once the named event has happened (codes from orders.md `order_status`).
STATUS_AFTER: dict[str, str] = {
    "order_date": "N00",
    "pay_date": "N10",
    "place_date": "N20",
    "shipbegin_date": "N30",
    "shipend_date": "N40",
    "purchaseconfirmation_date": "N50",
    "cancel_request_date": "C00",
    "cancel_accept_date": "C10",
    "cancel_complete_date": "C40",
    "return_request_date": "R00",
    "return_accept_date": "R10",
    "return_complete_date": "R40",
    "exchange_request_date": "E00",
    "exchange_accept_date": "E10",
    "exchange_complete_date": "E40",
}
UNPAID_CANCEL_STATUS = "C48"  # 입금전취소 - 자동취소
# Lifecycle position of each date type, which breaks ties between events in the same second (status()).
_LIFECYCLE_RANK: dict[str, int] = {name: i for i, name in enumerate(DATE_TYPES)}


@dataclass(frozen=True, slots=True)
class Shop:
    shop_no: int
    name: str
    currency_code: str
    language_code: str
    timezone: str
    default: bool
    active: bool
    exchange_rate: float  # units of this shop's currency per 1 KRW price unit, for rendering prices


@dataclass(frozen=True, slots=True)
class Category:
    category_no: int
    depth: int  # 1..4
    parent_category_no: int  # 1 for a top-level category, as the reference describes
    name: str
    path_nos: tuple[int, ...]  # from the top-level category down to this one
    path_names: tuple[str, ...]
    display_order: int
    use_display: bool
    use_main: bool


@dataclass(slots=True)
class Product:
    product_no: int
    product_code: str  # 8 chars, [A-Z0-9]
    name: str  # Korean display name
    eng_name: str
    created: int  # epoch seconds
    updated: int
    price: int  # KRW, whole won
    retail_price: int
    supply_price: int
    display: bool
    selling: bool
    category_nos: tuple[int, ...]
    n_variants: int  # 1 means the product has no options (one variant)
    option_names: tuple[str, ...]  # e.g. ("색상", "사이즈"); empty when n_variants == 1
    version: int = 0  # bumped by every edit; renderers seed their details from it

    def variant_code(self, index: int) -> str:
        """12 chars: the product code plus a 4-char variant suffix, as 'P000000R000C'."""
        return f"{self.product_code}{base36(index + 1, 4)}"


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One order item: which product and variant, how many, at what unit price (KRW)."""

    product_no: int
    variant_index: int
    quantity: int
    unit_price: int


@dataclass(slots=True)
class Order:
    order_id: str  # "YYYYMMDD-NNNNNNN"
    shop_no: int
    member_id: str | None  # None: a guest order
    lines: tuple[OrderLine, ...]
    shipping_fee: int
    discount: int
    payment_method: str  # "card", "cash", ...
    # When each lifecycle event happens (epoch seconds). Events later than the sandbox clock have not
    # happened yet, so an order's visible state moves as the clock moves.
    timeline: dict[str, int] = field(default_factory=dict)

    def visible(self, now: float) -> dict[str, int]:
        return {k: v for k, v in self.timeline.items() if v <= now}

    def status(self, now: float) -> str:
        seen = self.visible(now)
        if "cancel_date" in seen and "pay_date" not in seen:
            return UNPAID_CANCEL_STATUS
        latest = max((v, _LIFECYCLE_RANK[k], k) for k, v in seen.items() if k in STATUS_AFTER)
        return STATUS_AFTER[latest[2]]

    @property
    def items_total(self) -> int:
        return sum(line.quantity * line.unit_price for line in self.lines)


@dataclass(slots=True)
class Customer:
    member_id: str
    shop_no: int
    name: str
    created: int
    last_login: int | None
    group_no: int
    birthday: str | None  # "YYYY-MM-DD"
    gender: str | None  # "M" / "F"
    sms: bool
    news_mail: bool
    cellphone: str
    email: str


@dataclass(slots=True)
class MallContext:
    """What a renderer may look at besides the record itself."""

    mall_id: str
    seed: int
    shops: dict[int, Shop]
    categories: dict[int, Category]
    products: dict[int, Product]
    customers: dict[str, Customer]

    def rng(self, *parts: object) -> random.Random:
        """A generator seeded by (seed, mall, parts): the same record renders the same way every time."""
        return random.Random(f"{self.seed}|{self.mall_id}|" + "|".join(map(str, parts)))


def base36(n: int, width: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out.rjust(width, "0")
