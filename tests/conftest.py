"""Fixtures shared by every test: sandboxes on free loopback ports, clients for them, a PostgreSQL server, and the
CLI's main() in the test's own process."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from pipelines.cafe24_pipeline import main
from sandbox.config import Limits, SandboxConfig
from sandbox.server import SandboxServer
from tests.cafe24.postgres import PostgresServer, bindir, postgres_server

UNLIMITED = Limits(enabled=False)

# The modules that cost most CPU (`pytest -p tests.cpu_report` prints each one's), started first, and the one
# that waits longest on rate limits (test_pipeline_cli's `make demo`) before them: pytest-xdist's loadscope hands out
# modules in collection order when --no-loadscope-reorder is given (pyproject.toml), and a heavy module started last
# would run on alone while the other core idles. Without that flag, xdist orders modules by their number of tests.
LONGEST_FIRST = (
    "test_pipeline_cli",
    "test_dagster",
    "test_run_state",
    "test_dbt",
    "test_cli_runs",
    "test_progress",
    "test_resilience",
    "test_deletions",
    "test_backfill_chunks",
    "test_full_load",
    "test_cli_friendly",
    "test_lake",
    "test_postgres",
    "test_pii",
    "test_backfill_kill",
    "test_tables",
    "test_dcollection",
    "test_incremental",
    "test_completeness",
    "test_product_details",
    "test_errors_and_malls",
    "test_order_details",
    "test_front",
    "test_store_data",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))  # stable: a module's tests keep their order


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    """One sandbox for the whole run, rate limits off, default volumes: for behaviour that is not pacing."""
    with SandboxServer(SandboxConfig(limits=UNLIMITED)) as server:
        yield server


@pytest.fixture
def start_sandbox() -> Iterator[Callable[..., SandboxServer]]:
    """A private sandbox with its own settings (limits, volumes, clock), stopped when the test ends."""
    servers: list[SandboxServer] = []

    def start(config: SandboxConfig | None = None) -> SandboxServer:
        server = SandboxServer(config or SandboxConfig(limits=UNLIMITED)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throwaway server per xdist worker that asks for it. Without PostgreSQL binaries the tests skip, except
    in CI, where a Postgres load that cannot run is a failure."""
    binaries = bindir()
    if binaries is None:
        why = "no PostgreSQL server binaries: pg_config is missing or its --bindir has no initdb/pg_ctl"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"CI must run the Postgres tests, but there are {why}")
        pytest.skip(why)
    with postgres_server(binaries) as server:
        yield server


@pytest.fixture
def in_process(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """`cli` (tests/cafe24/cli.py) through the CLI's own main() in this process, in `workdir` with exactly `env`'s
    SOURCES__ settings: the same parsing and checks without a Python start per case, for input refused before any
    request."""

    def call(workdir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        for name in [n for n in os.environ if n.startswith(("SOURCES__", "DESTINATION__"))]:
            monkeypatch.delenv(name)
        for name, value in env.items():
            if name.startswith(("SOURCES__", "DESTINATION__")):
                monkeypatch.setenv(name, value)
        monkeypatch.chdir(workdir)
        code = main(list(args))
        out = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out.out, out.err)

    return call


def grant(server: SandboxServer, mall_id: str, scopes: list[str] | None = None) -> dict:
    """A fresh OAuth grant through the control API (the browser step is tested on its own)."""
    body = {} if scopes is None else {"scopes": scopes}
    response = httpx.post(f"{server.url}/__sandbox__/malls/{mall_id}/grant", json=body)
    response.raise_for_status()
    return response.json()


def admin_client(server: SandboxServer, mall_id: str, scopes: list[str] | None = None) -> httpx.Client:
    token = grant(server, mall_id, scopes)["access_token"]
    return httpx.Client(base_url=server.mall_url(mall_id), headers={"Authorization": f"Bearer {token}"}, timeout=30)
