"""A backfill killed with SIGKILL after some chunks (issue #11, item 1): the CLI in its own process, killed once
dlt has loaded two packages; the next run goes on from the last chunk, not from start_date, and ends equal to the
store. It prints what the kill cost in calls against the same backfill unbroken."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import duckdb
import httpx

from pipelines.project import Project
from sandbox.config import Limits, SandboxConfig, Volumes
from sandbox.server import SandboxServer
from tests.cafe24.cli import cli, cli_env, cli_process
from tests.cafe24.helpers import APP, calls, truth
from tests.cafe24.projects import run
from tests.conftest import grant

STORE = Volumes(products=60, orders=300, customers=60)  # one chunk a page: every page costs a load
# Each chunk's calls at 4 a second: the run spends seconds per chunk, so a kill lands between chunks.
PACED = SandboxConfig(volumes=STORE, limits=Limits(bucket_size=10, drain_rate=4, max_per_second=0), clock_runs=False)
# The same store unpaced, for what the backfill costs in calls unbroken (the count does not depend on the pace).
UNPACED = SandboxConfig(volumes=STORE, limits=Limits(drain_rate=200, max_per_second=0), clock_runs=False)


def chunked_env(server: SandboxServer, workdir: Path, mall: str) -> dict[str, str]:
    return {
        **cli_env(server, workdir, mall, grant(server, mall)["refresh_token"]),
        "SOURCES__CAFE24__BACKFILL_CHUNK_ROWS": "1",
        "SOURCES__CAFE24__BUCKET_DRAIN_PER_SECOND": str(server.sandbox.config.limits.drain_rate),
    }


def loaded_packages(workdir: Path) -> int:
    """Load packages the run has loaded so far, from dlt's working dir (the database is the run's to hold)."""
    done = Project.at(workdir).working_dir / "load" / "loaded"
    return len(list(done.iterdir())) if done.exists() else 0


def test_a_backfill_killed_after_some_chunks_goes_on_from_the_last_one(tmp_path: Path) -> None:
    mall = "resumemall"
    with SandboxServer(UNPACED) as server:  # the same mall in a fresh sandbox: what the backfill costs unbroken
        whole = Project.at(tmp_path / "whole")  # through the CLI's load in this process: only its count matters
        refresh = {**APP, "refresh_token": grant(server, mall)["refresh_token"]}
        run(server, whole, mall, source={"credentials": refresh, "backfill_chunk_rows": 1})
        unbroken = calls(server, mall)
        unbroken_packages = loaded_packages(whole.root)
    with SandboxServer(PACED) as server:
        workdir = tmp_path / "killed"
        workdir.mkdir()
        env = chunked_env(server, workdir, mall)
        process = cli_process(workdir, env)
        deadline = time.monotonic() + 120
        while loaded_packages(workdir) < 2:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no chunk was loaded"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        kept = loaded_packages(workdir)
        assert kept < unbroken_packages, "the run ended before the kill: nothing to resume"
        before = calls(server, mall)
        resumed = cli(workdir, env)
        assert resumed.returncode == 0, resumed.stderr
        after = calls(server, mall) - before
        assert after < unbroken, "the resumed run started the backfill over"
        store = truth(server, mall)
        with duckdb.connect(str(workdir / "cafe24.duckdb"), read_only=True) as con:

            def keys(sql: str) -> dict[str, list]:
                found: dict[str, list] = {}
                for shop, key in con.execute(sql).fetchall():
                    found.setdefault(str(shop), []).append(key)
                return found

            assert keys("SELECT shop_no, order_id FROM cafe24_data.orders ORDER BY 1, 2") == store["orders"]
            assert keys("SELECT shop_no, member_id FROM cafe24_data.customers ORDER BY 1, 2") == store["customers"]
            products = con.execute("SELECT product_no FROM cafe24_data.products WHERE shop_no = 1 ORDER BY 1")
            assert [p for (p,) in products.fetchall()] == store["products"]
        assert httpx.get(f"{server.url}/__sandbox__/stats").json()["totals"].get("429", 0) == 0
        print(
            f"killed after {kept} of {unbroken_packages} packages: {before} calls before the kill, {after} after; "
            f"interrupted and resumed / unbroken = {before + after} / {unbroken} = {(before + after) / unbroken:.2f}"
        )
