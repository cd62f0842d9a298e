"""D.Collection: the partner feed of shops and products across many Cafe24 stores
(docs/cafe24-reference.md#dcollection).

Basic auth with the app's client id and secret; at most `dcollection_per_minute` calls per client in any
60 seconds (gate.DCollectionPolicy enforces both). Date filters take date-only bounds (the reference types them
"날짜", storeproducts says yyyy-mm-dd), and the sandbox refuses a time part. Shops and products are edited as the
sandbox clock passes while live.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .clock import kst
from .config import SandboxConfig
from .errors import invalid
from .params import Query, refuse_unevaluated
from .store import ADJECTIVES, COLORS, ENGLISH, MATERIALS, SIZES, _draws

DAY = 86400
PAGE = dict(default_limit=10, max_limit=100, max_offset=5000)
CATEGORY_MAX = 10  # small categories of one middle category per call
LANGUAGES = (("ko_KR", "KRW"), ("en_US", "USD"), ("ja_JP", "JPY"), ("zh_CN", "USD"), ("zh_TW", "USD"), ("vi_VN", "USD"))
KINDS = ("티셔츠", "니트", "백팩", "머그컵")  # what the generated products are
GRADES = ("black", "purple", "green", "orange")
AGES = ("teenager", "twenties", "thirties", "forties", "etc")
REGIONS = ("서울", "경기", "부산", "대구", "인천", "광주", "대전", "울산", "제주", "UNKNOWN")
STANDARD_TAGS = {
    "color": ("black", "white", "gray", "navy", "beige", "red", "blue"),
    "size": ("XS", "S", "M", "L", "XL", "FREE"),
    "material": ("cotton", "linen", "wool", "leather", "denim"),
    "season": ("spring", "summer", "fall", "winter"),
}

SHOP_FILTERS = (
    "dcollection_store_category",
    "shop_name",
    "store_id",
    "shop_no",
    "shop_currency_code",
    "shop_language",
    "shop_grade",
    "shop_popular_age",
    "shop_sex",
    "shop_region",
    "shop_tags",
    "use_cafe24pay",
    "use_naverpay",
    "use_EMS",
    "social_logins",
    "shipping_fee_type",
    "benefits",
    "global_payment_type",
    "created_start_date",
    "created_end_date",
)
SHOP_FILTERS_EVALUATED = (
    "store_id",
    "shop_no",
    "shop_currency_code",
    "shop_language",
    "dcollection_store_category",
    "created_start_date",
    "created_end_date",
)
PRODUCT_FILTERS = (
    "dcollection_product_category",
    "product_ukey",
    "shop_name",
    "store_id",
    "shop_no",
    "shop_grade",
    "shop_language",
    "shop_currency_code",
    "product_name",
    "product_no",
    "product_status_type",
    "price_min",
    "price_max",
    "is_pc_discount",
    "is_mobile_discount",
    "pc_discount_price_min",
    "pc_discount_price_max",
    "mobile_discount_price_min",
    "mobile_discount_price_max",
    "pc_discount_rate_min",
    "pc_discount_rate_max",
    "mobile_discount_rate_min",
    "mobile_discount_rate_max",
    "is_free_shipping",
    "is_international_shipping",
    "international_shipping_country",
    "is_free_gift",
    "is_coupon_discount",
    "review_count_min",
    "review_count_max",
    "review_score_min",
    "review_score_max",
    "brand_name",
    "product_standard_tags",
    "product_popular_age",
    "created_start_date",
    "created_end_date",
    "updated_start_date",
    "updated_end_date",
)
PRODUCT_FILTERS_EVALUATED = (
    "dcollection_product_category",
    "product_ukey",
    "store_id",
    "shop_no",
    "product_no",
    "shop_language",
    "shop_currency_code",
    "created_start_date",
    "created_end_date",
    "updated_start_date",
    "updated_end_date",
)
PRODUCT_SORTS = (
    "mobile_discount_price",
    "pc_discount_price",
    "mobile_discount_rate",
    "pc_discount_rate",
    "price",
    "created_date",
    "product_name",
    "review_count",
    "review_score",
    "hits_count",
    "popularity_score",
)


@dataclass(slots=True)
class DShop:
    store_id: str
    shop_no: int
    name: str
    language: str
    currency: str
    store_category: tuple[str, str]
    grade: str
    created: int
    updated: int


@dataclass(slots=True)
class DProduct:
    shop: DShop
    product_no: int
    category: tuple[str, str, str]
    name: str
    price: int
    created: int
    updated: int
    version: int = 0

    @property
    def ukey(self) -> str:
        return f"{self.shop.store_id}_{self.shop.shop_no}_{self.product_no}"


class Catalog:
    """Every store D.Collection exposes, generated from the seed on first use."""

    def __init__(self, config: SandboxConfig, anchor: float) -> None:
        self.config = config
        self.anchor = int(anchor)
        self.edits_per_hour = 0.0
        self.lock = threading.RLock()
        self._ready = False
        self.shops: list[DShop] = []
        self.products: list[DProduct] = []
        self.simulated_until = self.anchor

    def _rng(self, *parts: object) -> random.Random:
        return random.Random(f"{self.config.seed}|dcollection|" + "|".join(map(str, parts)))

    def categories(self) -> list[tuple[str, str, str]]:
        """Standard product categories: 4 large, 3 middle each, 4 small each, as C-codes."""
        return [
            (f"C{a}00000", f"C{a}{b}0000", f"C{a}{b}{c}000")
            for a in range(1, 5)
            for b in range(1, 4)
            for c in range(1, 5)
        ]

    def ensure(self, now: float) -> None:
        with self.lock:
            if not self._ready:
                self._generate()
                self._ready = True
            self._catch_up(now)

    def _generate(self) -> None:
        rng = self._rng("catalog")
        categories = self.categories()
        start = self.anchor - 700 * DAY
        for s in range(self.config.dcollection_stores):
            store_id = f"dcstore{s + 1:02d}"
            for shop_no in range(1, rng.choice((1, 1, 2, 3)) + 1):
                language, currency = LANGUAGES[0] if shop_no == 1 else rng.choice(LANGUAGES[1:])
                created = int(rng.uniform(start, self.anchor - 200 * DAY))
                shop = DShop(
                    store_id,
                    shop_no,
                    f"{store_id} {language}",
                    language,
                    currency,
                    (f"D{rng.randint(1, 3)}00000", f"D{rng.randint(1, 3)}{rng.randint(1, 5)}0000"),
                    rng.choice(GRADES),
                    created,
                    int(rng.uniform(created, self.anchor - DAY)),
                )
                self.shops.append(shop)
                big = s == 0 and shop_no == 1
                count = self.config.dcollection_big_shop_products if big else rng.randint(20, 300)
                # The big shop sells in few categories, so one category of one shop alone passes the offset cap.
                own = categories[:2] if big else rng.sample(categories, 6)
                for i in range(count):
                    made = int(rng.uniform(created, self.anchor - DAY))
                    k = rng.randrange(len(ADJECTIVES))
                    self.products.append(
                        DProduct(
                            shop,
                            100 + i,
                            own[i % len(own)] if big else rng.choice(own),
                            f"{ADJECTIVES[k]} {rng.choice(MATERIALS)} {rng.choice(KINDS)}",
                            rng.choice((9900, 19800, 29000, 45000, 89000)),
                            made,
                            int(min(self.anchor - 60, made + rng.expovariate(1 / (30 * DAY)))),
                        )
                    )

    def _catch_up(self, now: float) -> None:
        last = int(now) // 60 - 1  # only minutes that have fully passed
        minute = self.simulated_until // 60 + 1
        if self.edits_per_hour > 0:
            while minute <= last:
                rng = self._rng("live", minute)
                for _ in range(_draws(rng, self.edits_per_hour / 60)):
                    at = minute * 60 + rng.randrange(60)
                    if rng.random() < 0.1:
                        shop = rng.choice(self.shops)
                        shop.updated = max(shop.updated, at)
                    else:
                        product = rng.choice(self.products)
                        product.updated = max(product.updated, at)
                        product.version += 1
                        product.price = int(product.price * rng.choice((0.9, 1.1)) // 100 * 100)
                minute += 1
        self.simulated_until = max(self.simulated_until, last * 60)


def _dates(q: Query, start: str, end: str) -> tuple[float, float] | None:
    for name in (start, end):
        raw = q.str(name)
        if raw is not None and len(raw) != 10:
            raise invalid(name, "must be a date, yyyy-mm-dd")
    return q.date_range(start, end)


def render_shop(shop: DShop) -> dict[str, Any]:
    rng = random.Random(f"dshop|{shop.store_id}|{shop.shop_no}")
    return {
        "dcollection_store_category": {"depth1": shop.store_category[0], "depth2": shop.store_category[1]},
        "store_id": shop.store_id,
        "shop_name": shop.name,
        # The official example prints shop_no as 4 in one row and "2" in another; the sandbox keeps that
        # quirk for multi-shop rows so loaders must coerce.
        "shop_no": shop.shop_no if shop.shop_no == 1 else str(shop.shop_no),
        "shop_url": f"https://{shop.store_id}.cafe24.com" + ("" if shop.shop_no == 1 else f"/shop{shop.shop_no}"),
        "shop_currency_code": shop.currency,
        "shop_language": shop.language,
        "shop_grade": shop.grade,
        "shop_popular_age": rng.choice(AGES),
        "shop_sex": rng.choice(("F", "M")),
        "shop_region": rng.choice(REGIONS),
        "social_logins": rng.sample(("facebook", "kakao", "naver", "line", "google", "apple"), rng.randint(0, 3)),
        "use_cafe24pay": rng.random() < 0.4,
        "use_naverpay": rng.random() < 0.6,
        "use_EMS": rng.random() < 0.2,
        "shipping_fee_type": rng.choice(("T", "R", "M", "D", "W", "C", "N", "F")),
        "benefits": rng.sample(("DP", "DR", "DQ", "DM", "DN", "DV", "PG", "PB"), rng.randint(0, 2)),
        "global_payment_type": rng.sample(("AX", "EX", "PP", "CG", "EY", "PW"), rng.randint(0, 2)),
        "created_date": kst(shop.created),
        "updated_date": kst(shop.updated),
    }


def render_product(p: DProduct, *, with_tags: bool = True) -> dict[str, Any]:
    rng = random.Random(f"dproduct|{p.ukey}|{p.version}")
    shop = p.shop
    discount = rng.choice((0, 0, 0, 5, 10, 20))
    sale = p.price * (100 - discount) // 100
    host = f"{shop.store_id}.cafe24.com"
    image = f"{host}/web/product/{{size}}/202401/{rng.getrandbits(128):032x}.jpg"
    row: dict[str, Any] = {
        "dcollection_product_category": {"depth1": p.category[0], "depth2": p.category[1], "depth3": p.category[2]},
        "product_ukey": p.ukey,
        "shop_name": shop.name,
        "store_id": shop.store_id,
        "shop_no": shop.shop_no,
        "shop_grade": shop.grade,
        "shop_language": shop.language,
        "shop_currency_code": shop.currency,
        "product_name": p.name,
        "product_no": p.product_no,
        "product_code": f"P{p.product_no:07d}",
        "product_url": f"{host}/product/detail.html?product_no={p.product_no}&utm_source=dcollection_gmp",
        "product_status_type": rng.choice(("N", "N", "N", "R", "U", "E")),
        "price": f"{p.price:.2f}",
        "pc_discount_price": f"{sale:.2f}",
        "mobile_discount_price": f"{sale:.2f}",
        "is_pc_discount": discount > 0,
        "is_mobile_discount": discount > 0,
        "pc_discount_rate": discount,
        "mobile_discount_rate": discount,
        "is_free_shipping": p.price >= 50000,
        "is_international_shipping": rng.random() < 0.2,
        "international_shipping_country": rng.sample(("US", "JP", "CN", "MO", "KZ", "VN"), rng.randint(0, 2)),
        "is_free_gift": rng.random() < 0.1,
        "is_coupon_discount": rng.random() < 0.3,
        "product_options": [
            {"option_name": "색상", "option_value": rng.sample(COLORS, 2)},
            {"option_name": "사이즈", "option_value": rng.sample(SIZES, 3)},
        ][: rng.randint(0, 2)],
        "brand_name": rng.choice(("Self-branding", "자체제작", ENGLISH[rng.randrange(len(ENGLISH))])),
        "product_standard_tags": [
            {"standard_tags_key": key, "standard_tags_values": rng.choice(values)}
            for key, values in list(STANDARD_TAGS.items())[: rng.randint(0, 3)]
        ],
        "product_popular_age": rng.choice(AGES),
        "detail_image": image.format(size="big"),
        "list_image": image.format(size="medium"),
        "tiny_image": image.format(size="tiny"),
        "small_image": image.format(size="small"),
        "review_count": rng.choice((0, 0, 3, 12, 48, 230)),
        # The examples print review_score as a number in /products and as a string in /storeproducts.
        "review_score": rng.choice((0, 4, 4.5, 5)),
        "hits_count": rng.randint(0, 5000),
        "expiration_date": None,
        "created_date": kst(p.created),
        "updated_date": kst(p.updated),
    }
    if not with_tags:
        del row["product_standard_tags"]
        row["review_score"] = f"{row['review_score']:.1f}"
    return row


def _shops(catalog: Catalog, q: Query) -> list[DShop]:
    refuse_unevaluated(q, SHOP_FILTERS, SHOP_FILTERS_EVALUATED)
    stores = set(q.comma("store_id") or [])
    numbers = set(q.comma_ints("shop_no", max_items=3) or [])
    languages, currencies = q.str("shop_language"), q.str("shop_currency_code")
    category = q.str("dcollection_store_category")
    created = _dates(q, "created_start_date", "created_end_date")
    return [
        s
        for s in catalog.shops
        if (not stores or s.store_id in stores)
        and (not numbers or s.shop_no in numbers)
        and (languages is None or s.language == languages)
        and (currencies is None or s.currency == currencies)
        and (category is None or category in s.store_category)
        and (created is None or created[0] <= s.created <= created[1])
    ]


def list_shops(catalog: Catalog, params: dict[str, str]) -> dict:
    q = Query(params, SHOP_FILTERS + ("limit", "offset", "sort", "order"))
    limit, offset = q.page(**PAGE)
    found = _shops(catalog, q)
    sort = q.choice("sort", ("created_date", "shop_name"))
    if sort:
        found.sort(
            key=lambda s: (s.created, s.name) if sort == "created_date" else (s.name, s.created),
            reverse=q.choice("order", ("asc", "desc")) == "desc",
        )
    return {"shops": [render_shop(s) for s in found[offset : offset + limit]]}


def _product_categories(q: Query, required: bool) -> set[str] | None:
    """The required category: one middle category, or up to 10 small categories of the same middle one."""
    codes = q.comma("dcollection_product_category", max_items=CATEGORY_MAX + 1)
    if not codes:
        if required:
            raise invalid("dcollection_product_category", "is required")
        return None
    small = [c for c in codes if c.endswith("000") and not c.endswith("0000")]
    if small:  # with both kinds, only the small categories count
        if len(small) > CATEGORY_MAX:
            raise invalid("dcollection_product_category", f"at most {CATEGORY_MAX} small categories")
        if len({c[:3] for c in small}) > 1:
            raise invalid("dcollection_product_category", "small categories must share one middle category")
        return set(small)
    if len(codes) > 1:
        raise invalid("dcollection_product_category", "only one middle category per call")
    return set(codes)


def _products(catalog: Catalog, q: Query, *, category_required: bool) -> list[DProduct]:
    refuse_unevaluated(q, PRODUCT_FILTERS, PRODUCT_FILTERS_EVALUATED)
    categories = _product_categories(q, category_required)
    ukeys = set(q.comma("product_ukey") or [])
    if ukeys:
        for name in ("store_id", "shop_no", "product_no"):
            if q.has(name):
                raise invalid(name, "cannot be combined with product_ukey")
    stores = set(q.comma("store_id") or [])
    numbers = set(q.comma_ints("shop_no", max_items=3) or [])
    product_nos = set(q.comma_ints("product_no", max_items=3) or [])
    language, currency = q.str("shop_language"), q.str("shop_currency_code")
    created = _dates(q, "created_start_date", "created_end_date")
    updated = _dates(q, "updated_start_date", "updated_end_date")
    return [
        p
        for p in catalog.products
        if (categories is None or p.category[1] in categories or p.category[2] in categories)
        and (not ukeys or p.ukey in ukeys)
        and (not stores or p.shop.store_id in stores)
        and (not numbers or p.shop.shop_no in numbers)
        and (not product_nos or p.product_no in product_nos)
        and (language is None or p.shop.language == language)
        and (currency is None or p.shop.currency == currency)
        and (created is None or created[0] <= p.created <= created[1])
        and (updated is None or updated[0] <= p.updated <= updated[1])
    ]


def _sorted(q: Query, found: list[DProduct]) -> list[DProduct]:
    sort = q.choice("sort", PRODUCT_SORTS)
    if sort is None:
        return found
    keys: dict[str, Callable[[DProduct], Any]] = {"created_date": lambda p: p.created, "product_name": lambda p: p.name}
    found.sort(key=keys.get(sort, lambda p: p.price), reverse=q.choice("order", ("asc", "desc")) == "desc")
    return found


def list_products(catalog: Catalog, params: dict[str, str]) -> dict:
    q = Query(params, PRODUCT_FILTERS + ("limit", "offset", "sort", "order"))
    limit, offset = q.page(**PAGE)
    found = _sorted(q, _products(catalog, q, category_required=True))
    return {"products": [render_product(p) for p in found[offset : offset + limit]]}


def count_products(catalog: Catalog, params: dict[str, str]) -> dict:
    q = Query(params, PRODUCT_FILTERS)
    return {"count": len(_products(catalog, q, category_required=True))}


def list_store_products(catalog: Catalog, params: dict[str, str]) -> dict:
    """Every product of the named stores, no category needed: the way to a complete feed."""
    allowed = tuple(
        n
        for n in PRODUCT_FILTERS
        if n
        not in ("dcollection_product_category", "product_ukey", "product_standard_tags", "shop_grade", "product_no")
    )
    q = Query(params, allowed + ("limit", "offset", "sort", "order"))
    if not q.comma("store_id"):
        raise invalid("store_id", "is required")
    limit, offset = q.page(**PAGE)
    found = _sorted(q, _products(catalog, q, category_required=False))
    return {"store_products": [render_product(p, with_tags=False) for p in found[offset : offset + limit]]}


def list_standard_tags(catalog: Catalog, params: dict[str, str]) -> dict:
    q = Query(params, ("limit", "offset"))
    limit, offset = q.page(**PAGE)
    tags = [{"standard_tag_key": k, "standard_tag_values": list(v)} for k, v in STANDARD_TAGS.items()]
    return {"standardtags": tags[offset : offset + limit]}
