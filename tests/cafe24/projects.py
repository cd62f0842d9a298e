"""Runs through `pipelines.run.load`, the CLI's own path, in a project directory against a sandbox, and what they
left in the project's database, shaped like the sandbox's ground truth."""

from __future__ import annotations

import io
from collections.abc import Callable

import duckdb
import pendulum

from pipelines.project import Project
from pipelines.report import RunResult
from pipelines.run import DEFAULT_DATASET, load
from sandbox.config import Limits, SandboxConfig, Volumes
from sandbox.server import SandboxServer
from sources.cafe24.auth import Grant, TokenStore
from sources.cafe24.endpoints import DETAIL_TABLES, KEYS
from sources.cafe24.settings import DEFAULT_START_DATE, KST, ORDER_DATE_TYPES
from sources.cafe24.windows import covering
from tests.cafe24.helpers import APP, bootstrap, pace, truth

# A store small enough for a full load in seconds (a run's cost is mostly dlt's per table, not per row)...
SMALL = Volumes(products=120, orders=600, customers=120)
# ... served fast, its clock still unless a test moves it.
SMALL_STORE = SandboxConfig(
    volumes=SMALL,
    limits=Limits(drain_rate=200, max_per_second=0),
    clock_runs=False,
)
SHOPS = 3  # the sandbox's active shops per mall
# A run with nothing new walks the shops list, then per shop categories, products, customers and each order date
# type; the completeness check then adds its counts (check_calls).
WALK_CALLS = 1 + SHOPS * (3 + len(ORDER_DATE_TYPES))


def order_windows(server: SandboxServer) -> int:
    """The three-month windows of orders from the default start_date to the sandbox's clock."""
    start = pendulum.from_format(DEFAULT_START_DATE, "YYYY-MM-DD", tz=KST).int_timestamp
    return len(list(covering(start, int(server.sandbox.clock.now()))))


def check_calls(server: SandboxServer) -> int:
    """The completeness check's calls after a mall's first: per shop one count of categories, products and
    customers, and one of orders for the window still open (the first check counted every window, and keeps the
    closed ones' counts)."""
    return SHOPS * (3 + 1)


def no_change_calls(server: SandboxServer) -> int:
    """Every call of a run with nothing new: the walk's and the completeness check's."""
    return WALK_CALLS + check_calls(server)


# The Admin tables a default run loads, child tables included, with their keys (the detail call's are opt-in).
TABLES = {table: key for table, key in KEYS.items() if table != "front_products" and table not in DETAIL_TABLES}


def authorize(server: SandboxServer, project: Project, *malls: str) -> None:
    """Each mall's first grant in the project's token store, as `auth` leaves it."""
    store = TokenStore(project.root / "tokens")
    for mall in malls:
        store.write(Grant.from_response(bootstrap(server, mall)))


def run(
    server: SandboxServer, project: Project, *malls: str, source: dict | None = None, **options
) -> tuple[RunResult, str]:
    """`source`: more arguments for cafe24_source (shop_no, start_date, ...); `options` go to `load`."""
    out = io.StringIO()
    result = load(
        {
            "mall_id": list(malls),
            "base_url": server.url + "/{mall_id}",
            "credentials": dict(APP),
            "token_store": str(project.root / "tokens"),
            **pace(server),
            **(source or {}),
        },
        project=project,
        out=out,
        **options,
    )
    return result, out.getvalue()


def landed(project: Project, mall: str) -> dict:
    """What the project's database holds for a mall, shaped like the sandbox's ground truth."""
    with duckdb.connect(str(project.duckdb), read_only=True) as con:
        return landed_by(lambda sql: con.execute(sql).fetchall(), mall)


def landed_by(query: Callable[[str], list[tuple]], mall: str) -> dict:
    """`landed` through any database's query function (mall ids are [a-z0-9], safe to write into the SQL)."""

    def by_shop(table: str, key: str) -> dict[str, list]:
        found: dict[str, list] = {str(s): [] for s in range(1, SHOPS + 1)}
        for shop, value in query(
            f"SELECT shop_no, {key} FROM cafe24_data.{table} WHERE mall_id = '{mall}' ORDER BY 1, 2"
        ):
            found[str(shop)].append(value)
        return found

    return {
        "products": by_shop("products", "product_no")["1"],
        "orders": by_shop("orders", "order_id"),
        "customers": by_shop("customers", "member_id"),
    }


def duckdb_keys(project: Project) -> dict[str, list[tuple]]:
    """Every table's keys in the project's database, sorted: what another destination must hold too."""
    with duckdb.connect(str(project.duckdb), read_only=True) as connection:
        return {
            table: connection.execute(
                f"SELECT {', '.join(key)} FROM {DEFAULT_DATASET}.{table} ORDER BY {', '.join(key)}"
            ).fetchall()
            for table, key in TABLES.items()
        }


def orders(server: SandboxServer, mall: str) -> int:
    return sum(len(ids) for ids in truth(server, mall)["orders"].values())


def expected(server: SandboxServer, mall: str) -> dict:
    """The sandbox's ground truth, shaped as `landed` reads a database."""
    return {k: v for k, v in truth(server, mall).items() if k in ("products", "orders", "customers")}


def assert_complete(server: SandboxServer, project: Project, mall: str) -> None:
    assert landed(project, mall) == expected(server, mall)
