"""`make report`: a PNG drawn from the analytics models, daily paid revenue per currency and the best sellers.

    python -m pipelines.chart [--duckdb cafe24_demo/cafe24.duckdb] [--dataset cafe24_data] [--out docs/report.png]

It reads cafe24__daily_shop and cafe24__products (built by `cafe24-dlt run --transform`) from a DuckDB file.
Product labels use the English name or the product code: the machine that draws may have no Korean font.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb

from .project import DEMO_DIR, DUCKDB_FILE
from .run import DEFAULT_DATASET

DAYS = 60  # the revenue panels' span, ending on the latest day with activity
TOP = 10
DEFAULT_OUT = Path("docs/report.png")

REVENUE_SQL = """\
SELECT date_day, currency, sum(paid_revenue)
FROM {dataset}.cafe24__daily_shop
WHERE date_day > (SELECT max(date_day) FROM {dataset}.cafe24__daily_shop) - {days}
GROUP BY date_day, currency
ORDER BY currency, date_day"""

# Units add up across shops (a product is listed once per shop); revenue would mix currencies, so it is left out.
TOP_PRODUCTS_SQL = """\
SELECT mall_id, product_no, coalesce(max(eng_product_name), max(product_code)), sum(units_sold) AS units
FROM {dataset}.cafe24__products
GROUP BY mall_id, product_no
HAVING sum(units_sold) > 0
ORDER BY units DESC, mall_id, product_no
LIMIT {top}"""


@dataclass
class ReportData:
    revenue: dict[str, dict[date, Decimal]]  # currency -> KST day -> paid revenue
    products: list[tuple[str, int]]  # (label, units sold), best first


def read(database: str | Path, dataset: str = DEFAULT_DATASET) -> ReportData:
    with duckdb.connect(str(database), read_only=True) as con:
        revenue: dict[str, dict[date, Decimal]] = {}
        for day, currency, amount in con.execute(REVENUE_SQL.format(dataset=dataset, days=DAYS)).fetchall():
            revenue.setdefault(currency, {})[day] = amount
        rows = con.execute(TOP_PRODUCTS_SQL.format(dataset=dataset, top=TOP)).fetchall()
    malls = {mall for mall, *_ in rows}
    products = [
        (f"{mall}: {label}" if len(malls) > 1 else f"{label} (#{product_no})", int(units))
        for mall, product_no, label, units in rows
    ]
    return ReportData(revenue, products)


def draw(data: ReportData, out: str | Path) -> Path:
    """One revenue panel per currency (their scales differ by a thousand), the best sellers beside them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates
    import matplotlib.pyplot as plt

    currencies = sorted(data.revenue)
    rows = max(1, len(currencies))
    figure = plt.figure(figsize=(13, 2.3 * rows + 1.2), dpi=100)
    grid = figure.add_gridspec(rows, 2, width_ratios=(3, 2), hspace=0.45, wspace=0.35)
    last = max((day for days in data.revenue.values() for day in days), default=date.today())
    span = [last - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    first = None
    for row, currency in enumerate(currencies):
        axis = figure.add_subplot(grid[row, 0], sharex=first)
        first = first or axis
        by_day = data.revenue[currency]
        # matplotlib plots dates on a date axis, though its stubs do not list them
        axis.bar(span, [float(by_day.get(day, 0)) for day in span], width=0.8, color=f"C{row}")  # type: ignore[arg-type]
        axis.set_title(f"paid revenue per day (KST), {currency}", fontsize=10, loc="left")
        axis.tick_params(labelsize=8)
        axis.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        axis.grid(axis="y", alpha=0.3)
        locator = matplotlib.dates.AutoDateLocator(maxticks=8)
        axis.xaxis.set_major_locator(locator)
        axis.xaxis.set_major_formatter(matplotlib.dates.ConciseDateFormatter(locator))
    best = figure.add_subplot(grid[:, 1])
    labels = [label for label, _ in data.products][::-1]
    best.barh(labels, [units for _, units in data.products][::-1], color="C4")
    best.set_title(f"top {len(data.products)} products, units sold (all shops)", fontsize=10, loc="left")
    best.tick_params(labelsize=8)
    best.grid(axis="x", alpha=0.3)
    figure.suptitle("Cafe24 analytics models: cafe24__daily_shop and cafe24__products", fontsize=12)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, bbox_inches="tight")
    plt.close(figure)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--duckdb", default=str(Path(DEMO_DIR) / DUCKDB_FILE), help="the DuckDB file (default: the demo's)"
    )
    parser.add_argument("--dataset", default=DEFAULT_DATASET)
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    args = parser.parse_args(argv)
    if not Path(args.duckdb).exists():
        print(
            f"error: {args.duckdb} does not exist; run `make demo` (or `cafe24-dlt run --transform`) first",
            file=sys.stderr,
        )
        return 2
    try:
        data = read(args.duckdb, args.dataset)
    except duckdb.CatalogException as exc:
        print(
            f"error: the models are not in {args.duckdb} ({exc}); run `cafe24-dlt run --transform` first",
            file=sys.stderr,
        )
        return 2
    print(f"wrote {draw(data, args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
