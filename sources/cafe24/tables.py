"""Pages of API rows into typed Arrow tables: the endpoint's table and its child tables, each child row carrying
its parent's natural key, so analysts join without dlt's internal ids and dlt skips its row-by-row normalizer.

Every declared column (fields.py) is present with its type, even when a page holds no value for it. Values are
gathered once per column in Python and converted as whole Arrow arrays (strings to decimals and timestamps in
bulk), since per-value Python was what made the connector slower than the API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from .columns import kind_of
from .fields import DECLARED, ColumnType
from .settings import BATCH_ROWS

ARROW: dict[ColumnType, pa.DataType] = {
    "bigint": pa.int64(),
    "decimal": pa.decimal128(38, 9),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "json": pa.string(),
    "text": pa.string(),
}
_FLAG_VALUES = {"T": True, "F": False, True: True, False: False, None: None, "": None}
# Cafe24 prints local times with or without the +09:00 offset, and some dates without a time.
_NO_TIME = r"^(\d{4}-\d{2}-\d{2})$"
_NO_OFFSET = r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)$"


class UnexpectedValue(ValueError):
    """A value that does not fit its column's declared type: the contract is broken, so nothing is guessed."""


@dataclass(frozen=True)
class Child:
    """A list field of the parent that is a table of its own, keyed by the parent's key and `key`. A child with
    no key of its own that is always set is keyed by `position`, its 1-based place in the parent's list. Lists
    inside a child's rows may be tables too (`children`), keyed by the child's whole key and their own."""

    field: str
    table: str
    key: tuple[str, ...]
    position: str | None = None
    children: tuple[Child, ...] = ()


def frames(
    rows: Sequence[dict[str, Any]],
    table: str,
    constants: dict[str, Any],
    key: Sequence[str],
    children: Sequence[Child] = (),
    protect: Callable[[str, dict[str, pa.Array]], None] | None = None,
) -> Iterator[tuple[str, pa.Table]]:
    """The page as `table` (with `constants`, e.g. mall_id and shop_no, as columns), then one table per child
    that has rows, each child row with the parent's `key` columns. `protect(table, columns)` may hash or drop
    columns before a table is made (sources/cafe24/pii.py)."""
    columns = _columns(rows, table, skip={c.field for c in children})
    if protect:
        protect(table, columns)
    n = len(rows)
    for name, value in constants.items():
        columns[name] = pa.array([value] * n)  # int64, string or bool, as the value is
    parent = _keyed(pa.table(columns), table, key)
    yield table, parent
    yield from _children(rows, parent, list(key), children, protect)


def _children(
    rows: Sequence[dict[str, Any]],
    parent: pa.Table,
    key: list[str],
    children: Sequence[Child],
    protect: Callable[[str, dict[str, pa.Array]], None] | None,
) -> Iterator[tuple[str, pa.Table]]:
    """The child tables of `rows` (made into `parent`, keyed by `key`), each followed by its own children."""
    for child in children:
        lists = [row.get(child.field) or () for row in rows]
        child_rows = [item for items in lists for item in items]
        if not child_rows:
            continue
        at = pa.array([i for i, items in enumerate(lists) for _ in items], pa.int64())
        own = _columns(child_rows, child.table, skip={*key, *(c.field for c in child.children)})
        if protect:
            protect(child.table, own)
        parents = {name: pc.take(parent[name], at).combine_chunks() for name in key}
        if child.position:
            parents[child.position] = pa.array([i + 1 for items in lists for i in range(len(items))], pa.int64())
        data = _keyed(pa.table({**parents, **own}), child.table, [*key, *child.key])
        yield child.table, data
        yield from _children(child_rows, data, [*key, *child.key], child.children, protect)


def first_copies(
    rows: Sequence[dict[str, Any]], constants: dict[str, Any], key: Sequence[str], seen: set[tuple[Any, ...]]
) -> list[dict[str, Any]]:
    """The rows whose key is not in `seen` yet, added to it. A walk can meet a row twice (two date types, a
    page that shifted). One load package must hold each key once: the database merges skip their own dedup, and a
    Delta merge inserts every copy of a key it does not hold yet."""
    fresh = []
    for row in rows:
        k = tuple(constants[name] if name in constants else row.get(name) for name in key)
        if k not in seen:
            seen.add(k)
            fresh.append(row)
    return fresh


def batches(pages: Iterable[list[dict[str, Any]]], size: int = BATCH_ROWS) -> Iterator[list[dict[str, Any]]]:
    """The rows of consecutive pages in batches of at least `size` (the last may hold fewer), none empty. dlt pays
    for each Arrow table it is handed, whatever its size: a first load of 600 orders made hundreds of small ones (a
    page per window, date type and child table) and cost 0.45 s of CPU more."""
    batch: list[dict[str, Any]] = []
    for page in pages:
        batch.extend(page)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _keyed(data: pa.Table, table: str, key: Sequence[str]) -> pa.Table:
    """Key columns are never null: dlt declares them NOT NULL, so the Arrow schema says so too."""
    for name in key:
        if data[name].null_count:
            raise UnexpectedValue(f"{table}.{name}: a row has no value for this key column")
    fields = [f.with_nullable(False) if f.name in key else f for f in data.schema]
    return data.cast(pa.schema(fields))


def _columns(rows: Sequence[dict[str, Any]], table: str, skip: set[str]) -> dict[str, pa.Array]:
    declared = DECLARED[table]
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    out: dict[str, pa.Array] = {}
    _flatten(rows, list(seen), declared, skip, "", out, table)
    for name, kind in declared.items():  # declared columns this page has no value for: still there, typed
        if name not in out and name not in skip:
            out[name] = pa.nulls(len(rows), ARROW[kind])
    return out


def _flatten(
    rows: Sequence[Any],
    keys: Sequence[str],
    declared: dict[str, ColumnType],
    skip: set[str],
    prefix: str,
    out: dict[str, pa.Array],
    table: str,
) -> None:
    for key in keys:
        if not prefix and key in skip:
            continue
        name = prefix + key
        values = [row.get(key) if row else None for row in rows]
        kind = declared.get(name)
        if kind is None and (any(k.startswith(name + "__") for k in declared) or _first(values, dict)):
            odd = next((v for v in values if v is not None and not isinstance(v, dict)), None)
            if odd is not None:
                raise UnexpectedValue(f"{table}.{name}: an object was expected, the API sent {odd!r}")
            sub: dict[str, None] = {}
            for value in values:
                if isinstance(value, dict):
                    sub.update(dict.fromkeys(value))
            _flatten(values, list(sub), declared, skip, name + "__", out, table)
            continue
        kind = kind or _guess(key, values)
        try:
            out[name] = _convert(values, kind, key)
        except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as exc:
            raise UnexpectedValue(f"{table}.{name}: a value does not fit the column's type {kind} ({exc})") from None


def _first(values: Sequence[Any], kind: type) -> bool:
    return any(isinstance(v, kind) for v in values if v is not None)


def _guess(key: str, values: Sequence[Any]) -> ColumnType:
    """An undeclared column: typed by the same name rules as declared ones, else JSON for lists, else text."""
    return kind_of(key) or ("json" if _first(values, list) else "text")


def _convert(values: list[Any], kind: ColumnType, key: str) -> pa.Array:
    if kind == "json":
        return pa.array([None if v is None else orjson.dumps(v).decode() for v in values], pa.string())
    if kind == "bool":
        flags = [_FLAG_VALUES.get(v, v) if not isinstance(v, (list, dict)) else v for v in values]
        bad = next((v for v in flags if not (v is None or isinstance(v, bool))), None)
        if bad is not None:
            raise ValueError(f"{bad!r} is not T or F")
        return pa.array(flags, pa.bool_())
    if kind == "bigint":
        try:
            return pa.array(values, pa.int64())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return pc.cast(_blank_is_null(_text(values)), pa.int64())
    if kind == "text":
        try:
            text = pa.array(values, pa.string())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            text = _text(values)
        return _blank_is_null(text) if key.endswith("_id") else text  # a guest's member_id "" is no member
    strings = _blank_is_null(_text(values))
    if kind == "decimal":
        return pc.cast(strings, ARROW["decimal"])
    strings = pc.replace_substring_regex(strings, r"^(\d{4}-\d{2}-\d{2}) ", r"\1T")
    strings = pc.replace_substring_regex(strings, _NO_TIME, r"\1T00:00:00")
    strings = pc.replace_substring_regex(strings, _NO_OFFSET, r"\1+09:00")
    return pc.cast(strings, ARROW["timestamp"])


def _text(values: list[Any]) -> pa.Array:
    """Strings whatever the API printed: 1000 and "1100.00" in one column are both text before a cast."""
    return pa.array(
        [
            v
            if v is None or isinstance(v, str)
            else orjson.dumps(v).decode()
            if isinstance(v, (list, dict))
            else str(v)
            for v in values
        ],
        pa.string(),
    )


def _blank_is_null(strings: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(strings, ""), pa.scalar(None, pa.string()), strings)
