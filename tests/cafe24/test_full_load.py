"""A full load of a large mall equals the sandbox's ground truth, past every offset cap (issue #3)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from sandbox.config import Limits, SandboxConfig, Volumes
from sandbox.server import SandboxServer
from tests.cafe24.helpers import bootstrap, keys, make_pipeline, query, run, source, stats, truth

MALL = "bigmall"
# Just past both offset caps: 5,300 products (5,000) and, in shop 1, about 16,900 orders in one week (15,000).
BIG = Volumes(products=5300, orders=22000, customers=600, peak_fraction=0.95, bulk_edit_fraction=0.6)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("full")
    # a fixed start: the busiest week (KST days) would otherwise move with the time of day the store is generated
    config = SandboxConfig(
        volumes=BIG, limits=Limits(drain_rate=200, bucket_size=40, max_per_second=0), start_time=1790000000
    )
    with SandboxServer(config) as server:
        grant = bootstrap(server, MALL)
        pipeline = make_pipeline(workdir)
        run(pipeline, source(server, workdir, MALL, grant["refresh_token"], shop_no=[1], start_date="2024-01-01"))
        yield server, pipeline, workdir


def test_every_product_order_member_and_category_of_the_shop_lands(loaded) -> None:
    """Every primary key of the ground truth, none extra (docs/cafe24-reference.md#products, #orders,
    #customersprivacy, #categories)."""
    server, pipeline, _ = loaded
    expected = truth(server, MALL)
    assert keys(pipeline, "products", "product_no", MALL, 1) == expected["products"]
    assert keys(pipeline, "orders", "order_id", MALL, 1) == expected["orders"]["1"]
    assert keys(pipeline, "customers", "member_id", MALL, 1) == expected["customers"]["1"]
    assert keys(pipeline, "categories", "category_no", MALL, 1) == expected["categories"]


def test_catalogue_larger_than_the_offset_cap_is_walked_by_since_product_no(loaded) -> None:
    """docs/cafe24-reference.md#products: over 5,000 products need since_product_no; offset would stop at 5,000."""
    server, pipeline, _ = loaded
    assert len(truth(server, MALL)["products"]) > 5000 + 100
    calls = stats(server)["malls"][MALL]["GET /api/v2/admin/products"]["requests"]
    assert calls >= BIG.products // 100


def test_an_orders_window_over_the_offset_cap_is_split_by_count(loaded) -> None:
    """docs/cafe24-reference.md#orders: offset stops at 15,000, so a fuller window is split,
    planned with /orders/count."""
    server, pipeline, _ = loaded
    per_day = Counter(
        day
        for (day,) in query(
            pipeline, f"select cast(order_date as date) from orders where mall_id = '{MALL}' and shop_no = 1"
        )
    )
    busiest_week = max(sum(per_day.get(d, 0) for d in list(per_day)[i : i + 7]) for i in range(len(per_day)))
    assert busiest_week > 15000 + 1000
    assert stats(server)["malls"][MALL]["GET /api/v2/admin/orders/count"]["requests"] >= 3


def test_a_product_with_more_than_100_variants_lands_with_all_of_them(loaded) -> None:
    """docs/cafe24-reference.md#variants: the embed returns 100 per product;
    the rest come from /products/{no}/variants."""
    server, pipeline, _ = loaded
    store = server.sandbox.mall(MALL)
    big = max(store.products.values(), key=lambda p: p.n_variants)
    assert big.n_variants > 100
    landed = query(
        pipeline,
        "select count(*) from product_variants v join products p "
        f"using (mall_id, shop_no, product_no) where p.mall_id = '{MALL}' and p.shop_no = 1 "
        f"and p.product_no = {big.product_no}",
    )
    assert landed == [(big.n_variants,)]
    total = query(
        pipeline,
        "select count(*) from product_variants v join products p "
        f"using (mall_id, shop_no, product_no) where p.mall_id = '{MALL}' and p.shop_no = 1",
    )
    assert total == [(sum(p.n_variants for p in store.products.values()),)]


def test_products_sharing_one_updated_second_all_land(loaded) -> None:
    """Issue #2 awkward case: many rows with the same updated_date second."""
    server, pipeline, _ = loaded
    store = server.sandbox.mall(MALL)
    second, count = Counter(p.updated for p in store.products.values()).most_common(1)[0]
    assert count >= 100
    landed = query(
        pipeline,
        f"select count(*) from products where mall_id = '{MALL}' and shop_no = 1 and epoch(updated_date) = {second}",
    )
    assert landed == [(count,)]


def test_values_land_with_the_types_analysts_want(loaded) -> None:
    """Issue #3 §5: money as decimals, timestamps with time zone, T/F flags as booleans."""
    _, pipeline, _ = loaded
    types = dict(
        query(
            pipeline,
            "select table_name || '.' || column_name, data_type from information_schema.columns"
            " where table_schema = 'cafe24_data'",
        )
    )
    assert types["products.price"].startswith("DECIMAL")
    assert types["products.updated_date"] == "TIMESTAMP WITH TIME ZONE"
    assert types["products.display"] == "BOOLEAN"
    assert types["orders.order_date"] == "TIMESTAMP WITH TIME ZONE"
    assert types["order_items.product_price"].startswith("DECIMAL")
    assert types["customers.sms"] == "BOOLEAN"
    assert not [c for c in types if "__v_" in c], "a column split into variants: mixed types landed"


def test_a_kst_timestamp_lands_as_the_same_instant(loaded) -> None:
    """docs/cafe24-reference.md#dates-and-times: dates are ISO 8601 with +09:00."""
    server, pipeline, _ = loaded
    store = server.sandbox.mall(MALL)
    product = next(iter(store.products.values()))
    landed = query(
        pipeline,
        f"select epoch(updated_date) from products where mall_id = '{MALL}' and shop_no = 1 "
        f"and product_no = {product.product_no}",
    )
    assert landed == [(product.updated,)]


def test_a_second_run_adds_no_duplicates(loaded, tmp_path: Path) -> None:
    """Issue #3 §4: merge on the compound keys, so re-runs never duplicate."""
    server, pipeline, workdir = loaded
    before = {t: query(pipeline, f"select count(*) from {t}")[0][0] for t in ("products", "orders", "customers")}
    run(pipeline, source(server, workdir, MALL, shop_no=[1], start_date="2024-01-01"))
    after = {t: query(pipeline, f"select count(*) from {t}")[0][0] for t in ("products", "orders", "customers")}
    assert after == before
    duplicates = query(
        pipeline,
        "select count(*) from (select order_id from orders group by mall_id, shop_no, order_id having count(*) > 1)",
    )
    assert duplicates == [(0,)]
