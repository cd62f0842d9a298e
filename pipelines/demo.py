"""`make demo`: the whole connector against the sandbox, offline, in about a minute.

It starts the Cafe24 sandbox with Cafe24's own limits (a bucket of 40 calls draining 2 per second), authorizes
the app on mall `demomall` the way a merchant would (authorize URL -> redirect to a local callback -> code
exchange), loads everything into ./cafe24_demo/cafe24.duckdb (dataset cafe24_data), lets the store live for an hour of
sandbox time, loads again incrementally and builds the dbt models of transform/ (as `run --transform` does), then
prints a week of cafe24__daily_shop, asks DuckDB an analyst's question and draws the report's chart.

Everything it writes is its own, in ./cafe24_demo/: the database, the grant, dlt's run state and report.png, laid
out as the pipeline lays out any project. An earlier demo's files there are replaced, once the sandbox's port is known
to be free; the pipeline's own ./cafe24.duckdb and state are never touched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from sources.cafe24.auth import AppCredentials, TokenStore
from sources.cafe24.errors import Cafe24Error
from sources.cafe24.settings import DEFAULT_TOKEN_STORE, KST

from .authorize import authorize, describe_grant
from .chart import draw, read
from .errors import LoadFailed, UsageError
from .project import DEMO_DIR, Project
from .report import RunResult, summary
from .run import DEFAULT_DATASET, load
from .runlock import RunInProgress

MALL = "demomall"
LIVE = {"orders_per_hour": 120, "product_edits_per_hour": 60, "customers_per_hour": 20}

# The model's rows are per day, mall and shop; a shop has one currency.
REVENUE_SQL = """\
SELECT date_day, currency, sum(orders) AS orders, sum(paid_revenue) AS paid_revenue
FROM {dataset}.cafe24__daily_shop
WHERE date_day BETWEEN ? - INTERVAL 6 DAY AND ?
GROUP BY ALL
ORDER BY date_day, currency"""


# Child tables carry their parent's natural key: items join their products by (mall_id, shop_no, product_no).
TOP_PRODUCTS_SQL = """\
SELECT p.product_name, sum(i.quantity) AS units, count(DISTINCT i.order_id) AS orders
FROM {dataset}.order_items i
JOIN {dataset}.orders o   USING (mall_id, shop_no, order_id)
JOIN {dataset}.products p USING (mall_id, shop_no, product_no)
WHERE o.shop_no = 1 AND CAST(timezone('Asia/Seoul', o.order_date) AS DATE) BETWEEN ? - INTERVAL 6 DAY AND ?
GROUP BY ALL
ORDER BY units DESC, p.product_name
LIMIT 5"""


def reset(project: Project, tokens: Path) -> None:
    """Forget an earlier demo: its database, its dlt state and the demo mall's grant, all in the demo's folder."""
    for path in (
        project.duckdb,
        project.duckdb.with_name(project.duckdb.name + ".wal"),
        tokens / f"{MALL}.json",
        tokens / f"{MALL}.json.lock",
    ):
        path.unlink(missing_ok=True)
    shutil.rmtree(project.working_dir, ignore_errors=True)


def merchant_approves(url: str) -> None:
    """Plays the merchant's browser: open the authorize URL and follow the sandbox's redirect to the callback."""
    response = httpx.get(url, follow_redirects=True, timeout=30)
    response.raise_for_status()


def last_7_days(sql: str, database: str, dataset: str, today: date) -> list[tuple[Any, ...]]:
    import duckdb

    with duckdb.connect(database, read_only=True) as con:
        return con.execute(sql.format(dataset=dataset), [today, today]).fetchall()


def print_revenue(rows: list[tuple[Any, ...]], today: date) -> None:
    currencies = sorted({r[1] for r in rows})
    by_day: dict[date, dict[str, tuple[int, float]]] = {}
    for day, currency, orders, revenue in rows:
        by_day.setdefault(day, {})[currency] = (orders, revenue)
    print(f"  {'day (KST)':<12}" + "".join(f"{c + ' orders':>12}{c + ' revenue':>16}" for c in currencies))
    for offset in range(6, -1, -1):
        day = today - timedelta(days=offset)
        cells = by_day.get(day, {})
        line = f"  {day.isoformat():<12}"
        for c in currencies:
            orders, revenue = cells.get(c, (0, 0))
            digits = 0 if c in ("KRW", "JPY") else 2
            line += f"{orders:>12}{float(revenue):>16,.{digits}f}"
        print(line)


def compare(
    first: RunResult, second: RunResult, requests: tuple[int, int], throttled: tuple[int, int], drain: float
) -> None:
    print(f"  {'':<32}{'first run':>12}{'incremental':>14}")
    for table in first.tables:
        print(f"  {table + ' rows':<32}{first.rows.get(table, 0):>12}{second.rows.get(table, 0):>14}")
    print(f"  {'API calls':<32}{first.calls:>12}{second.calls:>14}")
    print(f"  {'429 answers':<32}{first.throttled:>12}{second.throttled:>14}")
    print(f"  {'sandbox saw requests':<32}{requests[0]:>12}{requests[1]:>14}   (API calls + token calls)")
    print(f"  {'sandbox sent 429s':<32}{throttled[0]:>12}{throttled[1]:>14}")
    print(f"  {'wall time (s)':<32}{first.elapsed:>12.1f}{second.elapsed:>14.1f}")
    print(f"  {'extraction time (s)':<32}{first.extract_seconds:>12.1f}{second.extract_seconds:>14.1f}")
    print(
        f"  {'calls/s while extracting':<32}{first.calls_per_second:>12.2f}{second.calls_per_second:>14.2f}"
        f"   (the bucket drains {drain:.1f}/s)"
    )
    print(
        f"\n  Admin calls start with a burst of up to 37 (the bucket holds 40, 3 kept free), then keep to the\n"
        f"  {drain:.1f}/s drain. D.Collection calls stay under 40 in any minute, so a run soon after another waits\n"
        "  for the earlier run's calls to leave that minute: that wait is most of the second run's time."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8024, help="the sandbox's port (default 8024)")
    args = parser.parse_args(argv)
    # The demo's screen is the story; dlt's schema warnings and telemetry are not part of it.
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    # A smaller D.Collection feed than the sandbox's default keeps the demo within a minute of its 40 calls/min.
    config = SandboxConfig(dcollection_stores=6, dcollection_big_shop_products=2000)
    try:
        server = SandboxServer(config, port=args.port).start()
    except OSError as exc:
        print(
            f"error: the sandbox cannot listen on port {args.port} ({exc.strerror}); try `make demo SANDBOX_PORT=8030`",
            file=sys.stderr,
        )
        return 1
    project = Project.at(DEMO_DIR)
    tokens = project.root / DEFAULT_TOKEN_STORE
    reset(project, tokens)  # only now that the port is ours
    try:
        return _demo(server, config, project, tokens)
    except (Cafe24Error, LoadFailed, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except RunInProgress as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    finally:
        server.stop()


def _demo(server: SandboxServer, config: SandboxConfig, project: Project, tokens: Path) -> int:
    control = httpx.Client(base_url=f"{server.url}/__sandbox__", timeout=30)
    limits = config.limits
    print(
        f"Cafe24 sandbox on {server.url}: mall '{MALL}' at {server.mall_url(MALL)}/api/v2/..., a bucket of "
        f"{limits.bucket_size} calls draining {limits.drain_rate:.1f}/s, as on Cafe24.\n"
    )

    print("1. Authorize the app (OAuth authorization code; the demo plays the merchant's browser)\n")
    app = AppCredentials(config.client_id, config.client_secret)
    store = TokenStore(tokens)
    base_url = f"{server.url}/{{mall_id}}"
    grant = authorize(MALL, app, base_url, store, port=0, open_url=merchant_approves)
    print(describe_grant(grant, store) + "\n")

    source_args = {
        "mall_id": MALL,
        "base_url": base_url,
        "token_store": str(tokens),
        "credentials": {"client_id": config.client_id, "client_secret": config.client_secret},
    }

    def measured_load(transform: bool = False) -> tuple[RunResult, int, int]:
        before = control.get("/stats").json()["totals"]
        result = load(
            source_args,
            dataset=DEFAULT_DATASET,
            project=project,
            which="all",
            transform=transform,
            dcollection_args={
                "credentials": source_args["credentials"],
                "dcollection_url": f"{server.url}/dcollection",
            },
        )
        after = control.get("/stats").json()["totals"]
        return (
            result,
            after.get("requests", 0) - before.get("requests", 0),
            after.get("429", 0) - before.get("429", 0),
        )

    print(f"2. First run: everything into {project.duckdb} (dataset {DEFAULT_DATASET})\n")
    first, first_requests, first_429 = measured_load()
    print("\n" + summary(first) + "\n")

    control.post(f"/malls/{MALL}/live", json=LIVE).raise_for_status()
    control.post("/clock/advance", json={"seconds": 3600}).raise_for_status()
    print(
        f"3. The store goes live ({LIVE['orders_per_hour']} orders, {LIVE['product_edits_per_hour']} product "
        f"edits, {LIVE['customers_per_hour']} new members an hour) and an hour passes. Second run, incremental, "
        "then the dbt models of transform/ (`cafe24-dlt run --transform`):\n"
    )
    second, second_requests, second_429 = measured_load(transform=True)
    print("\n" + summary(second) + "\n")

    print("4. Both runs\n")
    compare(first, second, (first_requests, second_requests), (first_429, second_429), limits.drain_rate)

    now = control.get("/clock").json()["epoch"]
    today = datetime.fromtimestamp(now, KST).date()
    print(
        "\n5. The analytics models: paid revenue per day for the last 7 days (KST), per shop currency, from "
        "cafe24__daily_shop\n   (orders placed that day; revenue of those paid and not cancelled)\n"
    )
    print("\n".join("     " + line for line in REVENUE_SQL.format(dataset=DEFAULT_DATASET).splitlines()) + "\n")
    print_revenue(last_7_days(REVENUE_SQL, str(project.duckdb), DEFAULT_DATASET, today), today)
    print(
        "\n6. And an analyst's own question of the raw tables: the week's best sellers in shop 1, from the order "
        "lines joined to their products\n"
    )
    print("\n".join("     " + line for line in TOP_PRODUCTS_SQL.format(dataset=DEFAULT_DATASET).splitlines()) + "\n")
    print(f"  {'units':>6}{'orders':>8}  product")  # names last: Korean characters are two columns wide
    for name, units, orders in last_7_days(TOP_PRODUCTS_SQL, str(project.duckdb), DEFAULT_DATASET, today):
        print(f"  {units:>6}{orders:>8}  {name}")
    chart = draw(read(project.duckdb, DEFAULT_DATASET), project.root / "report.png")
    print(
        f"\n7. The report's chart, from cafe24__daily_shop and cafe24__products: {chart} (`make report` draws "
        "docs/report.png from it)"
    )
    print(
        f"\nThe demo's data stays in {project.duckdb} (its state beside it, in {project.root}); run the "
        "pipeline yourself with `.venv/bin/cafe24-dlt --help`."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
