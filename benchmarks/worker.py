"""`python -m benchmarks.worker JOB.json`: one load in its own process, so runs can go side by side and each
one's peak memory is its own. Writes the job's result (timings, rows, calls, the response timeline, peak RSS)
to the job's `out` path."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from .common import (
    APP,
    Recorder,
    peak_rss_mb,
    row_counts,
    run_chunked,
    run_ours,
    step_seconds,
    write_json,
)


def ours(job: dict[str, Any]) -> dict[str, Any]:
    recorder = Recorder(count_rows=job.get("count_rows", False)) if job.get("record") else None
    result = run_ours(
        job["url"],
        Path(job["workdir"]),
        job["malls"],
        job["tables"],
        name=job.get("name", "cafe24"),
        grants=job.get("grants"),
        recorder=recorder,
        **job.get("options", {}),
    )
    if recorder is not None:
        result["events"] = recorder.events
    return result


def chunked(job: dict[str, Any]) -> dict[str, Any]:
    return run_chunked(
        job["url"],
        Path(job["workdir"]),
        job["malls"],
        job["tables"],
        grants=job.get("grants"),
        destination=job.get("destination", "duckdb"),
        **job.get("options", {}),
    )


def peer_config(job: dict[str, Any]) -> dict[str, Any]:
    """What a dlt user would write for Cafe24 with the generic rest_api source: a bearer token, offset paging
    with the documented page sizes and offset caps as `maximum_offset` (past them the API answers 422), and
    the one 3-month window the orders endpoint accepts."""

    def offset(limit: int, cap: int) -> dict[str, Any]:
        return {
            "type": "offset",
            "limit": limit,
            "offset_param": "offset",
            "limit_param": "limit",
            "total_path": None,
            "maximum_offset": cap,
        }

    return {
        "client": {
            "base_url": f"{job['url']}/{job['mall']}/api/v2/admin/",
            "auth": {"type": "bearer", "token": job["access_token"]},
        },
        "resource_defaults": {"write_disposition": "replace"},
        "resources": [
            {
                "name": "products",
                "primary_key": "product_no",
                "endpoint": {
                    "path": "products",
                    "data_selector": "products",
                    "params": {"embed": "variants"},
                    "paginator": offset(100, 5000),
                },
            },
            {
                "name": "orders",
                "primary_key": "order_id",
                "endpoint": {
                    "path": "orders",
                    "data_selector": "orders",
                    "params": {
                        "start_date": job["orders_start"],
                        "end_date": job["orders_end"],
                        "embed": "items,receivers,buyer",
                    },
                    "paginator": offset(1000, 15000),
                },
            },
            {
                "name": "customers",
                "primary_key": "member_id",
                "endpoint": {
                    "path": "customersprivacy",
                    "data_selector": "customersprivacy",
                    "paginator": offset(1000, 8000),
                },
            },
        ],
    }


def peer(job: dict[str, Any]) -> dict[str, Any]:
    import dlt
    from dlt.sources.rest_api import rest_api_source

    workdir = Path(job["workdir"])
    pipeline = dlt.pipeline(
        "peer",
        pipelines_dir=str(workdir / "pipelines"),
        destination=dlt.destinations.duckdb(str(workdir / "peer.duckdb")),
        dataset_name="rest_api_data",
    )
    started = time.monotonic()
    error = None
    try:
        pipeline.run(rest_api_source(peer_config(job)), loader_file_format="jsonl")
    except Exception as exc:  # the peer failing is a result, not a crash of the benchmark
        error = f"{type(exc).__name__}: {str(exc)[:500]}"
    elapsed = time.monotonic() - started
    roots, nested = row_counts(pipeline) if error is None else ({}, {})
    return {
        "elapsed": elapsed,
        "steps": step_seconds(pipeline),
        "rows": roots,
        "nested_rows": nested,
        "error": error,
        "duckdb": str(workdir / "peer.duckdb"),
    }


def dcollection(job: dict[str, Any]) -> dict[str, Any]:
    import dlt

    from sources.cafe24 import dcollection_source
    from sources.cafe24.client import collect_clients

    workdir = Path(job["workdir"])
    recorder = Recorder()
    with collect_clients() as clients:
        source = dcollection_source(credentials=dict(APP), dcollection_url=job["url"] + "/dcollection")
    recorder.attach(clients)
    recorder.start()
    pipeline = dlt.pipeline(
        "dcollection",
        pipelines_dir=str(workdir / "pipelines"),
        destination=dlt.destinations.duckdb(str(workdir / "dcollection.duckdb")),
        dataset_name="dcollection_data",
    )
    started = time.monotonic()
    pipeline.run(source, loader_file_format="jsonl")
    elapsed = time.monotonic() - started
    roots, nested = row_counts(pipeline)
    return {
        "elapsed": elapsed,
        "steps": step_seconds(pipeline),
        "rows": roots,
        "nested_rows": nested,
        "calls": sum(c.stats.calls for c in clients),
        "throttled": sum(c.stats.throttled for c in clients),
        "events": recorder.events,
    }


JOBS = {"ours": ours, "chunked": chunked, "peer": peer, "dcollection": dcollection}


def main(path: str) -> int:
    job = json.loads(Path(path).read_text())
    started = time.monotonic()
    result = JOBS[job["kind"]](job)
    result["process_seconds"] = time.monotonic() - started
    # Steps reset VmHWM to measure their own peaks; the process's peak is the highest of them.
    result["peak_rss_mb"] = max(
        [peak_rss_mb(), result.get("run_peak_rss_mb", 0.0), *result.get("step_peak_rss_mb", {}).values()]
    )
    write_json(Path(job["out"]), result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
