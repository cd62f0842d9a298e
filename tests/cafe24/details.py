"""What the detail-call tests (order_details, product_details) share: three runs against a small store, with the
detail calls each made, the checks every detail option must pass, and reading their project's database."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from pipelines.project import Project
from sandbox.server import SandboxServer
from sources.cafe24.endpoints import DETAIL_TABLES
from tests.cafe24.helpers import stats
from tests.cafe24.projects import SMALL_STORE, authorize, no_change_calls, run


def sql(project: Project, query: str) -> list[tuple]:
    with duckdb.connect(str(project.duckdb), read_only=True) as con:
        return con.execute(query).fetchall()


def tables(project: Project) -> set[str]:
    return {t for (t,) in sql(project, "SELECT table_name FROM information_schema.tables")}


def detail_runs(factory: pytest.TempPathFactory, mall: str, option: str, endpoint: str) -> Iterator[dict]:
    """On (a backfill), on again with nothing new, and off in another project: {name: (result, detail calls)},
    with the server and both projects (the sandbox counts the calls per endpoint)."""

    def detail_calls(server: SandboxServer) -> int:
        return stats(server)["malls"].get(mall, {}).get(endpoint, {}).get("requests", 0)

    with SandboxServer(SMALL_STORE) as server:
        on, off = Project.at(factory.mktemp("on")), Project.at(factory.mktemp("off"))
        authorize(server, on, mall)
        authorize(server, off, mall)
        found: dict = {"server": server, "on": on, "off": off}
        for name, project, details in (("first", on, True), ("again", on, True), ("without", off, False)):
            before = detail_calls(server)
            result = run(server, project, mall, source={option: details})[0]
            found[name] = (result, detail_calls(server) - before)
        yield found


def assert_one_detail_call_per_row(runs: dict, loaded: int, rows: str) -> None:
    """The backfill made one detail call per row it loaded, and exactly that many calls more than without the
    option: nothing else is asked (every call counts against the bucket)."""
    (first, details), (without, _) = runs["first"], runs["without"]
    assert details == loaded
    assert first.calls - without.calls == loaded
    print(f"\n{loaded} {rows}: {details} detail calls, {first.calls} calls with the option, {without.calls} without")


def assert_a_quiet_run_calls_no_detail(runs: dict) -> None:
    """A run with nothing new loads no row, so it calls no detail; its calls are those of any such run."""
    again, details = runs["again"]
    assert details == 0
    assert again.calls == no_change_calls(runs["server"])


def assert_off_calls_no_detail(runs: dict, tables_of_option: tuple[str, ...]) -> None:
    """The option off, the default, calls no detail and creates no detail table; on, it creates its own."""
    _, details = runs["without"]
    assert details == 0
    assert not tables(runs["off"]) & set(DETAIL_TABLES)
    assert set(tables_of_option) <= tables(runs["on"])
