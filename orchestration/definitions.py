"""The Dagster code location: one partition per configured mall, each partition run loading that mall alone.

    dagster dev -m orchestration.definitions     (in the project directory: its .dlt/, grants and database)

The malls are `[sources.cafe24] mall_id` of the project's .dlt/config.toml (or SOURCES__CAFE24__MALL_ID), the
list the CLI loads, read when the code location loads: a static partitions definition built from config, not
dynamic partitions. The config stays the one list of malls (reviewed in git, shared with cron and the CLI), and
nothing in Dagster's database has to be kept in step with it; adding a mall is a line of config and a reload of
the code location. A new mall's first run is its backfill (the loader walks its history in chunks), so the
hourly schedule backfills it at its next tick, or a launch of its partition does at once.

Each run loads one mall with `pipelines.run.load`, the CLI's loader, in the run's own process (the default run
launcher starts a process per run, and its one step runs in it), as the dlt pipeline
`cafe24_<mall>`: its own state in .dlt_pipelines/cafe24_<mall>/ and in the destination, its own run lock, so a
second run of a mall is refused even when something bypasses the queue, and its own staging dataset
(`cafe24_data_staging_<mall>`): dlt empties a merge's staging tables before filling them, so malls that shared
one would empty each other's rows, and their TRUNCATEs deadlocked (make bench, part 8). The instance's queue
(dagster.yaml) keeps one run per mall (the `cafe24/mall` tag) and, into DuckDB, one run at a time (the
`cafe24_duckdb` pool: DuckDB has a single writer); runs into PostgreSQL go side by side.

Why not dagster-dlt's `@dlt_assets`: its resource makes one `pipeline.run()` per materialization and calls
`pipeline.drop()` before it. A mall's first run here is a chunked backfill, several loads each committed with
the position it reached, so a killed run loses one chunk and memory is bounded by a chunk; one run() would make
the whole history one load package. drop() would also discard what `load` does before extracting: finish the
packages an interrupted run left, carry old cursors over. And `@dlt_assets` wants a built dlt source when the
code location loads, which for this source means credentials and HTTP clients at import time. So the asset
calls the loader the CLI uses, with its lock, chunking and run summary, and reports rows per table.
"""

# No `from __future__ import annotations`: Dagster reads the context parameter's annotation as a type.
import os
import sys
import time
from collections.abc import Iterator

import dlt
from dagster import (
    AssetExecutionContext,
    AssetSpec,
    DagsterRunStatus,
    DefaultScheduleStatus,
    Definitions,
    Failure,
    MaterializeResult,
    PartitionedConfig,
    RetryPolicy,
    RunRequest,
    RunsFilter,
    ScheduleEvaluationContext,
    SkipReason,
    StaticPartitionsDefinition,
    define_asset_job,
    in_process_executor,
    multi_asset,
    schedule,
)
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines.config import configured, configured_duckdb, mall_ids
from pipelines.errors import UsageError, cause_of
from pipelines.project import PIPELINE_NAME, Project
from pipelines.report import quiet_dlt, summary
from pipelines.run import DEFAULT_DATASET, load
from pipelines.runlock import RunInProgress
from sources.cafe24.endpoints import ENDPOINTS, PARENT_OF
from sources.cafe24.errors import Cafe24AuthError

MALL_TAG = "cafe24/mall"  # one run per value at a time: dagster.yaml's tag_concurrency_limits
DUCKDB_POOL = "cafe24_duckdb"  # one slot (dagster.yaml): DuckDB takes one writer
HOURLY = "15 * * * *"
TABLES = [e.table for e in ENDPOINTS if e.api == "admin"]  # what a default CLI run loads, children folded in


def configured_malls() -> list[str]:
    malls = mall_ids(configured()[0])
    if not malls:
        raise ValueError(
            "no mall to load: set mall_id under [sources.cafe24] in the project's .dlt/config.toml "
            '(a list: ["malla", "mallb"]) or SOURCES__CAFE24__MALL_ID, and start Dagster in the '
            "project's directory"
        )
    return malls


DESTINATION: str = dlt.config.get("dagster.destination") or "duckdb"  # [dagster] destination = "postgres"
DATASET: str = dlt.config.get("dagster.dataset") or DEFAULT_DATASET
MALLS = StaticPartitionsDefinition(configured_malls())


def project_of(mall: str) -> Project:
    """The CLI's project layout, with a pipeline (state, lock) per mall."""
    return Project.at(duckdb=configured_duckdb(), pipeline_name=f"{PIPELINE_NAME}_{mall}")


def mall_tags(mall: str) -> dict[str, str]:
    return {MALL_TAG: mall}


def _children(table: str) -> str:
    children = [child for child, parent in PARENT_OF.items() if parent == table]
    return f"; loaded with {', '.join(children)}" if children else ""


@multi_asset(
    name="cafe24_mall",
    specs=[
        AssetSpec(
            ["cafe24", table],
            kinds={"dlt", DESTINATION},
            group_name="cafe24",
            description=f"{table} of every mall, keyed by mall_id{_children(table)}",
        )
        for table in TABLES
    ],
    partitions_def=MALLS,
    pool=DUCKDB_POOL if DESTINATION == "duckdb" else None,
    # A failed load is resumed by the next one (pending packages first, a backfill from its last chunk); this
    # also covers two first runs racing to create the same table in an empty PostgreSQL dataset, or to change
    # one table's columns.
    retry_policy=RetryPolicy(max_retries=2, delay=30),
)
def cafe24_mall(context: AssetExecutionContext) -> Iterator[MaterializeResult]:
    """One mall's tables: a backfill in chunks on its first run, incremental after."""
    mall = context.partition_key
    cpu = time.process_time()
    try:
        # stdout is the run's captured log: progress lines every 10 s, as under cron
        with quiet_dlt():
            result = load(
                {"mall_id": mall},
                destination=DESTINATION,
                dataset=DATASET,
                project=project_of(mall),
                out=sys.stdout,
                staging_dataset=f"{DATASET}_staging_{mall}",
            )
    except (RunInProgress, UsageError) as exc:  # another run of the mall; a configuration to fix: no retry
        raise Failure(description=str(exc), allow_retries=False) from None
    except PipelineStepFailed as exc:
        refused = cause_of(exc, Cafe24AuthError)  # no grant, or a revoked one: `auth` must run, not a retry
        if refused is None:
            raise
        raise Failure(description=str(refused), allow_retries=False) from None
    cpu = time.process_time() - cpu  # this process's, all threads: what a mall costs a machine
    context.log.info(summary(result))
    calls = result.malls.get(mall)
    for table in TABLES:
        yield MaterializeResult(
            asset_key=["cafe24", table],
            metadata={
                "rows": result.rows.get(table, 0),
                "child_rows": result.nested.get(table, (0, 0))[0],
                "calls": calls.calls if calls else 0,
                "throttled": calls.throttled if calls else 0,
                "seconds": round(result.elapsed, 1),
                "cpu_seconds": round(cpu, 1),
                "pid": os.getpid(),
                "pipeline": project_of(mall).pipeline_name,
            },
        )


cafe24_malls = define_asset_job(
    "cafe24_malls",
    selection=[cafe24_mall],
    partitions_def=MALLS,
    config=PartitionedConfig(MALLS, run_config_for_partition_key_fn=lambda _: {}, tags_for_partition_key_fn=mall_tags),
)


UNFINISHED = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
]


@schedule(job=cafe24_malls, cron_schedule=HOURLY, default_status=DefaultScheduleStatus.RUNNING)
def hourly(context: ScheduleEvaluationContext) -> list[RunRequest] | SkipReason:
    """Every mall each hour; a mall whose last run is still queued or going is left out this hour rather than
    queued behind it (a long backfill would otherwise pile up a run per hour)."""
    busy = {
        run.tags[MALL_TAG]
        for run in context.instance.get_runs(RunsFilter(job_name=cafe24_malls.name, statuses=UNFINISHED))
        if MALL_TAG in run.tags
    }
    tick = context.scheduled_execution_time.isoformat()
    due = [mall for mall in MALLS.get_partition_keys() if mall not in busy]
    if not due:
        return SkipReason(f"every mall's previous run is still going: {', '.join(sorted(busy))}")
    if busy:
        context.log.info(f"left out this hour, their previous run still going: {', '.join(sorted(busy))}")
    return [RunRequest(run_key=f"{mall}@{tick}", partition_key=mall, tags=mall_tags(mall)) for mall in due]


# A run is one step, and the run launcher already starts each run in its own process: the multiprocess executor
# would only add a second interpreter per run.
defs = Definitions(assets=[cafe24_mall], jobs=[cafe24_malls], schedules=[hourly], executor=in_process_executor)
