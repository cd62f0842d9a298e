"""Many malls on Dagster (issue #12): the code location in `orchestration/` on a real Dagster instance
(tests/cafe24/dagster_instance.py), started once for the module: a sandbox, a project directory whose config
names four malls loading into PostgreSQL, the instance in tmp with the repo's dagster.yaml, its code server and,
once runs are queued, the daemon, whose run launcher starts each run in its own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg2
import pytest
import yaml

from pipelines.project import Project
from pipelines.runlock import one_run_at_a_time
from sandbox.config import SandboxConfig, Volumes
from sandbox.server import SandboxServer
from tests.cafe24.cli import REPO
from tests.cafe24.dagster_instance import BIN, JOB, Dagster, dagster_env, write_project
from tests.cafe24.helpers import UNPACED, bootstrap
from tests.cafe24.postgres import PostgresServer
from tests.cafe24.projects import SMALL_STORE, expected, landed_by

if TYPE_CHECKING:  # dagster is imported in the tests that use it: every pytest worker imports this module to collect
    from dagster import DagsterInstance

MALLS = ["dga", "dgb", "dgc", "dgd"]
# Small enough that a load takes a few seconds; the project sweeps orders by order date only (a first run's
# backfill sees every order that way), a few calls instead of one per date type and shop.
STORE = SandboxConfig(
    volumes=Volumes(products=40, orders=150, customers=40), limits=SMALL_STORE.limits, clock_runs=False
)
OPTIONS = {"bucket_drain_per_second": 200, "max_calls_per_second": UNPACED, "order_date_types": ["order_date"]}


def project_at(
    root: Path, server: SandboxServer, malls: list[str], destination: str | None = None, credentials: str | None = None
) -> Path:
    return write_project(root, server.url, {m: bootstrap(server, m) for m in malls}, OPTIONS, destination, credentials)


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(STORE) as server:
        yield server


def definitions_of(project: Path, home: Path) -> dict:
    """The code location as Dagster loads it in a project directory, read in a process of its own."""
    script = """
import json
from datetime import datetime, timezone
from dagster import build_schedule_context, DagsterInstance
from orchestration import definitions as d
job = d.defs.resolve_job_def(d.cafe24_malls.name)
with DagsterInstance.get() as instance:  # DAGSTER_HOME: the schedule reads its runs
    tick = datetime(2026, 1, 1, 0, 15, tzinfo=timezone.utc)
    requests = d.hourly(build_schedule_context(instance=instance, scheduled_execution_time=tick))
print(json.dumps({
    "job": job.name, "partitions": job.partitions_def.get_partition_keys(),
    "tags": job.get_tags_for_partition_key("dgb", selected_asset_keys=None),
    "assets": sorted(key.to_user_string() for key in d.cafe24_mall.keys), "pool": d.cafe24_mall.op.pool,
    "schedule": d.hourly.cron_schedule,
    "requests": [(r.run_key, r.partition_key, r.tags) for r in requests],
}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=project, env=dagster_env(home), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# First in the module: it needs no running instance, so the code server and the daemon are not running yet.
def test_the_definitions_load_with_a_partition_per_configured_mall(server: SandboxServer, tmp_path: Path) -> None:
    """`dagster definitions validate` passes, and the job, its partitions, tags, pool and schedule follow config."""
    into_postgres = project_at(tmp_path / "postgres", server, ["dga", "dgb"], "postgres")
    into_duckdb = project_at(tmp_path / "duckdb", server, ["dga", "dgb", "dgnew"])
    home = tmp_path / "home"
    home.mkdir()
    validate = subprocess.run(
        [str(BIN / "dagster"), "definitions", "validate", "-m", "orchestration.definitions"],
        cwd=into_postgres,
        env=dagster_env(home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr

    found = definitions_of(into_postgres, home)
    assert found["job"] == JOB and found["partitions"] == ["dga", "dgb"]
    assert found["tags"]["cafe24/mall"] == "dgb"
    assert found["assets"] == [f"cafe24/{t}" for t in ("categories", "customers", "orders", "products", "shops")]
    assert found["pool"] is None  # PostgreSQL takes many writers
    assert found["schedule"] == "15 * * * *"
    assert found["requests"] == [[f"{m}@2026-01-01T00:15:00+00:00", m, {"cafe24/mall": m}] for m in ("dga", "dgb")]

    added = definitions_of(into_duckdb, home)  # a mall added to config is a partition, and DuckDB one writer
    assert added["partitions"] == ["dga", "dgb", "dgnew"] and added["pool"] == "cafe24_duckdb"

    queue = yaml.safe_load((REPO / "orchestration" / "dagster.yaml").read_text())["concurrency"]["runs"]
    assert {"key": "cafe24/mall", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in queue[
        "tag_concurrency_limits"
    ]


@pytest.fixture(scope="module")
def dagster(
    server: SandboxServer, postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Dagster, str]]:
    url = postgres.database("dagster")
    root = tmp_path_factory.mktemp("dagster")
    project = project_at(root / "project", server, MALLS, "postgres", url)
    running = Dagster(project, root / "home").start()
    try:
        yield running, url
    finally:
        running.stop()


def loader_pids(instance: DagsterInstance, run_id: str) -> set[int]:
    """The pid of the process that loaded the mall, as the run's materializations record it."""
    from dagster import DagsterEventType

    return {
        event.dagster_event.step_materialization_data.materialization.metadata["pid"].value
        for event in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
    }


def test_three_malls_load_into_postgres_in_their_own_processes_and_a_second_run_of_a_mall_waits_its_turn(
    dagster: tuple[Dagster, str], server: SandboxServer
) -> None:
    """Before the daemon starts, a run of dga is queued and a backfill of dga, dgb and dgc asked for (one CLI call,
    as an operator loads several malls), whose runs the daemon makes. The three malls run side by side, each in a
    process of its own, and land what the store holds; the backfill's dga waits for the first to end."""
    from dagster import DagsterRunStatus

    running, url = dagster
    running.launch("dga")
    running.backfill("dga", "dgb", "dgc")
    running.start_daemon()
    records = running.wait(runs=4)
    assert [r.dagster_run.status for r in records] == [DagsterRunStatus.SUCCESS] * 4, running.log()

    assert running.instance is not None
    pids = [loader_pids(running.instance, r.dagster_run.run_id) for r in records]
    assert all(len(p) == 1 for p in pids)  # each run's five tables loaded by one process
    assert len(set.union(*pids)) == 4 and os.getpid() not in set.union(*pids)  # a process per run, not this one
    first, again = [r for r in records if r.dagster_run.tags["cafe24/mall"] == "dga"]  # oldest first
    others = [r for r in records if r.dagster_run.tags["cafe24/mall"] != "dga"]
    assert again.start_time >= first.end_time  # queued behind the first: never two runs of one pipeline
    assert any(other.start_time < first.end_time for other in others)  # other malls did not wait for it

    with psycopg2.connect(url) as connection, connection.cursor() as cursor:

        def query(sql: str) -> list[tuple]:
            cursor.execute(sql)
            return cursor.fetchall()

        for mall in ("dga", "dgb", "dgc"):
            assert landed_by(query, mall) == expected(server, mall)
        pipelines = {row[0] for row in query("SELECT DISTINCT pipeline_name FROM cafe24_data._dlt_pipeline_state")}
        staging = {
            row[0]
            for row in query(
                "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'cafe24_data_staging%'"
            )
        }
    connection.close()
    assert pipelines == {"cafe24_dga", "cafe24_dgb", "cafe24_dgc"}  # a pipeline and its state per mall
    # and a staging dataset per mall, so no load empties another's staged rows
    assert staging == {"cafe24_data_staging_dga", "cafe24_data_staging_dgb", "cafe24_data_staging_dgc"}


def test_a_run_of_a_mall_whose_pipeline_is_already_running_is_refused(dagster: tuple[Dagster, str]) -> None:
    """Whatever bypasses the queue (a CLI run on the same project, a run launched without the mall tag), the
    mall's pipeline lock refuses the second run at once, without retries, and says why."""
    from dagster import DagsterEventType, DagsterRunStatus

    running, _ = dagster
    project = Project.at(running.project, pipeline_name="cafe24_dgd")
    with one_run_at_a_time(project.lock_file):
        running.launch("dgd")
        running.start_daemon()
        [record] = [r for r in running.wait() if r.dagster_run.tags["cafe24/mall"] == "dgd"]
    assert record.dagster_run.status == DagsterRunStatus.FAILURE
    assert running.instance is not None
    failures = [
        e.dagster_event.step_failure_data.error.message
        for e in running.instance.all_logs(record.dagster_run.run_id, of_type=DagsterEventType.STEP_FAILURE)
    ]
    assert len(failures) == 1 and "another run of this pipeline is in progress" in failures[0]
