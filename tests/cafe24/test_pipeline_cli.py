"""The cron entry point (`python -m pipelines.cafe24_pipeline`) and `make demo`, run as a user runs them: a
subprocess in a scratch working directory, configured through SOURCES__CAFE24__... variables, against sandboxes.
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import sys
from urllib.parse import parse_qs, urlparse

import duckdb
import httpx
import pytest

from sandbox.server import SandboxServer
from tests.cafe24.cli import (
    CLIENT_ID,
    CLIENT_SECRET,
    REPO,
    TABLES,
    cli,
    cli_env,
    free_port,
    row_counts,
    sandbox_requests,
    summary_rows,
)
from tests.cafe24.projects import SMALL_STORE
from tests.conftest import grant


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory):
    """One full load through the CLI, shared by the tests that look at it (a load takes seconds)."""
    workdir = tmp_path_factory.mktemp("first_run")
    with SandboxServer(SMALL_STORE) as server:
        env = cli_env(server, workdir, "clishop", grant(server, "clishop")["refresh_token"])
        before = sandbox_requests(server)
        result = cli(workdir, env)
        calls = sandbox_requests(server) - before
        yield server, workdir, env, result, calls


def test_run_loads_every_table_into_cafe24_duckdb_and_prints_a_summary(first_run):
    server, workdir, _, result, _ = first_run
    assert result.returncode == 0, result.stderr
    counts = row_counts(workdir / "cafe24.duckdb")
    truth = httpx.get(f"{server.url}/__sandbox__/malls/clishop/truth").json()
    assert counts["orders"] == sum(len(ids) for ids in truth["orders"].values())
    assert counts["customers"] == sum(len(ids) for ids in truth["customers"].values())
    assert all(counts[t] > 0 for t in TABLES)
    assert summary_rows(result.stdout) == {t: counts[t] for t in TABLES}
    assert re.search(r"^  clishop\s+\d+\s+0\s+\d+$", result.stdout, re.M), result.stdout  # calls, 429s, retries
    assert "calls/s" in result.stdout


def test_second_run_is_incremental(first_run):
    server, workdir, env, first, first_calls = first_run
    assert first.returncode == 0, first.stderr
    before = sandbox_requests(server)
    second = cli(workdir, env, "run")
    second_calls = sandbox_requests(server) - before
    assert second.returncode == 0, second.stderr
    assert second_calls < first_calls
    assert summary_rows(second.stdout)["orders"] < summary_rows(first.stdout)["orders"] / 10


def test_resources_loads_only_the_named_tables(start_sandbox, tmp_path):
    server = start_sandbox(SMALL_STORE)
    env = cli_env(server, tmp_path, "onlyproducts", grant(server, "onlyproducts")["refresh_token"])
    result = cli(tmp_path, env, "--resources", "products")
    assert result.returncode == 0, result.stderr
    loaded = {
        t for t, n in row_counts(tmp_path / "cafe24.duckdb").items() if n and not t.startswith(("_dlt", "_cafe24"))
    }  # dlt's tables and the completeness check's
    assert loaded == {"products", "product_variants"}
    assert set(summary_rows(result.stdout)) == {"products"}
    called = httpx.get(f"{server.url}/__sandbox__/stats").json()["malls"]["onlyproducts"]
    assert not [e for e in called if "/orders" in e or "/customersprivacy" in e or "/categories" in e]


def assert_refused_without_leaks(result: subprocess.CompletedProcess[str], advice: str, *secrets: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert advice in result.stderr
    assert "Traceback" not in result.stderr
    for secret in secrets:
        assert secret not in result.stdout and secret not in result.stderr


def test_a_wrong_client_secret_exits_1_telling_to_check_the_app_credentials(start_sandbox, tmp_path):
    server = start_sandbox(SMALL_STORE)
    refresh = grant(server, "badsecret")["refresh_token"]
    env = cli_env(server, tmp_path, "badsecret", refresh, client_secret="not-the-secret-42")
    result = cli(tmp_path, env)
    assert_refused_without_leaks(
        result, "client id or client secret is wrong", "not-the-secret-42", CLIENT_SECRET, refresh
    )


def test_a_revoked_grant_exits_1_telling_to_run_auth_and_shows_no_token(start_sandbox, tmp_path):
    from sources.cafe24.auth import Grant, TokenStore

    server = start_sandbox(SMALL_STORE)
    body = grant(server, "revoked")
    TokenStore(tmp_path / ".cafe24_tokens").write(Grant.from_response(body))  # a grant a cron run left behind
    httpx.post(
        f"{server.mall_url('revoked')}/api/v2/oauth/revoke",
        auth=(CLIENT_ID, CLIENT_SECRET),
        data={"token": body["refresh_token"]},
    ).raise_for_status()
    result = cli(tmp_path, cli_env(server, tmp_path, "revoked"))
    assert_refused_without_leaks(
        result,
        "pipelines.cafe24_pipeline auth --mall revoked",
        CLIENT_SECRET,
        body["access_token"],
        body["refresh_token"],
    )


def test_auth_receives_the_redirect_on_a_local_port_and_stores_a_grant_that_runs(start_sandbox, tmp_path):
    server = start_sandbox(SMALL_STORE)
    env = cli_env(server, tmp_path, "authmall")  # no refresh token: the grant must come from `auth`
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-u",
            "-m",
            "pipelines.cafe24_pipeline",
            "auth",
            "--mall",
            "authmall",
            "--no-browser",
            "--port",
            str(port),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "/oauth/authorize?" in line:
                break
        url = lines[-1].strip()
        query = parse_qs(urlparse(url).query)
        assert query["redirect_uri"] == [f"http://127.0.0.1:{port}/callback"] and query["state"][0]
        forged = httpx.get(f"http://127.0.0.1:{port}/callback", params={"code": "forged", "state": "guess"})
        assert forged.status_code == 400  # another state is ignored; the flow keeps waiting
        browser = httpx.get(url, follow_redirects=True)  # the sandbox approves and redirects to the callback
        assert browser.status_code == 200 and browser.url.port == port
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    stdout = "".join(lines) + stdout
    assert process.returncode == 0, stderr
    stored = tmp_path / ".cafe24_tokens" / "authmall.json"
    assert str(stored) in stdout and "mall.read_order" in stdout
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    tokens = json.loads(stored.read_text())
    assert tokens["access_token"] not in stdout + stderr and tokens["refresh_token"] not in stdout + stderr
    run = cli(tmp_path, env, "--resources", "shops")
    assert run.returncode == 0, run.stderr
    assert summary_rows(run.stdout)["shops"] > 0


def test_auth_with_a_pasted_code_stores_the_grant(start_sandbox, tmp_path):
    server = start_sandbox(SMALL_STORE)
    redirect_uri = "https://example.com/cafe24/callback"  # registered with the app; nothing listens locally
    authorize = httpx.get(
        f"{server.mall_url('pasted')}/api/v2/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": CLIENT_ID,
            "state": "s1",
            "redirect_uri": redirect_uri,
            "scope": "mall.read_product,mall.read_store",
        },
    )
    code = parse_qs(urlparse(authorize.headers["location"]).query)["code"][0]
    result = cli(
        tmp_path,
        cli_env(server, tmp_path, "pasted"),
        "auth",
        "--mall",
        "pasted",
        "--code",
        code,
        "--redirect-uri",
        redirect_uri,
    )
    assert result.returncode == 0, result.stderr
    assert "mall.read_product, mall.read_store" in result.stdout
    tokens = json.loads((tmp_path / ".cafe24_tokens" / "pasted.json").read_text())
    assert tokens["scopes"] == ["mall.read_product", "mall.read_store"]
    assert tokens["access_token"] not in result.stdout and tokens["refresh_token"] not in result.stdout
    again = cli(
        tmp_path,
        cli_env(server, tmp_path, "pasted"),
        "auth",
        "--mall",
        "pasted",
        "--code",
        code,
        "--redirect-uri",
        redirect_uri,
    )
    assert again.returncode == 1 and "already been used" in again.stderr  # codes are single-use


def test_make_demo_loads_twice_incrementally_builds_the_models_and_draws_the_chart(tmp_path):
    """`make demo` with Cafe24's real limits (2 calls/s): the one slow test, about a minute. It works in its own
    folder: the user's ./cafe24.duckdb is the CLI's default database and must come out as it went in."""
    users = tmp_path / "cafe24.duckdb"
    with duckdb.connect(str(users)) as con:
        con.execute("CREATE TABLE mine AS SELECT 42 AS answer")
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.demo", "--port", str(free_port())],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with duckdb.connect(str(users), read_only=True) as con:
        assert con.execute("SELECT answer FROM mine").fetchall() == [(42,)]
        assert con.execute("SELECT count(*) FROM information_schema.tables").fetchone() == (1,)
    assert not (tmp_path / ".dlt_pipelines").exists() and not (tmp_path / ".cafe24_tokens").exists()
    out = result.stdout
    demo = tmp_path / "cafe24_demo"
    demo_tables = (*TABLES, "front_products", "dcollection_shops", "dcollection_products", "dcollection_standard_tags")
    counts = row_counts(demo / "cafe24.duckdb")
    assert all(counts[t] > 0 for t in demo_tables)
    both = {m[1]: (int(m[2]), int(m[3])) for m in re.finditer(r"^  (\w+) rows\s+(\d+)\s+(\d+)$", out, re.M)}
    assert set(both) == set(demo_tables)
    for table in ("orders", "products", "customers", "dcollection_products"):  # the second run reads what changed
        first, second = both[table]
        assert 0 < second < first / 2, (table, first, second)
    calls = re.search(r"^  API calls\s+(\d+)\s+(\d+)$", out, re.M)
    throttled = re.search(r"^  429 answers\s+(\d+)\s+(\d+)$", out, re.M)
    assert calls and throttled and throttled.groups() == ("0", "0")
    assert re.search(r"calls/s while extracting\s+[\d.]+\s+[\d.]+\s+\(the bucket drains 2\.0/s\)", out)
    assert re.search(r"^  dbt models of transform/, built and tested in [\d.]+ s:$", out, re.M)
    assert len(re.findall(r"^    cafe24__\w+\s+success", out, re.M)) == 5
    assert re.search(r"^    tests: \d+ passed, 0 warned, 0 failed$", out, re.M)
    assert "paid revenue per day for the last 7 days" in out and "cafe24__daily_shop" in out
    revenue_days = re.findall(r"^  \d{4}-\d{2}-\d{2}\s+\d", out, re.M)
    assert len(revenue_days) == 7
    assert (demo / "report.png").read_bytes().startswith(b"\x89PNG")
    assert (demo / ".cafe24_tokens" / "demomall.json").exists() and (demo / ".dlt_pipelines" / "cafe24").is_dir()


def test_make_demo_on_a_busy_port_fails_before_it_touches_any_file(tmp_path):
    """The port is checked first: an earlier demo's database, and the user's own, stay as they were."""
    earlier = tmp_path / "cafe24_demo" / "cafe24.duckdb"
    earlier.parent.mkdir()
    for database in (tmp_path / "cafe24.duckdb", earlier):
        with duckdb.connect(str(database)) as con:
            con.execute("CREATE TABLE mine AS SELECT 42 AS answer")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = subprocess.run(
            [sys.executable, "-m", "pipelines.demo", "--port", str(busy.getsockname()[1])],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1 and "cannot listen on port" in result.stderr
    for database in (tmp_path / "cafe24.duckdb", earlier):
        with duckdb.connect(str(database), read_only=True) as con:
            assert con.execute("SELECT answer FROM mine").fetchall() == [(42,)]
