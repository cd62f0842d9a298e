"""`make bench`: the connector against the platform's ceiling and against dlt's generic rest_api source.

First runs `benchmarks/sandbox_speed.py` (is the sandbox fast enough not to be what is measured?). Then starts
the sandbox in this process (real-time rate limits, fixed seed), runs every load in its own worker process
(`benchmarks/worker.py`), and writes BENCHMARKS.md, benchmarks/results/*.json and the pacing chart.

    python -m benchmarks.run [--parts 1,2,3,4,5,6,7,8,9] [--keep] [--report-only]

1. ceiling: one mall's products, orders and customers in one run (they share the mall's bucket)
2. completeness: the same kind of store through rest_api (run side by side with 1, on its own mall)
3. incremental: calls after a burst of live activity, and with no change
4. local overhead: limits off, 100k and 1M orders with items, chunked as the CLI loads them, each size in its own
   process (peak RSS over the whole run)
5. many malls: 1, 4 and 16 malls in one run
6. D.Collection: calls per minute against its 40
7. kill test: one backfill through the CLI (`python -m pipelines.cafe24_pipeline run`, real-time limits), SIGKILLed
   three times mid-chunk and then run to the end: its calls ÷ an unbroken backfill's, and its tables ÷ truth
8. Dagster: 16 malls as 16 Dagster runs (a process each) into PostgreSQL, against 16 malls in one process and one
   mall (benchmarks/dagster_malls.py; skipped, saying so, without PostgreSQL's server binaries)
9. deletions: the calls a walk of the keys costs at 10k and 100k products (benchmarks/deletions.py)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta

from sandbox.config import Limits, SandboxConfig, Volumes
from sandbox.server import SandboxServer
from sources.cafe24.settings import KST

from .common import (
    APP,
    BURST,
    DRAIN,
    PAGE_MAX,
    RESULTS,
    SEED,
    Control,
    query,
    requests_by,
    table_of,
    write_json,
)

ROOT = Path(__file__).resolve().parent.parent

# Part 1 and 2's store: > 5,000 products (the products offset cap), and a 3-month orders window of shop 1 that
# holds > 15,000 orders (the orders cap: 30% of orders fall in one sale week), > 9,000 members in shop 1 (the
# customersprivacy cap). ~290 calls: (290 - 40) / 2 s > 2 minutes at the drain rate.
CEILING_STORE = {"products": 7000, "orders": 45000, "customers": 15000}
# Part 5: a small store per mall; about 110 calls, so one mall alone runs about a minute.
SMALL_STORE = {"products": 2000, "orders": 3000, "customers": 1500, "history_days": 1400}
MANY = (1, 4, 16)
LOCAL_SIZES = (100_000, 1_000_000)
LIVE = {
    "orders_per_hour": 2000.0,
    "customers_per_hour": 200.0,
    "product_edits_per_hour": 300.0,
    "products_per_hour": 20.0,
}
# Part 7: a store whose backfill, at chunks of KILL_CHUNK_ROWS rows per table and shop, loads in well over 6
# packages (an orders chunk ends at an 89-day window, so the history is long) and takes about a minute unbroken
# at the drain rate.
KILL_STORE = {"products": 600, "orders": 8000, "customers": 3000, "history_days": 900}
KILL_CHUNK_ROWS = 500
KILLS = 3
ADMIN_TABLES = ["shops", "categories", "products", "orders", "customers"]


class Bench:
    def __init__(self, workdir: Path, log: Path) -> None:
        self.workdir = workdir
        self.log = log
        self.cpu_at_start: dict[str, float] = {}
        self.env = {
            **os.environ,
            "RUNTIME__DLTHUB_TELEMETRY": "false",
            "RUNTIME__LOG_LEVEL": "ERROR",
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }

    def start(self, name: str, job: dict[str, Any], env: dict[str, str] | None = None) -> tuple[subprocess.Popen, Path]:
        job_file = self.workdir / f"{name}.job.json"
        out = self.workdir / f"{name}.out.json"
        job = {**job, "out": str(out)}
        job_file.write_text(json.dumps(job))
        with open(self.log, "a") as log:
            log.write(f"\n==== {name}\n")
            log.flush()
            self.cpu_at_start[str(out)] = runner_cpu()
            process = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.worker", str(job_file)],
                cwd=ROOT,
                env={**self.env, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return process, out

    def wait(self, name: str, started: tuple[subprocess.Popen, Path]) -> dict[str, Any]:
        process, out = started
        process.wait()
        if process.returncode != 0:
            tail = self.log.read_text()[-3000:]
            raise SystemExit(f"benchmark worker {name} failed (exit {process.returncode}); log tail:\n{tail}")
        result = json.loads(out.read_text())
        # This process only serves the sandbox while a worker runs: its CPU is the sandbox's (shared when workers
        # run side by side).
        result["sandbox_cpu_seconds"] = runner_cpu() - self.cpu_at_start.pop(str(out))
        return result

    def run(self, name: str, job: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
        return self.wait(name, self.start(name, job, env))


def runner_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def say(text: str) -> None:
    print(text, flush=True)


def kst_date(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, KST).date().isoformat()


def opening_day(ctl: Control, history_days: int) -> str:
    """The first day of a generated mall's history (its data starts history_days before the sandbox start)."""
    return kst_date(ctl.clock() - (history_days + 1) * 86400)


def prepare(ctl: Control, mall: str, volumes: dict[str, Any]) -> dict:
    ctl.set_volumes(mall, **volumes)
    ctl.truth(mall)  # generate it now, outside any timed run
    return ctl.grant(mall)


def data_calls(events: list[dict]) -> list[dict]:
    return [e for e in events if "/oauth/" not in e["path"]]


# ------------------------------------------------------------------------------------------------ part 1


def ceiling(result: dict[str, Any], stats: dict[str, dict[str, int]]) -> dict[str, Any]:
    events = data_calls(result["events"])
    calls = len(events)
    extract = result["steps"]["extract"]
    rate = calls / extract
    ideal = (calls - BURST) / DRAIN
    throttled = requests_by(stats, "throttled")
    per_table: dict[str, Any] = {}
    by_table = Counter(table_of(e["path"]) for e in events)
    for table, page in PAGE_MAX.items():
        table_calls = by_table.get(table, 0)  # products: with the variant lists; orders: with counts
        rows = result["rows"].get(table, 0)
        # While the three share one bucket, a table's rate is its rows over its share of the run's time.
        share_seconds = table_calls / rate if rate else 0.0
        rows_per_s = rows / share_seconds if share_seconds else 0.0
        per_table[table] = {
            "calls": table_calls,
            "rows": rows,
            "nested_rows": result["nested_rows"].get(table, 0),
            "rows_per_call": rows / table_calls if table_calls else 0.0,
            "page_fill": rows / table_calls / page if table_calls else 0.0,
            "rows_per_s_in_share": rows_per_s,
            "rows_ratio": rows_per_s / (DRAIN * page),
            "throttled": sum(v.get("throttled", 0) for k, v in stats.items() if table_of(k.split(" ", 1)[-1]) == table),
        }
    return {
        "calls": calls,
        "calls_by_path": dict(Counter(e["path"].split("/admin", 1)[-1] for e in events)),
        "extract_seconds": extract,
        "run_seconds": result["elapsed"],
        "steps": result["steps"],
        "calls_per_s": rate,
        "calls_ratio": rate / DRAIN,
        "ideal_seconds": ideal,
        "wall_over_ideal": extract / ideal,
        "throttled": throttled,
        "client_throttled": result["throttled"],
        "max_bucket": max((e["used"] or 0) for e in events),
        "tables": per_table,
        "step_cpu_seconds": result.get("step_cpu_seconds", {}),
        "rows": result["rows"],
        "nested_rows": result["nested_rows"],
        "peak_rss_mb": result["peak_rss_mb"],
    }


# ------------------------------------------------------------------------------------------------ part 2


def coverage(loaded: set, truth: set) -> dict[str, int]:
    return {"truth": len(truth), "loaded": len(loaded & truth), "extra": len(loaded - truth)}


def completeness(
    ours_db: str,
    mall: str,
    ours_truth: dict,
    peer_db: str | None,
    peer_truth: dict,
    peer_result: dict,
    ours_result: dict,
    ours_stats: dict,
    peer_stats: dict,
) -> dict[str, Any]:
    shops = ("1", "2", "3")
    spec = {
        "products": ("product_no", lambda t, s: {str(p) for p in t["products"]}),
        "orders": ("order_id", lambda t, s: set(t["orders"][s])),
        "customers": ("member_id", lambda t, s: set(t["customers"][s])),
    }
    ours: dict[str, Any] = {}
    peer: dict[str, Any] = {}
    for table, (key, truth_of) in spec.items():
        per_shop = {}
        for shop in shops:
            rows = query(
                ours_db,
                f"select distinct cast({key} as varchar) from cafe24_data.{table} "
                f"where mall_id = '{mall}' and shop_no = {shop}",
            )
            per_shop[shop] = coverage({r[0] for r in rows}, truth_of(ours_truth, shop))
        ours[table] = {
            "by_shop": per_shop,
            **{k: sum(v[k] for v in per_shop.values()) for k in ("truth", "loaded", "extra")},
        }
        loaded: set = set()
        if peer_db and not peer_result.get("error"):
            try:
                loaded = {
                    r[0] for r in query(peer_db, f"select distinct cast({key} as varchar) from rest_api_data.{table}")
                }
            except Exception:  # the table is missing when the peer loaded nothing into it
                loaded = set()
        shop1 = coverage(loaded, truth_of(peer_truth, "1"))
        all_truth = sum(len(truth_of(peer_truth, s)) for s in shops)
        peer[table] = {**shop1, "mall_truth": all_truth}
    return {
        "ours": ours,
        "peer": peer,
        "ours_seconds": ours_result["elapsed"],
        "peer_seconds": peer_result["elapsed"],
        "ours_calls": requests_by(ours_stats),
        "peer_calls": requests_by(peer_stats),
        "ours_throttled": requests_by(ours_stats, "throttled"),
        "peer_throttled": requests_by(peer_stats, "throttled"),
        "peer_error": peer_result.get("error"),
        "peer_steps": peer_result.get("steps", {}),
        "peer_rows": peer_result.get("rows", {}),
    }


# ------------------------------------------------------------------------------------------------ part 3


def minimum_calls(events: list[dict]) -> tuple[int, int, dict[str, int]]:
    """(calls made, the fewest calls that read the same rows, slices) for one run. A slice is one
    (table, shop, date_type) query; reading n rows of it takes at least max(1, ceil(n / page max)) calls.
    Fetching the whole variant list of a product past the 100-variant embed is needed too, so it counts."""
    events = data_calls(events)
    slices: dict[tuple, set] = defaultdict(set)
    rows_without_keys: dict[tuple, int] = defaultdict(int)
    needed_extra = 0
    for e in events:
        path = e["path"]
        table = table_of(path)
        if path.endswith("/variants"):
            needed_extra += 1
            continue
        if path.endswith("/count"):
            continue
        key = (table, e.get("shop"), e.get("date_type"))
        slices.setdefault(key, set())
        if "keys" in e:
            slices[key].update(e["keys"])
        elif "rows" in e:
            rows_without_keys[key] = max(rows_without_keys[key], e["rows"])
    page = {"products": 100, "orders": 1000, "customers": 1000, "categories": 100, "shops": 1000}
    minimum = needed_extra
    for key, found in slices.items():
        n = len(found) or rows_without_keys.get(key, 0)
        minimum += max(1, math.ceil(n / page.get(key[0], 100)))
    by_table = Counter(k[0] for k in slices)
    return len(events), minimum, dict(by_table)


# ------------------------------------------------------------------------------------------------ part 6


def per_minute(events: list[dict]) -> dict[str, Any]:
    times = sorted(e["t"] for e in events)
    if not times:
        return {"calls": 0}
    t0 = times[0]
    minutes = Counter(int((t - t0) // 60) for t in times)
    complete = [minutes.get(m, 0) for m in range(int((times[-1] - t0) // 60))]
    busiest, j = 0, 0
    for i, t in enumerate(times):
        while t - times[j] >= 60:
            j += 1
        busiest = max(busiest, i - j + 1)
    return {
        "calls": len(times),
        "span_seconds": times[-1] - t0,
        "complete_minutes": complete,
        "calls_per_complete_minute": sum(complete) / len(complete) if complete else None,
        "busiest_60s": busiest,
    }


# ------------------------------------------------------------------------------------------------ part 7

CLI = [sys.executable, "-m", "pipelines.cafe24_pipeline", "run", "--quiet"]


def cli_env(bench: Bench, url: str, mall: str, refresh_token: str, drain: float) -> dict[str, str]:
    """The CLI configured as a user configures it: SOURCES__CAFE24__... variables, nothing else of ours."""
    env = {k: v for k, v in bench.env.items() if not k.startswith(("SOURCES__", "DESTINATION__"))}
    env.update(
        {
            "SOURCES__CAFE24__MALL_ID": mall,
            "SOURCES__CAFE24__BASE_URL": url + "/{mall_id}",
            "SOURCES__CAFE24__CREDENTIALS__CLIENT_ID": APP["client_id"],
            "SOURCES__CAFE24__CREDENTIALS__CLIENT_SECRET": APP["client_secret"],
            "SOURCES__CAFE24__CREDENTIALS__REFRESH_TOKEN": refresh_token,
            "SOURCES__CAFE24__BACKFILL_CHUNK_ROWS": str(KILL_CHUNK_ROWS),
            "SOURCES__CAFE24__BUCKET_DRAIN_PER_SECOND": str(drain),
            "SOURCES__CAFE24__START_DATE": opening_day_at(url, KILL_STORE["history_days"]),
        }
    )
    return env


def opening_day_at(url: str, history_days: int) -> str:
    return opening_day(Control(url), history_days)


def loaded_packages(project: Path) -> int:
    """Backfill chunks loaded so far: packages holding a table of the mall's, from dlt's working directory (the
    running CLI holds the database). Not the checks' records, nor the package of pipeline state dlt writes
    beside them: counted as chunks, those two moved every kill later, the last one into the checks."""
    from pipelines.project import Project

    done = Project.at(project).working_dir / "load" / "loaded"
    return sum(any((package / "completed_jobs").glob("[!_]*")) for package in done.glob("*"))


def cli_start(bench: Bench, project: Path, env: dict[str, str], name: str) -> subprocess.Popen:
    project.mkdir(parents=True, exist_ok=True)
    with open(bench.log, "a") as log:
        log.write(f"\n==== {name}\n")
        log.flush()
        return subprocess.Popen(CLI, cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT)


def cli_finish(bench: Bench, name: str, process: subprocess.Popen, timeout: float = 600) -> None:
    if process.wait(timeout=timeout) != 0:
        raise SystemExit(
            f"part 7: the CLI run {name} failed (exit {process.returncode}); log tail:\n"
            + bench.log.read_text()[-3000:]
        )


def matches_truth(database: Path, truth: dict) -> dict[str, bool]:
    """Per table: the loaded keys of every shop, sorted with their duplicates, equal the sandbox's truth."""
    spec = {
        "orders": ("order_id", lambda shop: truth["orders"].get(shop, [])),
        "customers": ("member_id", lambda shop: truth["customers"].get(shop, [])),
        "products": ("product_no", lambda shop: truth["products"]),
    }
    shops = sorted(truth["orders"])
    out = {}
    for table, (key, expected) in spec.items():
        ok = True
        for shop in shops:
            rows = query(str(database), f"select {key} from cafe24_data.{table} where shop_no = {shop} order by 1")
            ok = ok and sorted(str(k) for (k,) in rows) == sorted(str(k) for k in expected(shop))
        out[table] = ok
    return out


def kill_test(bench: Bench, results: dict[str, Any]) -> None:
    """Part 7: the mall's whole backfill once unbroken (limits off: its call count does not depend on the pace),
    then the same store in a fresh sandbox with real-time limits through the CLI, SIGKILLed KILLS times (each
    time just after another quarter or so of the chunks is loaded and the next chunk's calls have begun), then
    run to the end. The same seed and a frozen clock, so both sandboxes serve the same store."""
    mall = "killmall"
    config = SandboxConfig(seed=SEED, volumes=Volumes(**KILL_STORE), start_time=time.time(), clock_runs=False)
    say(
        f"part 7: kill test, {', '.join(f'{k} {v:,}' for k, v in KILL_STORE.items())}, chunks of "
        f"{KILL_CHUNK_ROWS:,} rows; first the backfill unbroken, limits off"
    )
    began = time.monotonic()
    with SandboxServer(dataclasses.replace(config, limits=Limits(enabled=False))) as server:
        ctl = Control(server.url)
        truth = ctl.truth(mall)
        whole = bench.workdir / "kill-whole"
        process = cli_start(
            bench, whole, cli_env(bench, server.url, mall, ctl.grant(mall)["refresh_token"], 10000), "kill-whole"
        )
        cli_finish(bench, "kill-whole", process)
        unbroken_stats = ctl.mall_stats(mall)
        unbroken = requests_by(unbroken_stats)
        packages = loaded_packages(whole)
        whole_ok = matches_truth(whole / "cafe24.duckdb", truth)
    say(f"  unbroken: {unbroken} calls, {packages} load packages; now with real-time limits, killed {KILLS} times")
    step = max(1, packages // (KILLS + 1))  # kills spread over the backfill, the final run loads the rest
    kills: list[dict[str, Any]] = []
    by_run: list[dict[str, int]] = []  # each process's calls by path

    def paths(stats: dict[str, dict[str, int]]) -> Counter[str]:
        return Counter({k.split("/api/v2/admin", 1)[-1]: v.get("requests", 0) for k, v in stats.items()})

    with SandboxServer(config) as server:
        ctl = Control(server.url)
        truth = ctl.truth(mall)
        project = bench.workdir / "kill"
        env = cli_env(bench, server.url, mall, ctl.grant(mall)["refresh_token"], DRAIN)
        paced = time.monotonic()
        for k in range(1, KILLS + 1):
            started = time.monotonic()
            process = cli_start(bench, project, env, f"kill-{k}")
            target = k * step
            deadline = started + 300
            while loaded_packages(project) < target and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            at = requests_by(ctl.mall_stats(mall))
            # Into the next chunk: its first calls made, so the kill loses work in flight.
            while requests_by(ctl.mall_stats(mall)) < at + 2 and process.poll() is None:
                time.sleep(0.02)
            finished = process.poll() is not None
            if not finished:
                process.send_signal(signal.SIGKILL)
                process.wait()
            by_run.append(dict(paths(ctl.mall_stats(mall)) - sum(map(Counter, by_run), Counter())))
            kills.append(
                {
                    "after_packages": target,
                    "packages": loaded_packages(project),
                    "calls": requests_by(ctl.mall_stats(mall)),
                    "seconds": time.monotonic() - started,
                    "killed": not finished,
                }
            )
            say(
                f"  run {k}: "
                + (f"SIGKILL after {kills[-1]['packages']} packages" if not finished else "ended before its kill")
                + f", {kills[-1]['calls']} calls so far"
            )
        process = cli_start(bench, project, env, "kill-final")
        cli_finish(bench, "kill-final", process)
        stats = ctl.mall_stats(mall)
        total = requests_by(stats)
        by_run.append(dict(paths(stats) - sum(map(Counter, by_run), Counter())))
        ok = matches_truth(project / "cafe24.duckdb", truth)
        results["kill"] = {
            "store": KILL_STORE,
            "chunk_rows": KILL_CHUNK_ROWS,
            "unbroken_calls": unbroken,
            "unbroken_packages": packages,
            "unbroken_matches_truth": whole_ok,
            "kills": kills,
            "killed": sum(k["killed"] for k in kills),
            "calls": total,
            "ratio": total / unbroken,
            "final_run_calls": total - kills[-1]["calls"],
            "packages": loaded_packages(project),
            "throttled": requests_by(stats, "throttled"),
            "matches_truth": ok,
            "unbroken_calls_by_path": dict(paths(unbroken_stats)),
            "calls_by_path_by_run": by_run,
            "paced_seconds": time.monotonic() - paced,
            "seconds": time.monotonic() - began,
        }
    r = results["kill"]
    say(
        f"  {r['killed']} kills + a final run: {total} calls ÷ {unbroken} unbroken = {r['ratio']:.2f}; "
        f"tables equal truth: {', '.join(f'{t} {v}' for t, v in ok.items())}; {r['throttled']} x 429; "
        f"{r['seconds']:.0f} s"
    )


# ------------------------------------------------------------------------------------------------ main


def machine() -> dict[str, Any]:
    import platform

    import dlt
    import duckdb
    import httpx

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    try:
        import matplotlib

        mpl = matplotlib.__version__
    except ImportError:
        mpl = None
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "ram_gib": round(mem / 1024 / 1024, 1),
        "cpu": cpu,
        "os": platform.platform(),
        "python": platform.python_version(),
        "dlt": dlt.__version__,
        "duckdb": duckdb.__version__,
        "httpx": httpx.__version__,
        "matplotlib": mpl,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parts", default="1,2,3,4,5,6,7,8,9", help="which parts to run (default all)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (DuckDB files, logs)")
    parser.add_argument("--no-report", action="store_true", help="write the JSON only, not BENCHMARKS.md")
    parser.add_argument("--no-sandbox-speed", action="store_true", help="skip benchmarks/sandbox_speed.py")
    parser.add_argument(
        "--local-sizes",
        default=os.environ.get("BENCH_LOCAL_SIZES"),
        help="part 4's order counts, comma separated (default "
        f"{','.join(map(str, LOCAL_SIZES))}; env BENCH_LOCAL_SIZES)",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="measure nothing: write BENCHMARKS.md and the chart again from benchmarks/results/",
    )
    args = parser.parse_args(argv)
    if args.report_only:
        from .report import console_table, write_report

        results = json.loads((RESULTS / "summary.json").read_text())
        if (RESULTS / "ceiling_timeline.json").exists():
            results["timeline"] = json.loads((RESULTS / "ceiling_timeline.json").read_text())
        write_report(results)
        say(console_table(results))
        return 0
    parts = {int(p) for p in args.parts.split(",")}
    began = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="cafe24-bench-"))
    bench = Bench(workdir, workdir / "workers.log")
    results: dict[str, Any] = {"machine": machine(), "seed": SEED}
    say(f"cafe24-dlt benchmarks: {results['machine']['nproc']} cores, {results['machine']['cpu']}; work dir {workdir}")
    try:
        if not args.no_sandbox_speed:
            say("sandbox speed (benchmarks/sandbox_speed.py): is the sandbox faster than the bucket?")
            speed = subprocess.run(
                [sys.executable, "-m", "benchmarks.sandbox_speed"],
                cwd=ROOT,
                env=bench.env,
                capture_output=True,
                text=True,
                check=True,
            )
            results["sandbox_speed"] = speed.stdout
            say(speed.stdout)
        if parts & {1, 2, 3, 5, 6, 8}:
            with SandboxServer(SandboxConfig(seed=SEED)) as server:
                ctl = Control(server.url)
                if parts & {1, 2, 6}:
                    phase_a(bench, server.url, ctl, parts, results)
                if 3 in parts and "ceiling" in results:
                    incremental(bench, server.url, ctl, results)
                if 5 in parts:
                    many_malls(bench, server.url, ctl, results)
                if 8 in parts:
                    from .dagster_malls import dagster_malls  # imports Dagster, which only part 8 needs

                    dagster_malls(bench, server.url, ctl, results)
        if 4 in parts:
            with SandboxServer(SandboxConfig(seed=SEED, limits=Limits(enabled=False))) as server:
                local(bench, server.url, Control(server.url), results, sizes(args.local_sizes, LOCAL_SIZES))
        if 7 in parts:
            kill_test(bench, results)
        if 9 in parts:
            from .deletions import deletion_cost

            deletion_cost(workdir, results, say)
        results["total_seconds"] = time.monotonic() - began
        save(results)
        if not args.no_report:
            from .report import write_report

            write_report(results)
        from .report import console_table

        say("\n" + console_table(results))
        say(
            f"\nthe benchmark run took {results['total_seconds'] / 60:.1f} min; wrote "
            + ("" if args.no_report else "BENCHMARKS.md and ")
            + f"{RESULTS}/"
        )
    finally:
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def sizes(text: str | None, default: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(x.replace("_", "")) for x in text.split(",")) if text else default


def save(results: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name in (
        "ceiling",
        "completeness",
        "incremental",
        "local",
        "many_malls",
        "dcollection",
        "kill",
        "dagster_malls",
        "deletions",
    ):
        if name in results:
            write_json(
                RESULTS / f"{name}.json", {"machine": results["machine"], "seed": results["seed"], name: results[name]}
            )
    write_json(RESULTS / "summary.json", {k: v for k, v in results.items() if k != "timeline"})
    if "timeline" in results:
        write_json(RESULTS / "ceiling_timeline.json", results["timeline"])


def phase_a(bench: Bench, url: str, ctl: Control, parts: set[int], results: dict[str, Any]) -> None:
    """Parts 1, 2 and 6 side by side: our source on mall `bench`, rest_api on mall `peer` (same volumes, its own
    bucket), and the D.Collection feed (its own 40-a-minute limit)."""
    say("part 1/2/6: preparing malls (products 7,000 / orders 45,000 / customers 15,000 each)")
    grants = {"bench": prepare(ctl, "bench", CEILING_STORE)}
    peer_grant = prepare(ctl, "peer", CEILING_STORE) if 2 in parts else None
    start_day = opening_day(ctl, 400)
    running = {}
    if parts & {1, 2}:
        running["ours"] = bench.start(
            "ceiling",
            {
                "kind": "ours",
                "url": url,
                "workdir": str(bench.workdir / "bench"),
                "malls": ["bench"],
                "tables": ["products", "orders", "customers"],
                "grants": grants,
                "record": True,
                "options": {"start_date": start_day},
            },
        )
    if 2 in parts:
        today = datetime.fromtimestamp(ctl.clock(), KST).date()
        first = today - relativedelta(months=3) + timedelta(days=1)  # the API wants under 3 months
        running["peer"] = bench.start(
            "peer",
            {
                "kind": "peer",
                "url": url,
                "workdir": str(bench.workdir / "peer"),
                "mall": "peer",
                "access_token": peer_grant["access_token"],
                "orders_start": first.isoformat(),
                "orders_end": today.isoformat(),
            },
        )
        results["peer_window"] = [first.isoformat(), today.isoformat()]
    if 6 in parts:
        running["dcollection"] = bench.start(
            "dcollection", {"kind": "dcollection", "url": url, "workdir": str(bench.workdir / "dcollection")}
        )
    say(f"  running side by side: {', '.join(running)} (about 4 minutes)")
    done = {name: bench.wait(name, started) for name, started in running.items()}
    stats = ctl.stats()["malls"]
    if "ours" in done:
        result = done["ours"]
        results["ceiling"] = {"store": CEILING_STORE, **ceiling(result, stats.get("bench", {}))}
        results["timeline"] = [{k: e[k] for k in ("t", "path", "status", "used")} for e in result["events"]]
        c = results["ceiling"]
        say(
            f"  part 1: {c['calls']} calls in {c['extract_seconds']:.0f} s = {c['calls_per_s']:.2f} calls/s, "
            f"{c['throttled']} x 429"
        )
    if "peer" in done:
        results["completeness"] = completeness(
            done["ours"]["duckdb"],
            "bench",
            ctl.truth("bench"),
            done["peer"]["duckdb"],
            ctl.truth("peer"),
            done["peer"],
            done["ours"],
            stats.get("bench", {}),
            stats.get("peer", {}),
        )
        results["completeness"]["peer_window"] = results.pop("peer_window")
        p = results["completeness"]
        say(
            f"  part 2: peer {p['peer_calls']} calls, {p['peer_throttled']} x 429, {p['peer_seconds']:.0f} s"
            + (f", failed: {p['peer_error'][:120]}" if p["peer_error"] else "")
        )
    if "dcollection" in done:
        result = done["dcollection"]
        dstats = stats.get(f"dcollection:{'sandbox-client-id'}", {})
        results["dcollection"] = {
            **per_minute(data_calls(result["events"])),
            "throttled": requests_by(dstats, "throttled"),
            "requests": requests_by(dstats),
            "elapsed": result["elapsed"],
            "steps": result["steps"],
            "rows": result["rows"],
        }
        d = results["dcollection"]
        say(
            f"  part 6: {d['calls']} calls, {d['calls_per_complete_minute']} per complete minute, "
            f"{d['throttled']} x 429"
        )


def incremental(bench: Bench, url: str, ctl: Control, results: dict[str, Any]) -> None:
    say("part 3: a live hour on mall bench, then an incremental run, then a run with no change")
    workdir = str(bench.workdir / "bench")
    job = {
        "kind": "ours",
        "url": url,
        "workdir": workdir,
        "malls": ["bench"],
        "tables": ADMIN_TABLES,
        "record": True,
        "count_rows": True,
        "options": {"start_date": opening_day(ctl, 400)},
    }
    ctl.live("bench", **LIVE)
    ctl.advance(3600)
    ctl.truth("bench")  # draw the hour's activity now, outside the timed run
    before = requests_by(ctl.mall_stats("bench"))
    changed = bench.run("incremental", job)
    after = requests_by(ctl.mall_stats("bench"))
    ctl.live("bench")  # quiet again
    quiet_before = after
    quiet = bench.run("incremental-quiet", job)
    quiet_after = requests_by(ctl.mall_stats("bench"))
    calls, minimum, slices = minimum_calls(changed["events"])
    q_calls, q_min, q_slices = minimum_calls(quiet["events"])
    results["incremental"] = {
        "live_rates": LIVE,
        "advanced_seconds": 3600,
        "after_burst": {
            "calls": calls,
            "sandbox_calls": after - before,
            "minimum": minimum,
            "ratio": calls / minimum,
            "slices": sum(slices.values()),
            "slices_by_table": slices,
            "rows": changed["rows"],
            "nested_rows": changed["nested_rows"],
            "seconds": changed["elapsed"],
            "throttled": changed["throttled"],
            "calls_by_path": dict(Counter(e["path"].split("/admin", 1)[-1] for e in data_calls(changed["events"]))),
        },
        "no_change": {
            "calls": q_calls,
            "sandbox_calls": quiet_after - quiet_before,
            "minimum": q_min,
            "slices": sum(q_slices.values()),
            "slices_by_table": q_slices,
            "calls_per_slice": q_calls / sum(q_slices.values()),
            "rows": quiet["rows"],
            "seconds": quiet["elapsed"],
            "throttled": quiet["throttled"],
        },
    }
    say(
        f"  after the burst: {calls} calls for a minimum of {minimum}; no change: {q_calls} calls for "
        f"{sum(q_slices.values())} slices"
    )


def cpu_use(result: dict[str, Any]) -> dict[str, Any]:
    """CPU seconds of the pipeline process per step and of the sandbox (which works during extraction only), and
    how much of the machine extraction kept busy."""
    cpu = result.get("step_cpu_seconds", {})
    extract = result["steps"].get("extract", 0.0)
    sandbox = result.get("sandbox_cpu_seconds", 0.0)
    return {
        "step_cpu_seconds": cpu,
        "sandbox_cpu_seconds": sandbox,
        # cores kept busy during extraction: the pipeline process (all its threads, one interpreter) and the
        # sandbox, which only works while the pipeline extracts
        "extract_pipeline_cores": cpu.get("extract", 0.0) / extract if extract else None,
        "extract_sandbox_cores": sandbox / extract if extract else None,
    }


def many_malls(bench: Bench, url: str, ctl: Control, results: dict[str, Any]) -> None:
    out: dict[str, Any] = {"store": SMALL_STORE, "runs": {}}
    for n in MANY:
        malls = [f"many{n}x{i:02d}" for i in range(n)]
        say(f"part 5: {n} mall(s) in one run")
        grants = {m: prepare(ctl, m, SMALL_STORE) for m in malls}
        result = bench.run(
            f"many-{n}",
            {
                "kind": "ours",
                "url": url,
                "workdir": str(bench.workdir / f"many{n}"),
                "malls": malls,
                "tables": ADMIN_TABLES,
                "grants": grants,
                "record": True,
                "options": {"start_date": opening_day(ctl, SMALL_STORE["history_days"])},
            },
        )
        stats = ctl.stats()["malls"]
        events = data_calls(result["events"])
        rows = sum(result["rows"].values())
        nested = sum(result["nested_rows"].values())
        extract = result["steps"]["extract"]
        per_mall = Counter(e["mall"] for e in events)
        out["runs"][str(n)] = {
            "malls": n,
            "calls": len(events),
            "rows": rows,
            "nested_rows": nested,
            "seconds": result["elapsed"],
            "steps": result["steps"],
            "rows_per_s": rows / result["elapsed"],
            "all_rows_per_s": (rows + nested) / result["elapsed"],
            "calls_per_s": len(events) / extract,
            "ideal_extract_seconds": max((c - BURST) / DRAIN for c in per_mall.values()),
            "throttled": sum(requests_by(stats.get(m, {}), "throttled") for m in malls),
            "peak_rss_mb": result["peak_rss_mb"],
            **cpu_use(result),
        }
        r = out["runs"][str(n)]
        say(
            f"  {r['calls']} calls, {rows} rows (+{nested} nested) in {r['seconds']:.0f} s "
            f"(extract {extract:.0f} s, ideal {r['ideal_extract_seconds']:.0f} s), {r['throttled']} x 429"
        )
    one = out["runs"]["1"]
    for r in out["runs"].values():
        r["speedup"] = r["rows_per_s"] / one["rows_per_s"]
        r["extract_speedup"] = r["calls_per_s"] / one["calls_per_s"]
    results["many_malls"] = out


def local(bench: Bench, url: str, ctl: Control, results: dict[str, Any], sizes: tuple[int, ...] = LOCAL_SIZES) -> None:
    """Part 4: the CLI's chunked path (pipelines.run.load, one load package per backfill_chunk_rows orders) with
    limits off; each size in its own process, whose peak RSS is its VmHWM over the whole run."""
    out: dict[str, Any] = {"runs": {}, "sizes": list(sizes), "path": "chunked", "chunk_rows": chunk_rows(bench.env)}
    for size in sizes:
        mall = f"local{size // 1000}k"
        say(f"part 4: {size:,} orders with items, limits off, chunked as the CLI loads, in a process of its own")
        started = time.monotonic()
        grants = {mall: prepare(ctl, mall, {"orders": size, "products": 50, "customers": 50})}
        generated = time.monotonic() - started
        result = bench.run(
            f"local-{size}",
            {
                "kind": "chunked",
                "url": url,
                "workdir": str(bench.workdir / mall),
                "malls": [mall],
                "tables": ["orders"],
                "grants": grants,
                "options": {"start_date": opening_day(ctl, 400), "bucket_drain_per_second": 10000},
            },
        )
        rows = result["rows"].get("orders", 0)
        nested = result["nested_rows"].get("orders", 0)
        out["runs"][str(size)] = {
            "orders": size,
            "rows": rows,
            "nested_rows": nested,
            "seconds": result["elapsed"],
            "steps": result["steps"],
            "calls": result["calls"],
            "rows_per_s": (rows + nested) / result["elapsed"],
            "orders_per_s": rows / result["elapsed"],
            "peak_rss_mb": result["peak_rss_mb"],
            "chunks": result.get("chunks"),
            "each_step": result.get("each_step", {}),
            "sandbox_generation_seconds": generated,
            "step_peak_rss_mb": result.get("step_peak_rss_mb", {}),
            **cpu_use(result),
        }
        r = out["runs"][str(size)]
        say(
            f"  {rows + nested:,} rows in {r['seconds']:.0f} s = {r['orders_per_s']:,.0f} orders/s in {r['chunks']} "
            f"chunk(s); peak RSS {r['peak_rss_mb']:.0f} MiB"
        )
    small, big = (out["runs"][str(s)] for s in (min(sizes), max(sizes)))
    out["rss_ratio"] = big["peak_rss_mb"] / small["peak_rss_mb"]
    results["local"] = out


def chunk_rows(env: dict[str, str]) -> int:
    from sources.cafe24.paging import BACKFILL_CHUNK_ROWS

    return int(env.get("SOURCES__CAFE24__BACKFILL_CHUNK_ROWS") or BACKFILL_CHUNK_ROWS)


if __name__ == "__main__":
    sys.exit(main())
