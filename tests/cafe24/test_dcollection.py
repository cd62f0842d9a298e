"""The D.Collection feed lands whole and stays current, within 40 calls a minute (issue #4,
docs/cafe24-reference.md#dcollection)."""

from __future__ import annotations

from pathlib import Path

import dlt
import httpx
import pytest

from sandbox.config import Limits, SandboxConfig
from sandbox.server import SandboxServer
from sources.cafe24 import dcollection_source
from tests.cafe24.helpers import APP, query, stats

UNTHROTTLED = Limits(dcollection_per_minute=100000, drain_rate=200, max_per_second=0)


def _pipeline(workdir: Path) -> dlt.Pipeline:
    return dlt.pipeline(
        "dcollection",
        pipelines_dir=str(workdir / "pipelines"),
        dataset_name="cafe24_data",
        destination=dlt.destinations.duckdb(str(workdir / "dcollection.duckdb")),
    )


def _source(server: SandboxServer, **options: object):
    return dcollection_source(credentials=APP, dcollection_url=server.url + "/dcollection", **options)


@pytest.fixture
def server():
    with SandboxServer(SandboxConfig(limits=UNTHROTTLED, clock_runs=False)) as server:
        yield server


def test_every_shop_and_product_lands_including_a_shop_past_the_offset_cap(server, tmp_path: Path) -> None:
    """docs/cafe24-reference.md#dcollection (products): no category list and a 5,000 offset cap,
    yet every product arrives."""
    pipeline = _pipeline(tmp_path)
    pipeline.run(_source(server, calls_per_minute=100000), loader_file_format="jsonl")
    catalog = server.sandbox.dcollection
    landed = {row[0] for row in query(pipeline, "select product_ukey from dcollection_products")}
    assert landed == {p.ukey for p in catalog.products}
    biggest = max(sum(1 for p in catalog.products if p.shop is s) for s in catalog.shops)
    assert biggest > 5000 + 100
    shops = set(query(pipeline, "select store_id, shop_no from dcollection_shops"))
    assert shops == {(s.store_id, s.shop_no) for s in catalog.shops}
    assert query(pipeline, "select count(*) from dcollection_standard_tags")[0][0] > 0
    calls = stats(server)["totals"]["requests"]
    assert calls <= 1.1 * (len(catalog.products) / 100 + len(catalog.shops) / 100) + 5  # no window fetched twice


def test_mixed_types_of_the_feed_land_in_one_typed_column(server, tmp_path: Path) -> None:
    """The example prints shop_no as 4 and as "2", review_score as a number and as a string."""
    pipeline = _pipeline(tmp_path)
    pipeline.run(_source(server, calls_per_minute=100000), loader_file_format="jsonl")
    types = dict(
        query(
            pipeline,
            "select table_name || '.' || column_name, data_type from information_schema.columns "
            "where table_schema = 'cafe24_data'",
        )
    )
    assert types["dcollection_shops.shop_no"] == "BIGINT"
    assert types["dcollection_products.review_score"].startswith("DECIMAL")
    assert types["dcollection_products.updated_date"] == "TIMESTAMP WITH TIME ZONE"
    assert "dcollection_products.dcollection_product_category__depth3" in types
    assert not [c for c in types if "__v_" in c]


def test_an_incremental_run_picks_up_changed_products_and_shops(server, tmp_path: Path) -> None:
    """docs/cafe24-reference.md#dcollection:
    updated_date windows (whole days) with a day of overlap, merged on the keys."""
    pipeline = _pipeline(tmp_path)
    pipeline.run(_source(server, calls_per_minute=100000), loader_file_format="jsonl")
    first_calls = stats(server)["totals"]["requests"]
    httpx.post(f"{server.url}/__sandbox__/live", json={"dcollection_edits_per_hour": 10}).raise_for_status()
    httpx.post(f"{server.url}/__sandbox__/clock/advance", json={"seconds": 2 * 86400}).raise_for_status()
    pipeline.run(_source(server, calls_per_minute=100000), loader_file_format="jsonl")
    second_calls = stats(server)["totals"]["requests"] - first_calls
    catalog = server.sandbox.dcollection
    landed = dict(query(pipeline, "select product_ukey, epoch(updated_date) from dcollection_products"))
    assert landed == {p.ukey: p.updated for p in catalog.products}
    assert second_calls < first_calls / 2
    assert query(
        pipeline, "select count(*) from (select product_ukey from dcollection_products group by 1 having count(*) > 1)"
    ) == [(0,)]


def test_a_run_at_the_default_limit_is_never_throttled(tmp_path: Path) -> None:
    """docs/cafe24-reference.md#dcollection: 40 calls per minute per client;
    the pacer keeps under it, so no call gets 429."""
    limited = Limits(dcollection_per_minute=40, drain_rate=200, max_per_second=0)
    with SandboxServer(
        SandboxConfig(limits=limited, dcollection_stores=4, dcollection_big_shop_products=4300)
    ) as server:
        pipeline = _pipeline(tmp_path)
        pipeline.run(_source(server), loader_file_format="jsonl")
        totals = stats(server)["totals"]
        assert totals["requests"] > 40  # the run needed more than one minute's calls
        assert totals.get("429", 0) == 0
        assert query(pipeline, "select count(*) from dcollection_products")[0][0] == len(
            server.sandbox.dcollection.products
        )


def test_wrong_credentials_fail_at_once_without_showing_the_secret(server, tmp_path: Path) -> None:
    """docs/cafe24-reference.md#dcollection (status codes): 401 is reported, not retried; the secret never shows."""
    source = dcollection_source(
        credentials={"client_id": APP["client_id"], "client_secret": "wrong-secret-123"},
        dcollection_url=server.url + "/dcollection",
    )
    with pytest.raises(Exception) as failure:
        _pipeline(tmp_path).run(source)
    assert "401" in str(failure.value) and "wrong-secret-123" not in str(failure.value)
    assert stats(server)["totals"]["401"] == 1


def test_configured_product_categories_load_only_those_categories(server, tmp_path: Path) -> None:
    """docs/cafe24-reference.md#dcollection (products):
    dcollection_product_category (a middle category) filters the feed."""
    catalog_codes = server.sandbox.dcollection.categories()
    middle = catalog_codes[0][1]
    pipeline = _pipeline(tmp_path)
    pipeline.run(_source(server, calls_per_minute=100000, product_categories=[middle]), loader_file_format="jsonl")
    server.sandbox.dcollection.ensure(server.sandbox.clock.now())
    expected = {p.ukey for p in server.sandbox.dcollection.products if p.category[1] == middle}
    landed = {row[0] for row in query(pipeline, "select product_ukey from dcollection_products")}
    assert landed == expected and len(expected) > 0
