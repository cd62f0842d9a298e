"""The completeness proof of a run: for each table and shop, the API's own count next to the live rows in the
destination, recorded in `_cafe24_completeness` and shown in the summary.

Both sides stop at the run's clock less `lookback_minutes`: a row created in the last minutes can appear after the
walk went past its second, and the next run's overlap loads it. Orders are counted by order_date from start_date
to there (the API counts at most three months at once, so one count per window and shop, a closed window's kept
from the run that first counted it: `api_count`); products and members by their created date; categories whole.
Rows marked deleted (pipelines/deletions.py) are not live, so they do not count. The API's side goes through the
mall's own clients, so its calls are paced and counted like every other.

`compare` is the reusable part (a later deletion reconciliation compares the same numbers); `check` runs it
after a load, and `records` are the rows the run appends to the dataset.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dlt
from dlt.common.schema.typing import TSchemaTables
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.destinations.sql_client import SqlClientBase
from dlt.extract import DltResource

from sources.cafe24 import MallSession
from sources.cafe24.client import ApiClient
from sources.cafe24.dcollection import Feed
from sources.cafe24.endpoints import BY_TABLE, DELETED, Endpoint
from sources.cafe24.paging import count_rows
from sources.cafe24.windows import covering

TABLE = "_cafe24_completeness"
# The schema (a dlt source) of the checks' own tables, this one and the deletions'.
CHECKS = "cafe24_checks"
# Orders counted per window that had closed, kept in this table's resource state: {mall: {"since", "windows"}}.
ORDER_COUNTS = "order_counts"
RECOUNT_DAYS = 7  # then every closed window is counted again, in case the platform dropped an order
# The tables whose endpoint has a count: shops has none (it is loaded whole from the list every run).
COUNTED = ("categories", "products", "orders", "customers", "front_products")


@dataclass(frozen=True)
class Count:
    mall: str
    shop: int
    table: str
    api_count: int
    loaded_count: int
    part: str | None = None  # D.Collection counts per product category (its count endpoint requires one)

    @property
    def matches(self) -> bool:
        return self.api_count == self.loaded_count


def compare(
    tables: TSchemaTables,
    sql: SqlClientBase[Any],
    session: MallSession,
    table: str,
    shops: Sequence[int],
    windows: dict[str, int],
) -> list[Count]:
    """Per shop of one mall: what the API counts and what the destination holds of `table` (`tables`: the
    pipeline's schema, read once per check since each read of it reloads it). `windows`: the mall's orders
    counted per closed window, used and added to (see `api_count`)."""
    ep = BY_TABLE[table]
    api = session.front if ep.api == "front" else session.client
    loaded = loaded_counts(tables, sql, ep, session)
    return [
        Count(session.mall_id, shop, table, api_count(api, ep, shop, session, windows), loaded.get(shop, 0))
        for shop in shops
    ]


def api_count(api: ApiClient, ep: Endpoint, shop: int, session: MallSession, windows: dict[str, int]) -> int:
    """The API's side. Orders are counted per window; a window that closed before the check's end holds the
    same orders on every later run (an order is not placed in the past), so its count is asked once and kept in
    `windows`. A run of a mall since 2024 then asks one count of orders a shop, not twelve."""
    end = settled(session)
    if ep.slicing != "order_sweep":
        return count_rows(api, ep, shop, session.start, end)
    total = 0
    for lo, hi in covering(session.start, end):
        key = f"{shop}/{lo}/{hi}"
        n = windows.get(key)
        if n is None:
            n = count_rows(api, ep, shop, lo, hi)  # one window: one call
            if hi < end:
                windows[key] = n
        total += n
    return total


def order_counts(pipeline: dlt.Pipeline, sessions: Sequence[MallSession]) -> dict[str, dict[str, Any]]:
    """The closed windows' counts the last check kept, per mall; a mall's are dropped every RECOUNT_DAYS."""
    state = pipeline.state.get("sources", {}).get(CHECKS, {}).get("resources", {}).get(TABLE, {})
    kept: dict[str, dict[str, Any]] = state.get(ORDER_COUNTS, {})
    for mall, session in by_mall(sessions).items():
        if mall not in kept or session.now - kept[mall]["since"] >= RECOUNT_DAYS * 86400:
            kept[mall] = {"since": session.now, "windows": {}}
    return kept


def settled(session: MallSession) -> int:
    """Where both sides of a check stop: the run's clock less the overlap the next run walks again."""
    return session.now - session.lookback


def loaded_counts(
    tables: TSchemaTables, client: SqlClientBase[Any], ep: Endpoint, session: MallSession
) -> dict[int, int]:
    """Live rows per shop, read through dlt's sql client (open: one connection serves every table) so DuckDB and
    PostgreSQL answer alike."""
    bound, args = "", []  # the destination's side of each bound in count_rows
    if ep.slicing == "order_sweep":
        bound, args = " AND order_date BETWEEN to_timestamp(%s) AND to_timestamp(%s)", [session.start, settled(session)]
    elif ep.slicing in ("updated_keyset", "created_cursor"):
        bound, args = " AND created_date <= to_timestamp(%s)", [settled(session)]
    live = f" AND {DELETED} IS NOT TRUE" if DELETED in tables.get(ep.table, {}).get("columns", {}) else ""
    if not client.has_dataset():
        return {}
    name = client.make_qualified_table_name(ep.table)
    try:
        rows = client.execute_sql(
            f"SELECT shop_no, count(*) FROM {name} WHERE mall_id = %s{bound}{live} GROUP BY shop_no",
            session.mall_id,
            *args,
        )
    except DatabaseUndefinedRelation:  # nothing of it loaded yet
        return {}
    return {int(shop): int(n) for shop, n in rows or ()}


def schema_tables(pipeline: dlt.Pipeline) -> TSchemaTables:
    """The tables of the pipeline's schema (none before its first load)."""
    return pipeline.default_schema.tables if pipeline.default_schema_name else {}


def by_mall(sessions: Sequence[MallSession]) -> dict[str, MallSession]:
    """A mall's first prepared session: the one whose clock the run's walks went up to (later backfill chunks
    keep that end)."""
    first: dict[str, MallSession] = {}
    for session in sessions:
        if session.ready or session.front_shops:
            first.setdefault(session.mall_id, session)
    return first


def check(
    pipeline: dlt.Pipeline,
    sessions: Sequence[MallSession],
    tables: Sequence[str],
    feeds: Sequence[Feed],
    kept: dict[str, dict[str, Any]],
) -> list[Count]:
    """Every counted table the run loaded, for every mall and the shops the run walked, and D.Collection's
    products where its count applies. `kept`: order_counts(), which the check adds the windows it counted to."""
    counts: list[Count] = []
    if "dcollection_products" in tables:
        counts += [count for feed in feeds for count in _feed_counts(pipeline, feed)]
    due = [
        (session, table, shops)
        for session in by_mall(sessions).values()
        for table in COUNTED
        if table in tables and table not in session.skipped and (shops := _walked_shops(session, table))
    ]
    if due:
        schema = schema_tables(pipeline)
        with pipeline.sql_client() as sql:
            for session, table, shops in due:
                counts += compare(schema, sql, session, table, shops, kept[session.mall_id]["windows"])
    return counts


def _walked_shops(session: MallSession, table: str) -> Sequence[int]:
    """The shops a run walked for `table`: the Front API's, or the Admin's once the session was prepared."""
    if BY_TABLE[table].api == "front":
        return session.front_shops
    return session.shops if session.ready else ()


def _feed_counts(pipeline: dlt.Pipeline, feed: Feed) -> list[Count]:
    """D.Collection's /api/products/count requires a product category, so it applies to a feed loaded by
    `product_categories`: per category (a middle one, or small ones of one middle one), the count over the walk's
    updated-date range against the loaded products in it. A feed walked by store has nothing to count against."""
    if not feed.product_categories or not feed.shops:
        return []
    window = {"updated_start_date": feed.start.isoformat(), "updated_end_date": feed.today.isoformat()}
    counts = []
    with pipeline.sql_client() as client:
        name = client.make_qualified_table_name("dcollection_products")
        for code in feed.product_categories:
            api = int(feed.client.get("/api/products/count", {**window, "dcollection_product_category": code})["count"])
            parts = code.split(",")
            marks = ", ".join(["%s"] * len(parts))
            try:
                rows = client.execute_sql(
                    f"SELECT count(*) FROM {name} WHERE dcollection_product_category__depth2 "
                    f"IN ({marks}) OR dcollection_product_category__depth3 IN ({marks})",
                    *parts,
                    *parts,
                )
            except DatabaseUndefinedRelation:  # the feed had no product to load yet
                rows = [(0,)]
            counts.append(
                Count("dcollection", 0, "dcollection_products", api, int(rows[0][0]) if rows else 0, part=code)
            )
    return counts


def records(counts: Sequence[Count], load_id: str, kept: dict[str, dict[str, Any]]) -> DltResource | None:
    """The rows `_cafe24_completeness` gains, one per mall, shop and table (None if there is no count), and the
    orders' window counts in its state, committed with them."""
    checked_at = datetime.now(UTC)
    rows = [
        {
            "load_id": load_id,
            "mall_id": c.mall,
            "shop_no": c.shop,
            "table_name": c.table,
            "part": c.part,
            "api_count": c.api_count,
            "loaded_count": c.loaded_count,
            "checked_at": checked_at,
        }
        for c in counts
    ]
    if not rows:
        return None

    def checked() -> Iterator[list[dict[str, Any]]]:
        dlt.current.resource_state()[ORDER_COUNTS] = kept
        yield rows

    return dlt.resource(
        checked, name=TABLE, write_disposition="append", columns={"part": {"data_type": "text", "nullable": True}}
    )
