"""Backfills in chunks (issue #11): a walk from the beginning stops after `backfill_chunk_rows` and says in its
resource state where to go on; the run loads again, those resources only, until no backfill is left. Each chunk
is its own load package, its rows and its position committed together, so a killed backfill resumes from its
last chunk, and the destination never merges more than a chunk at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import dlt
from dlt.sources import DltSource

from sources.cafe24.paging import backfill_pending


def pending(pipeline: dlt.Pipeline, sources: Sequence[DltSource]) -> dict[str, list[str]]:
    """The selected resources whose committed state says a backfill must go on, per source name."""
    kept = pipeline.state.get("sources", {})
    found: dict[str, list[str]] = {}
    for source in sources:
        resources = kept.get(source.name, {}).get("resources", {})
        names = [name for name in source.selected_resources if backfill_pending(resources.get(name, {}))]
        if names:
            found[source.name] = names
    return found


def next_chunk(left: dict[str, list[str]], build: Callable[..., list[DltSource]]) -> list[DltSource]:
    """Fresh sources (a source's generators run once) with only the resources that have a backfill to go on,
    walking only the shops that have one, and counting nothing ahead: the first chunk did."""
    sources = [source for source in build(backfills_only=True, count_totals=False) if source.name in left]
    for source in sources:
        source.resources.select(*left[source.name])
    return sources
