"""The grant survives rotation, kills and overlapping runs; faults and 429s change nothing in the result
(issue #3 §2-3, docs/cafe24-reference.md#oauth and #rate-limits)."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from sandbox.config import Limits, SandboxConfig
from sandbox.server import SandboxServer
from sources.cafe24.auth import TokenStore
from sources.cafe24.errors import Cafe24AuthError
from tests.cafe24.helpers import APP, bootstrap, keys, make_pipeline, query, run, source, stats, truth
from tests.cafe24.projects import SMALL

MALL = "sturdymall"
FAST = Limits(drain_rate=200, bucket_size=40, max_per_second=0)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server():
    with SandboxServer(SandboxConfig(volumes=SMALL, limits=FAST, clock_runs=False)) as server:
        yield server


def _fault(server: SandboxServer, **spec: object) -> None:
    httpx.post(f"{server.url}/__sandbox__/faults", json=spec).raise_for_status()


def _subprocess(server: SandboxServer, workdir: Path, *flags: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.cafe24.runner", server.url, MALL, str(workdir), *flags],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_token_that_expires_mid_run_is_refreshed_and_the_run_completes(server, tmp_path: Path) -> None:
    """docs/cafe24-reference.md#oauth:
    a 401 mid-run refreshes once (rotating the refresh token) and the call is resent."""
    grant = bootstrap(server, MALL)
    _fault(server, kind="expire_token", path="/orders", nth=5, times=2)
    pipeline = make_pipeline(tmp_path)
    run(pipeline, source(server, tmp_path, MALL, grant["refresh_token"], start_date="2024-01-01"))
    assert keys(pipeline, "orders", "order_id", MALL, 1) == truth(server, MALL)["orders"]["1"]
    refreshes = stats(server)["malls"][MALL]["POST /api/v2/oauth/token"]["200"]
    assert refreshes == 3  # the first access token, then once per expiry
    stored = TokenStore(tmp_path / "tokens").read(MALL)
    assert stored is not None and stored.refresh_token != grant["refresh_token"]


def test_a_token_rotated_again_while_its_resend_is_in_flight_is_refreshed_again(server, tmp_path: Path) -> None:
    """docs/cafe24-reference.md#oauth (rotation): each refresh kills the previous access token, so a parallel resource's
    resend can meet a token that has just been replaced; the call refreshes again instead of failing the run."""
    grant = bootstrap(server, MALL)
    _fault(server, kind="expire_token", path="/shops", nth=1, times=2)
    pipeline = make_pipeline(tmp_path)
    run(pipeline, source(server, tmp_path, MALL, grant["refresh_token"], start_date="2025-06-01"))
    assert keys(pipeline, "orders", "order_id", MALL, 1) == truth(server, MALL)["orders"]["1"]
    assert stats(server)["malls"][MALL]["POST /api/v2/oauth/token"]["200"] == 3


def test_a_process_killed_right_after_a_refresh_leaves_a_usable_grant(server, tmp_path: Path) -> None:
    """docs/cafe24-reference.md#oauth (rotation): the new refresh token is on disk before anything else happens."""
    grant = bootstrap(server, MALL)
    TokenStore(tmp_path / "tokens").write(_grant(grant))
    killed = _subprocess(server, tmp_path, "--refresh-and-die")
    assert killed.wait(timeout=60) == 9
    pipeline = make_pipeline(tmp_path)
    run(pipeline, source(server, tmp_path, MALL, start_date="2025-06-01"))
    assert query(pipeline, "select count(*) from shops") == [(4,)]


def test_two_runs_started_together_on_one_mall_both_finish_and_the_grant_survives(server, tmp_path: Path) -> None:
    """Issue #3 §2: overlapping cron runs share the token store's lock, so neither burns the other's token."""
    grant = bootstrap(server, MALL)
    TokenStore(tmp_path / "tokens").write(_grant(grant))
    httpx.post(f"{server.url}/__sandbox__/malls/{MALL}/expire-token").raise_for_status()  # both must refresh
    runs = [_subprocess(server, tmp_path, name) for name in ("cron_a", "cron_b")]
    outputs = [r.communicate(timeout=240)[0] for r in runs]
    assert [r.returncode for r in runs] == [0, 0], outputs
    assert stats(server)["malls"][MALL]["POST /api/v2/oauth/token"].get("400", 0) == 0
    third = make_pipeline(tmp_path, "cron_c")
    run(third, source(server, tmp_path, MALL, start_date="2025-06-01"))
    assert query(third, "select count(*) from shops") == [(4,)]


def test_faults_and_429s_leave_the_same_tables_as_a_clean_run(tmp_path: Path) -> None:
    """docs/cafe24-reference.md#rate-limits, #errors: 429, 5xx, drops and broken bodies are retried;
    nothing is lost or doubled."""
    tight = Limits(bucket_size=5, drain_rate=3, max_per_second=0)  # small enough to overflow on a busy machine too
    with SandboxServer(SandboxConfig(volumes=SMALL, limits=tight, clock_runs=False, start_time=1790000000)) as noisy:
        grant = bootstrap(noisy, MALL)
        for spec in (
            {"kind": "500", "rate": 0.05},
            {"kind": "reset", "nth": 17},
            {"kind": "truncated_json", "nth": 23},
            {"kind": "malformed_json", "nth": 29},
            {"kind": "html_error", "nth": 31},
            {"kind": "504_after_delay", "nth": 37, "delay": 0.1},
        ):
            _fault(noisy, **spec)
        pipeline = make_pipeline(tmp_path / "noisy")
        # Pacing as if the bucket drained 50 times faster than it does, to provoke 429s on purpose.
        run(
            pipeline,
            source(
                noisy,
                tmp_path / "noisy",
                MALL,
                grant["refresh_token"],
                start_date="2024-01-01",
                bucket_drain_per_second=200,
                max_retry_seconds=120,
            ),
        )
        totals = stats(noisy)["totals"]
        assert totals.get("429", 0) > 0 and totals.get("faults", 0) > 5
        expected = truth(noisy, MALL)
    with SandboxServer(SandboxConfig(volumes=SMALL, limits=FAST, clock_runs=False, start_time=1790000000)) as clean:
        clean_pipeline = make_pipeline(tmp_path / "clean")
        run(
            clean_pipeline,
            source(clean, tmp_path / "clean", MALL, bootstrap(clean, MALL)["refresh_token"], start_date="2024-01-01"),
        )
    for table, key in (("products", "product_no"), ("orders", "order_id"), ("customers", "member_id")):
        sql = f"select count(*), count(distinct {key}) from {table} where shop_no = 1"
        assert query(pipeline, sql) == query(clean_pipeline, sql)
    assert keys(pipeline, "orders", "order_id", MALL, 1) == expected["orders"]["1"]
    sample = "select order_id, payment_amount, order_date from orders order by order_id limit 50"
    assert query(pipeline, sample) == query(clean_pipeline, sample)


def test_no_token_or_client_secret_appears_in_logs_or_errors(
    server, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue #3: tokens and the client secret are redacted everywhere, even when the run fails."""
    caplog.set_level(logging.DEBUG)
    grant = bootstrap(server, MALL)
    _fault(server, kind="500", path="/products", nth=2, times=3)
    pipeline = make_pipeline(tmp_path)
    run(pipeline, source(server, tmp_path, MALL, grant["refresh_token"], start_date="2025-06-01"))
    stored = TokenStore(tmp_path / "tokens").read(MALL)
    httpx.post(
        f"{server.url}/{MALL}/api/v2/oauth/revoke",
        auth=(APP["client_id"], APP["client_secret"]),
        data={"token": stored.refresh_token},
    ).raise_for_status()
    with pytest.raises(Exception) as failure:
        run(make_pipeline(tmp_path, "after_revoke"), source(server, tmp_path, MALL, start_date="2025-06-01"))
    cause = failure.value
    while cause.__cause__ or cause.__context__:
        cause = cause.__cause__ or cause.__context__
    text = caplog.text + "".join(map(str, [failure.value, cause, repr(stored)]))
    assert isinstance(cause, Cafe24AuthError) and "auth --mall" in str(cause)
    for secret in (
        APP["client_secret"],
        grant["access_token"],
        grant["refresh_token"],
        stored.access_token,
        stored.refresh_token,
    ):
        assert secret not in text


def _grant(body: dict):
    from sources.cafe24.auth import Grant

    return Grant.from_response(body)


def test_the_usage_quota_headers_pause_the_run_instead_of_drawing_429s(tmp_path: Path) -> None:
    """docs/cafe24-reference.md#usage-quota: at 100% the -Remain headers say how long to stop;
    obeying them avoids 429s."""
    quota = Limits(drain_rate=200, bucket_size=40, max_per_second=0, quota_calls=15, quota_window=3)
    with SandboxServer(SandboxConfig(volumes=SMALL, limits=quota, clock_runs=False)) as server:
        pipeline = make_pipeline(tmp_path)
        run(pipeline, source(server, tmp_path, MALL, bootstrap(server, MALL)["refresh_token"], start_date="2025-06-01"))
        totals = stats(server)["totals"]
        assert totals["requests"] > 2 * 15  # the run needed the quota to refill at least twice
        assert totals.get("429", 0) == 0
        assert keys(pipeline, "orders", "order_id", MALL, 1) == truth(server, MALL)["orders"]["1"]
