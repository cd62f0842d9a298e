"""The CLI as cron and a new user meet it (issue #10): the `cafe24-dlt` console script run from another directory
with --project, output a person must read and nothing else, a JSON summary, and bad input that ends fast with
exit 2 and the fix, before any request is made or any file written."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from pipelines.report import MallCalls, RunResult, summary
from sandbox.config import Limits, SandboxConfig
from sandbox.server import SandboxServer
from tests.cafe24.cli import CLIENT_ID, CLIENT_SECRET, REPO, TABLES, cli, cli_env, row_counts, sandbox_requests
from tests.cafe24.projects import SMALL
from tests.conftest import grant

CONSOLE_SCRIPT = Path(sys.executable).parent / "cafe24-dlt"
FAST = SandboxConfig(volumes=SMALL, limits=Limits(drain_rate=50, max_per_second=0), clock_runs=False)


@pytest.fixture(scope="module")
def server():
    with SandboxServer(FAST) as server:
        yield server


def project_with_config(root: Path, server: SandboxServer, mall: str) -> Path:
    """A project as the README sets one up: .dlt/config.toml and .dlt/secrets.toml, no environment variables."""
    (root / ".dlt").mkdir(parents=True)
    (root / ".dlt" / "config.toml").write_text(
        f'[sources.cafe24]\nmall_id = "{mall}"\nbase_url = "{server.url}/{{mall_id}}"\n'
    )
    (root / ".dlt" / "secrets.toml").write_text(
        f'[sources.cafe24.credentials]\nclient_id = "{CLIENT_ID}"\nclient_secret = "{CLIENT_SECRET}"\n'
        f'refresh_token = "{grant(server, mall)["refresh_token"]}"\n'
    )
    return root


def bare_env() -> dict[str, str]:
    """The environment cron gives: no SOURCES__ or DESTINATION__ variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__", "RUNTIME__"))}
    return {**env, "PYTHONPATH": str(REPO), "RUNTIME__DLTHUB_TELEMETRY": "false"}


def test_the_console_script_runs_from_crons_directory_with_project_and_prints_only_the_summary(server, tmp_path):
    project = project_with_config(tmp_path / "shop", server, "cronmall")
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    result = subprocess.run(
        [str(CONSOLE_SCRIPT), "run", "--project", str(project), "--quiet"],
        cwd=elsewhere,
        env=bare_env(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # nothing for cron to mail: no dlt column notes, no progress
    assert result.stdout.startswith("Loaded into duckdb dataset cafe24_data")
    counts = row_counts(project / "cafe24.duckdb")
    assert all(counts[t] > 0 for t in TABLES)
    assert list(elsewhere.iterdir()) == []


@pytest.fixture(scope="module")
def plain_run(server, tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """A run with no options, shared by the tests that read what it prints."""
    workdir = tmp_path_factory.mktemp("plain")
    return cli(workdir, cli_env(server, workdir, "noisemall", grant(server, "noisemall")["refresh_token"]))


def test_a_plain_run_keeps_dlts_column_notes_off_stderr(plain_run):
    assert plain_run.returncode == 0, plain_run.stderr
    assert "did not receive any data" not in plain_run.stderr and plain_run.stderr == ""


def test_json_prints_one_object_with_rows_calls_and_time(server, tmp_path, in_process, caplog):
    env = cli_env(server, tmp_path, "jsonmall", grant(server, "jsonmall")["refresh_token"])
    result = cli(tmp_path, env, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    counts = row_counts(tmp_path / "cafe24.duckdb")
    assert {t: v["rows"] for t, v in report["tables"].items()} == {t: counts[t] for t in TABLES}
    assert report["malls"]["jsonmall"]["calls"] == report["calls"] > 0 and report["throttled"] == 0
    assert report["ok"] is True and report["elapsed_seconds"] > 0
    failed = in_process(tmp_path, env, "--json", "--mall", "Not A Mall")  # refused before any request
    assert failed.returncode == 2 and json.loads(failed.stdout)["exit_code"] == 2
    # --json silences warnings for its own run only: a process that called main() still hears ours afterwards
    logging.getLogger("cafe24").warning("after main()")
    assert [r.getMessage() for r in caplog.records if r.name == "cafe24"] == ["after main()"]


# The first goes through the CLI's own process as cron starts it; the others through main() in this one.
@pytest.mark.parametrize("mall", ["127.0.0.1:9/x#", "evil.example.com/x?", "../../x/pwn", "Shop", "mall_a", ""])
def test_a_mall_id_that_is_not_an_identifier_ends_with_exit_2_before_any_request_or_file(
    server, tmp_path, mall, in_process
):
    """A mall id becomes a host and a file name: 127.0.0.1:9/x# once sent the client secret to 127.0.0.1:9."""
    run = cli if mall == "127.0.0.1:9/x#" else in_process
    env = cli_env(server, tmp_path, "okmall", grant(server, "okmall")["refresh_token"])
    before = sandbox_requests(server)
    for args in (["run", "--mall", mall], ["auth", "--mall", mall, "--no-browser", "--timeout", "1"]):
        result = run(tmp_path, env, *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "lowercase letters and digits only" in result.stderr or "say which mall" in result.stderr
        assert "Traceback" not in result.stderr
    configured = run(tmp_path, {**env, "SOURCES__CAFE24__MALL_ID": mall or "x y"})
    assert configured.returncode == 2 and "Traceback" not in configured.stderr
    assert sandbox_requests(server) == before
    assert not [p for p in tmp_path.rglob("*") if p.name != ".dlt_data"]


@pytest.mark.parametrize(
    "args, advice",
    [
        (["--start-date", "2024-13-45"], "write it as YYYY-MM-DD (KST), e.g. 2024-01-01"),
        (["--start-date", "2999-01-01"], "is in the future"),
        (["--resources", "front_products"], "add --source front (or --source all)"),
        (["--resources", "dcollection_products"], "add --source dcollection"),
        (["--destination", "filesystem"], "DESTINATION__FILESYSTEM__BUCKET_URL"),
        (["--destination", "postgres"], "[destination.postgres]"),
    ],
)
def test_a_bad_input_ends_with_exit_2_naming_the_input_and_the_fix(server, tmp_path, args, advice, in_process):
    env = cli_env(server, tmp_path, "inputmall", grant(server, "inputmall")["refresh_token"])
    run = cli if args == ["--start-date", "2024-13-45"] else in_process  # the first case in the CLI's own process
    result = run(tmp_path, env, *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert advice in result.stderr
    assert "Traceback" not in result.stderr and CLIENT_SECRET not in result.stderr
    assert len(result.stderr.splitlines()) <= 3


def test_a_base_url_other_than_cafe24s_is_stated_in_the_first_line(server, plain_run):
    assert plain_run.returncode == 0, plain_run.stderr
    assert plain_run.stdout.splitlines()[0].endswith(f"; API at {server.url}/{{mall_id}}")


def test_summary_columns_line_up_whatever_the_names():
    names = ["shops", "dcollection_standard_tags"]
    malls = {"m": MallCalls(3, 0, 0), "dcollection:sandbox-client-id": MallCalls(40, 0, 1)}
    result = RunResult(
        tables=names,
        rows=dict.fromkeys(names, 4),
        nested={},
        malls=malls,
        elapsed=1.0,
        extract_seconds=1.0,
        destination="duckdb",
        dataset="d",
    )
    lines = summary(result).splitlines()
    table_rows = [line for line in lines if line.startswith(("  shops", "  dcollection_standard_tags"))]
    mall_rows = [line for line in lines if line.startswith(("  m ", "  dcollection:"))]
    assert len({len(line) for line in table_rows}) == 1 and len({len(line) for line in mall_rows}) == 1


def test_a_value_outside_the_declared_schema_stops_the_run_naming_table_column_and_value(server, tmp_path):
    httpx.post(
        f"{server.url}/__sandbox__/malls/oddmall/new-fields", json={"customersprivacy": {"total_points": "12,000"}}
    ).raise_for_status()
    env = cli_env(server, tmp_path, "oddmall", grant(server, "oddmall")["refresh_token"])
    result = cli(tmp_path, env, "--resources", "customers")
    assert result.returncode == 1, result.stderr
    assert "declared type does not allow" in result.stderr and "customers.total_points" in result.stderr
    assert "'12,000'" in result.stderr and "Traceback" not in result.stderr
