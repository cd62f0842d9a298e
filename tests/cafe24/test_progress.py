"""Progress as a person at a terminal sees it (issue #10, item 10): a live display per table with a percentage
and a time left where the API counted the backfill ahead; without a terminal, plain lines and no count calls."""

from __future__ import annotations

import os
import pty
import re
import subprocess
from pathlib import Path

from pipelines.project import Project
from sandbox.server import SandboxServer
from sources.cafe24.settings import DEFAULT_TOKEN_STORE
from tests.cafe24.cli import CLI, cli, cli_env, row_counts
from tests.cafe24.helpers import APP, calls, truth
from tests.cafe24.projects import SMALL_STORE, run
from tests.conftest import grant

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def at_a_terminal(workdir: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    """The CLI with its standard output on a pseudo-terminal, as when a person types the command."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [*CLI, *args], cwd=workdir, env={**env, "TERM": "xterm", "COLUMNS": "120"}, stdout=slave, stderr=subprocess.PIPE
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    stderr = process.communicate(timeout=180)[1]
    assert not stderr.strip(), stderr.decode()
    return process.returncode, b"".join(chunks).decode()


def extract_done(output: str) -> str:
    return next(line for line in ANSI.sub("", output).splitlines() if line.strip().startswith("extract   done"))


def test_a_backfill_at_a_terminal_shows_each_tables_percentage_and_time_left(tmp_path: Path) -> None:
    with SandboxServer(SMALL_STORE) as server:
        env = cli_env(server, tmp_path, "livemall", grant(server, "livemall")["refresh_token"])
        code, output = at_a_terminal(tmp_path, env)
        assert code == 0, output
        store = truth(server, "livemall")
        loaded = row_counts(tmp_path / "cafe24.duckdb")
        assert loaded["orders"] == sum(len(ids) for ids in store["orders"].values())
        live = ANSI.sub("", output)
        # The live block: a bar per table with rows so far of the counted total, the percentage and the time left.
        assert re.search(r"orders\s+\S*\s+[\d,]+/[\d,]+\s+\d+%\s+(\d+:\d\d:\d\d|-:--:--)", live), live
        assert "\x1b[" in output  # drawn in place, not printed line by line
        # The totals the API counted are exactly the rows the backfill loaded.
        done = extract_done(output)
        for table in ("orders", "products", "customers"):
            assert f"{table} {loaded[table]}/{loaded[table]} (100%)" in done, done
        backfill_calls = calls(server, "livemall")

    with SandboxServer(SMALL_STORE) as server:  # the same store without a terminal: no count ahead, so fewer calls
        env = cli_env(server, tmp_path / "pipe", "livemall", grant(server, "livemall")["refresh_token"])
        (tmp_path / "pipe").mkdir()
        piped = cli(tmp_path / "pipe", env)
        assert piped.returncode == 0, piped.stderr
        assert "\x1b[" not in piped.stdout and "%" not in piped.stdout
        shops = len(store["orders"])
        extra = backfill_calls - calls(server, "livemall")
        assert extra >= 2 * shops, f"{extra} calls: at least a count per shop for products and for customers"
        print(f"counting ahead cost {extra} calls: {backfill_calls} at a terminal, {backfill_calls - extra} in a pipe")


def test_an_incremental_run_at_a_terminal_asks_no_count(tmp_path: Path) -> None:
    """Counting costs calls, so only a walk from the beginning asks: the next run costs what it costs in cron."""
    with SandboxServer(SMALL_STORE) as server:
        refresh = grant(server, "quietmall")["refresh_token"]
        env = cli_env(server, tmp_path, "quietmall", refresh)
        # The backfill counting ahead as at a terminal, through the CLI's load in this process: the runs after it
        # are the point.
        tokens = str(tmp_path / DEFAULT_TOKEN_STORE)
        backfill = {"count_totals": True, "credentials": {**APP, "refresh_token": refresh}, "token_store": tokens}
        run(server, Project.at(tmp_path), "quietmall", source=backfill)
        before = calls(server, "quietmall")
        code, output = at_a_terminal(tmp_path, env)
        assert code == 0, output
        at_terminal = calls(server, "quietmall") - before
        before = calls(server, "quietmall")
        assert cli(tmp_path, env).returncode == 0
        assert at_terminal == calls(server, "quietmall") - before
        assert "%" not in extract_done(output)


def test_a_backfill_in_chunks_counts_ahead_once_and_its_rows_add_up_to_the_total(tmp_path: Path) -> None:
    """Later chunks count nothing again: each chunk's rows are shown on top of the earlier chunks', against the
    total the first chunk counted, so the last chunk ends at 100%."""
    with SandboxServer(SMALL_STORE) as server:
        env = {
            **cli_env(server, tmp_path, "chunkylive", grant(server, "chunkylive")["refresh_token"]),
            "SOURCES__CAFE24__BACKFILL_CHUNK_ROWS": "50",
        }
        code, output = at_a_terminal(tmp_path, env)
        assert code == 0, output
        loaded = row_counts(tmp_path / "cafe24.duckdb")
        lines = [line for line in ANSI.sub("", output).splitlines() if line.strip().startswith("extract   done")]
        assert "backfill chunk 2: " in output and len(lines) > 2
        for table in ("orders", "products"):
            shown = [line for line in lines if f" {table} " in line]
            assert re.search(rf" {table} \d+/{loaded[table]} \(\d\d?%\)", shown[0]), shown  # not all yet
            assert f" {table} {loaded[table]}/{loaded[table]} (100%)" in shown[-1], shown
