"""What every benchmark part shares: the sandbox's control API, a recorder of the source's responses, and one
load of our source into DuckDB with its timings and row counts."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

APP = {"client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret"}
SEED = 24
DRAIN = 2.0  # calls/s leaving a mall's bucket
BURST = 40  # the bucket's size
DCOLLECTION_PER_MINUTE = 40
PAGE_MAX = {"products": 100, "orders": 1000, "customers": 1000}
RESULTS = Path(__file__).resolve().parent / "results"


class Control:
    """The sandbox's /__sandbox__ routes (docs/sandbox.md)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=120)

    def _ok(self, response: httpx.Response) -> Any:
        response.raise_for_status()
        return response.json()

    def grant(self, mall: str) -> dict:
        return self._ok(self.http.post(f"/__sandbox__/malls/{mall}/grant"))

    def set_volumes(self, mall: str, **volumes: Any) -> dict:
        return self._ok(self.http.put(f"/__sandbox__/malls/{mall}/volumes", json=volumes))

    def truth(self, mall: str) -> dict:
        """Ground truth now; the first call also generates the mall, so runs do not time its generation."""
        return self._ok(self.http.get(f"/__sandbox__/malls/{mall}/truth"))

    def stats(self) -> dict:
        return self._ok(self.http.get("/__sandbox__/stats"))

    def delete(self, mall: str, **rows: list) -> dict:
        """The merchant deletes {"products": [...], "members": [...]}."""
        return self._ok(self.http.post(f"/__sandbox__/malls/{mall}/delete", json=rows))

    def mall_stats(self, who: str) -> dict[str, dict[str, int]]:
        return self.stats()["malls"].get(who, {})

    def live(self, mall: str, **rates: float) -> dict:
        return self._ok(self.http.post(f"/__sandbox__/malls/{mall}/live", json=rates))

    def advance(self, seconds: float) -> dict:
        return self._ok(self.http.post("/__sandbox__/clock/advance", json={"seconds": seconds}))

    def clock(self) -> float:
        return float(self._ok(self.http.get("/__sandbox__/clock"))["epoch"])


def requests_by(stats: dict[str, dict[str, int]], key: str = "requests") -> int:
    return sum(row.get(key, 0) for row in stats.values())


# Which table an Admin path belongs to, for attributing calls.
def table_of(path: str) -> str:
    tail = path.split("/api/v2/admin/", 1)[-1] if "/api/v2/admin/" in path else path.rsplit("/api/v2/", 1)[-1]
    head = tail.split("/", 1)[0]
    return {"customersprivacy": "customers"}.get(head, head)


class Recorder:
    """Every response the source's HTTP clients receive: when, which path and slice, status, and the bucket
    level the platform reported in X-Api-Call-Limit. Attached as an httpx response hook to the clients
    `collect_clients()` saw, so the source itself is not touched.

    With `count_rows`, list answers are read in the hook and their rows counted by slice (for the minimum
    number of calls an incremental run needs)."""

    LIST_KEYS = {
        "products": "products",
        "orders": "orders",
        "customersprivacy": "customersprivacy",
        "categories": "categories",
        "shops": "shops",
    }

    def __init__(self, count_rows: bool = False) -> None:
        self.count_rows = count_rows
        self.t0 = time.monotonic()
        self.events: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def attach(self, clients: Iterable[Any]) -> None:
        seen: set[int] = set()
        for client in clients:
            if id(client.http) in seen:
                continue
            seen.add(id(client.http))
            hooks = dict(client.http.event_hooks)
            hooks["response"] = [*hooks.get("response", []), self._hook]
            client.http.event_hooks = hooks

    def _hook(self, response: httpx.Response) -> None:
        now = time.monotonic()
        request = response.request
        url = urlsplit(str(request.url))
        limit = response.headers.get("x-api-call-limit") or ""
        used = int(limit.split("/")[0]) if "/" in limit else None
        event: dict[str, Any] = {
            "t": now - self.t0,
            "path": url.path,
            "status": response.status_code,
            "used": used,
            "mall": url.path.strip("/").split("/")[0],
            "shop": request.url.params.get("shop_no"),
            "date_type": request.url.params.get("date_type"),
        }
        if self.count_rows and response.status_code == 200 and "/oauth/" not in url.path:
            response.read()
            body = response.json()
            key = self.LIST_KEYS.get(url.path.rsplit("/", 1)[-1])
            if key and isinstance(body.get(key), list):
                rows = body[key]
                event["rows"] = len(rows)
                ident = {"products": "product_no", "orders": "order_id", "customersprivacy": "member_id"}.get(key)
                if ident:
                    event["keys"] = [str(r.get(ident)) for r in rows]
        with self.lock:
            self.events.append(event)

    def start(self) -> None:
        self.t0 = time.monotonic()
        with self.lock:
            self.events.clear()


def step_seconds(pipeline: Any) -> dict[str, float]:
    trace = pipeline.last_trace
    out: dict[str, float] = {}
    for step in trace.steps if trace else ():
        if step.finished_at and step.started_at:
            out[step.step] = out.get(step.step, 0.0) + (step.finished_at - step.started_at).total_seconds()
    return out


def row_counts(pipeline: Any) -> tuple[dict[str, int], dict[str, int]]:
    """(root table -> rows, root table -> rows of its child and nested tables) from the last normalize."""
    from sources.cafe24.endpoints import PARENT_OF

    trace = pipeline.last_trace
    counts = trace.last_normalize_info.row_counts if trace and trace.last_normalize_info else {}
    roots: dict[str, int] = {}
    nested: dict[str, int] = {}
    for table, n in counts.items():
        if table.startswith("_dlt"):
            continue
        root = PARENT_OF.get(table) or table.split("__")[0]
        if root == table:
            roots[root] = roots.get(root, 0) + n
        else:
            nested[root] = nested.get(root, 0) + n
    return roots, nested


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> bool:
    """Start VmHWM afresh (Linux clear_refs 5), so each step's peak can be read on its own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def run_steps(pipeline: Any, data: Any, **extract_options: Any) -> tuple[dict[str, float], dict[str, float]]:
    """pipeline.run as its three steps, with each step's peak RSS (MiB) and CPU seconds. The same work as run():
    extract, normalize, load; dlt merges the three into one trace."""
    peaks: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for step in ("extract", "normalize", "load"):
        measured = reset_peak_rss()
        cpu_before = time.process_time()
        if step == "extract":
            pipeline.extract(data, loader_file_format="parquet", **extract_options)
        elif step == "normalize":
            pipeline.normalize()
        else:
            pipeline.load()
        cpu[step] = time.process_time() - cpu_before  # every thread of this process
        if measured:
            peaks[step] = peak_rss_mb()
    return peaks, cpu


def run_ours(
    url: str,
    workdir: Path,
    malls: Sequence[str],
    tables: Sequence[str],
    *,
    name: str = "cafe24",
    grants: dict[str, dict] | None = None,
    recorder: Recorder | None = None,
    **options: Any,
) -> dict[str, Any]:
    """One run of cafe24_source into workdir/<name>.duckdb; returns timings, rows and the client's counts."""
    import dlt

    from sources.cafe24 import cafe24_source, select_tables
    from sources.cafe24.auth import Grant, TokenStore
    from sources.cafe24.client import collect_clients

    store = TokenStore(str(workdir / "tokens"))
    for mall, grant in (grants or {}).items():  # each mall's first grant, as the auth command stores it
        if store.read(mall) is None:
            store.write(Grant.from_response(grant))
    with collect_clients() as clients:
        source = cafe24_source(
            mall_id=list(malls) if len(malls) > 1 else malls[0],
            credentials=dict(APP),
            base_url=url + "/{mall_id}",
            token_store=str(store.directory),
            **options,
        )
    select_tables(source, tables)
    if recorder is not None:
        recorder.attach(clients)
        recorder.start()
    pipeline = dlt.pipeline(
        name,
        pipelines_dir=str(workdir / "pipelines"),
        destination=dlt.destinations.duckdb(str(workdir / f"{name}.duckdb")),
        dataset_name="cafe24_data",
    )
    started = time.monotonic()
    step_rss, step_cpu = run_steps(pipeline, source)
    elapsed = time.monotonic() - started
    roots, nested = row_counts(pipeline)
    calls = sum(c.stats.calls for c in clients)
    throttled = sum(c.stats.throttled for c in clients)
    retries = sum(c.stats.retries for c in clients)
    return {
        "elapsed": elapsed,
        "steps": step_seconds(pipeline),
        "rows": roots,
        "nested_rows": nested,
        "calls": calls,
        "throttled": throttled,
        "retries": retries,
        "step_peak_rss_mb": step_rss,
        "step_cpu_seconds": step_cpu,
        "duckdb": str(workdir / f"{name}.duckdb"),
    }


class StepMeter:
    """Wall seconds, CPU seconds and peak RSS of every extract, normalize and load step of this process, added
    over a backfill's chunks: the three Pipeline methods, wrapped while the meter is entered (pipeline.run calls
    them; pipelines.run.load is not touched). Each step's peak is read with VmHWM reset at its start; the
    process's peak over the whole run is the highest of those and of VmHWM read just before each reset, so the
    time between steps (building a chunk's sources, reading its state) is covered too."""

    STEPS = ("extract", "normalize", "load")

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.peaks: dict[str, float] = {}
        self.between = 0.0  # the highest VmHWM outside the steps
        self.chunks = 0  # extract steps that ran, one per load package
        self.each: dict[str, list[list[float]]] = {}  # step -> [seconds, peak MiB] of each time it ran
        self._saved: dict[str, Any] = {}

    def __enter__(self) -> StepMeter:
        from dlt.pipeline.pipeline import Pipeline

        for step in self.STEPS:
            original = getattr(Pipeline, step)
            self._saved[step] = original
            setattr(Pipeline, step, self._wrap(step, original))
        return self

    def __exit__(self, *exc: Any) -> None:
        from dlt.pipeline.pipeline import Pipeline

        for step, original in self._saved.items():
            setattr(Pipeline, step, original)
        self.between = max(self.between, peak_rss_mb())

    def _wrap(self, step: str, original: Any) -> Any:
        meter = self

        def measured(pipeline: Any, *args: Any, **kwargs: Any) -> Any:
            meter.between = max(meter.between, peak_rss_mb())
            reset = reset_peak_rss()
            wall, cpu = time.monotonic(), time.process_time()
            try:
                return original(pipeline, *args, **kwargs)
            finally:
                meter.seconds[step] = meter.seconds.get(step, 0.0) + time.monotonic() - wall
                meter.cpu[step] = meter.cpu.get(step, 0.0) + time.process_time() - cpu
                peak = peak_rss_mb() if reset else 0.0
                if reset:
                    meter.peaks[step] = max(meter.peaks.get(step, 0.0), peak)
                meter.each.setdefault(step, []).append([round(time.monotonic() - wall, 3), round(peak, 1)])
                meter.chunks += step == "extract"

        return measured

    @property
    def peak_rss_mb(self) -> float:
        return max([self.between, *self.peaks.values()])


def run_chunked(
    url: str,
    workdir: Path,
    malls: Sequence[str],
    tables: Sequence[str],
    *,
    grants: dict[str, dict] | None = None,
    destination: str = "duckdb",
    **options: Any,
) -> dict[str, Any]:
    """One run as the CLI runs it: `pipelines.run.load` into the project at workdir, so a backfill loads in
    chunks of `backfill_chunk_rows` rows per table and shop, one load package each. Returns what run_ours does,
    with per-step seconds, CPU and peaks added over the chunks, and the number of chunks."""
    import io

    from pipelines.project import Project
    from pipelines.run import load
    from sources.cafe24.auth import Grant, TokenStore

    store = TokenStore(str(workdir / "tokens"))
    for mall, grant in (grants or {}).items():
        if store.read(mall) is None:
            store.write(Grant.from_response(grant))
    source_args = {
        "mall_id": list(malls) if len(malls) > 1 else malls[0],
        "credentials": dict(APP),
        "base_url": url + "/{mall_id}",
        "token_store": str(store.directory),
        **options,
    }
    project = Project.at(workdir)
    started = time.monotonic()
    with StepMeter() as meter:
        result = load(source_args, project=project, out=io.StringIO(), tables=list(tables), destination=destination)
    elapsed = time.monotonic() - started
    return {
        "elapsed": elapsed,
        "steps": meter.seconds,
        "rows": result.rows,
        "nested_rows": {root: n for root, (n, _) in result.nested.items()},
        "calls": result.calls,
        "throttled": result.throttled,
        "retries": result.retries,
        "step_peak_rss_mb": meter.peaks,
        "step_cpu_seconds": meter.cpu,
        "chunks": meter.chunks,
        "each_step": meter.each,
        "run_peak_rss_mb": meter.peak_rss_mb,
        "duckdb": str(project.duckdb),
    }


def query(duckdb_file: str, sql: str) -> list[tuple]:
    import duckdb

    with duckdb.connect(duckdb_file, read_only=True) as con:
        return con.execute(sql).fetchall()


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, default=str))
