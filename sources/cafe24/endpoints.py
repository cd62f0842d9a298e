"""The Admin endpoints the source loads, described as data: path, key, limits, and how each is sliced."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from . import settings
from .tables import Child

Slicing = Literal["shops", "offset", "updated_keyset", "order_sweep", "created_cursor"]


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


ENDPOINTS: tuple[Endpoint, ...] = (
    # Small: loaded whole every run and merged.
    Endpoint("shops", "/shops", "shops", ("mall_id", "shop_no"), "mall.read_store", "shops", per_shop=False),
    Endpoint("categories", "/categories", "categories", ("mall_id", "shop_no", "category_no"), "mall.read_category",
             "offset", settings.CATEGORIES_LIMIT, settings.CATEGORIES_OFFSET_MAX),
    # updated_date window, walked by since_product_no (no offset, so no cap); variants embedded.
    Endpoint("products", "/products", "products", ("mall_id", "shop_no", "product_no"), "mall.read_product",
             "updated_keyset", settings.PRODUCTS_LIMIT, settings.PRODUCTS_OFFSET_MAX, params={"embed": "variants"},
             children=(Child("variants", "product_variants", ("variant_code",)),), deletable=True),
    # No updated filter: every date_type swept from its own cursor, windows split under the offset cap.
    Endpoint("orders", "/orders", "orders", ("mall_id", "shop_no", "order_id"), "mall.read_order", "order_sweep",
             settings.ORDERS_LIMIT, settings.ORDERS_OFFSET_MAX, params={"embed": "items,receivers,buyer"},
             children=(Child("items", "order_items", ("order_item_code",)),
                       # shipping_code is empty until the order ships
                       Child("receivers", "order_receivers", ("receiver_no",), position="receiver_no"))),
    # New members by join time (no offset cap); a periodic walk from the start catches profile changes.
    Endpoint("customers", "/customersprivacy", "customersprivacy", ("mall_id", "shop_no", "member_id"),
             "mall.read_privacy", "created_cursor", settings.CUSTOMERS_LIMIT, deletable=True),
    # What shoppers see: displayed products only, with the Admin products' parameters except display.
    Endpoint("front_products", "/products", "products", ("mall_id", "shop_no", "product_no"), "mall.read_product",
             "updated_keyset", settings.PRODUCTS_LIMIT, settings.PRODUCTS_OFFSET_MAX, api="front"),
)

BY_TABLE = {e.table: e for e in ENDPOINTS}
PARENT_OF = {c.table: e.table for e in ENDPOINTS for c in e.children}  # child table -> its parent's table
# The key of every table the Admin source writes; a child's is its parent's key and its own.
KEYS = {**{e.table: e.primary_key for e in ENDPOINTS},
        **{c.table: (*e.primary_key, *c.key) for e in ENDPOINTS for c in e.children}}
DELETABLE = tuple(e.table for e in ENDPOINTS if e.deletable)
# Declared on every deletable table (fields.py): false whenever the source loads a row, true once it has gone.
DELETED, DELETED_AT = "_cafe24_deleted", "_cafe24_deleted_at"
# What `auth` asks for: the Admin tables' scopes and no more (the Front API needs none).
SCOPES = tuple(dict.fromkeys(e.scope for e in ENDPOINTS if e.api == "admin"))
