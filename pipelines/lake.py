"""Loads into a lake, dlt's filesystem destination, as Delta tables with one row per key, as in the databases.

As plain files, dlt cannot merge: every run appended what it loaded, so a key held a row per load (issue #12).
Delta tables merge, but only as an upsert by primary key. The source yields each key once per run (a Delta
merge inserts every copy of a new key), and what a database merge does by the parent's key, replace all of a
re-loaded order's items, is done here after the load: a child row is current only if it came in the same load
as its parent's row, so the rows a parent's latest load did not bring are deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING

import dlt
import duckdb
from dlt.common.destination.exceptions import DestinationUndefinedEntity
from dlt.common.schema.typing import TTableFormat

from sources.cafe24.endpoints import BY_TABLE, KEYS, PARENT_OF

from .errors import UsageError

if TYPE_CHECKING:  # a database load needs neither
    from deltalake import DeltaTable
    from dlt.destinations.impl.filesystem.filesystem import FilesystemClient

# The destinations whose tables are kept in a table format, so they can be merged.
TABLE_FORMAT: dict[str, TTableFormat] = {"filesystem": "delta"}
# dlt stamps Arrow rows with their load only when asked; the lake tells a current child row by it.
LOAD_ID = "normalize.parquet_normalizer.add_dlt_load_id"


def check_lake(destination: str, which: str) -> None:
    """D.Collection's dicts become dlt nested tables, which a Delta upsert cannot prune, and its walk fetches a
    day twice past the offset cap: on a lake it would keep stale and duplicate rows, so it is refused."""
    if destination in TABLE_FORMAT and which in ("dcollection", "all"):
        raise UsageError(
            f"--destination {destination} loads the Admin and Front tables (--source admin or front); "
            "D.Collection cannot be kept one row per key in Delta tables yet, so load it into duckdb "
            "or postgres"
        )


def lake_settings(destination: str) -> AbstractContextManager[None]:
    """The settings a load into `destination` needs while it runs: on a lake, each row's load id."""
    return _stamped() if destination in TABLE_FORMAT else nullcontext()


@contextmanager
def _stamped() -> Iterator[None]:
    with dlt.config.values({LOAD_ID: True}):
        yield


def _open(client: FilesystemClient, table: str) -> DeltaTable | None:
    """The Delta table, or None when the lake holds none yet: a run of other tables, or no child rows so far."""
    try:
        opened: DeltaTable = client.load_open_table("delta", table)
        return opened
    except DestinationUndefinedEntity:
        return None


def drop_replaced_children(pipeline: dlt.Pipeline) -> dict[str, int]:
    """Deletes the child rows that their parent's latest load did not bring (a cancelled order line, a deleted
    variant), and says how many per table. It looks at whole tables, not this run's loads, so a run stopped
    between its load and this step is made good by the next."""
    dropped = {}
    with pipeline.destination_client() as client, duckdb.connect() as con:
        for child, parent in PARENT_OF.items():
            children, parents = _open(client, child), _open(client, parent)  # type: ignore[arg-type]  # a lake's client
            if children is None or parents is None:
                continue
            con.register("child", children.to_pyarrow_dataset())
            con.register("parent", parents.to_pyarrow_dataset())
            joined = ", ".join(BY_TABLE[parent].primary_key)
            stale = con.sql(
                f"SELECT {', '.join(f'c.{k}' for k in KEYS[child])} FROM child c JOIN parent p "
                f"USING ({joined}) WHERE c._dlt_load_id <> p._dlt_load_id"
            ).to_arrow_table()
            if stale.num_rows:
                match = " AND ".join(f"t.{k} = s.{k}" for k in KEYS[child])
                children.merge(stale, match, source_alias="s", target_alias="t").when_matched_delete().execute()
                dropped[child] = stale.num_rows
    return dropped
