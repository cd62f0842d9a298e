"""The analytics models of transform/ (issue #14), in DuckDB and in PostgreSQL: `run --transform` builds and tests
them after the load, and their figures match the ones worked out here in Python from the JSON the sandbox's API
serves (paid revenue per Korean day and currency, units per product, orders per member), never from SQL.

One load per destination for the whole module; the PostgreSQL half skips without server binaries, as
test_postgres.py does."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg2
import pytest

from pipelines.cafe24_pipeline import EX_TRANSFORM
from pipelines.chart import draw, read
from pipelines.errors import UsageError
from pipelines.project import Project
from pipelines.run import DEFAULT_DATASET, load
from pipelines.transform import TRANSFORM_DIR, TransformResult
from sandbox.clock import KST
from sandbox.server import SandboxServer
from sources.cafe24.settings import DEFAULT_START_DATE
from tests.cafe24.cli import cli, cli_env
from tests.cafe24.helpers import bootstrap, truth
from tests.cafe24.projects import SMALL_STORE, authorize, run
from tests.conftest import admin_client

MALL = "dbtmall"
MODELS = {"cafe24__orders", "cafe24__order_lines", "cafe24__customers", "cafe24__daily_shop", "cafe24__products"}
# A line whose cancellation (C40-C49) or return (R40-R43) is complete has not sold (orders.md `order_status`).
UNDONE = {"C40", "C41", "C42", "C43", "C47", "C48", "C49", "R40", "R41", "R42", "R43"}
WINDOW = timedelta(days=60)  # the orders list takes a range under three months


@dataclass
class Figures:
    """What the API's JSON says, summed in Python."""

    orders: int
    # (KST day placed, currency) -> actual payment of the paid, not cancelled orders
    revenue: Counter[tuple[date, str]]
    cancellations: Counter[tuple[date, int]]  # (KST day cancelled, shop) -> orders
    units: Counter[tuple[int, int]]  # (shop, product) -> units on sold lines
    orders_per_member: Counter[tuple[int, str]]  # (shop, member) -> orders
    value_per_member: Counter[tuple[int, str]]  # (shop, member) -> payment of the paid, not cancelled orders
    new_members: Counter[tuple[date, int]]  # (KST day joined, shop) -> members


def day(printed: str) -> date:
    """The API prints Korea time ("2026-11-30T23:10:00+09:00"): its date is the Korean day."""
    assert printed[19:] == "+09:00", printed
    return date.fromisoformat(printed[:10])


def api_orders(server: SandboxServer) -> tuple[dict[int, str], list[dict]]:
    """The currencies of the active shops, and every order with its items as GET /orders?embed=items serves it."""
    end = day(truth(server, MALL)["now"])
    orders = []
    with admin_client(server, MALL) as client:
        shops = client.get("/api/v2/admin/shops").json()["shops"]
        currency = {s["shop_no"]: s["currency_code"] for s in shops}
        for shop in (s["shop_no"] for s in shops if s["active"] == "T"):
            start = date.fromisoformat(DEFAULT_START_DATE)
            while start <= end:
                params = {
                    "shop_no": shop,
                    "start_date": start.isoformat(),
                    "limit": 1000,
                    "embed": "items",
                    "end_date": min(start + WINDOW, end).isoformat(),
                }
                page = client.get("/api/v2/admin/orders", params=params)
                page.raise_for_status()
                assert "links" not in page.json() or all(link["rel"] != "next" for link in page.json()["links"])
                orders += page.json()["orders"]
                start += WINDOW + timedelta(days=1)
    return currency, orders


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(SMALL_STORE) as server:
        yield server


@pytest.fixture(scope="module")
def figures(server: SandboxServer) -> Figures:
    currency, orders = api_orders(server)
    assert sorted(o["order_id"] for o in orders) == sorted(
        i for ids in truth(server, MALL)["orders"].values() for i in ids
    )
    found = Figures(len(orders), Counter(), Counter(), Counter(), Counter(), Counter(), Counter())
    for order in orders:
        shop, member = order["shop_no"], order["member_id"]
        counted = order["paid"] == "T" and order["canceled"] != "T"
        paid = Decimal(order["actual_order_amount"]["payment_amount"]) if counted else Decimal(0)
        if counted:
            found.revenue[day(order["order_date"]), currency[shop]] += paid
        if order["canceled"] == "T":
            found.cancellations[day(order["cancel_date"]), shop] += 1
        for item in order["items"]:
            if counted and item["order_status"] not in UNDONE:
                found.units[shop, item["product_no"]] += item["quantity"]
        if member:
            found.orders_per_member[shop, member] += 1
            found.value_per_member[shop, member] += paid
    now = server.sandbox.clock.now()
    for member in server.sandbox.mall(MALL).customers:  # the store's own records: when each member joined
        if member.created <= now:
            found.new_members[datetime.fromtimestamp(member.created, KST).date(), member.shop_no] += 1
    assert found.revenue and found.cancellations and found.units and found.orders_per_member
    return found


@dataclass
class Loaded:
    query: Callable[[str], list[tuple]]
    transform: TransformResult | dict


def duckdb_query(database: Path) -> Callable[[str], list[tuple]]:
    def query(sql: str) -> list[tuple]:
        with duckdb.connect(str(database), read_only=True) as con:
            return con.execute(sql).fetchall()

    return query


def postgres_query(url: str) -> Callable[[str], list[tuple]]:
    def query(sql: str) -> list[tuple]:
        with psycopg2.connect(url) as con, con.cursor() as cursor:
            cursor.execute(sql)
            rows = cursor.fetchall()
        con.close()
        return rows

    return query


@pytest.fixture(scope="module")
def duckdb_project(server: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, Loaded]:
    """`cafe24-dlt run --transform --json`, as cron would run it: the CLI's own process and project."""
    workdir = tmp_path_factory.mktemp("dbt_duckdb")
    env = {
        **cli_env(server, workdir, MALL, bootstrap(server, MALL)["refresh_token"]),
        "SOURCES__CAFE24__BUCKET_DRAIN_PER_SECOND": "200",
    }
    done = cli(workdir, env, "run", "--transform", "--json")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads(done.stdout)
    return workdir, env, Loaded(duckdb_query(workdir / "cafe24.duckdb"), summary["transform"])


@pytest.fixture(scope="module")
def postgres_project(
    server: SandboxServer, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Loaded:
    """`load(..., transform=True)` into PostgreSQL, the function the CLI calls."""
    url = request.getfixturevalue("postgres").database("dbt_models")
    project = Project.at(tmp_path_factory.mktemp("dbt_postgres"))
    authorize(server, project, MALL)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DESTINATION__POSTGRES__CREDENTIALS", url)
        result, _ = run(server, project, MALL, destination="postgres", transform=True)
    return Loaded(postgres_query(url), result.transform)


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def loaded(request: pytest.FixtureRequest) -> Loaded:
    if request.param == "duckdb":
        return request.getfixturevalue("duckdb_project")[2]
    return request.getfixturevalue("postgres_project")


def models(sql: str) -> str:
    return sql.format(d=DEFAULT_DATASET, mall=MALL)


def test_every_model_is_built_and_every_dbt_test_passes(loaded: Loaded) -> None:
    built = loaded.transform
    if isinstance(built, TransformResult):  # the PostgreSQL load's, in process
        assert built.ok, built
        assert {r.model_name for r in built.models} == MODELS
        assert {r.status for r in built.models} == {"success"}
        passed = built.count("pass")
    else:  # the CLI's --json summary
        assert built["ok"] and built["error"] is None and built["tests"]["failed"] == []
        assert built["models"] == dict.fromkeys(MODELS, "success")
        passed = built["tests"]["passed"]
    assert passed >= 30  # unique keys, not_null, parents and accepted status codes over five models


def test_orders_and_their_state_match_the_api(loaded: Loaded, figures: Figures) -> None:
    assert loaded.query(models("SELECT count(*) FROM {d}.cafe24__orders WHERE mall_id = '{mall}'")) == [
        (figures.orders,)
    ]
    cancelled = loaded.query(
        models(
            "SELECT date_day, shop_no, cancellations FROM {d}.cafe24__daily_shop "
            "WHERE mall_id = '{mall}' AND cancellations > 0"
        )
    )
    assert Counter({(d, s): n for d, s, n in cancelled}) == figures.cancellations


def test_paid_revenue_per_kst_day_and_currency_matches_the_api(loaded: Loaded, figures: Figures) -> None:
    rows = loaded.query(
        models(
            "SELECT date_day, currency, sum(paid_revenue) FROM {d}.cafe24__daily_shop WHERE mall_id = '{mall}' "
            "GROUP BY date_day, currency HAVING sum(paid_revenue) <> 0"
        )
    )
    # a returned order whose shipping was free is paid and not cancelled, with nothing left to pay: 0 either way
    assert {(d, c): v for d, c, v in rows} == {k: v for k, v in figures.revenue.items() if v}
    assert len({c for _, c, _ in rows}) == 3  # KRW, USD, JPY: a currency per shop


def test_units_per_product_match_the_api(loaded: Loaded, figures: Figures) -> None:
    rows = loaded.query(
        models(
            "SELECT shop_no, product_no, units_sold FROM {d}.cafe24__products WHERE mall_id = '{mall}' "
            "AND units_sold > 0"
        )
    )
    assert {(s, p): n for s, p, n in rows} == dict(figures.units)


def test_orders_and_lifetime_value_per_member_match_the_api(loaded: Loaded, figures: Figures) -> None:
    rows = loaded.query(
        models(
            "SELECT shop_no, member_id, order_count, lifetime_value FROM {d}.cafe24__customers WHERE mall_id = '{mall}'"
        )
    )
    members = {(s, m) for s, m, _, _ in rows}
    assert set(figures.orders_per_member) <= members  # every buyer is a member the customers table has
    assert {(s, m): n for s, m, n, _ in rows if n} == dict(figures.orders_per_member)
    assert {(s, m): v for s, m, n, v in rows if n} == dict(figures.value_per_member)


def test_new_members_per_kst_day_match_the_store(loaded: Loaded, figures: Figures) -> None:
    rows = loaded.query(
        models(
            "SELECT date_day, shop_no, new_members FROM {d}.cafe24__daily_shop WHERE mall_id = '{mall}' "
            "AND new_members > 0"
        )
    )
    assert {(d, s): n for d, s, n in rows} == dict(figures.new_members)


def test_a_failing_dbt_test_fails_the_run_with_its_own_exit_code(
    duckdb_project: tuple[Path, dict, Loaded], tmp_path: Path
) -> None:
    """A copy of transform/ with one more test, which cannot pass: the run loads (only the shops, to be quick),
    dbt reports the failure by name, and the CLI exits EX_TRANSFORM."""
    workdir, env, _ = duckdb_project
    broken = tmp_path / "transform"
    shutil.copytree(TRANSFORM_DIR, broken)
    (broken / "tests").mkdir()
    (broken / "tests" / "no_order_has_revenue.sql").write_text(
        "select * from {{ ref('cafe24__orders') }} where paid_revenue > 0\n"
    )
    patched = [
        sys.executable,
        "-c",
        "import sys, pathlib, pipelines.transform as t; "
        "t.TRANSFORM_DIR = pathlib.Path(sys.argv[1]); from pipelines.cafe24_pipeline import main; "
        "raise SystemExit(main(sys.argv[2:]))",
        str(broken),
    ]
    done = subprocess.run(
        [*patched, "run", "--resources", "shops", "--transform", "--json"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == EX_TRANSFORM, done.stdout[-3000:] + done.stderr[-3000:]
    assert "--transform" in done.stderr
    summary = json.loads(done.stdout)
    assert summary["exit_code"] == EX_TRANSFORM and not summary["transform"]["ok"]
    assert summary["transform"]["tests"]["failed"] == ["no_order_has_revenue"]
    assert summary["transform"]["models"] == dict.fromkeys(MODELS, "success")


def test_the_report_chart_is_drawn_from_the_models(
    duckdb_project: tuple[Path, dict, Loaded], figures: Figures, tmp_path: Path
) -> None:
    workdir, _, _ = duckdb_project
    data = read(workdir / "cafe24.duckdb")
    assert set(data.revenue) == {"KRW", "USD", "JPY"}
    drawn = {(d, c): v for c, days in data.revenue.items() for d, v in days.items() if v}
    assert drawn.items() <= figures.revenue.items()  # the chart's last days, as the API's figures say
    assert 0 < sum(units for _, units in data.products) <= sum(figures.units.values())
    png = draw(data, tmp_path / "report.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000


def test_transform_is_refused_where_dbt_has_no_profile(tmp_path: Path) -> None:
    """A lake has no SQL engine for dbt: refused before anything is called or written."""
    with pytest.raises(UsageError, match="--transform builds the models in duckdb or postgres, not in filesystem"):
        load(
            {"mall_id": MALL, "base_url": "http://127.0.0.1:9/{mall_id}"},
            destination="filesystem",
            project=Project.at(tmp_path),
            transform=True,
        )
    assert not any(tmp_path.iterdir())
