"""One run of the sources into a destination, with a project's state and database: the CLI's and the demo's."""

from __future__ import annotations

import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any, TextIO

import dlt
from dlt.common.configuration.resolve import resolve_configuration
from dlt.common.destination import Destination
from dlt.common.pipeline import LoadInfo
from dlt.common.runtime.collector import NULL_COLLECTOR
from dlt.common.typing import TLoaderFileFormat
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt.pipeline.trace import PipelineTrace
from dlt.sources import DltResource, DltSource

from sources.cafe24 import (
    MallSession,
    cafe24_source,
    collect_sessions,
    dcollection_source,
    resource_name,
)
from sources.cafe24.client import ApiClient, collect_clients
from sources.cafe24.dcollection import Feed, collect_feeds
from sources.cafe24.endpoints import BY_TABLE, KEYS, PARENT_OF
from sources.cafe24.errors import redact
from sources.cafe24.fields import DECLARED

from .backfill import next_chunk, pending
from .completeness import CHECKS, Count, check, order_counts, schema_tables
from .completeness import records as counted
from .cursors import carry_over, forget
from .deletions import Reconciled, Reload, reconcile, refreshed
from .deletions import records as decided
from .errors import Interrupted, LoadFailed, UsageError, cause_of
from .lake import TABLE_FORMAT, check_lake, drop_replaced_children, lake_settings
from .memory import bound_allocators
from .project import Project
from .report import Progress, RunResult, calls_by_api
from .runlock import one_run_at_a_time
from .transform import DESTINATIONS as TRANSFORM_DESTINATIONS
from .transform import TransformResult
from .transform import transform as build_models

DEFAULT_DATASET = "cafe24_data"
DUCKDB_MEMORY_LIMIT = "512MB"
# The Admin tables arrive as typed Arrow tables, which DuckDB reads fastest as parquet. Other destinations get
# dlt's pick per kind of item: Postgres takes no parquet without an ADBC driver, so Arrow goes in as csv (COPY;
# 1.2 s to normalize and load a 3,000-order store, against 3 s as insert_values) and D.Collection's dicts as
# insert_values.
FILE_FORMAT: dict[str, TLoaderFileFormat] = {"duckdb": "parquet"}


def build_sources(
    source_args: dict[str, Any], which: str, dcollection_args: dict[str, Any] | None = None
) -> list[DltSource]:
    """admin: the Admin tables; front: front_products; dcollection: the partner feed; all: everything.
    D.Collection takes the same app credentials as the Admin API (sources.cafe24.credentials)."""
    built: list[DltSource] = []
    if which in ("admin", "front", "all"):
        cafe24 = cafe24_source(**source_args)
        keep = [
            n
            for n, r in cafe24.resources.items()
            if which == "all" or (r.table_name == "front_products") == (which == "front")
        ]
        cafe24.resources.select(*keep)
        built.append(cafe24)
    if which in ("dcollection", "all"):
        built.append(dcollection_source(**(dcollection_args or {})))
    return built


def _which_source(table: str) -> str:
    """The --source that loads a table this run does not: the usual slip with --resources."""
    if table in BY_TABLE:
        return f": add --source {'front' if BY_TABLE[table].api == 'front' else 'admin'} (or --source all)"
    if table.startswith("dcollection_"):
        return ": add --source dcollection (or --source all)"
    return ""


def load(
    source_args: dict[str, Any],
    *,
    tables: Sequence[str] | None = None,
    destination: str = "duckdb",
    dataset: str = DEFAULT_DATASET,
    full_refresh: bool = False,
    project: Project | None = None,
    wait: float = 0.0,
    out: TextIO = sys.stdout,
    which: str = "admin",
    dcollection_args: dict[str, Any] | None = None,
    staging_dataset: str | None = None,
    transform: bool = False,
) -> RunResult:
    """One run into `destination`, with the state and database of `project` (default: the current directory).
    `source_args` go to `cafe24_source` as they are, so what is left out comes from dlt config; `which` picks
    the APIs and `tables` picks tables by name (default: all of them). `staging_dataset` names the dataset dlt
    stages merges in (default: the dataset's name + `_staging`): pipelines loading one dataset side by side each
    need their own, since a load empties the staging tables before it fills them. `transform` builds and tests
    the dbt models of transform/ after the load, still holding the run lock (the result's `transform` says how
    it went; a failed model or test does not raise).

    A backfill loads in chunks (pipelines/backfill.py): after each load, the resources whose backfill is not
    done run again, until none is left; an incremental run is one load."""
    project = project or Project.at()
    bound_allocators()
    clients: list[ApiClient] = []  # every chunk's, so calls add up over the run
    sessions: list[MallSession] = []  # every chunk's, for what they learned: shops, clock, notes
    feeds: list[Feed] = []  # D.Collection's, for its count

    def build(**chunk: Any) -> list[DltSource]:
        with collect_clients() as found, collect_sessions() as malls, collect_feeds() as fed:
            built = build_sources({**source_args, **chunk}, which, dcollection_args)
        clients.extend(found)
        sessions.extend(malls)
        feeds.extend(fed)
        return built

    check_lake(destination, which)
    if transform and destination not in TRANSFORM_DESTINATIONS:
        raise UsageError(
            f"--transform builds the models in {' or '.join(TRANSFORM_DESTINATIONS)}, not in {destination}"
        )
    try:
        sources = build()
    except ValueError as exc:  # a refused base URL, an unreadable start date
        raise UsageError(redact(str(exc))) from None
    by_table: dict[str, list[tuple[DltSource, str]]] = defaultdict(list)
    for source in sources:
        for name, resource in source.selected_resources.items():
            by_table[str(resource.table_name)].append((source, name))
    wanted = list(tables) if tables else list(by_table)
    unknown = [t for t in wanted if t not in by_table]
    if unknown:
        raise UsageError(
            f"unknown table {unknown[0]!r}{_which_source(unknown[0])}; this run loads {', '.join(sorted(by_table))}"
        )
    for source in sources:
        source.resources.select(*(name for t in wanted for s, name in by_table[t] if s is source))

    def calls() -> int:
        return sum(c.stats.calls for c in clients)

    def expected() -> Counter[str]:
        return sum((c.stats.expected for c in clients), Counter())

    staging: dict[str, Any] = {"staging_dataset_name_layout": staging_dataset} if staging_dataset else {}
    formats: dict[str, Any] = {
        "loader_file_format": FILE_FORMAT.get(destination),
        "table_format": TABLE_FORMAT.get(destination),
    }
    if destination == "duckdb":
        project.duckdb.parent.mkdir(parents=True, exist_ok=True)
        target: Any = dlt.destinations.duckdb(_duckdb_credentials(str(project.duckdb)), **staging)
    else:
        target = Destination.from_reference(destination, **staging) if staging else destination
    with one_run_at_a_time(project.lock_file, wait), lake_settings(destination):
        pipeline = dlt.pipeline(
            pipeline_name=project.pipeline_name,
            destination=target,
            dataset_name=dataset,
            pipelines_dir=str(project.pipelines_dir),
            progress=Progress(out, calls, expected),
        )
        started = time.monotonic()
        traces: list[PipelineTrace] = []
        try:
            _prepare(pipeline, sources, full_refresh, out)
            known = _columns(pipeline)
            resumed = pending(pipeline, sources)
            if resumed:  # an earlier run stopped mid-backfill: finish it first, as an unbroken backfill would
                print(
                    f"  resuming the backfill of {', '.join(n for names in resumed.values() for n in names)}; "
                    "the other tables and shops catch up on the next run",
                    file=out,
                    flush=True,
                )
                sources = next_chunk(resumed, build)
            while True:
                _check(pipeline.run(sources, **formats))
                traces.append(_last_trace(pipeline))
                left = pending(pipeline, sources)
                if not left:
                    break
                print(
                    f"  backfill chunk {len(traces) + 1}: {', '.join(n for names in left.values() for n in names)}",
                    file=out,
                    flush=True,
                )
                sources = next_chunk(left, build)
            if destination in TABLE_FORMAT:
                for table, n in drop_replaced_children(pipeline).items():
                    print(
                        f"  {table}: deleted {n} row(s) their parent's latest load no longer has", file=out, flush=True
                    )
                counts, deleted = None, None  # dlt reads a Delta lake through an extension this machine lacks
            else:
                kept = order_counts(pipeline, sessions)
                counts = check(pipeline, sessions, wanted, feeds, kept)

                def reload(keys: Reload) -> None:
                    _check(pipeline.run(_reloading(keys, build), **formats))
                    traces.append(_last_trace(pipeline))

                deleted = reconcile(pipeline, sessions, counts, reload)
                counts = refreshed(pipeline, counts, sessions, deleted)
                _record(pipeline, counts, kept, deleted, sessions, traces)
        except PipelineStepFailed as exc:
            if cause_of(exc, KeyboardInterrupt):
                raise Interrupted(_kept_after_interrupt(pipeline, exc.step, len(traces))) from None
            if traces:
                print(
                    f"  the {len(traces)} backfill chunk(s) this run loaded are kept; the next run goes on from there",
                    file=out,
                    flush=True,
                )
            raise
        new_columns = _undeclared(_columns(pipeline), known)
        elapsed = time.monotonic() - started
        models = build_models(pipeline, out) if transform else None
    notes = list(dict.fromkeys(note for session in sessions for note in session.notes))
    result = _result(traces, wanted, clients, elapsed, destination, dataset, new_columns, notes, counts, models)
    result.deletions = deleted
    return result


def _last_trace(pipeline: dlt.Pipeline) -> PipelineTrace:
    trace = pipeline.last_trace
    if trace is None:  # pipeline.run() leaves one, failed or not
        raise RuntimeError("dlt left no trace of the run it just made")
    return trace


def _reloading(keys: Reload, build: Any) -> list[DltSource]:
    """The Admin source loading exactly these rows again, by key, and nothing else."""
    sources = [s for s in build(reload=keys, count_totals=False, backfills_only=False) if s.name == "cafe24"]
    for source in sources:
        source.resources.select(*(resource_name(t, m) for t, malls in keys.items() for m in malls))
    return sources


def _record(
    pipeline: dlt.Pipeline,
    counts: list[Count],
    kept: dict[str, dict[str, Any]],
    deleted: list[Reconciled],
    sessions: Sequence[MallSession],
    traces: Sequence[PipelineTrace],
) -> None:
    """The counts and the deletion checks go in with the run's last load id, through one load of their own that the
    progress display does not announce: they are the checks', not news of the mall."""
    info = traces[-1].last_load_info if traces else None
    load_id = info.loads_ids[-1] if info and info.loads_ids else ""
    progress, pipeline.collector = pipeline.collector, NULL_COLLECTOR
    try:
        resources = [r for r in (counted(counts, load_id, kept), decided(deleted, sessions, load_id)) if r is not None]
        if resources:
            pipeline.run(_checks(resources)).raise_on_failed_jobs()
    finally:
        pipeline.collector = progress


@dlt.source(name=CHECKS)
def _checks(resources: list[DltResource]) -> list[DltResource]:
    """The checks' tables in a schema of their own: the few rows a run appends then skip the hashing and copying
    of the Admin schema's hundreds of columns (0.18 s of CPU a run). Their tables were in that schema before; the
    destination's tables are the same, and dlt adds only what a table lacks."""
    return resources


def _duckdb_credentials(path: str) -> DuckDbCredentials:
    """DuckDB's own memory is capped: left to its default (80% of RAM), its merge of one backfill chunk grew the
    process past 1.8 GiB; capped, it spills to a temporary folder beside the database instead. Resolved here, once:
    dlt resolves the destination's configuration again for every load job, and resolved credentials are taken as
    they are (a third less CPU in that resolution, about 0.1 s a run)."""
    credentials = DuckDbCredentials(path)
    credentials.global_config = {"memory_limit": DUCKDB_MEMORY_LIMIT}
    return resolve_configuration(credentials, accept_partial=True)


def _check(info: LoadInfo) -> None:
    if info.has_failed_jobs:
        failed = [
            job.job_file_info.table_name
            for package in info.load_packages
            for job in package.jobs.get("failed_jobs", [])
        ]
        raise LoadFailed(f"the destination refused the load jobs of {', '.join(sorted(set(failed)))}")


def _result(
    traces: Sequence[PipelineTrace],
    tables: list[str],
    clients: Sequence[ApiClient],
    elapsed: float,
    destination: str,
    dataset: str,
    new_columns: list[str],
    notes: list[str],
    completeness: list[Count] | None,
    transform: TransformResult | None,
) -> RunResult:
    """Rows and extraction time added over the run's loads (one, or a backfill's chunks)."""
    rows: dict[str, int] = defaultdict(int)
    nested_rows: dict[str, int] = defaultdict(int)
    nested_tables: dict[str, set[str]] = defaultdict(set)
    extract_seconds = 0.0
    for trace in traces:
        counts = trace.last_normalize_info.row_counts if trace.last_normalize_info else {}
        for table, n in counts.items():
            if table.startswith("_dlt"):
                continue
            root = PARENT_OF.get(table) or table.split("__")[0]  # our child tables; dlt's nested (D.Collection)
            if root == table:
                rows[table] += n
            else:
                nested_rows[root] += n
                nested_tables[root].add(table)
        extract = next((s for s in trace.steps if s.step == "extract"), None)
        extract_seconds += (extract.finished_at - extract.started_at).total_seconds() if extract else 0.0
    return RunResult(
        tables=tables,
        rows=dict(rows),
        nested={k: (n, len(nested_tables[k])) for k, n in nested_rows.items()},
        new_columns=new_columns,
        malls=calls_by_api(clients),
        elapsed=elapsed,
        extract_seconds=extract_seconds or elapsed,
        destination=destination,
        dataset=dataset,
        notes=notes,
        completeness=completeness,
        transform=transform,
    )


def _columns(pipeline: dlt.Pipeline) -> dict[str, set[str]]:
    return {name: set(table.get("columns", {})) for name, table in schema_tables(pipeline).items()}


def _undeclared(after: dict[str, set[str]], before: dict[str, set[str]]) -> list[str]:
    """Columns this run added that the declared schema does not know: the API started sending something new."""
    found = []
    for table, columns in after.items():
        if table in DECLARED:
            ours = {*KEYS[table], "_dlt_load_id", "_dlt_id"}  # key columns are the connector's own
            found += [f"{table}.{c}" for c in sorted(columns - before.get(table, set()) - set(DECLARED[table]) - ours)]
    return found


def _prepare(pipeline: dlt.Pipeline, sources: Sequence[DltSource], full_refresh: bool, out: TextIO) -> None:
    """The run state before extraction: restored from the destination, an interrupted run's packages loaded
    (dlt would otherwise load them and stop, costing a cron cycle), then the cursors edited. `run()` without data
    does the first two, and syncs once per pipeline object: a `sync_destination()` here made the data's own run
    sync again, 0.23 s of CPU (13%) of a run with nothing new."""
    if pipeline.run() is not None:
        print("  finished the load an earlier run left pending", file=out, flush=True)
    for note in carry_over(pipeline):
        print(f"  state: {note}", file=out, flush=True)
    if full_refresh:
        forgotten = forget(pipeline, sources)
        print(
            f"  full refresh: forgot the cursors of {', '.join(forgotten)}; they reload from the start, merged by "
            "key. Other tables, malls and sources keep theirs.",
            file=out,
            flush=True,
        )


def _kept_after_interrupt(pipeline: dlt.Pipeline, step: str, loaded: int = 0) -> str:
    """What an interrupted run leaves: dlt commits rows and cursors together, per load package (`loaded` of
    them this run, when a backfill goes in chunks)."""
    waiting = len(pipeline.list_extracted_load_packages()) + len(pipeline.list_normalized_load_packages())
    chunks = f"the {loaded} backfill chunk(s) this run loaded are kept, rows and positions together; " if loaded else ""
    if waiting and pipeline.first_run and step != "load":
        # Nothing was ever loaded, so the dataset does not exist yet, and dlt's sync discards such a package.
        return (
            f"interrupted during the {step} step of the first run: nothing has reached the destination yet, "
            "so the next run starts over from the beginning"
        )
    if waiting:
        return (
            f"interrupted during the {step} step: {chunks}{waiting} load package(s) of this run are kept, not "
            "yet fully loaded; the next run loads them first, rows and cursors together, then extracts what is "
            "new"
        )
    if loaded:
        return (
            f"interrupted during the {step} step: {chunks}the chunk in flight was not committed, and the next "
            "run goes on from the last chunk loaded"
        )
    return (
        f"interrupted during the {step} step: nothing of this run was committed; tables and cursors are as "
        "the last completed run left them, and the next run starts from there"
    )
