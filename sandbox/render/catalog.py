"""Catalog responses (products, variants, inventories, categories, shops) rendered from the compact records.

Every function is a pure function of (record, ctx, shop_no): the same record and mall render the same object on
every call, so paging, retries and detail-vs-list calls agree with each other. Key sets, key order and value types
follow the example responses in tests/fixtures/cafe24_examples; anything an example leaves open (the embeds, the
Front API product) is a small documented choice.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable
from functools import lru_cache
from math import ceil, prod
from typing import NamedTuple

from sandbox.clock import kst, kst_date, kst_wall
from sandbox.models import Category, MallContext, Product, Shop

# ---------------------------------------------------------------------------------------------------------------
# Data tables (values as a Korean store shows them)
# ---------------------------------------------------------------------------------------------------------------

COLORS: tuple[str, ...] = (
    "블랙", "화이트", "아이보리", "베이지", "라이트그레이", "그레이", "차콜", "네이비", "블루", "스카이블루",
    "민트", "그린", "카키", "올리브", "옐로우", "머스타드", "오렌지", "코랄", "레드", "와인",
    "핑크", "라벤더", "퍼플", "브라운", "카멜", "실버", "골드",
)  # fmt: skip
SIZES: tuple[str, ...] = ("XS", "S", "M", "L", "XL", "XXL", "FREE")
OPTION_VALUES: dict[str, tuple[str, ...]] = {
    "색상": COLORS,
    "컬러": COLORS,
    "사이즈": SIZES,
    "용량": ("50ml", "100ml", "150ml", "200ml", "300ml", "500ml", "1L"),
    "맛": ("오리지널", "초코", "딸기", "바닐라", "녹차", "말차", "커피", "얼그레이"),
    "수량": ("1개", "2개", "3개", "5개", "10개"),
    "구성": ("단품", "2개입", "3개입", "4개입", "세트"),
    "소재": ("면", "린넨", "폴리", "울", "캐시미어"),
}
GENERIC_OPTION_VALUES: tuple[str, ...] = tuple(f"{c}타입" for c in "ABCDEFGHIJKL")

SUMMARIES: tuple[str, ...] = (
    "데일리로 활용하기 좋은 기본 아이템",
    "가볍고 편안한 착용감",
    "선물용으로 추천하는 인기 상품",
    "한정 수량 특가 상품",
    "재구매율 높은 베스트셀러",
    "",
)
TAG_WORDS: tuple[str, ...] = ("신상", "베스트", "특가", "무료배송", "선물추천", "데일리", "한정판")
MATERIALS: tuple[tuple[str, str | None, str | None], ...] = (  # (product_material, english_..., cloth_fabric)
    ("", None, None),
    ("면 100%", "Cotton 100%", "woven"),
    ("폴리에스터 65%, 면 35%", "Polyester 65%, Cotton 35%", "knit"),
    ("울 50%, 아크릴 50%", "Wool 50%, Acrylic 50%", "knit"),
    ("스테인리스 스틸", None, None),
)
CLEARANCE: tuple[tuple[str, str, str], ...] = (  # (eng, kor, code)
    ("Necklaces", "주얼리 > 목걸이", "ACAB0000"),
    ("T-shirts", "의류 > 티셔츠", "ACAA0000"),
    ("Cosmetics", "화장품 > 기초화장품", "ADAA0000"),
)
# Per clearance category, the HS codes the destination countries of the overseas shops use (country_hscode).
COUNTRY_HSCODES: dict[str, dict[str, str]] = {
    "ACAB0000": {"JPN": "711319000", "CHN": "71131190"},
    "ACAA0000": {"JPN": "610910000", "CHN": "61091000"},
    "ADAA0000": {"JPN": "330499000", "CHN": "33049900"},
}
ORIGINS: tuple[tuple[str, int, str, str], ...] = (  # (origin_classification, origin_place_no, made_in_code, value)
    ("F", 1798, "KR", ""),
    ("F", 1798, "KR", ""),
    ("T", 1802, "CN", ""),
    ("T", 1845, "VN", ""),
    ("E", 1800, "", "상세설명 참조"),
)
BRAND_CODES: tuple[str, ...] = ("B0000000", "B0000000", "B000000A", "B000000B", "B000000C")
INFO_TEXTS: dict[str, str] = {
    "payment_info": "<p>무통장 입금은 주문 후 3일 이내에 입금해 주세요. 기간 내 미입금 시 자동 취소됩니다.</p>",
    "shipping_info": "<p>결제 확인 후 1~3일 이내 출고됩니다. 도서산간 지역은 추가 배송비가 있습니다.</p>",
    "exchange_info": "<p>상품 수령 후 7일 이내 교환/반품 신청이 가능합니다.</p>",
    "service_info": "<p>고객센터 운영시간: 평일 10:00~17:00 (점심 12:00~13:00)</p>",
}
SHIPPING_FEE_TYPES: tuple[str, ...] = ("R", "M", "D", "W", "C", "N")
SHIPPING_AREAS: tuple[str, ...] = ("전국", "전국 (제주/도서산간 추가요금)", "서울/경기")
BENEFIT_TYPES: tuple[tuple[str, str, str], ...] = (  # (benefit_division, benefit_type, benefit_name)
    ("D", "DP", "기간 할인"),
    ("D", "DN", "신상품 할인"),
    ("D", "DM", "회원 할인"),
    ("P", "PG", "사은품 증정"),
)
SALES_CHANNELS: tuple[str, ...] = ("유튜브 쇼핑", "인스타그램 쇼핑", "네이버 쇼핑")

LANGUAGE_NAMES: dict[str, str] = {
    "ko_KR": "Korean",
    "en_US": "English",
    "ja_JP": "Japanese",
    "zh_CN": "Chinese (Simplified)",
    "zh_TW": "Chinese (Traditional)",
    "vi_VN": "Vietnamese",
}
CURRENCY_NAMES: dict[str, str] = {
    "KRW": "South Korean Won (KRW)",
    "USD": "United States Dollar (USD)",
    "JPY": "Japanese Yen (JPY)",
    "CNY": "Chinese Yuan (CNY)",
    "TWD": "New Taiwan Dollar (TWD)",
    "VND": "Vietnamese Dong (VND)",
    "EUR": "Euro (EUR)",
}
TIMEZONE_NAMES: dict[str, str] = {
    "Asia/Seoul": "(UTC+09:00) Seoul",
    "America/Los_Angeles": "(UTC-08:00) Pacific Time (US & Canada)",
    "America/New_York": "(UTC-05:00) Eastern Time (US & Canada)",
    "Asia/Tokyo": "(UTC+09:00) Osaka, Sapporo, Tokyo",
    "Asia/Shanghai": "(UTC+08:00) Beijing, Chongqing, Hong Kong, Urumqi",
    "Asia/Taipei": "(UTC+08:00) Taipei",
    "Asia/Ho_Chi_Minh": "(UTC+07:00) Bangkok, Hanoi, Jakarta",
}
ZERO_DECIMAL_CURRENCIES: frozenset[str] = frozenset({"KRW", "JPY", "VND", "TWD"})

# Key order of the product detail example (admin_products_detail.json) plus the detail-only `additional_image`.
DETAIL_ORDER: tuple[str, ...] = (
    "shop_no", "product_no", "category", "project_no", "product_code", "custom_product_code", "product_name",
    "eng_product_name", "supply_product_name", "internal_product_name", "model_name", "price_excluding_tax",
    "price", "retail_price", "supply_price", "display", "description", "mobile_description",
    "separated_mobile_description", "payment_info", "shipping_info", "exchange_info", "service_info",
    "product_tax_type_text", "set_product_type", "country_hscode", "selling", "product_condition",
    "product_used_month", "simple_description", "summary_description", "product_tag", "margin_rate",
    "tax_calculation", "tax_type", "tax_rate", "price_content", "buy_limit_by_product", "buy_limit_type",
    "repurchase_restriction", "buy_group_list", "buy_member_id_list", "single_purchase_restriction",
    "single_purchase", "buy_unit_type", "buy_unit", "order_quantity_limit_type", "minimum_quantity",
    "maximum_quantity", "points_by_product", "points_setting_by_payment", "points_amount",
    "except_member_points", "product_volume", "adult_certification", "detail_image", "list_image", "tiny_image",
    "small_image", "has_option", "soldout_message", "option_type", "use_naverpay", "naverpay_type",
    "use_kakaopay", "manufacturer_code", "trend_code", "brand_code", "supplier_code", "made_date",
    "release_date", "expiration_date", "origin_classification", "origin_place_no", "origin_place_value",
    "made_in_code", "icon_show_period", "icon", "hscode", "product_weight", "product_material",
    "shipping_calculation", "shipping_fee_by_product", "shipping_method", "prepaid_shipping_fee",
    "shipping_period", "shipping_scope", "shipping_area", "shipping_fee_type", "shipping_rates", "created_date",
    "updated_date", "english_product_material", "clearance_category_eng", "clearance_category_kor",
    "clearance_category_code", "product_shipping_type", "cloth_fabric", "origin_place_code", "list_icon",
    "additional_information", "image_upload_type", "additional_image", "classification_code", "main",
    "relational_product", "select_one_by_option", "approve_status", "sold_out", "additional_price",
    "translated_additional_description", "translated_description", "exposure_limit_type", "exposure_group_list",
    "market_sync", "cultural_tax_deduction", "size_guide", "payment_info_by_product", "service_info_by_product",
    "shipping_info_by_product", "exchange_info_by_product",
)  # fmt: skip

# The Front API (storefront) product. The Front reference's response schema was not available, so this is a chosen
# subset of the admin detail object: what a shopper may see, without back-office fields (supply price and supplier
# names, margin, internal name, purchase restrictions by member, approval, customs and market-sync settings).
FRONT_FIELDS: tuple[str, ...] = (
    "shop_no", "product_no", "category", "product_code", "custom_product_code", "product_name",
    "eng_product_name", "model_name", "price_excluding_tax", "price", "retail_price", "display", "selling",
    "description", "mobile_description", "separated_mobile_description", "payment_info", "shipping_info",
    "exchange_info", "service_info", "product_tax_type_text", "set_product_type", "product_condition",
    "product_used_month", "simple_description", "summary_description", "product_tag", "tax_type", "price_content",
    "buy_unit_type", "buy_unit", "order_quantity_limit_type", "minimum_quantity", "maximum_quantity",
    "adult_certification", "detail_image", "list_image", "tiny_image", "small_image", "has_option",
    "soldout_message", "option_type", "manufacturer_code", "trend_code", "brand_code", "made_date", "release_date",
    "expiration_date", "origin_classification", "origin_place_no", "origin_place_value", "made_in_code",
    "icon_show_period", "icon", "product_weight", "product_material", "shipping_fee_type", "shipping_period",
    "shipping_area", "created_date", "updated_date", "english_product_material", "cloth_fabric", "list_icon",
    "additional_information", "additional_image", "main", "relational_product", "sold_out", "size_guide",
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Money and small helpers
# ---------------------------------------------------------------------------------------------------------------


def _amount(krw: float, shop: Shop) -> float:
    """A KRW amount in the shop's currency, rounded the way that currency is quoted."""
    value = krw * shop.exchange_rate
    return float(round(value)) if shop.currency_code in ZERO_DECIMAL_CURRENCIES else round(value, 2)


def _money(krw: float, shop: Shop) -> str:
    """The usual Admin API money form: a decimal string with two places ("1100.00")."""
    return f"{_amount(krw, shop):.2f}"


def _money_number(krw: float, shop: Shop) -> int | float:
    """The odd money form some example rows use: a bare JSON number (1000, or 8.25)."""
    value = _amount(krw, shop)
    return int(value) if value.is_integer() else value


def _tf(flag: bool) -> str:
    """The API's T/F flag strings."""
    return "T" if flag else "F"


def _numeric_money(p: Product) -> bool:
    """The examples' quirk: a few rows carry numbers for money and drop price_excluding_tax (products[1])."""
    return p.product_no % 17 == 0


def _image_dir(p: Product, ctx: MallContext) -> str:
    """The product's image folder, with a {size} slot (big, medium, tiny, small, extra/...), by upload month."""
    wall = kst_wall(p.created)
    month = f"{wall.tm_year}{wall.tm_mon:02d}"
    return f"https://{ctx.mall_id}.cafe24.com/web/product/{{size}}/{month}"


def _all_sold_out(p: Product, ctx: MallContext) -> bool:
    """About one product in 20 has every variant at zero stock. A hash, not an rng: each variant asks for it."""
    return zlib.crc32(f"{ctx.seed}|{ctx.mall_id}|soldout|{p.product_no}|{p.version}".encode()) % 20 == 0


# ---------------------------------------------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------------------------------------------


class _ProductDraw(NamedTuple):
    """Every random choice about one product, drawn once so the list and detail renders agree."""

    tax_auto: bool
    tax_type: str
    shipping_auto: bool
    shipping_by_product: bool
    shipping_fee_type: str
    condition: str
    used_month: int
    summary: str
    simple: str
    custom_code: bool
    model: bool
    price_content: str | None
    buy_limited: bool
    max_quantity: int
    points_by_product: bool
    points_rate: int
    volume: tuple[int, int, int] | None
    naverpay: bool
    kakaopay: bool
    brand_code: str
    release_days: int | None
    expiration: bool
    origin: tuple[str, int, str, str]
    icon: bool
    material: tuple[str, str | None, str | None]
    weight: int
    list_icon: tuple[bool, bool, bool]
    clearance: tuple[str, str, str] | None
    members_only: bool
    main: tuple[int, ...]
    size_guide: str | None
    image_hash: str
    # detail-only
    category_flags: int
    separated_mobile: bool
    tag_count: int
    option_list_type: str
    shipping_period: tuple[int, int]
    prepaid: str
    shipping_area: str
    n_additional_images: int
    n_relational: int
    info_by_product: int
    extra_info: bool


def _draw_product(p: Product, ctx: MallContext) -> _ProductDraw:
    """One rng per product version, drawn in a fixed order: an edit (new version) may reshuffle the details."""
    r = ctx.rng("product", p.product_no, p.version)
    bits = r.getrandbits(64)  # one draw feeds the 50/50-ish flags below

    def bit(i: int) -> bool:
        return bool(bits >> i & 1)

    condition = "N" if r.random() < 0.85 else r.choice("URBEFS")
    tax_auto = r.random() < 0.2
    tax_type = r.choices("ABC", (90, 8, 2))[0]
    return _ProductDraw(
        tax_auto=tax_auto,
        # documented: automatic calculation reports a zero-rated (C) product as taxable (A)
        tax_type="A" if tax_auto and tax_type == "C" else tax_type,
        shipping_auto=bit(0),
        shipping_by_product=bit(1) and bit(2),
        shipping_fee_type=r.choice(SHIPPING_FEE_TYPES),
        condition=condition,
        used_month=r.randint(1, 24) if condition == "U" else 0,
        summary=r.choice(SUMMARIES),
        simple=r.choice(SUMMARIES),
        custom_code=bit(3),
        model=bit(4) and bit(5),
        price_content="가격문의" if r.random() < 0.03 else None,
        buy_limited=r.random() < 0.1,
        max_quantity=r.choice((0, 0, 0, 5, 10)),
        points_by_product=r.random() < 0.2,
        points_rate=r.choice((1, 2, 3, 5)),
        volume=(r.randint(5, 60), r.randint(5, 60), r.randint(2, 30)) if bit(6) and bit(7) else None,
        naverpay=bit(8),
        kakaopay=bit(9),
        brand_code=r.choice(BRAND_CODES),
        release_days=r.randint(0, 90) if bit(10) and bit(11) else None,
        expiration=r.random() < 0.05,
        origin=r.choice(ORIGINS),
        icon=bit(12) and bit(13),
        material=r.choice(MATERIALS),
        weight=r.choice((10, 20, 50, 100, 300, 500, 1000, 2500)),
        list_icon=(bit(14), bit(15), bit(16)),
        clearance=r.choice(CLEARANCE) if bit(17) else None,
        members_only=r.random() < 0.05,
        main=r.choice(((), (), (2,), (3,), (3, 2))),
        size_guide=r.choice((None, None, "Male", "Female", "Kids")),
        image_hash=f"{r.getrandbits(128):032x}",
        category_flags=r.getrandbits(16),
        separated_mobile=bit(18),
        tag_count=r.randint(0, 4),
        option_list_type=r.choice("CS"),
        shipping_period=(r.randint(1, 3), r.randint(4, 10)),
        prepaid=r.choice("PPB"),
        shipping_area=r.choice(SHIPPING_AREAS),
        n_additional_images=r.randint(0, 4),
        n_relational=r.randint(0, 3),
        info_by_product=r.getrandbits(4),
        extra_info=bit(19),
    )


def _price_excluding_tax(p: Product, d: _ProductDraw, shop: Shop) -> str:
    """Price net of VAT; only taxable (A) products carry VAT (tax_rate 10)."""
    return _money(p.price / 1.1 if d.tax_type == "A" else p.price, shop)


def _margin_rate(p: Product, d: _ProductDraw) -> str | None:
    """Solves price = supply + supply × margin + additional amount for margin; null under automatic tax."""
    if d.tax_auto:
        return None
    rate = (p.price - p.supply_price) / p.supply_price * 100 if p.supply_price else 0.0
    return f"{max(-999.99, min(999.99, rate)):.2f}"


def _list_fields(p: Product, ctx: MallContext, shop: Shop, d: _ProductDraw) -> dict:
    """The fields a list call returns, in the list example's key order."""
    images = _image_dir(p, ctx)
    numeric = _numeric_money(p)
    money = _money_number if numeric else _money
    origin_class, origin_no, made_in, origin_value = d.origin
    material, eng_material, fabric = d.material
    created_day = p.created // 86400 * 86400
    out = {
        "shop_no": shop.shop_no,
        "product_no": p.product_no,
        "product_code": p.product_code,
        "custom_product_code": f"SKU-{p.product_no:06d}" if d.custom_code else "",
        "product_name": p.name,
        "eng_product_name": p.eng_name,
        "supply_product_name": "",
        "internal_product_name": p.name[:50] if d.custom_code else "",
        "model_name": f"MD-{p.product_code[-4:]}" if d.model else "",
        "price_excluding_tax": _price_excluding_tax(p, d, shop),
        "price": money(p.price, shop),
        "retail_price": money(p.retail_price, shop),
        "supply_price": money(p.supply_price, shop),
        "display": _tf(p.display),
        "selling": _tf(p.selling),
        "product_condition": d.condition,
        "product_used_month": d.used_month,
        "summary_description": d.summary,
        "margin_rate": _margin_rate(p, d),
        "tax_calculation": "A" if d.tax_auto else "M",
        "tax_type": d.tax_type,
        "tax_rate": 10 if d.tax_type == "A" else 0,
        "price_content": d.price_content,
        "buy_limit_by_product": _tf(d.buy_limited),
        "buy_limit_type": "M" if d.buy_limited else "F",
        "buy_group_list": [],
        "buy_member_id_list": [],
        "repurchase_restriction": "F",
        "single_purchase_restriction": "F",
        "single_purchase": "F",
        "buy_unit_type": "O",
        "buy_unit": 1,
        "order_quantity_limit_type": "O",
        "minimum_quantity": 1,
        "maximum_quantity": d.max_quantity,
        "points_by_product": _tf(d.points_by_product),
        "points_setting_by_payment": "C" if d.points_by_product else "B",
        "points_amount": (
            [
                {"payment_method": "cash", "points_rate": f"{d.points_rate:.2f}%"},
                {"payment_method": "mileage", "points_rate": "0.00%"},
            ]
            if d.points_by_product
            else []
        ),
        "except_member_points": "F",
        "product_volume": (
            {
                "use_product_volume": "T",
                "product_width": f"{d.volume[0]}cm",
                "product_height": f"{d.volume[1]}cm",
                "product_length": f"{d.volume[2]}cm",
            }
            if d.volume
            else {"use_product_volume": "F", "product_width": "", "product_height": "", "product_length": ""}
        ),
        "adult_certification": "F",
        "detail_image": images.format(size="big") + f"/{d.image_hash}.jpg",
        "list_image": images.format(size="medium") + f"/{d.image_hash}.jpg",
        "tiny_image": images.format(size="tiny") + f"/{d.image_hash}.jpg",
        "small_image": images.format(size="small") + f"/{d.image_hash}.jpg",
        "use_naverpay": _tf(d.naverpay),
        "naverpay_type": "C",
        "use_kakaopay": _tf(d.kakaopay),
        "manufacturer_code": "M0000000",
        "trend_code": "T0000000",
        "brand_code": d.brand_code,
        "supplier_code": "S0000000",
        "made_date": "",
        "release_date": kst_date(created_day - d.release_days * 86400) if d.release_days is not None else "",
        "expiration_date": (
            {"start_date": kst_date(p.created), "end_date": kst_date(p.created + 365 * 86400)}
            if d.expiration
            else {"start_date": None, "end_date": None}
        ),
        "origin_classification": origin_class,
        "origin_place_no": origin_no,
        "origin_place_value": origin_value,
        "made_in_code": made_in,
        "icon_show_period": (
            {"start_date": kst(created_day), "end_date": kst(created_day + 30 * 86400 - 1)}
            if d.icon
            else {"start_date": None, "end_date": None}
        ),
        "icon": ["icon_01_01"] if d.icon else None,
        "hscode": "",
        "product_weight": f"{d.weight / 1000:.2f}",
        "product_material": material,
        "created_date": kst(p.created),
        "updated_date": kst(p.updated),
        "english_product_material": eng_material,
        "cloth_fabric": fabric,
        "list_icon": {"soldout_icon": d.list_icon[0], "recommend_icon": d.list_icon[1], "new_icon": d.list_icon[2]},
        "approve_status": "",
        "classification_code": "C000000A",
        "sold_out": _tf(_all_sold_out(p, ctx)),
        "additional_price": _money(0, shop),
        "clearance_category_eng": d.clearance[0] if d.clearance else None,
        "clearance_category_kor": d.clearance[1] if d.clearance else None,
        "clearance_category_code": d.clearance[2] if d.clearance else None,
        "exposure_limit_type": "M" if d.members_only else "A",
        "exposure_group_list": [1] if d.members_only else [],
        "set_product_type": None,
        # documented: both are null when shipping is calculated automatically (shipping_calculation A)
        "shipping_fee_by_product": None if d.shipping_auto else _tf(d.shipping_by_product),
        "shipping_fee_type": None if d.shipping_auto else (d.shipping_fee_type if d.shipping_by_product else "T"),
        "main": list(d.main),
        "market_sync": "F",
        "cultural_tax_deduction": "F",
        "size_guide": {
            "use": _tf(d.size_guide is not None),
            "type": "default",
            "default": d.size_guide,
            "description": None,
        },
    }
    if numeric:
        del out["price_excluding_tax"]
    return out


def _shipping_rates(d: _ProductDraw, shop: Shop) -> list[dict]:
    """R/N: one flat fee; M/D/W/C: two brackets (shipping_rates_min/max/fee), as the chapter describes."""
    if d.shipping_fee_type in ("R", "N"):
        return [{"shipping_fee": _money(3000, shop)}]
    step = {"W": "5.00", "C": "3.00"}.get(d.shipping_fee_type) or _money(50000, shop)  # kg, items, or amount
    return [
        {"shipping_rates_min": "0.00", "shipping_rates_max": step, "shipping_fee": _money(3000, shop)},
        {"shipping_rates_min": step, "shipping_rates_max": "9999999.00", "shipping_fee": _money(0, shop)},
    ]


def _shipping_fields(d: _ProductDraw, shop: Shop) -> dict:
    """Detail shipping settings; all null when shipping is calculated automatically (documented)."""
    if d.shipping_auto:
        return {
            "shipping_calculation": "A",
            "shipping_method": None,
            "prepaid_shipping_fee": None,
            "shipping_period": None,
            "shipping_scope": None,
            "shipping_area": None,
            "shipping_rates": None,
        }
    return {
        "shipping_calculation": "M",
        "shipping_method": "01",
        "prepaid_shipping_fee": d.prepaid,
        "shipping_period": {"minimum": d.shipping_period[0], "maximum": d.shipping_period[1]},
        "shipping_scope": "A",
        "shipping_area": d.shipping_area,
        "shipping_rates": _shipping_rates(d, shop) if d.shipping_by_product else [],
    }


def _categories_of(p: Product, ctx: MallContext, flags: int) -> list[dict]:
    """The product's categories that still exist, with its recommend/new display flags in each."""
    return [
        {"category_no": no, "recommend": _tf(bool(flags >> (2 * i) & 1)), "new": _tf(bool(flags >> (2 * i + 1) & 1))}
        for i, no in enumerate(p.category_nos)
        if no in ctx.categories
    ]


def _additional_images(p: Product, ctx: MallContext, d: _ProductDraw) -> list[dict]:
    """additional_image entries, one {big, medium, small} URL set per extra image."""
    base = _image_dir(p, ctx)
    return [
        {size: base.format(size=f"extra/{size}") + f"/{d.image_hash}_{k}.jpg" for size in ("big", "medium", "small")}
        for k in range(1, d.n_additional_images + 1)
    ]


def _detail_fields(p: Product, ctx: MallContext, shop: Shop, d: _ProductDraw) -> dict:
    """The fields only the detail call returns (the detail example's keys the list example lacks)."""
    description = (
        f'<p><img src="https://{ctx.mall_id}.cafe24.com/web/upload/NNEditor/{d.image_hash}.jpg"></p><p>{p.name}</p>'
    )
    words = [w for w in p.name.split() if len(w) > 1]
    tags = (words + list(TAG_WORDS))[: d.tag_count]
    relational = [
        {"product_no": no, "interrelated": _tf(k % 2 == 0)}
        for k, no in enumerate(range(p.product_no - 1, p.product_no - 1 - d.n_relational, -1))
        if no in ctx.products
    ]
    return {
        "category": _categories_of(p, ctx, d.category_flags),
        "project_no": [],
        "description": description,
        "mobile_description": description if d.separated_mobile else "",
        "separated_mobile_description": _tf(d.separated_mobile),
        **INFO_TEXTS,
        "product_tax_type_text": None if d.tax_auto else "(부가세 포함)",
        "country_hscode": dict(COUNTRY_HSCODES[d.clearance[2]]) if d.clearance else {},
        "simple_description": d.simple,
        "product_tag": tags,
        "has_option": _tf(p.n_variants > 1),
        "soldout_message": "품절",
        # with options: the products-table code (C 일체선택형 / S 분리선택형); without: "T", as the detail example
        "option_type": d.option_list_type if p.n_variants > 1 else "T",
        **_shipping_fields(d, shop),
        "product_shipping_type": "D",
        "origin_place_code": d.origin[1],
        "additional_information": (
            [{"key": "custom_option1", "name": "제조사", "value": "자체제작"}] if d.extra_info else []
        ),
        "image_upload_type": "A",
        "additional_image": _additional_images(p, ctx, d),
        "relational_product": relational,
        "select_one_by_option": "F",
        "translated_additional_description": "",
        "translated_description": "",
        "payment_info_by_product": _tf(bool(d.info_by_product & 1)),
        "service_info_by_product": _tf(bool(d.info_by_product & 2)),
        "shipping_info_by_product": _tf(bool(d.info_by_product & 4)),
        "exchange_info_by_product": _tf(bool(d.info_by_product & 8)),
    }


def product(p: Product, ctx: MallContext, shop_no: int, *, detail: bool) -> dict:
    """The Admin product object: list fields for list calls, plus the detail-only fields (in detail order)."""
    shop = ctx.shops[shop_no]
    d = _draw_product(p, ctx)
    fields = _list_fields(p, ctx, shop, d)
    if not detail:
        return fields
    fields.update(_detail_fields(p, ctx, shop, d))
    return {key: fields[key] for key in DETAIL_ORDER if key in fields}


def front_product(p: Product, ctx: MallContext, shop_no: int) -> dict:
    """The Front API product: the storefront subset of the admin detail object (see FRONT_FIELDS)."""
    full = product(p, ctx, shop_no, detail=True)
    return {key: full[key] for key in FRONT_FIELDS if key in full}


# ---------------------------------------------------------------------------------------------------------------
# Variants and inventories
# ---------------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def option_grid(product_no: int, n_variants: int, option_names: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """For each option name, the values this product uses; their combinations cover n_variants distinctly.

    Value counts grow evenly (6 variants of 색상×사이즈 → 3 colours × 2 sizes) from a window of each pool that
    depends on the product. If the pools cannot combine to enough variants, the first option's values repeat
    with a number ("블랙 2").
    """
    pools = [OPTION_VALUES.get(name, GENERIC_OPTION_VALUES) for name in option_names]
    counts = [1] * len(pools)
    while prod(counts) < n_variants:
        growable = [j for j, pool in enumerate(pools) if counts[j] < len(pool)]
        if not growable:
            break
        counts[min(growable, key=counts.__getitem__)] += 1
    grid = []
    for j, (pool, n) in enumerate(zip(pools, counts, strict=False)):
        start = (product_no * 7 + j * 3) % (len(pool) - n + 1)
        grid.append(pool[start : start + n])
    rounds = ceil(n_variants / prod(counts))
    if rounds > 1:
        grid[0] = tuple(v if k == 1 else f"{v} {k}" for k in range(1, rounds + 1) for v in grid[0])
    return tuple(grid)


def _variant_options(p: Product, index: int) -> list[dict]:
    """The {name, value} pairs of variant `index`; the first option varies fastest, as in the example."""
    if p.n_variants <= 1:
        return []
    names = p.option_names or ("옵션",)
    out = []
    for name, values in zip(names, option_grid(p.product_no, p.n_variants, names), strict=False):
        index, digit = divmod(index, len(values))
        out.append({"name": name, "value": values[digit]})
    return out


class _VariantDraw(NamedTuple):
    """The random facts of one variant; its stock is shared by variant() and inventory()."""

    use_inventory: bool
    important: bool
    control_type: str
    display_soldout: bool
    quantity: int
    safety_inventory: int
    display: bool
    selling: bool
    additional_krw: int
    custom_code: bool
    image_hash: str


def _draw_variant(p: Product, index: int, ctx: MallContext) -> _VariantDraw:
    """One rng per variant; the first variant of a product that is not sold out always has stock."""
    r = ctx.rng("variant", p.product_no, p.version, index)
    bits = r.getrandbits(32)
    sold_out = _all_sold_out(p, ctx)
    use_inventory = sold_out or bits & 0b11 != 0  # three in four track stock
    return _VariantDraw(
        use_inventory=use_inventory,
        important=bits >> 2 & 0b111 == 0,
        control_type="A" if bits >> 5 & 1 else "B",
        display_soldout=sold_out or bool(bits >> 6 & 0b11),
        quantity=0 if sold_out else r.randint(0 if index else 1, 120),
        safety_inventory=r.choice((0, 0, 0, 3, 5, 10)),
        display=bits >> 8 & 0b1111 != 0,
        selling=bits >> 12 & 0b1111 != 0,
        additional_krw=r.choice((0, 0, 0, 0, 1000, 2000, 5000)) if index else 0,
        custom_code=bool(bits >> 16 & 1),
        image_hash=f"{r.getrandbits(128):032x}",
    )


def _inventory_fields(v: _VariantDraw) -> dict:
    """The stock fields variants and inventories share, in the examples' order."""
    return {
        "use_inventory": _tf(v.use_inventory),
        "important_inventory": "B" if v.important else "A",
        "inventory_control_type": v.control_type,
        "display_soldout": _tf(v.display_soldout),
        "quantity": v.quantity,
        "safety_inventory": v.safety_inventory,
    }


def inventory(p: Product, index: int, ctx: MallContext, shop_no: int) -> dict:
    """The inventory object of one variant; same stock numbers as variant() shows for it."""
    return {
        "shop_no": shop_no,
        "variant_code": p.variant_code(index),
        **_inventory_fields(_draw_variant(p, index, ctx)),
        "origin_code": "W0000000",
    }


def variant(p: Product, index: int, ctx: MallContext, shop_no: int, *, with_inventories: bool = False) -> dict:
    """One variant as the variants list/detail and the product `variants` embed show it.

    `duplicated_custom_variant_code` and `product_no` are in the chapter's property list but not in the example;
    they are kept so the object carries the documented attributes. With `with_inventories` (embed=inventories) the
    variant gains `inventories`: a list holding this variant's one inventory object, the same object the
    inventories endpoint returns under `inventory`. (The reference shows no embed example; a list matches how
    the other plural embeds render.)
    """
    v = _draw_variant(p, index, ctx)
    code = p.variant_code(index)
    image_dir = _image_dir(p, ctx).format(size="medium")
    out = {
        "shop_no": shop_no,
        "variant_code": code,
        "options": _variant_options(p, index),
        "custom_variant_code": f"SKU-{p.product_no:06d}-{index + 1:03d}" if v.custom_code else "",
        "display": _tf(v.display),
        "selling": _tf(v.selling),
        "display_order": index + 1,
        "additional_amount": _money(v.additional_krw, ctx.shops[shop_no]),
        **_inventory_fields(v),
        "image": f"{image_dir}/{v.image_hash}.jpg",
        "duplicated_custom_variant_code": "F",
        "product_no": p.product_no,
    }
    if with_inventories:
        out["inventories"] = [
            {"shop_no": shop_no, "variant_code": code, **_inventory_fields(v), "origin_code": "W0000000"}
        ]
    return out


# ---------------------------------------------------------------------------------------------------------------
# Product embeds other than variants (docs/cafe24-reference.md#products: embeds). No chapter prints their
# response bodies; each is a small object built from its chapter's property list, or a documented guess.
# ---------------------------------------------------------------------------------------------------------------


def _embed_rng(name: str, p: Product, ctx: MallContext) -> random.Random:
    """Each embed draws from its own rng, so asking for one embed never changes another."""
    return ctx.rng("product-embed", name, p.product_no, p.version)


def _embed_options(p: Product, ctx: MallContext, shop_no: int) -> dict:
    """products-options property list; option values are the ones the variants combine."""
    has_option = p.n_variants > 1
    names = (p.option_names or ("옵션",)) if has_option else ()
    grid = option_grid(p.product_no, p.n_variants, names) if has_option else ()
    return {
        "shop_no": shop_no,
        "product_no": p.product_no,
        "has_option": _tf(has_option),
        "option_type": "T",
        "option_list_type": _draw_product(p, ctx).option_list_type,
        "option_preset_code": None,
        "options": [
            {
                "option_code": f"O{p.product_no % 10**6:06d}{j}",
                "option_name": name,
                "option_value": [
                    {"option_image_file": "", "option_link_image": "", "option_color": "", "option_text": value}
                    for value in values
                ],
                "required_option": "T",
                "option_display_type": "S",
            }
            for j, (name, values) in enumerate(zip(names, grid, strict=False))
        ],
        "select_one_by_option": "F",
        "option_preset_name": None,
        "use_additional_option": "F",
        "additional_options": [],
        "use_attached_file_option": "F",
        "attached_file_option": None,
    }


def _discount_krw(p: Product, ctx: MallContext) -> int:
    """Three products in ten sell 5-20% below price (rounded down to 100 won)."""
    r = _embed_rng("discountprice", p, ctx)
    if r.random() >= 0.3:
        return p.price
    return p.price * (100 - r.choice((5, 10, 15, 20))) // 100 // 100 * 100


def _embed_discountprice(p: Product, ctx: MallContext, shop_no: int) -> dict:
    """products-discountprice property list: the sale price per platform."""
    shop = ctx.shops[shop_no]
    price = _money(_discount_krw(p, ctx), shop)
    return {"pc_discount_price": price, "mobile_discount_price": price, "app_discount_price": price}


def _embed_decorationimages(p: Product, ctx: MallContext, shop_no: int) -> dict:
    """products-decorationimages property list; most products have none."""
    r = _embed_rng("decorationimages", p, ctx)
    images = (
        [
            {
                "code": "imageicon_28_02",
                "path": "https://img.echosting.cafe24.com/skin/admin_ko_KR/product/ico_thumb_recommend2.png",
                "image_horizontal_position": r.choice("LCR"),
                "image_vertical_position": r.choice("TCB"),
            }
        ]
        if r.random() < 0.15
        else []
    )
    return {
        "shop_no": shop_no,
        "use_show_date": "F",
        "show_start_date": None,
        "show_end_date": None,
        "image_list": images,
    }


def _embed_benefits(p: Product, ctx: MallContext, shop_no: int) -> list[dict]:
    """The benefits applying to the product, as short benefits-chapter objects; most products have none."""
    r = _embed_rng("benefits", p, ctx)
    if r.random() >= 0.2:
        return []
    division, kind, name = r.choice(BENEFIT_TYPES)
    start = p.created // 86400 * 86400
    return [
        {
            "shop_no": shop_no,
            "benefit_no": r.randint(1, 30),
            "use_benefit": "T",
            "benefit_name": name,
            "benefit_division": division,
            "benefit_type": kind,
            "use_benefit_period": "T",
            "benefit_start_date": kst(start),
            "benefit_end_date": kst(start + 30 * 86400 - 60),
            "platform_types": ["P", "M"],
        }
    ]


def _embed_additionalimages(p: Product, ctx: MallContext, shop_no: int) -> list[dict]:
    """The same {big, medium, small} sets the detail call returns as additional_image."""
    return _additional_images(p, ctx, _draw_product(p, ctx))


def _embed_hits(p: Product, ctx: MallContext, shop_no: int) -> int:
    """The view count (the hits chapter only has a count endpoint, so the embed is rendered as a number)."""
    return _embed_rng("hits", p, ctx).randint(0, 5000)


def _embed_channeldiscountprices(p: Product, ctx: MallContext, shop_no: int) -> list[dict]:
    """Sale price per sales channel. No property list is available; a minimal per-channel shape is chosen."""
    r = _embed_rng("channeldiscountprices", p, ctx)
    shop = ctx.shops[shop_no]
    price = _discount_krw(p, ctx)
    return [
        {"channel_name": name, "pc_discount_price": _money(price, shop), "mobile_discount_price": _money(price, shop)}
        for name in SALES_CHANNELS
        if r.random() < 0.1
    ]


def _embed_memos(p: Product, ctx: MallContext, shop_no: int) -> list[dict]:
    """Back-office notes on the product (detail-only embed); most products have none."""
    r = _embed_rng("memos", p, ctx)
    return [
        {
            "memo_no": i + 1,
            "author_id": f"{ctx.mall_id}-admin",
            "created_date": kst(p.created + (i + 1) * 3600),
            "memo": r.choice(("입고 예정일 확인 필요", "상세페이지 수정 요청", "촬영 완료")),
        }
        for i in range(r.choice((0, 0, 0, 1, 2)))
    ]


def _embed_seo(p: Product, ctx: MallContext, shop_no: int) -> dict:
    """Search-engine settings of the product (detail-only embed)."""
    return {
        "shop_no": shop_no,
        "meta_title": p.name,
        "meta_author": None,
        "meta_description": p.name,
        "meta_keywords": None,
        "meta_alt": p.name,
        "search_engine_exposure": "T",
    }


def _embed_tags(p: Product, ctx: MallContext, shop_no: int) -> dict:
    """The product's search tags (detail-only embed)."""
    return {"shop_no": shop_no, "product_no": p.product_no, "tags": p.name.split()}


def _embed_custom_properties(p: Product, ctx: MallContext, shop_no: int) -> list[dict]:
    """Merchant-defined attributes (detail-only embed); none in a plain store."""
    return []


product_embeds: dict[str, Callable[[Product, MallContext, int], object]] = {
    "memos": _embed_memos,
    "seo": _embed_seo,
    "tags": _embed_tags,
    "custom_properties": _embed_custom_properties,
    "options": _embed_options,
    "discountprice": _embed_discountprice,
    "decorationimages": _embed_decorationimages,
    "benefits": _embed_benefits,
    "additionalimages": _embed_additionalimages,
    "hits": _embed_hits,
    "channeldiscountprices": _embed_channeldiscountprices,
}


# ---------------------------------------------------------------------------------------------------------------
# Categories
# ---------------------------------------------------------------------------------------------------------------


def _by_depth(values: tuple[object, ...]) -> dict[str, object]:
    """{"1": .., "2": .., "3": .., "4": ..} with null for unused depths, as full_category_name/_no print."""
    return {str(depth): values[depth - 1] if depth <= len(values) else None for depth in range(1, 5)}


def category(c: Category, ctx: MallContext, shop_no: int, *, detail: bool) -> dict:
    """A category as the list or detail example shows it (the detail lacks root_category_no and swaps the order
    of full_category_no and full_category_name)."""
    r = ctx.rng("category", c.category_no)
    bits = r.getrandbits(16)
    full_name = _by_depth(c.path_names)
    full_no = _by_depth(tuple(str(no) for no in c.path_nos))
    head: dict[str, object] = {
        "shop_no": shop_no,
        "category_no": c.category_no,
        "category_depth": c.depth,
        "parent_category_no": c.parent_category_no,
        "category_name": c.name,
        "display_type": "A" if bits & 0b111 else "P",
    }
    if detail:
        head |= {"full_category_no": full_no, "full_category_name": full_name}
    else:
        head |= {"full_category_name": full_name, "full_category_no": full_no, "root_category_no": c.path_nos[0]}
    return head | {
        "use_main": _tf(c.use_main),
        "use_display": _tf(c.use_display),
        "display_order": c.display_order,
        "soldout_product_display": "B" if bits >> 3 & 1 else "N",
        "sub_category_product_display": _tf(bool(bits >> 4 & 1)),
        "hashtag_product_display": "F",
        "hash_tags": [],
        "product_display_scope": "A",
        "product_display_type": r.choice("AUM"),
        "product_display_key": r.choice("ARUNPSCL"),
        "product_display_sort": r.choice("DA"),
        "product_display_period": r.choice(("W", "W", "7D", "1M")),
        "normal_product_display_type": None,
        "normal_product_display_key": None,
        "normal_product_display_sort": None,
        "normal_product_display_period": None,
        "recommend_product_display_type": None,
        "recommend_product_display_key": None,
        "recommend_product_display_sort": None,
        "recommend_product_display_period": None,
        "new_product_display_type": None,
        "new_product_display_key": None,
        "new_product_display_sort": None,
        "new_product_display_period": None,
        "access_authority": "T" if bits >> 5 & 0b1111 == 0 else "F",
    }


# ---------------------------------------------------------------------------------------------------------------
# Shops
# ---------------------------------------------------------------------------------------------------------------


def shop(s: Shop, ctx: MallContext, *, detail: bool) -> dict:
    """A shop as the list or detail example shows it: the detail has null skin numbers and no unit fields."""
    base = f"{ctx.mall_id}.cafe24.com" + ("" if s.shop_no == 1 else f"/shop{s.shop_no}")
    language = s.language_code.split("_")[0]
    us = s.language_code == "en_US"
    out = {
        "shop_no": s.shop_no,
        "default": _tf(s.default),
        "shop_name": s.name,
        "business_country_code": "KR",
        "language_code": s.language_code,
        "language_name": LANGUAGE_NAMES.get(s.language_code, s.language_code),
        "currency_code": s.currency_code,
        "currency_name": CURRENCY_NAMES.get(s.currency_code, s.currency_code),
        "reference_currency_code": "",
        "reference_currency_name": None,
        "pc_skin_no": None if detail else 2 * s.shop_no - 1,
        "mobile_skin_no": None if detail else 2 * s.shop_no,
        "base_domain": base,
        "primary_domain": f"{ctx.mall_id}.co.kr" if s.shop_no == 1 else f"{language}.{ctx.mall_id}.co.kr",
        "slave_domain": [] if s.shop_no == 1 else [f"{language}.{ctx.mall_id}.com"],
        "active": _tf(s.active),
        "timezone": s.timezone,
        "timezone_name": TIMEZONE_NAMES.get(s.timezone, s.timezone),
        "date_format": "MM-DD-YYYY" if us else "YYYY-MM-DD",
        "time_format": "hh:mm:ss",
        "use_reference_currency": "F",
        "is_https_active": "T",
        "channel": "",
        "site_connect": "T",
        "use_translation": _tf(not s.default),
    }
    if not detail:
        out["unit_system"] = "imperial" if us else "metric"
        out["weight_unit"] = "lb" if us else "kg"
    return out
