"""Runs as cron starts them (issue #9): the CLI in several project directories as one OS user with dlt's default
data directory, two runs of one project at once, a run killed with SIGKILL, and Ctrl-C."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import httpx
import pytest

from pipelines.project import Project
from sandbox.config import Limits, SandboxConfig
from sandbox.server import SandboxServer
from tests.cafe24.cli import REPO, cli, cli_env, cli_process, summary_rows
from tests.cafe24.helpers import calls, truth
from tests.cafe24.projects import SMALL
from tests.conftest import grant

FAST = SandboxConfig(volumes=SMALL, limits=Limits(drain_rate=50, max_per_second=0), clock_runs=False)
# A bucket of 10 draining 2/s: a first load's extraction lasts about 25 s, so a kill or a Ctrl-C sent after its
# tenth call lands in the middle of it, and a second process finds it running, even on a loaded machine. Its calls
# are per shop and table, so the small store's lasts as long as the default one's and costs less CPU to load.
SLOW = SandboxConfig(volumes=SMALL, limits=Limits(bucket_size=10, drain_rate=2, max_per_second=0), clock_runs=False)


def malls_in(database: Path) -> set[str]:
    with duckdb.connect(str(database), read_only=True) as con:
        return {row[0] for row in con.execute("SELECT DISTINCT mall_id FROM cafe24_data.orders").fetchall()}


def orders_in(database: Path, mall: str) -> list[int]:
    with duckdb.connect(str(database), read_only=True) as con:
        return [
            r[0]
            for r in con.execute(
                "SELECT order_id FROM cafe24_data.orders WHERE mall_id = ? ORDER BY 1", [mall]
            ).fetchall()
        ]


def all_orders(server: SandboxServer, mall: str) -> list[int]:
    return sorted(o for ids in truth(server, mall)["orders"].values() for o in ids)


def wait_for_calls(server: SandboxServer, mall: str, at_least: int, process) -> None:
    deadline = time.monotonic() + 60
    while calls(server, mall) < at_least:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run made no calls"
        time.sleep(0.05)


def test_each_project_directory_has_its_own_database_and_state(tmp_path: Path) -> None:
    """Three checkouts, one OS user, dlt's default data directory: A loads mall a, B mall b, and C mall a again.
    Nobody's rows land elsewhere, C loads a's whole history for itself, and deleting A breaks nothing."""
    dirs = {name: tmp_path / name for name in ("a", "b", "c")}
    for path in dirs.values():
        path.mkdir()
    with SandboxServer(FAST) as server:
        for name, mall in (("a", "projecta"), ("b", "projectb"), ("c", "projecta")):
            env = cli_env(server, dirs[name], mall, grant(server, mall)["refresh_token"])
            result = cli(dirs[name], env)
            assert result.returncode == 0, result.stderr
            assert f"state in {dirs[name] / '.dlt_pipelines' / 'cafe24'}" in result.stdout
            assert malls_in(dirs[name] / "cafe24.duckdb") == {mall}
            assert orders_in(dirs[name] / "cafe24.duckdb", mall) == all_orders(server, mall)
        assert summary_rows(result.stdout)["orders"] == len(all_orders(server, "projecta"))  # C: a full load
        shutil.rmtree(dirs["a"])
        again = cli(dirs["b"], cli_env(server, dirs["b"], "projectb"))
        assert again.returncode == 0, again.stderr
        assert summary_rows(again.stdout)["orders"] < len(all_orders(server, "projectb")) / 10  # B's own cursors


def test_a_second_run_of_a_project_exits_75_naming_the_run_in_progress_or_waits_for_it(tmp_path: Path) -> None:
    with SandboxServer(SLOW) as server:
        env = cli_env(server, tmp_path, "lockmall", grant(server, "lockmall")["refresh_token"])
        first = cli_process(tmp_path, env)
        try:
            wait_for_calls(server, "lockmall", 5, first)
            second = cli(tmp_path, env, "--resources", "shops")
            waiting = cli_process(tmp_path, env, "--resources", "shops", "--wait", "300")
            out, err = first.communicate(timeout=180)
            waited_out, waited_err = waiting.communicate(timeout=180)
        finally:
            first.kill()
        assert second.returncode == 75, (second.stdout, second.stderr)
        assert f"another run of this pipeline is in progress (pid {first.pid}, started " in second.stderr
        assert "--wait SECONDS" in second.stderr and "Traceback" not in second.stderr
        assert first.returncode == 0, err
        assert waiting.returncode == 0, waited_err
        assert summary_rows(waited_out)["shops"] > 0
        assert orders_in(tmp_path / "cafe24.duckdb", "lockmall") == all_orders(server, "lockmall")


def first_load_stopped_by(
    sig: signal.Signals, server: SandboxServer, workdir: Path, mall: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """A first load through the CLI, sent `sig` once it has made ten calls; what it said, and its environment."""
    env = cli_env(server, workdir, mall, grant(server, mall)["refresh_token"])
    process = cli_process(workdir, env)
    wait_for_calls(server, mall, 10, process)
    process.send_signal(sig)
    out, err = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err), env


def test_a_run_killed_with_sigkill_leaves_a_lock_the_next_run_takes_over(tmp_path: Path) -> None:
    with SandboxServer(SLOW) as server:
        killed, env = first_load_stopped_by(signal.SIGKILL, server, tmp_path, "killmall")
        assert killed.returncode == -signal.SIGKILL
        assert Project.at(tmp_path).lock_file.exists()
        after = cli(tmp_path, env, "--resources", "orders")  # a few calls: orders need one per shop on a first run
        assert after.returncode == 0, after.stderr
        assert orders_in(tmp_path / "cafe24.duckdb", "killmall") == all_orders(server, "killmall")


def test_ctrl_c_exits_130_saying_what_was_kept_and_the_next_run_recovers(tmp_path: Path) -> None:
    with SandboxServer(SLOW) as server:
        interrupted, env = first_load_stopped_by(signal.SIGINT, server, tmp_path, "intmall")
        assert interrupted.returncode == 130, (interrupted.stdout[-300:], interrupted.stderr[-3000:])
        assert "interrupted during the extract step: nothing of this run was committed" in interrupted.stderr
        assert "Traceback" not in interrupted.stderr
        after = cli(tmp_path, env, "--resources", "orders")
        assert after.returncode == 0, after.stderr
        assert orders_in(tmp_path / "cafe24.duckdb", "intmall") == all_orders(server, "intmall")
        assert httpx.get(f"{server.url}/__sandbox__/stats").json()["totals"].get("429", 0) == 0


@pytest.mark.parametrize("wait", ["soon", "-1"])
def test_wait_takes_seconds(tmp_path: Path, wait: str, in_process) -> None:
    """--wait is a number of seconds; anything else is a usage error (exit 2) before any call. The first case in
    the CLI's own process, the other through main() in this one."""
    run = cli if wait == "soon" else in_process
    result = run(tmp_path, {**os.environ, "PYTHONPATH": str(REPO)}, "--wait", wait)
    assert result.returncode == 2 and "--wait" in result.stderr
