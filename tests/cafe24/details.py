"""What the detail-call tests (order_details, product_details) share: three runs against a small store, with the
detail calls each made, and reading their project's database."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from pipelines.project import Project
from sandbox.server import SandboxServer
from tests.cafe24.helpers import stats
from tests.cafe24.projects import SMALL_STORE, authorize, run


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
