"""The completeness proof (issue #13 item 2): after each run, every counted table and shop's API count next to its
live rows in the destination, in `_cafe24_completeness`, the summary and --json; --strict exits 3 on a mismatch."""

from __future__ import annotations

import io
import json
from pathlib import Path

import duckdb
import pytest

from pipelines.completeness import COUNTED, RECOUNT_DAYS, TABLE
from pipelines.errors import EX_INCOMPLETE
from pipelines.project import Project
from pipelines.report import RunResult, summary
from pipelines.run import load
from sandbox.config import Limits, SandboxConfig
from sandbox.server import SandboxServer
from sources.cafe24.auth import Grant, TokenStore
from sources.cafe24.settings import DEFAULT_TOKEN_STORE
from tests.cafe24.cli import cli, cli_env
from tests.cafe24.helpers import APP, advance, bootstrap, stats, truth
from tests.cafe24.projects import SHOPS, SMALL_STORE, WALK_CALLS, authorize, check_calls, order_windows, run

ADMIN_COUNTED = [t for t in COUNTED if t != "front_products"]


def order_counts(server: SandboxServer, mall: str) -> int:
    return stats(server)["malls"][mall]["GET /api/v2/admin/orders/count"]["requests"]


@pytest.fixture(scope="module")
def server():
    with SandboxServer(SMALL_STORE) as server:
        yield server


def test_every_run_records_the_api_counts_next_to_the_loaded_rows(server, tmp_path: Path) -> None:
    project = Project.at(tmp_path)
    authorize(server, project, "provenmall")
    result, _ = run(server, project, "provenmall")
    assert order_counts(server, "provenmall") == SHOPS * order_windows(server)  # every window, the first time
    expected = truth(server, "provenmall")
    counts = {(c.table, c.shop): (c.api_count, c.loaded_count) for c in result.completeness}
    assert set(counts) == {(t, s) for t in ADMIN_COUNTED for s in range(1, SHOPS + 1)}
    assert all(api == loaded for api, loaded in counts.values())
    assert {s: counts[("orders", s)][0] for s in range(1, SHOPS + 1)} == {
        s: len(expected["orders"][str(s)]) for s in range(1, SHOPS + 1)
    }
    assert "    orders" in summary(result) and "MISMATCH" not in summary(result)

    again, _ = run(server, project, "provenmall")
    with duckdb.connect(str(project.duckdb), read_only=True) as con:
        recorded = con.execute(
            f"SELECT load_id, table_name, shop_no, api_count, loaded_count FROM "
            f"cafe24_data.{TABLE} WHERE mall_id = 'provenmall'"
        ).fetchall()
        data_loads = {row[0] for row in con.execute("SELECT load_id FROM cafe24_data._dlt_loads").fetchall()}
    assert len(recorded) == 2 * len(ADMIN_COUNTED) * SHOPS  # one row per table and shop, every run
    assert {row[0] for row in recorded} <= data_loads and len({row[0] for row in recorded}) == 2
    assert again.calls == WALK_CALLS + check_calls(server)  # the check's calls are in the summary's
    assert order_counts(server, "provenmall") == SHOPS * (order_windows(server) + 1)  # then the open one only

    before = order_counts(server, "provenmall")
    advance(server, "provenmall", (RECOUNT_DAYS + 1) * 86400)
    weekly, _ = run(server, project, "provenmall")
    assert order_counts(server, "provenmall") - before == SHOPS * order_windows(server)  # all again, each week
    assert all(c.matches for c in weekly.completeness)


def test_a_row_missing_from_the_destination_is_a_mismatch_and_strict_exits_3(server, tmp_path: Path) -> None:
    project = Project.at(tmp_path)
    tokens = tmp_path / DEFAULT_TOKEN_STORE  # where the CLI looks for the grant
    TokenStore(tokens).write(Grant.from_response(bootstrap(server, "gapmall")))
    run(server, project, "gapmall", source={"token_store": str(tokens)})  # in this process: the CLI's are the next two
    with duckdb.connect(str(project.duckdb)) as con:  # the oldest order of shop 2: no incremental window sees it again
        con.execute(
            "DELETE FROM cafe24_data.orders WHERE order_id = (SELECT order_id FROM cafe24_data.orders "
            "WHERE shop_no = 2 ORDER BY order_date LIMIT 1)"
        )
    env = cli_env(server, tmp_path, "gapmall")  # no refresh token: the grant lives in the project

    lenient = cli(tmp_path, env)
    assert lenient.returncode == 0, lenient.stderr
    assert "MISMATCH (gapmall shop 2: " in lenient.stdout

    strict = cli(tmp_path, env, "--strict", "--json")
    assert strict.returncode == EX_INCOMPLETE, strict.stderr
    report = json.loads(strict.stdout)
    assert not report["ok"] and report["exit_code"] == EX_INCOMPLETE
    off = [c for c in report["completeness"] if not c["matches"]]
    assert [(c["table"], c["shop"], c["api_count"] - c["loaded_count"]) for c in off] == [("orders", 2, 1)]


def test_a_lake_run_says_it_was_not_checked() -> None:
    result = RunResult(
        tables=["orders"],
        rows={"orders": 1},
        nested={},
        malls={},
        elapsed=1.0,
        extract_seconds=1.0,
        destination="filesystem",
        dataset="cafe24_data",
        completeness=None,
    )
    assert "completeness: not checked on a filesystem lake" in summary(result)


def test_dcollection_products_are_counted_per_configured_category(tmp_path: Path) -> None:
    """docs/cafe24-reference.md#dcollection: /api/products/count requires a product category, so a feed loaded by
    product_categories is checked per category, a middle one and small ones of one middle one alike."""
    config = SandboxConfig(  # the big shop small: its offset cap is test_dcollection's, here it only cost rows
        limits=Limits(dcollection_per_minute=100000, drain_rate=200, max_per_second=0),
        clock_runs=False,
        dcollection_big_shop_products=300,
    )
    with SandboxServer(config) as server:
        codes = server.sandbox.dcollection.categories()
        middle = codes[0][1]
        smalls = ",".join(sorted({small for _, mid, small in codes if mid == codes[-1][1]})[:3])
        feed = {
            "credentials": dict(APP),
            "dcollection_url": server.url + "/dcollection",
            "calls_per_minute": 100000,
            "product_categories": [middle, smalls],
        }
        project = Project.at(tmp_path)
        result = load({}, which="dcollection", dcollection_args=feed, project=project, out=io.StringIO())
        counts = {c.part: (c.api_count, c.loaded_count) for c in result.completeness}
        assert set(counts) == {middle, smalls} and all(api == loaded > 0 for api, loaded in counts.values())

        with duckdb.connect(str(project.duckdb)) as con:  # one product of the middle category lost
            con.execute(
                "DELETE FROM cafe24_data.dcollection_products WHERE product_ukey = (SELECT min(product_ukey) "
                "FROM cafe24_data.dcollection_products WHERE dcollection_product_category__depth2 = ?)",
                [middle],
            )
        again = load({}, which="dcollection", dcollection_args=feed, project=project, out=io.StringIO())
    assert [(c.part, c.api_count - c.loaded_count) for c in again.incomplete] == [(middle, 1)]
    assert f"dcollection category {middle}: " in summary(again)
