"""Part 8: 16 malls through Dagster, each run in a process of its own, against 16 malls in one process and one
mall alone: all three through `pipelines.run.load` into PostgreSQL (which takes many writers), on part 5's store,
with Cafe24's real-time limits.

Dagster runs on a real instance (tests/cafe24/dagster_instance.py: the repo's dagster.yaml, the code location's
server, the daemon and its default run launcher); the 16 malls go in as one `dagster job backfill`, as a user
backfills new malls. A run's window is its load (the asset's `seconds`, ending at its materialization), so the
processes' start-up shows apart: the end-to-end time runs from the backfill's submission to the last run's end."""

from __future__ import annotations

import resource
import time
from collections import defaultdict
from typing import Any

from dagster import DagsterEventType

from tests.cafe24.dagster_instance import Dagster, write_project
from tests.cafe24.postgres import bindir, postgres_server

from .common import BURST, DRAIN, Control
from .run import ADMIN_TABLES, SMALL_STORE, Bench, opening_day, prepare, runner_cpu, say

MALLS = 16


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def api_calls(stats: dict[str, dict[str, dict[str, int]]], malls: list[str]) -> tuple[int, int]:
    """(data calls, 429s) the sandbox counted for the malls, token calls left out."""
    calls = throttled = 0
    for mall in malls:
        for label, row in stats.get(mall, {}).items():
            if "/oauth/" not in label:
                calls += row.get("requests", 0)
                throttled += row.get("throttled", 0)
    return calls, throttled


def in_processes(
    bench: Bench, url: str, ctl: Control, options: dict[str, Any], credentials: str, malls: list[str], name: str
) -> dict[str, Any]:
    """The malls in one worker process (bench.run): the CLI's loader, one run over all of them."""
    grants = {m: prepare(ctl, m, SMALL_STORE) for m in malls}
    result = bench.run(
        name,
        {
            "kind": "chunked",
            "url": url,
            "workdir": str(bench.workdir / name),
            "malls": malls,
            "tables": ADMIN_TABLES,
            "grants": grants,
            "destination": "postgres",
            "options": options,
        },
        env={"DESTINATION__POSTGRES__CREDENTIALS": credentials},
    )
    calls, throttled = api_calls(ctl.stats()["malls"], malls)
    return {
        "malls": len(malls),
        "processes": 1,
        "calls": calls,
        "throttled": throttled,
        "rows": sum(result["rows"].values()),
        "nested_rows": sum(result["nested_rows"].values()),
        "seconds": result["elapsed"],
        "end_to_end_seconds": result["process_seconds"],
        "cpu_seconds": sum(result["step_cpu_seconds"].values()),
        "sandbox_cpu_seconds": result["sandbox_cpu_seconds"],
        "peak_rss_mb": result["peak_rss_mb"],
    }


def through_dagster(
    bench: Bench, url: str, ctl: Control, options: dict[str, Any], credentials: str, malls: list[str]
) -> dict[str, Any]:
    grants = {m: prepare(ctl, m, SMALL_STORE) for m in malls}
    root = bench.workdir / "dagster"
    project = write_project(root / "project", url, grants, options, "postgres", credentials)
    children, sandbox = children_cpu(), runner_cpu()
    dagster = Dagster(project, root / "home").start()
    try:
        dagster.start_daemon()
        submitted = time.time()
        dagster.backfill(*malls)
        records = dagster.wait(runs=len(malls), timeout=1800)
        runs = [run_of(dagster, record) for record in records]
    finally:
        dagster.stop()
    failed = [r["mall"] for r in runs if r["status"] != "SUCCESS"]
    if failed:
        raise SystemExit(f"part 8: the Dagster runs of {', '.join(failed)} failed; log tail:\n{dagster.log()}")
    calls, throttled = api_calls(ctl.stats()["malls"], malls)
    started = min(r["load_end"] - r["seconds"] for r in runs)
    return {
        "malls": len(malls),
        "processes": len({r["pid"] for r in runs}),
        "calls": calls,
        "throttled": throttled,
        "rows": sum(r["rows"] for r in runs),
        "nested_rows": sum(r["child_rows"] for r in runs),
        "seconds": max(r["load_end"] for r in runs) - started,
        "end_to_end_seconds": max(r["run_end"] for r in runs) - submitted,
        "cpu_seconds": sum(r["cpu_seconds"] for r in runs),
        # a retried run's rows are its last attempt's; its calls, the sandbox's count of all of them
        "retried": [r["mall"] for r in runs if r["retries"]],
        # the runs' processes, the code server and the daemon: reaped by the time they stop
        "dagster_cpu_seconds": children_cpu() - children,
        "sandbox_cpu_seconds": runner_cpu() - sandbox,
        "each": runs,
    }


def run_of(dagster: Dagster, record: Any) -> dict[str, Any]:
    """One run: its mall, process, and what its materializations say (rows per table, calls, load seconds)."""
    assert dagster.instance is not None
    run = record.dagster_run
    found: dict[str, Any] = defaultdict(int)
    for event in dagster.instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
        metadata = {
            k: v.value for k, v in event.dagster_event.step_materialization_data.materialization.metadata.items()
        }
        found["rows"] += metadata["rows"]
        found["child_rows"] += metadata["child_rows"]
        found.update({k: metadata[k] for k in ("calls", "throttled", "seconds", "cpu_seconds", "pid")})
        found["load_end"] = max(found["load_end"], event.timestamp)
    retries = dagster.instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_UP_FOR_RETRY)
    return {
        "mall": run.tags.get("cafe24/mall"),
        "status": run.status.value,
        "run_start": record.start_time,
        "run_end": record.end_time,
        "retries": len(retries),
        **found,
    }


def dagster_malls(bench: Bench, url: str, ctl: Control, results: dict[str, Any]) -> None:
    binaries = bindir()
    if binaries is None:
        say(
            "part 8 skipped: it loads into PostgreSQL, and there are no server binaries (pg_config --bindir; "
            "Debian's postgresql package has them)"
        )
        return
    options = {"start_date": opening_day(ctl, SMALL_STORE["history_days"])}
    out: dict[str, Any] = {"store": SMALL_STORE, "destination": "postgres", "runs": {}}
    with postgres_server(binaries) as postgres:
        say("part 8: one mall, then 16 malls in one process, into PostgreSQL")
        out["runs"]["one"] = in_processes(bench, url, ctl, options, postgres.database("one"), ["pgone"], "pg-one")
        out["runs"]["one_process"] = in_processes(
            bench,
            url,
            ctl,
            options,
            postgres.database("oneprocess"),
            [f"pgproc{i:02d}" for i in range(MALLS)],
            "pg-one-process",
        )
        say("part 8: 16 malls through Dagster, a run (and a process) per mall")
        out["runs"]["dagster"] = through_dagster(
            bench, url, ctl, options, postgres.database("dagster"), [f"pgdag{i:02d}" for i in range(MALLS)]
        )
    one = out["runs"]["one"]
    for run in out["runs"].values():
        run["calls_per_s"] = run["calls"] / run["seconds"]
        run["rows_per_s"] = run["rows"] / run["seconds"]
        run["calls_ratio"] = run["calls_per_s"] / one["calls_per_s"]
        run["rows_ratio"] = run["rows_per_s"] / one["rows_per_s"]
        run["ideal_seconds"] = (run["calls"] / run["malls"] - BURST) / DRAIN
        say(
            f"  {run['malls']} mall(s), {run['processes']} process(es): {run['calls']} calls, {run['rows']:,} rows in "
            f"{run['seconds']:.0f} s (ideal {run['ideal_seconds']:.0f} s; end to end {run['end_to_end_seconds']:.0f} "
            f"s): {run['calls_per_s']:.1f} calls/s = {run['calls_ratio']:.1f}x one mall, rows/s "
            f"{run['rows_ratio']:.1f}x; {run['throttled']} x 429; loader CPU {run['cpu_seconds']:.0f} s"
            + (f"; retried: {', '.join(run['retried'])}" if run.get("retried") else "")
        )
    results["dagster_malls"] = out
