"""Rows that left the API: found by walking its keys, then marked or deleted in the destination.

Cafe24 has no deleted flag and no list of deletions: its list endpoints simply stop returning a row. So after a
run, for each deletable table (endpoints.DELETABLE) and shop, the keys the API holds now are walked in as few
columns as it allows (paging.KEY_WALKS) and compared with the destination's:
- a row the destination holds live that the API no longer has is marked `_cafe24_deleted = true` with
  `_cafe24_deleted_at` (soft), or deleted with its child rows through dlt's hard_delete hint (hard);
- a key the API has that the destination does not hold live (a restored product, a row never loaded) is loaded
  again by key (paging.by_keys), which makes it live.
The walk costs a call per 100 products or 1,000 members, so it runs when the completeness counts disagree, or
once `deletions_check_days` have passed since the shop's last walk. A first load whose counts agree starts that
clock without a walk. Every decision is a row of `_cafe24_deletions`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.schema.typing import TColumnSchema
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.extract import DltResource

from sources.cafe24 import MERGE, MallSession
from sources.cafe24.endpoints import BY_TABLE, DELETABLE, DELETED, DELETED_AT, KEYS, Endpoint
from sources.cafe24.fields import DECLARED
from sources.cafe24.paging import KEY_WALKS

from .completeness import Count, by_mall, loaded_counts, schema_tables

TABLE = "_cafe24_deletions"
BATCH = 500  # keys per UPDATE statement
Reload = dict[str, dict[str, dict[int, list[Any]]]]  # {table: {mall: {shop: [keys]}}}, the source's `reload`


@dataclass(frozen=True)
class Reconciled:
    mall: str
    shop: int
    table: str
    reason: str
    api_keys: int | None = None  # None: not walked
    deleted: int = 0
    reloaded: int = 0


def reconcile(
    pipeline: dlt.Pipeline, sessions: Sequence[MallSession], counts: Sequence[Count], reload: Callable[[Reload], None]
) -> list[Reconciled]:
    """Walk the keys of every shop and deletable table that is due, mark what went, and hand what came back to
    `reload` (a load of the source with its `reload` argument)."""
    counted = {(c.mall, c.shop, c.table): c for c in counts}
    walked = _last_walks(pipeline)
    tables = pipeline.default_schema.tables
    # A dataset loaded before the deletion columns existed gets them with its next rows of the table.
    ready = [t for t in DELETABLE if DELETED in tables.get(t, {}).get("columns", {})]
    done: list[Reconciled] = []
    again: Reload = {}
    for session in by_mall(sessions).values():
        for table in ready:
            for shop in session.shops:
                count = counted.get((session.mall_id, shop, table))
                if count is None:  # not loaded by this run
                    continue
                reason = _due(count, walked.get((session.mall_id, shop, table)), session)
                if reason is None:
                    continue
                if not reason:  # the first check of a shop: nothing to compare yet, the clock starts
                    done.append(Reconciled(session.mall_id, shop, table, "first load, counts agree"))
                    continue
                result, back = _walk(pipeline, session, BY_TABLE[table], shop, reason)
                done.append(result)
                if back:
                    again.setdefault(table, {}).setdefault(session.mall_id, {})[shop] = back
    if again:
        reload(again)
    return done


def _due(count: Count, last: float | None, session: MallSession) -> str | None:
    """Why the keys must be walked now; "" for a first load whose counts agree; None when not due."""
    if not count.matches:
        return f"counts differ: the API has {count.api_count}, the destination {count.loaded_count} live"
    if last is None:
        return ""
    days = (session.now - last) / 86400
    if days >= session.deletions_check_days:
        return f"{days:.1f} days since the last walk"
    return None


def _walk(
    pipeline: dlt.Pipeline, session: MallSession, ep: Endpoint, shop: int, reason: str
) -> tuple[Reconciled, list[Any]]:
    api = {key for page in KEY_WALKS[ep.slicing](session.client, ep, shop) for key in page}
    live = _live_keys(pipeline, ep, session.mall_id, shop)
    gone, back = sorted(live - api), sorted(api - live)
    if gone:
        if session.deletions == "hard":
            _load(pipeline, _tombstones(ep, session.mall_id, shop, gone, pipeline.default_schema.tables))
        else:
            _mark(pipeline, ep, session.mall_id, shop, gone, datetime.fromtimestamp(session.now, UTC))
    return Reconciled(session.mall_id, shop, ep.table, reason, len(api), len(gone), len(back)), back


def _live_keys(pipeline: dlt.Pipeline, ep: Endpoint, mall: str, shop: int) -> set[Any]:
    key = ep.primary_key[-1]
    with pipeline.sql_client() as client:
        name = client.make_qualified_table_name(ep.table)
        rows = client.execute_sql(
            f"SELECT {key} FROM {name} WHERE mall_id = %s AND shop_no = %s AND {DELETED} IS NOT TRUE", mall, shop
        )
    return {row[0] for row in rows or ()}


def _mark(pipeline: dlt.Pipeline, ep: Endpoint, mall: str, shop: int, gone: list[Any], at: datetime) -> None:
    """Soft: the rows stay, flagged, in one transaction."""
    key = ep.primary_key[-1]
    with pipeline.sql_client() as client:
        name = client.make_qualified_table_name(ep.table)
        with client.begin_transaction():
            for i in range(0, len(gone), BATCH):
                batch = gone[i : i + BATCH]
                client.execute_sql(
                    f"UPDATE {name} SET {DELETED} = TRUE, {DELETED_AT} = %s WHERE mall_id = %s "
                    f"AND shop_no = %s AND {key} IN ({', '.join(['%s'] * len(batch))})",
                    at,
                    mall,
                    shop,
                    *batch,
                )


def _tombstones(ep: Endpoint, mall: str, shop: int, gone: list[Any], loaded: Collection[str] = ()) -> list[Any]:
    """Hard: one row per key with the hard_delete column true, which dlt's merge deletes instead of inserting.
    A child table gets one such row per parent, keyed by the parent (its merge key), so all its rows go too; an
    opt-in detail call's child table (Endpoint.details) only if the dataset has it (`loaded`). Arrow tables, as
    the source loads, so dlt adds no columns of its own to the tables."""
    flag: dict[str, TColumnSchema] = {DELETED: {"data_type": "bool", "hard_delete": True}}
    details = [c for c in (ep.details.children if ep.details else ()) if c.table in loaded]

    def rows(table: str, position: str | None = None) -> pa.Table:
        columns = {"mall_id": [mall] * len(gone), "shop_no": [shop] * len(gone), ep.primary_key[-1]: gone}
        for name in KEYS[table][len(ep.primary_key) :]:  # a child's own key: any value, its parent's key decides
            text = name != position and DECLARED[table].get(name, "text") == "text"  # a place is a number
            columns[name] = ["" if text else 0] * len(gone)
        data = pa.table({**columns, DELETED: [True] * len(gone)})
        return data.cast(pa.schema([f.with_nullable(f.name == DELETED) for f in data.schema]))

    resources = [
        dlt.resource(
            rows(ep.table),
            name=f"{ep.table}_deleted",
            table_name=ep.table,
            write_disposition=MERGE,
            primary_key=list(ep.primary_key),
            columns=flag,
        )
    ]
    resources += [
        dlt.resource(
            rows(child.table, child.position),
            name=f"{child.table}_deleted",
            table_name=child.table,
            write_disposition=MERGE,
            primary_key=list(KEYS[child.table]),
            merge_key=list(ep.primary_key),
            columns=flag,
        )
        for child in (*ep.children, *details)
    ]
    return resources


def _last_walks(pipeline: dlt.Pipeline) -> dict[tuple[str, int, str], float]:
    """When each shop's keys were last walked (or its first load started the clock), from `_cafe24_deletions`."""
    with pipeline.sql_client() as client:
        if not client.has_dataset():
            return {}
        name = client.make_qualified_table_name(TABLE)
        try:
            rows = client.execute_sql(
                f"SELECT mall_id, shop_no, table_name, max(checked_at) FROM {name} "
                "GROUP BY mall_id, shop_no, table_name"
            )
        except DatabaseUndefinedRelation:
            return {}
    return {(mall, int(shop), table): _epoch(at) for mall, shop, table, at in rows or ()}


def _epoch(value: Any) -> float:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def records(done: Iterable[Reconciled], sessions: Sequence[MallSession], load_id: str) -> DltResource | None:
    """The decisions `_cafe24_deletions` gains (None if none), at each mall's clock: the next run's `_due` reads
    them back."""
    clocks = {m: datetime.fromtimestamp(s.now, UTC) for m, s in by_mall(sessions).items()}
    rows = [
        {
            "load_id": load_id,
            "mall_id": r.mall,
            "shop_no": r.shop,
            "table_name": r.table,
            "reason": r.reason,
            "api_keys": r.api_keys,
            "deleted": r.deleted,
            "reloaded": r.reloaded,
            "checked_at": clocks[r.mall],
        }
        for r in done
    ]
    return dlt.resource(rows, name=TABLE, write_disposition="append", columns=_NULLABLE_KEYS) if rows else None


# api_keys is null until a shop's first walk: typed, so the column exists before any value does
_NULLABLE_KEYS: dict[str, TColumnSchema] = {"api_keys": {"data_type": "bigint", "nullable": True}}


def _load(pipeline: dlt.Pipeline, resources: list[Any]) -> None:
    info = pipeline.run(resources)
    info.raise_on_failed_jobs()


def refreshed(
    pipeline: dlt.Pipeline, counts: Sequence[Count], sessions: Sequence[MallSession], done: Sequence[Reconciled]
) -> list[Count]:
    """The counts with the destination's side read again for the shops a walk changed (no API call)."""
    changed = {(r.mall, r.table) for r in done if r.deleted or r.reloaded}
    malls = by_mall(sessions)
    if not changed:
        return list(counts)
    with pipeline.sql_client() as sql:
        tables = schema_tables(pipeline)
        loaded = {(m, t): loaded_counts(tables, sql, BY_TABLE[t], malls[m]) for m, t in changed}
    return [
        Count(c.mall, c.shop, c.table, c.api_count, loaded[(c.mall, c.table)].get(c.shop, 0))
        if (c.mall, c.table) in loaded
        else c
        for c in counts
    ]
