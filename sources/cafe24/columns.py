"""Value coercions so every example lands in stable typed columns, whatever mix of types Cafe24 prints.

Money and rates become Decimal (the API prints "1100.00" in one row and 1000 in the next), timestamps become
timezone-aware datetimes (KST when the API omits the offset), T/F flags become booleans, numeric ids printed
as strings become integers, and empty strings in date fields become nulls.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from .fields import ColumnType

KST = timezone(timedelta(hours=9))

# Properties documented with exactly the two values "T" and "F" (the chapters' property lists). Three-state
# codes such as paid (T/F/M), canceled (T/F/M) or shipping_status stay text.
FLAGS = frozenset(
    {
        "adult_certification",
        "buy_limit_by_product",
        "display",
        "display_soldout",
        "duplicated_custom_variant_code",
        "except_member_points",
        "exchange_info_by_product",
        "first_order",
        "fixed_group",
        "gift",
        "has_option",
        "hashtag_product_display",
        "lifetime_member",
        "market_cancel_request",
        "market_sync",
        "multiple_addresses",
        "news_mail",
        "order_from_mobile",
        "payment_confirmation",
        "payment_info_by_product",
        "points_by_product",
        "postpay",
        "product_bundle",
        "repurchase_restriction",
        "select_one_by_option",
        "selling",
        "separated_mobile_description",
        "service_info_by_product",
        "shipping_fee_by_product",
        "shipping_info_by_product",
        "single_purchase_restriction",
        "sms",
        "solar_calendar",
        "sold_out",
        "store_pickup",
        "sub_category_product_display",
        "subscription",
        "thirdparty_agree",
        "use_blacklist",
        "use_display",
        "use_escrow",
        "use_inventory",
        "use_kakaopay",
        "use_main",
        "use_mobile_app",
        "use_naverpay",
    }
)
NUMERIC_SUFFIXES = (
    "price",
    "amount",
    "fee",
    "points",
    "credits",
    "commission",
    "rate",
    "score",
    "tax",
    "total_amount_due",
    "balance",
)
INTEGER_KEYS = frozenset(
    {
        "shop_no",
        "shipping_company_id",
        "product_no",
        "category_no",
        "parent_category_no",
        "group_no",
        "member_group_no",
        "item_no",
        "quantity",
    }
)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_timestamp(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace(" ", "T", 1).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=KST)


def _flag(value: Any) -> Any:
    return value == "T" if value in ("T", "F") else value


def _integer(value: Any) -> Any:
    return int(value) if isinstance(value, str) and value.lstrip("-").isdigit() else value


def _number(value: Any) -> Any:
    if isinstance(value, (int, float)) or isinstance(value, str) and _NUMBER.match(value):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return value
    return value


def _date(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if value == "":
        return None
    if _DATETIME.match(value):
        return parse_timestamp(value)
    if _DATE.match(value):
        return parse_timestamp(value + "T00:00:00")
    return value


def kind_of(key: str) -> ColumnType | None:
    """The type a property's name fixes, if it does: T/F flags, ids, money and rates, dates."""
    if key in FLAGS:
        return "bool"
    if key in INTEGER_KEYS:
        return "bigint"
    if key.endswith(NUMERIC_SUFFIXES) and not key.endswith(("_type", "_code", "_text")):
        return "decimal"
    if key.endswith("_date"):
        return "timestamp"
    return None


_COERCE: dict[ColumnType, Callable[[Any], Any]] = {
    "bool": _flag,
    "bigint": _integer,
    "decimal": _number,
    "timestamp": _date,
}


@cache
def _rule(key: str) -> Callable[[Any], Any] | None:
    """How a key's scalar values are coerced; looked up once per key name, since a page repeats the same keys."""
    kind = kind_of(key)
    return None if kind is None else _COERCE[kind]


def coerce_value(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        return coerce(value)
    if isinstance(value, list):
        return [coerce_value(key, v) for v in value]
    if value is None or value is True or value is False:
        return value
    rule = _rule(key)
    return value if rule is None else rule(value)


def coerce(row: dict[str, Any]) -> dict[str, Any]:
    """A copy of `row` with every value coerced by its key (nested objects and lists included)."""
    return {key: coerce_value(key, value) for key, value in row.items()}
