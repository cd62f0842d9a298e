"""Personal data, loaded as it is (keep), as keyed hashes (hash) or not at all (drop), so a warehouse can hold
the store's data without its customers' names, contacts, addresses, birthdays or refund accounts.

The fields are those the Admin API documents for customersprivacy (`GET /api/v2/admin/customersprivacy`), the
orders' `buyer` embed and order receivers (`GET /api/v2/admin/orders/{order_id}/buyer`, `.../receivers`), and
the refund account of orders, items and claims (the cancellation, return and exchange embeds); docs/tables.md
lists them. A hash is HMAC-SHA256 under a secret key:
the same value hashes alike in every table and run, so members still join, while a bare hash of a phone number
or an e-mail address could be reversed by trying every candidate.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Literal, get_args

import pyarrow as pa

Pii = Literal["keep", "hash", "drop"]
MODES: tuple[str, ...] = get_args(Pii)

# Per table, the columns (as flattened: the buyer embed's fields are buyer__*) that hold personal data.
PERSONAL: dict[str, tuple[str, ...]] = {
    "customers": (
        "member_id",
        "name",
        "name_english",
        "name_phonetic",
        "nick_name",
        "phone",
        "cellphone",
        "email",
        "birthday",
        "wedding_anniversary",
        "zipcode",
        "address1",
        "address2",
        "refund_bank_account_no",
        "refund_bank_account_holder",
    ),
    "orders": (
        "member_id",
        "member_email",
        "billing_name",
        "bank_account_no",
        "bank_account_owner_name",
        "buyer__member_id",
        "buyer__name",
        "buyer__names_furigana",
        "buyer__email",
        "buyer__phone",
        "buyer__cellphone",
        "buyer__user_id",
        "buyer__user_name",
        "buyer__company_registration_no",
        "buyer__buyer_zipcode",
        "buyer__buyer_address1",
        "buyer__buyer_address2",
    ),
    "order_receivers": (
        "name",
        "name_en",
        "name_furigana",
        "phone",
        "cellphone",
        "virtual_phone_no",
        "zipcode",
        "address1",
        "address2",
    ),
    "order_items": ("refund_bank_account_no", "refund_bank_account_holder"),
    # the account a claim refunds to (the cancellation, return and exchange embeds)
    **{
        table: ("refund_bank_account_no", "refund_bank_account_holder")
        for table in ("order_cancellations", "order_returns", "order_exchanges")
    },
}
# Members are joined by these (customers' key, the orders' member): with drop they are hashed, not dropped.
JOINS = frozenset({"member_id", "buyer__member_id"})


class PiiSettingError(ValueError):
    """A personal-data setting that cannot be applied as asked: loading would leave personal data in the clear
    or break the dataset, so the run stops before extracting."""


def check(mode: str, key: str | None) -> bytes | None:
    """The HMAC key for `mode`, or None for keep; a mode that hashes needs a key of at least 16 characters."""
    if mode not in MODES:
        raise PiiSettingError(f"pii = {mode!r} is not one of {', '.join(MODES)}")
    if mode == "keep":
        return None
    if not key or len(key) < 16:
        raise PiiSettingError(
            f"pii = {mode!r} needs a secret of at least 16 characters to hash with: set pii_key "
            "under [sources.cafe24] in .dlt/secrets.toml (or SOURCES__CAFE24__PII_KEY); keep it, "
            "since another key hashes the same member differently"
        )
    return key.encode()


def protect(table: str, columns: dict[str, pa.Array], mode: str, key: bytes | None) -> None:
    """Hashes or drops `table`'s personal columns in place; a blank value becomes null, as it holds nothing."""
    if key is None:
        return
    for name in PERSONAL.get(table, ()):
        if name not in columns:
            continue
        if mode == "drop" and name not in JOINS:
            del columns[name]
            continue
        values = columns[name].cast(pa.string()).to_pylist()
        columns[name] = pa.array(
            [hmac.new(key, v.encode(), hashlib.sha256).hexdigest() if v else None for v in values], pa.string()
        )


def guard(state: dict[str, Any], mode: str) -> None:
    """Records the mode a dataset is loaded with, and refuses another one: rows loaded before a change would keep
    what they hold, raw or hashed, beside rows loaded after it. A dataset loaded before the setting existed was
    loaded with keep."""
    recorded = state.get("pii") or ("keep" if state.get("resources") else None)
    if recorded is not None and recorded != mode:
        raise PiiSettingError(
            f"this dataset was loaded with pii = {recorded}; loading it with pii = {mode} would "
            "leave the rows already loaded as they are, next to rows loaded the new way. Load into "
            "a new dataset (--dataset NAME) or drop this one first"
        )
    state["pii"] = mode
