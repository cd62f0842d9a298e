"""Running the CLI as a user runs it: a subprocess in its own working directory, configured through
SOURCES__CAFE24__... variables, with dlt's default data directory; and reading back what it loaded."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import httpx

from sandbox.server import SandboxServer
from tests.cafe24.helpers import pace

REPO = Path(__file__).resolve().parents[2]
CLIENT_ID, CLIENT_SECRET = "sandbox-client-id", "sandbox-client-secret"
TABLES = ("shops", "categories", "products", "orders", "customers")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli_env(
    server: SandboxServer,
    workdir: Path,
    mall: str,
    refresh_token: str | None = None,
    client_secret: str = CLIENT_SECRET,
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__", "RUNTIME__"))}
    env.update(
        {
            "PYTHONPATH": str(REPO),
            "RUNTIME__DLTHUB_TELEMETRY": "false",
            "SOURCES__CAFE24__MALL_ID": mall,
            "SOURCES__CAFE24__BASE_URL": server.url + "/{mall_id}",
            "SOURCES__CAFE24__CREDENTIALS__CLIENT_ID": CLIENT_ID,
            "SOURCES__CAFE24__CREDENTIALS__CLIENT_SECRET": client_secret,
        }
    )
    if "max_calls_per_second" in (paced := pace(server)):
        env["SOURCES__CAFE24__MAX_CALLS_PER_SECOND"] = str(paced["max_calls_per_second"])
    if refresh_token:
        env["SOURCES__CAFE24__CREDENTIALS__REFRESH_TOKEN"] = refresh_token
    return env


CLI = [sys.executable, "-m", "pipelines.cafe24_pipeline"]


def cli(workdir: Path, env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)


# The CLI as a terminal starts it: Ctrl-C's signal at its default. A child inherits an ignored SIGINT from its
# parent, and a test worker was seen with SIGINT (and SIGQUIT) ignored, which hid Ctrl-C from the run.
AT_A_TERMINAL = [
    sys.executable,
    "-c",
    "import runpy, signal; "
    "signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('pipelines.cafe24_pipeline', run_name='__main__', alter_sys=True)",
]


def cli_process(workdir: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """A run in the background, for what happens between processes (locks, signals)."""
    return subprocess.Popen(
        [*AT_A_TERMINAL, *args], cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def sandbox_requests(server: SandboxServer) -> int:
    return httpx.get(f"{server.url}/__sandbox__/stats").json()["totals"].get("requests", 0)


def row_counts(database: Path) -> dict[str, int]:
    with duckdb.connect(str(database), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'cafe24_data'"
            ).fetchall()
        ]
        return {n: con.execute(f'SELECT count(*) FROM cafe24_data."{n}"').fetchone()[0] for n in names}


def summary_rows(stdout: str) -> dict[str, int]:
    """`table  rows` lines of the run summary."""
    return {m[1]: int(m[2]) for m in re.finditer(r"^  (\w+)\s+(\d+)(?:\s|$)", stdout, re.M) if m[1] in TABLES}
