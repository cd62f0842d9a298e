"""The catalog renderers produce objects shaped like Cafe24's example responses.

Shapes come from tests/fixtures/cafe24_examples (the examples README's "Shapes to reproduce"); attribute lists from
sandbox/reference/catalog_properties.json (the Korean chapters' property-list tables).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sandbox
from sandbox.models import Category, MallContext, Product, Shop
from sandbox.render import catalog

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "cafe24_examples"
PROPERTIES = json.loads((Path(sandbox.__file__).parent / "reference" / "catalog_properties.json").read_text("utf-8"))

MONEY_FIELDS = {"price", "retail_price", "supply_price", "price_excluding_tax"}
# products.md documents these as null under automatic tax or shipping calculation (tax_calculation /
# shipping_calculation A), so a null is right even where the example prints a value.
DOCUMENTED_NULLS = {
    "margin_rate",
    "product_tax_type_text",
    "shipping_fee_by_product",
    "shipping_fee_type",
    "shipping_method",
    "prepaid_shipping_fee",
    "shipping_period",
    "shipping_scope",
    "shipping_area",
    "shipping_rates",
}
BACK_OFFICE_FIELDS = {
    "supply_price",
    "margin_rate",
    "internal_product_name",
    "supply_product_name",
    "buy_member_id_list",
    "buy_group_list",
    "supplier_code",
    "approve_status",
}


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def json_type(value: object) -> str:
    for kind, name in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str"), (list, "list"), (dict, "dict")):
        if isinstance(value, kind):
            return name
    assert value is None, f"not a JSON value: {value!r}"
    return "null"


def assert_shaped_like(rendered: dict, key_example: dict, type_examples: list[dict]) -> None:
    """rendered has every key of key_example; each shared key has a JSON type some example shows for it.

    A null in an example matches anything; money may be a string or a number (the examples print both).
    """
    missing = set(key_example) - set(rendered)
    assert not missing, f"keys missing from the render: {sorted(missing)}"
    for key, value in rendered.items():
        seen = {json_type(ex[key]) for ex in type_examples if key in ex}
        if not seen or "null" in seen:
            continue
        if key in MONEY_FIELDS:
            seen |= {"str", "int", "float"}
        if key in DOCUMENTED_NULLS:
            seen.add("null")
        assert json_type(value) in seen, f"{key}: rendered {json_type(value)}, examples show {sorted(seen)}"


# --- hand-built records ----------------------------------------------------------------------------------------


def make_product(product_no: int, n_variants: int = 6, option_names: tuple[str, ...] = ("색상", "사이즈")) -> Product:
    return Product(
        product_no=product_no,
        product_code=f"P{product_no:07d}",
        name="오버핏 데님 자켓",
        eng_name="Overfit Denim Jacket",
        created=1_700_000_000 + product_no * 3600,
        updated=1_710_000_000 + product_no * 60,
        price=59000,
        retail_price=79000,
        supply_price=30000,
        display=True,
        selling=True,
        category_nos=(27, 28, 99),  # 99: a category that no longer exists
        n_variants=n_variants,
        option_names=option_names if n_variants > 1 else (),
    )


ORDINARY = make_product(24)  # 24 % 17 != 0: string money
NUMERIC_MONEY = make_product(34)  # 34 % 17 == 0: numeric money, no price_excluding_tax
NO_OPTIONS = make_product(52, n_variants=1)
BIG = make_product(120, n_variants=120)
# A spread of products, so shapes are checked across many random draws, not one lucky product.
SPREAD = [make_product(n, n_variants=(1, 2, 4, 6, 12)[n % 5]) for n in range(200, 320)]


@pytest.fixture(scope="module")
def ctx() -> MallContext:
    shops = {
        1: Shop(1, "샌드박스몰", "KRW", "ko_KR", "Asia/Seoul", True, True, 1.0),
        2: Shop(2, "Sandbox Mall USA", "USD", "en_US", "America/Los_Angeles", False, True, 0.00075),
    }
    categories = {
        27: Category(27, 1, 1, "아우터", (27,), ("아우터",), 1, True, True),
        28: Category(28, 2, 27, "자켓", (27, 28), ("아우터", "자켓"), 1, True, False),
        30: Category(30, 3, 28, "데님자켓", (27, 28, 30), ("아우터", "자켓", "데님자켓"), 2, True, False),
        40: Category(40, 4, 30, "크롭", (27, 28, 30, 40), ("아우터", "자켓", "데님자켓", "크롭"), 3, False, False),
    }
    products = {p.product_no: p for p in (ORDINARY, NUMERIC_MONEY, NO_OPTIONS, BIG, *SPREAD)}
    return MallContext("sandboxmall", 24, shops, categories, products, {})


# --- (a) shapes ------------------------------------------------------------------------------------------------


def test_product_list_object_has_the_list_example_keys_and_types(ctx: MallContext) -> None:
    """docs/cafe24-reference.md#products (list fields; products[0] of the list example)."""
    listed = example("admin_products_list.json")["products"]
    detail = example("admin_products_detail.json")["product"]
    for p in ctx.products.values():
        if p.product_no % 17:
            for shop_no in (1, 2):
                assert_shaped_like(catalog.product(p, ctx, shop_no, detail=False), listed[0], [*listed, detail])


def test_product_detail_object_has_the_detail_example_keys_and_types(ctx: MallContext) -> None:
    """docs/cafe24-reference.md#products (a detail call returns more fields, e.g. additional_image)."""
    listed = example("admin_products_list.json")["products"]
    detail = example("admin_products_detail.json")["product"]
    for p in ctx.products.values():
        if p.product_no % 17:
            rendered = catalog.product(p, ctx, 1, detail=True)
            assert_shaped_like(rendered, detail, [*listed, detail])
            assert isinstance(rendered["additional_image"], list)


def test_list_render_leaves_out_detail_only_fields(ctx: MallContext) -> None:
    """docs/cafe24-reference.md#products ("additional_image ... 특정 상품 상세 조회 API에서만")."""
    rendered = catalog.product(ORDINARY, ctx, 1, detail=False)
    for key in ("description", "mobile_description", "additional_image", "category"):
        assert key not in rendered


def test_some_products_carry_numeric_money_without_price_excluding_tax(ctx: MallContext) -> None:
    """docs/cafe24-reference.md#products note: the examples mix string and numeric prices (products[1])."""
    listed = example("admin_products_list.json")["products"]
    detail = example("admin_products_detail.json")["product"]
    for p in ctx.products.values():
        if p.product_no % 17 == 0:
            assert_shaped_like(catalog.product(p, ctx, 1, detail=False), listed[1], [*listed, detail])
    rendered = catalog.product(NUMERIC_MONEY, ctx, 1, detail=False)
    assert "price_excluding_tax" not in rendered
    assert rendered["price"] == 59000 and rendered["supply_price"] == 30000
    ordinary = catalog.product(ORDINARY, ctx, 1, detail=False)
    assert ordinary["price"] == "59000.00" and "price_excluding_tax" in ordinary


def test_prices_are_converted_to_the_shop_currency(ctx: MallContext) -> None:
    """docs/cafe24-reference.md#multi-shop (shop_no selects a shop with its own currency)."""
    rendered = catalog.product(ORDINARY, ctx, 2, detail=False)
    assert rendered["shop_no"] == 2
    assert rendered["price"] == "44.25"  # 59000 KRW × 0.00075


def test_product_category_list_and_option_flags_follow_the_record(ctx: MallContext) -> None:
    """docs/cafe24-reference.md#products (detail `category`, `has_option`, `option_type`)."""
    rendered = catalog.product(ORDINARY, ctx, 1, detail=True)
    assert [c["category_no"] for c in rendered["category"]] == [27, 28]
    assert rendered["has_option"] == "T"
    assert catalog.product(NO_OPTIONS, ctx, 1, detail=True)["has_option"] == "F"


def test_variant_has_the_variants_example_keys_and_types(ctx: MallContext) -> None:
    """docs/cafe24-reference.md#variants."""
    listed = example("admin_products_variants_list.json")["variants"]
    detail = example("admin_products_variants_detail.json")["variant"]
    for p in ctx.products.values():
        for index in range(p.n_variants):
            assert_shaped_like(catalog.variant(p, index, ctx, 1), listed[0], [*listed, detail])


def test_variant_codes_and_options_come_from_the_record(ctx: MallContext) -> None:
    """docs/cafe24-reference.md#variants (variant_code: 12 chars)."""
    rendered = catalog.variant(ORDINARY, 2, ctx, 1)
    assert rendered["variant_code"] == ORDINARY.variant_code(2) and len(rendered["variant_code"]) == 12
    assert [o["name"] for o in rendered["options"]] == ["색상", "사이즈"]
    assert catalog.variant(NO_OPTIONS, 0, ctx, 1)["options"] == []


def test_inventory_has_the_inventories_example_keys_and_types(ctx: MallContext) -> None:
    """docs/cafe24-reference.md#inventories."""
    inventory = example("admin_products_variants_inventories.json")["inventory"]
    for index in range(ORDINARY.n_variants):
        assert_shaped_like(catalog.inventory(ORDINARY, index, ctx, 1), inventory, [inventory])


def test_inventory_and_embedded_inventories_agree_with_the_variant_stock(ctx: MallContext) -> None:
    """docs/cafe24-reference.md#inventories (also reachable as embed=inventories on the variants list)."""
    for index in range(ORDINARY.n_variants):
        variant = catalog.variant(ORDINARY, index, ctx, 1, with_inventories=True)
        inventory = catalog.inventory(ORDINARY, index, ctx, 1)
        assert variant["inventories"] == [inventory]
        for key in ("quantity", "safety_inventory", "use_inventory", "display_soldout"):
            assert variant[key] == inventory[key]


def test_category_list_and_detail_have_the_example_keys_and_types(ctx: MallContext) -> None:
    """docs/cafe24-reference.md#categories (full_category_name/_no keyed "1".."4", numbers as strings)."""
    listed = example("admin_categories_list.json")["categories"]
    detail = example("admin_categories_detail.json")["category"]
    top = catalog.category(ctx.categories[27], ctx, 1, detail=False)
    assert_shaped_like(top, listed[0], [*listed, detail])
    assert top["full_category_no"] == {"1": "27", "2": None, "3": None, "4": None}
    deep = catalog.category(ctx.categories[40], ctx, 1, detail=True)
    assert_shaped_like(deep, detail, [*listed, detail])
    assert deep["full_category_no"] == {"1": "27", "2": "28", "3": "30", "4": "40"}
    assert deep["full_category_name"]["4"] == "크롭"


def test_shop_list_and_detail_have_the_example_keys_and_types(ctx: MallContext) -> None:
    """docs/cafe24-reference.md#multi-shop (GET /api/v2/admin/shops; detail: null skins, no unit fields)."""
    listed = example("admin_shops_list.json")["shops"]
    detail = example("admin_shops_detail.json")["shop"]
    for s in ctx.shops.values():
        assert_shaped_like(catalog.shop(s, ctx, detail=False), listed[0], listed)
        rendered = catalog.shop(s, ctx, detail=True)
        assert_shaped_like(rendered, detail, [detail])
        assert rendered["pc_skin_no"] is None and "unit_system" not in rendered and "weight_unit" not in rendered
    assert catalog.shop(ctx.shops[2], ctx, detail=False)["timezone"] == "America/Los_Angeles"


def test_front_product_is_the_storefront_subset(ctx: MallContext) -> None:
    """docs/cafe24-reference.md#front-api (GET /api/v2/products)."""
    admin = catalog.product(ORDINARY, ctx, 1, detail=True)
    front = catalog.front_product(ORDINARY, ctx, 1)
    assert not BACK_OFFICE_FIELDS & set(front)
    for key in ("shop_no", "product_no", "product_name", "price", "display", "selling", "category", "updated_date"):
        assert front[key] == admin[key]


def test_key_order_follows_the_examples(ctx: MallContext) -> None:
    """docs/cafe24-reference.md#products, #categories, #multi-shop (examples keep the key order)."""
    products = example("admin_products_list.json")["products"]
    categories = example("admin_categories_list.json")["categories"]
    category_detail = example("admin_categories_detail.json")["category"]
    pairs = [
        (catalog.product(ORDINARY, ctx, 1, detail=False), products[0]),
        (catalog.product(NUMERIC_MONEY, ctx, 1, detail=False), products[1]),
        (catalog.category(ctx.categories[27], ctx, 1, detail=False), categories[0]),
        (catalog.category(ctx.categories[40], ctx, 1, detail=True), category_detail),
        (catalog.shop(ctx.shops[1], ctx, detail=False), example("admin_shops_list.json")["shops"][0]),
        (catalog.shop(ctx.shops[1], ctx, detail=True), example("admin_shops_detail.json")["shop"]),
        (catalog.inventory(ORDINARY, 0, ctx, 1), example("admin_products_variants_inventories.json")["inventory"]),
    ]
    for rendered, printed in pairs:
        assert [k for k in rendered if k in printed] == list(printed)
    detail = catalog.product(ORDINARY, ctx, 1, detail=True)
    assert [k for k in detail if k != "additional_image"] == list(example("admin_products_detail.json")["product"])


# --- (b) property coverage -------------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", ["products", "variants", "inventories", "categories"])
def test_renders_carry_at_least_90_percent_of_the_property_list(ctx: MallContext, resource: str) -> None:
    """docs/cafe24-reference.md#products, #variants, #inventories, #categories (the chapters' property-list tables)."""
    rendered = {
        "products": lambda: catalog.product(ORDINARY, ctx, 1, detail=True),
        "variants": lambda: catalog.variant(ORDINARY, 0, ctx, 1),
        "inventories": lambda: catalog.inventory(ORDINARY, 0, ctx, 1),
        "categories": lambda: catalog.category(ctx.categories[27], ctx, 1, detail=False),
    }[resource]()
    documented = PROPERTIES[resource]
    covered = [name for name in documented if name in rendered]
    assert len(covered) / len(documented) >= 0.9, sorted(set(documented) - set(covered))


# --- (c) determinism -------------------------------------------------------------------------------------------


def render_everything(ctx: MallContext) -> str:
    out = {
        "list": [catalog.product(p, ctx, 1, detail=False) for p in ctx.products.values()],
        "detail": [catalog.product(p, ctx, 2, detail=True) for p in ctx.products.values()],
        "front": [catalog.front_product(p, ctx, 1) for p in ctx.products.values()],
        "variants": [catalog.variant(ORDINARY, i, ctx, 1, with_inventories=True) for i in range(6)],
        "inventories": [catalog.inventory(ORDINARY, i, ctx, 1) for i in range(6)],
        "embeds": {name: embed(ORDINARY, ctx, 1) for name, embed in catalog.product_embeds.items()},
        "categories": [catalog.category(c, ctx, 1, detail=d) for c in ctx.categories.values() for d in (False, True)],
        "shops": [catalog.shop(s, ctx, detail=d) for s in ctx.shops.values() for d in (False, True)],
    }
    return json.dumps(out, ensure_ascii=False)  # also proves every render is plain JSON


def test_rendering_twice_gives_the_same_objects(ctx: MallContext) -> None:
    """docs/cafe24-reference.md#products (paging relies on stable rows)."""
    assert render_everything(ctx) == render_everything(ctx)


def test_a_new_product_version_may_change_details_but_not_facts(ctx: MallContext) -> None:
    """docs/cafe24-reference.md#products (updated_date moves with an edit)."""
    edited = make_product(24)
    edited.version, edited.updated = 1, ORDINARY.updated + 60
    before = catalog.product(ORDINARY, ctx, 1, detail=True)
    after = catalog.product(edited, ctx, 1, detail=True)
    assert after["updated_date"] != before["updated_date"]
    for key in ("product_no", "product_code", "product_name", "price", "created_date"):
        assert after[key] == before[key]


# --- (d) many variants -----------------------------------------------------------------------------------------


def test_120_variants_have_distinct_codes_and_option_combinations(ctx: MallContext) -> None:
    """docs/cafe24-reference.md#variants (variant_code unique within the mall)."""
    variants = [catalog.variant(BIG, i, ctx, 1) for i in range(BIG.n_variants)]
    assert len({v["variant_code"] for v in variants}) == 120
    assert len({tuple((o["name"], o["value"]) for o in v["options"]) for v in variants}) == 120


def test_single_option_products_with_many_variants_stay_distinct(ctx: MallContext) -> None:
    """docs/cafe24-reference.md#variants (more variants than one option's values)."""
    p = make_product(77, n_variants=60, option_names=("색상",))
    values = [catalog.variant(p, i, ctx, 1)["options"][0]["value"] for i in range(60)]
    assert len(set(values)) == 60


# --- embeds ----------------------------------------------------------------------------------------------------


def test_list_embeds_render_for_every_documented_name(ctx: MallContext) -> None:
    """docs/cafe24-reference.md#products (Embeds (list) and (detail), variants and inventories aside)."""
    assert set(catalog.product_embeds) == {
        "memos",
        "seo",
        "tags",
        "custom_properties",
        "options",
        "discountprice",
        "decorationimages",
        "benefits",
        "additionalimages",
        "hits",
        "channeldiscountprices",
    }
    options = catalog.product_embeds["options"](ORDINARY, ctx, 1)
    assert [o["option_name"] for o in options["options"]] == ["색상", "사이즈"]
    variant_values = {o["value"] for i in range(6) for o in catalog.variant(ORDINARY, i, ctx, 1)["options"]}
    assert variant_values <= {v["option_text"] for o in options["options"] for v in o["option_value"]}
