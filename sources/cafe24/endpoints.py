"""The Admin endpoints the source loads, described as data: path, key, limits, and how each is sliced."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from . import settings
from .tables import Child

Slicing = Literal["shops", "offset", "updated_keyset", "order_sweep", "created_cursor"]


@dataclass(frozen=True)
class Details:
    """Lists only a row's detail call embeds, loaded as child tables like the list call's: one call per row, so
    they load only when the source option `option` is on. `path` takes the row's key (e.g. {order_id});
    `data_key` is the detail's response key."""

    path: str  # under /api/v2/admin
    data_key: str
    option: str
    children: tuple[Child, ...]
    embedded: bool = True  # the children are embeds to ask for (?embed=); False: fields the detail always returns
    # a child's field that is an object keyed by code, not a list: each entry a row (name of the key, of the value)
    entries: dict[str, tuple[str, str]] = field(default_factory=dict)
    # a child's column named like a column of the parent's key, renamed: {field: {column: new name}}
    renamed: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def embed(self) -> str:
        return ",".join(c.field for c in self.children)


@dataclass(frozen=True)
class Endpoint:
    table: str
    path: str  # under /api/v2/admin
    data_key: str
    primary_key: tuple[str, ...]
    scope: str
    slicing: Slicing
    limit: int = 100
    offset_max: int = 0
    per_shop: bool = True
    params: dict[str, str] = field(default_factory=dict)
    api: Literal["admin", "front"] = "admin"  # front: the public storefront API, client id only, no grant
    children: tuple[Child, ...] = ()  # embedded lists loaded as tables of their own, keyed by the parent's key
    # Rows can vanish from the API without a trace (no flag, no deleted list): a reconciliation walks the keys and
    # marks the rows that went (pipelines/deletions.py). Orders cannot be deleted; categories and shops reload whole.
    deletable: bool = False
    details: Details | None = None  # opt-in: a detail call per row for the lists the list call cannot embed

    @property
    def all_children(self) -> tuple[Child, ...]:
        """Every child table of the endpoint: the list call's embeds and lists, and the detail call's."""
        return self.children + (self.details.children if self.details else ())


ENDPOINTS: tuple[Endpoint, ...] = (
    # Small: loaded whole every run and merged.
    Endpoint("shops", "/shops", "shops", ("mall_id", "shop_no"), "mall.read_store", "shops", per_shop=False),
    Endpoint(
        "categories",
        "/categories",
        "categories",
        ("mall_id", "shop_no", "category_no"),
        "mall.read_category",
        "offset",
        settings.CATEGORIES_LIMIT,
        settings.CATEGORIES_OFFSET_MAX,
    ),
    # updated_date window, walked by since_product_no (no offset, so no cap); variants embedded.
    Endpoint(
        "products",
        "/products",
        "products",
        ("mall_id", "shop_no", "product_no"),
        "mall.read_product",
        "updated_keyset",
        settings.PRODUCTS_LIMIT,
        settings.PRODUCTS_OFFSET_MAX,
        params={"embed": "variants"},
        children=(Child("variants", "product_variants", ("variant_code",)),),
        deletable=True,
        # fields the list call never returns (docs/cafe24-reference.md#products: some come only from the detail)
        details=Details(
            "/products/{product_no}",
            "product",
            "product_details",
            (
                # a bracket has no key of its own: a row is its place in the product's list
                Child("shipping_rates", "product_shipping_rates", ("shipping_rate_no",), position="shipping_rate_no"),
                Child("relational_product", "product_relations", ("related_product_no",)),
                Child("country_hscode", "product_country_hscodes", ("country_code",)),
            ),
            embedded=False,
            entries={"country_hscode": ("country_code", "hscode")},
            renamed={"relational_product": {"product_no": "related_product_no"}},
        ),
    ),
    # No updated filter: every date_type swept from its own cursor, windows split under the offset cap.
    # Every embed the list call offers (docs/cafe24-reference.md#orders); benefits, coupons and refunds are
    # the detail call's only, one call per order, so they load only with order_details on.
    Endpoint(
        "orders",
        "/orders",
        "orders",
        ("mall_id", "shop_no", "order_id"),
        "mall.read_order",
        "order_sweep",
        settings.ORDERS_LIMIT,
        settings.ORDERS_OFFSET_MAX,
        params={"embed": "items,receivers,buyer,cancellation,return,exchange"},
        children=(
            Child(
                "items",
                "order_items",
                ("order_item_code",),
                children=(
                    # the items' lists have no key of their own either
                    Child("product_bundle_list", "order_item_bundle_parts", ("part_no",), position="part_no"),
                    Child(
                        "additional_option_values",
                        "order_item_additional_options",
                        ("additional_option_no",),
                        position="additional_option_no",
                    ),
                    Child("multi_invoice", "order_item_invoices", ("invoice_no",), position="invoice_no"),
                ),
            ),
            # shipping_code is empty until the order ships
            Child("receivers", "order_receivers", ("receiver_no",), position="receiver_no"),
            Child("cancellation", "order_cancellations", ("claim_code",)),
            Child("return", "order_returns", ("claim_code",)),
            Child("exchange", "order_exchanges", ("claim_code",)),
            # the lists below have no key of their own: a row is its place in the order's list
            Child("tax_detail", "order_tax_details", ("tax_detail_no",), position="tax_detail_no"),
            Child("regional_surcharge_detail", "order_regional_surcharges", ("surcharge_no",), position="surcharge_no"),
            Child(
                "additional_order_info_list",
                "order_additional_info",
                ("additional_info_no",),
                position="additional_info_no",
            ),
            Child("service_data", "order_service_data", ("service_data_no",), position="service_data_no"),
        ),
        details=Details(
            "/orders/{order_id}",
            "order",
            "order_details",
            (
                # a row names one item (order_item_code), so a benefit or coupon can repeat: a row is its place
                Child("benefits", "order_benefits", ("benefit_line_no",), position="benefit_line_no"),
                Child("coupons", "order_coupons", ("coupon_line_no",), position="coupon_line_no"),
                Child("refunds", "order_refunds", ("refund_code",)),
            ),
        ),
    ),
    # New members by join time (no offset cap); a periodic walk from the start catches profile changes.
    Endpoint(
        "customers",
        "/customersprivacy",
        "customersprivacy",
        ("mall_id", "shop_no", "member_id"),
        "mall.read_privacy",
        "created_cursor",
        settings.CUSTOMERS_LIMIT,
        deletable=True,
    ),
    # What shoppers see: displayed products only, with the Admin products' parameters except display.
    Endpoint(
        "front_products",
        "/products",
        "products",
        ("mall_id", "shop_no", "product_no"),
        "mall.read_product",
        "updated_keyset",
        settings.PRODUCTS_LIMIT,
        settings.PRODUCTS_OFFSET_MAX,
        api="front",
    ),
)


def descendants(children: tuple[Child, ...], key: tuple[str, ...]) -> Iterator[tuple[Child, tuple[str, ...]]]:
    """Every child table below a parent keyed by `key`, children's children included, each with its whole key."""
    for child in children:
        yield child, (*key, *child.key)
        yield from descendants(child.children, (*key, *child.key))


BY_TABLE = {e.table: e for e in ENDPOINTS}
# child table -> the endpoint's table it loads with (an item's bundle parts load with, and are replaced with, the order)
PARENT_OF = {c.table: e.table for e in ENDPOINTS for c, _ in descendants(e.all_children, e.primary_key)}
# The key of every table the Admin source writes; a child's is its parent's key and its own.
KEYS = {
    **{e.table: e.primary_key for e in ENDPOINTS},
    **{c.table: key for e in ENDPOINTS for c, key in descendants(e.all_children, e.primary_key)},
}
# The child tables only an opt-in detail call fills (Endpoint.details): a default run writes none of them.
DETAIL_TABLES = tuple(c.table for e in ENDPOINTS if e.details for c, _ in descendants(e.details.children, ()))
DELETABLE = tuple(e.table for e in ENDPOINTS if e.deletable)
# Declared on every deletable table (fields.py): false whenever the source loads a row, true once it has gone.
DELETED, DELETED_AT = "_cafe24_deleted", "_cafe24_deleted_at"
# What `auth` asks for: the Admin tables' scopes and no more (the Front API needs none).
SCOPES = tuple(dict.fromkeys(e.scope for e in ENDPOINTS if e.api == "admin"))
