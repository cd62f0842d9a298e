"""Running the Admin source against a sandbox into a DuckDB file, and reading back what landed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import httpx

from sandbox.server import SandboxServer
from sources.cafe24 import cafe24_source

APP = {"client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret"}


def bootstrap(server: SandboxServer, mall_id: str) -> dict:
    """A first grant, as the auth command would leave it: only its refresh token is handed to the source."""
    response = httpx.post(f"{server.url}/__sandbox__/malls/{mall_id}/grant")
    response.raise_for_status()
    return response.json()


def grant_with(server: SandboxServer, mall_id: str, scopes: list[str]) -> dict:
    response = httpx.post(f"{server.url}/__sandbox__/malls/{mall_id}/grant", json={"scopes": scopes})
    response.raise_for_status()
    return response.json()


def make_pipeline(workdir: Path, name: str = "cafe24") -> dlt.Pipeline:
    return dlt.pipeline(
        name,
        pipelines_dir=str(workdir / "pipelines"),
        dataset_name="cafe24_data",
        destination=dlt.destinations.duckdb(str(workdir / f"{name}.duckdb")),
    )


UNPACED = 10_000.0  # calls per second: no wait the test did not ask for


def pace(server: SandboxServer) -> dict[str, float]:
    """The source's pace for a sandbox: its bucket's drain rate, and no per-second ceiling where the sandbox has
    none, so a run waits only on the limits the test set (the client's default keeps to 6 calls/s)."""
    limits = server.sandbox.config.limits
    if not limits.enabled:
        return {"bucket_drain_per_second": UNPACED, "max_calls_per_second": UNPACED}
    paced = {"bucket_drain_per_second": limits.drain_rate}
    return paced if limits.max_per_second else paced | {"max_calls_per_second": UNPACED}


def source(
    server: SandboxServer, workdir: Path, mall_id: str | list[str], refresh_token: str | None = None, **options: Any
) -> Any:
    """The Admin source for a sandbox, paced as `pace` says unless a test says otherwise."""
    options = pace(server) | options
    return admin_source(server.url, workdir, mall_id, refresh_token, **options)


def admin_source(
    url: str, workdir: Path, mall_id: str | list[str], refresh_token: str | None = None, **options: Any
) -> Any:
    credentials = {**APP, **({"refresh_token": refresh_token} if refresh_token else {})}
    return cafe24_source(
        mall_id=mall_id,
        credentials=credentials,
        base_url=url + "/{mall_id}",
        token_store=str(workdir / "tokens"),
        **options,
    )


def run(pipeline: dlt.Pipeline, src: Any) -> Any:
    return pipeline.run(src, loader_file_format="parquet")


def query(pipeline: dlt.Pipeline, sql: str) -> list[tuple]:
    with pipeline.sql_client() as client:
        return [tuple(row) for row in client.execute_sql(sql)]


def keys(pipeline: dlt.Pipeline, table: str, key: str, mall_id: str, shop_no: int | None = None) -> list:
    where = f"mall_id = '{mall_id}'" + (f" and shop_no = {shop_no}" if shop_no is not None else "")
    return [row[0] for row in query(pipeline, f"select {key} from {table} where {where} order by {key}")]


def truth(server: SandboxServer, mall_id: str) -> dict:
    return httpx.get(f"{server.url}/__sandbox__/malls/{mall_id}/truth").json()


def advance(server: SandboxServer, mall_id: str, seconds: int, **rates: float) -> None:
    """Let the sandbox clock run `seconds`, the mall live at `rates` (orders_per_hour, ...) if given."""
    if rates:
        httpx.post(f"{server.url}/__sandbox__/malls/{mall_id}/live", json=rates).raise_for_status()
    httpx.post(f"{server.url}/__sandbox__/clock/advance", json={"seconds": seconds}).raise_for_status()


def stats(server: SandboxServer) -> dict:
    return httpx.get(f"{server.url}/__sandbox__/stats").json()


def calls(server: SandboxServer, mall_id: str) -> int:
    return sum(row.get("requests", 0) for row in stats(server)["malls"].get(mall_id, {}).values())
