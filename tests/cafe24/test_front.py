"""front_products: the storefront's product listing, loaded with a client id and no OAuth grant (issue #4,
docs/cafe24-reference.md#front-api)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import httpx

from pipelines.project import Project
from pipelines.report import summary
from sandbox.config import Limits, SandboxConfig, Volumes
from sandbox.server import SandboxServer
from sources.cafe24 import cafe24_source
from sources.cafe24.auth import Grant, TokenStore
from tests.cafe24.helpers import grant_with, make_pipeline, pace, query, run, stats
from tests.cafe24.projects import SHOPS, SMALL_STORE, authorize
from tests.cafe24.projects import run as run_project

MALL = "storefront"


def test_front_products_load_with_only_a_client_id(tmp_path: Path) -> None:
    """X-Cafe24-Client-Id is the whole of the Front API's auth; only displayed products are public."""
    config = SandboxConfig(
        volumes=Volumes(products=6200), clock_runs=False, limits=Limits(drain_rate=200, max_per_second=0)
    )
    with SandboxServer(config) as server:
        src = cafe24_source(
            mall_id=MALL,
            credentials={"client_id": "sandbox-client-id"},
            base_url=server.url + "/{mall_id}",
            token_store=str(tmp_path / "tokens"),
            **pace(server),
        ).with_resources(f"front_products__{MALL}")
        pipeline = make_pipeline(tmp_path)
        run(pipeline, src)
        store = server.sandbox.mall(MALL)
        displayed = sorted(p.product_no for p in store.products.values() if p.display)
        assert len(displayed) > 5000 + 100  # past the offset cap, walked by since_product_no
        landed = [r[0] for r in query(pipeline, "select product_no from front_products order by 1")]
        assert landed == displayed
        endpoints = stats(server)["malls"][MALL]
        assert not [e for e in endpoints if "oauth" in e or "/admin/" in e]

        edited = store.products[displayed[0]]
        httpx.post(
            f"{server.url}/__sandbox__/malls/{MALL}/live", json={"product_edits_per_hour": 30}
        ).raise_for_status()
        httpx.post(f"{server.url}/__sandbox__/clock/advance", json={"seconds": 3 * 3600}).raise_for_status()
        before = endpoints["GET /api/v2/products"]["requests"]
        run(
            pipeline,
            cafe24_source(
                mall_id=MALL,
                credentials={"client_id": "sandbox-client-id"},
                base_url=server.url + "/{mall_id}",
                token_store=str(tmp_path / "tokens"),
                **pace(server),
            ).with_resources(f"front_products__{MALL}"),
        )
        after = stats(server)["malls"][MALL]["GET /api/v2/products"]["requests"]
        assert after - before <= 2  # only the few products edited in three hours
        landed = dict(query(pipeline, "select product_no, epoch(updated_date) from front_products"))
        assert landed == {p.product_no: p.updated for p in store.products.values() if p.display}
        assert edited.product_no in landed


def _front_shops(project: Project, mall: str) -> dict[int, int]:
    with duckdb.connect(str(project.duckdb), read_only=True) as con:
        return dict(
            con.execute(
                "SELECT shop_no, count(*) FROM cafe24_data.front_products WHERE mall_id = ? GROUP BY 1", [mall]
            ).fetchall()
        )


def test_front_products_cover_every_shop_or_say_which_they_left_out(tmp_path: Path) -> None:
    """Issue #13 item 3: with a grant, every active shop of the Admin shops list; with shop_no, those shops;
    with neither, shop 1 and a note in the summary saying how to add the others."""
    with SandboxServer(SMALL_STORE) as server:

        def displayed(mall: str) -> int:  # the same catalogue in every shop of a mall
            return sum(1 for p in server.sandbox.mall(mall).products.values() if p.display)

        granted = Project.at(tmp_path / "granted")
        authorize(server, granted, "granted")
        result, _ = run_project(server, granted, "granted", which="front")
        assert _front_shops(granted, "granted") == dict.fromkeys(range(1, SHOPS + 1), displayed("granted"))
        assert not result.notes and "note:" not in summary(result)

        bare = Project.at(tmp_path / "bare")
        result, _ = run_project(server, bare, "bare", which="front")
        assert _front_shops(bare, "bare") == {1: displayed("bare")}
        assert "front_products loaded shop 1 only" in summary(result) and "shop_no" in summary(result)

        narrow = Project.at(tmp_path / "narrow")  # a grant without mall.read_store cannot list the shops
        TokenStore(narrow.root / "tokens").write(
            Grant.from_response(grant_with(server, "narrow", ["mall.read_product"]))
        )
        result, _ = run_project(server, narrow, "narrow", which="front")
        assert _front_shops(narrow, "narrow") == {1: displayed("narrow")}
        assert "front_products loaded shop 1 only: the mall's grant could not list its shops" in summary(result)

        configured = Project.at(tmp_path / "configured")
        result, _ = run_project(server, configured, "configured", which="front", source={"shop_no": [2, 3]})
        assert _front_shops(configured, "configured") == dict.fromkeys((2, 3), displayed("configured"))
        assert not result.notes
