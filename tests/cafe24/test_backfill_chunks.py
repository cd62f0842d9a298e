"""Backfills in chunks (issue #11, item 1): each chunk is its own load package with the position that covers it,
so a backfill that fails goes on from its last chunk, and the next run is incremental as before. Runs go through
`pipelines.run.load`, over real HTTP into a project's DuckDB file; tests/cafe24/test_backfill_kill.py kills a CLI
process mid-backfill."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import httpx
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines.project import Project
from pipelines.run import load
from sandbox.config import Limits, SandboxConfig
from sandbox.server import SandboxServer
from sources.cafe24.client import collect_clients
from tests.cafe24.helpers import APP, admin_source
from tests.cafe24.projects import SHOPS, SMALL, assert_complete, authorize, no_change_calls, orders, run


def load_ids(project: Project) -> int:
    with duckdb.connect(str(project.duckdb), read_only=True) as con:
        return con.execute("SELECT count(*) FROM cafe24_data._dlt_loads").fetchone()[0]


def test_a_backfill_loads_in_chunks_then_the_next_run_is_incremental(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of 100 products and of 1,000 members (more than a shop's first page) and orders by window, in chunks
    of 100 rows a shop: several packages, every key once, rows counted over the chunks; then one package of the
    no-change calls, and one of its completeness check's rows."""
    monkeypatch.setenv("SOURCES__CAFE24__BACKFILL_CHUNK_ROWS", "100")
    config = SandboxConfig(
        volumes=SMALL.with_overrides(products=250, customers=3300),
        limits=Limits(drain_rate=200, max_per_second=0),
        clock_runs=False,
    )
    with SandboxServer(config) as server:
        project = Project.at(tmp_path)
        authorize(server, project, "chunkmall")
        first, out = run(server, project, "chunkmall")
        packages = load_ids(project)
        assert packages >= 3, out
        assert "backfill chunk 2: " in out and "customers__chunkmall" in out
        assert first.rows["orders"] == orders(server, "chunkmall")  # order windows never overlap
        assert first.rows["products"] == 250 * SHOPS
        assert_complete(server, project, "chunkmall")
        again, out = run(server, project, "chunkmall")
        assert "backfill chunk" not in out
        assert again.malls["chunkmall"].calls == no_change_calls(server)
        assert load_ids(project) == packages + 2
        print(f"a backfill in chunks of 100 rows a shop: {packages} load packages, {first.calls} calls")


def test_what_changes_while_a_backfill_goes_on_is_caught_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backfill that fails after some chunks keeps them; the store then changes for a day (new orders, status
    changes) before it resumes. The backfill ends at the time it started, so the next run sweeps that day."""
    monkeypatch.setenv("SOURCES__CAFE24__BACKFILL_CHUNK_ROWS", "1")
    monkeypatch.setenv("SOURCES__CAFE24__MAX_ATTEMPTS", "1")
    config = SandboxConfig(volumes=SMALL, limits=Limits(drain_rate=200, max_per_second=0), clock_runs=False)
    with SandboxServer(config) as server:
        mall = "changemall"
        project = Project.at(tmp_path)
        authorize(server, project, mall)
        # The 30th orders list call fails: the first chunks walk every shop's empty windows since start_date.
        httpx.post(
            f"{server.url}/__sandbox__/faults",
            json={"kind": "500", "path": "/orders$", "mall": mall, "nth": 30, "times": 1},
        ).raise_for_status()
        with pytest.raises(PipelineStepFailed, match="500"):
            run(server, project, mall)
        kept = load_ids(project)
        assert kept >= 2
        httpx.post(f"{server.url}/__sandbox__/malls/{mall}/live", json={"orders_per_hour": 30}).raise_for_status()
        httpx.post(f"{server.url}/__sandbox__/clock/advance", json={"seconds": 86400}).raise_for_status()
        resumed, out = run(server, project, mall)
        assert "backfill chunk" in out and resumed.rows["orders"] < orders(server, mall)
        run(server, project, mall)
        assert_complete(server, project, mall)


def test_the_chunks_of_a_backfill_share_the_malls_bucket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each chunk builds new clients; they pace against the one pacer the process keeps per mall API, as the
    platform keeps one bucket per mall, so a chunk never bursts into a bucket the previous one left nearly full:
    no 429 at any chunk boundary of a backfill through a bucket of 10."""
    monkeypatch.setenv("SOURCES__CAFE24__BACKFILL_CHUNK_ROWS", "100")
    config = SandboxConfig(
        volumes=SMALL.with_overrides(products=250, customers=1500),
        limits=Limits(bucket_size=10, drain_rate=5, max_per_second=0),
        clock_runs=False,
    )
    with SandboxServer(config) as server:
        project = Project.at(tmp_path)
        authorize(server, project, "bucketmall")
        out = io.StringIO()
        result = load(
            {
                "mall_id": "bucketmall",
                "base_url": server.url + "/{mall_id}",
                "credentials": dict(APP),
                "token_store": str(project.root / "tokens"),
                "bucket_drain_per_second": 5,
            },
            project=project,
            out=out,
        )
        assert load_ids(project) >= 3, out.getvalue()
        assert (result.throttled, result.retries) == (0, 0), out.getvalue()
        chunks = []
        for _ in range(2):
            with collect_clients() as clients:
                admin_source(server.url, project.root, "bucketmall", bucket_drain_per_second=5)
            chunks.append({c.api_url: c.pacer for c in clients})
        assert chunks[0].keys() == chunks[1].keys()
        assert all(chunks[0][api] is chunks[1][api] for api in chunks[0])
        assert_complete(server, project, "bucketmall")
