"""A run's cursors before it starts: state kept under bare table names by earlier versions is handed to the
mall it belongs to, and --full-refresh forgets the cursors of this run's resources and no others.

Both edit dlt's pipeline state through `managed_state`, so the change is saved locally with a new version and
reaches the destination with the run's load; a run that fails keeps it for the next one.
"""

from __future__ import annotations

from collections.abc import Sequence

import dlt
from dlt.common.destination.exceptions import DestinationException
from dlt.extract.state import reset_resource_state
from dlt.sources import DltSource

from sources.cafe24 import cafe24_source, resource_name
from sources.cafe24.endpoints import ENDPOINTS

MALL_TABLES = frozenset(ep.table for ep in ENDPOINTS)
CAFE24 = cafe24_source.name  # the key of the Admin/Front source's state


def carry_over(pipeline: dlt.Pipeline) -> list[str]:
    """Resources of a one-mall run used to be named after the bare table (`products`). Their cursors belong to
    the one mall whose rows the table holds. When it holds several malls, or none, nobody can tell whose they
    were: they are dropped, and those malls reload their history, merged by key, so nothing is lost."""
    kept = pipeline.state.get("sources", {}).get(CAFE24, {}).get("resources", {})
    legacy = [name for name, cursors in kept.items() if name in MALL_TABLES]
    if not legacy:
        return []
    owners = {table: _malls_in(pipeline, table) for table in legacy if kept[table]}
    notes: list[str] = []
    with pipeline.managed_state() as state:
        resources = state["sources"][CAFE24]["resources"]
        for table in legacy:
            cursors = resources.pop(table)
            if not cursors:
                continue
            malls = owners[table]
            if len(malls) == 1:
                resources.setdefault(resource_name(table, malls[0]), cursors)
                notes.append(f"{table}: the cursors of the earlier one-mall runs now belong to mall {malls[0]}")
            else:
                whose = f"malls {', '.join(malls)}" if malls else "no mall"
                notes.append(
                    f"{table}: the cursors of the earlier one-mall runs were dropped, since the table holds "
                    f"{whose}; each mall's next run reloads its history and merges it by key"
                )
    return notes


def _malls_in(pipeline: dlt.Pipeline, table: str) -> list[str]:
    try:
        with pipeline.sql_client() as client:
            rows = client.execute_sql(f"SELECT DISTINCT mall_id FROM {client.make_qualified_table_name(table)}")
    except DestinationException:  # no such table (or dataset) yet
        return []
    return sorted(str(row[0]) for row in rows or ())


def forget(pipeline: dlt.Pipeline, sources: Sequence[DltSource]) -> list[str]:
    """--full-refresh: the selected resources (this run's malls and tables) start again from start_date. Their
    rows are reloaded and merged by key; other tables, malls and sources keep their rows and cursors."""
    forgotten: list[str] = []
    with pipeline.managed_state() as state:
        for source in sources:
            source_state = state.setdefault("sources", {}).setdefault(source.name, {})
            for name in source.selected_resources:
                reset_resource_state(name, source_state)
                forgotten.append(name)
    return forgotten
