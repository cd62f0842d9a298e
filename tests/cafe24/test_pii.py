"""Personal data with pii = hash and pii = drop (sources/cafe24/pii.py): no raw personal value the sandbox
generates lands anywhere in the destination, and orders still join their members."""

from __future__ import annotations

import io
import re

import duckdb
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines.errors import UsageError, cause_of
from pipelines.project import Project
from pipelines.report import RunResult
from pipelines.run import load
from sandbox.server import SandboxServer
from sources.cafe24.pii import JOINS, PERSONAL, PiiSettingError
from tests.cafe24.helpers import APP, pace
from tests.cafe24.projects import SMALL_STORE, authorize

MALL = "privatemall"
KEY = "a-test-key-of-32-characters-long"


@pytest.fixture(scope="module")
def server():
    with SandboxServer(SMALL_STORE) as server:
        yield server


def load_with(server: SandboxServer, project: Project, pii: str, key: str | None = KEY) -> RunResult:
    return load(
        {
            "mall_id": MALL,
            "base_url": server.url + "/{mall_id}",
            "credentials": dict(APP),
            "token_store": str(project.root / "tokens"),
            **pace(server),
            "pii": pii,
            **({"pii_key": key} if key else {}),
        },
        project=project,
        out=io.StringIO(),
    )


def sql(project: Project, query: str) -> list[tuple]:
    with duckdb.connect(str(project.duckdb), read_only=True) as con:
        return con.execute(query).fetchall()


@pytest.fixture(scope="module")
def personal(server, tmp_path_factory) -> set[str]:
    """Every personal value the API shows for the mall, from a load that keeps them."""
    project = Project.at(tmp_path_factory.mktemp("keep"))
    authorize(server, project, MALL)
    load_with(server, project, "keep")
    with duckdb.connect(str(project.duckdb), read_only=True) as con:
        values = {
            v
            for table, columns in PERSONAL.items()
            for column in columns
            for (v,) in con.execute(f'SELECT DISTINCT "{column}" FROM cafe24_data.{table}').fetchall()
            if v
        }
    assert len(values) > 500, "the sandbox must generate personal data for the scan to mean anything"
    return values


def leaks(project: Project, personal: set[str]) -> list[tuple[str, str, str]]:
    """Every text cell of every table that is a personal value, or holds one of eight characters or more (an
    address inside JSON text, say)."""
    inside = re.compile("|".join(re.escape(v) for v in personal if len(v) >= 8))
    found = []
    with duckdb.connect(str(project.duckdb), read_only=True) as con:  # one connection: a connect costs 40 ms
        for table, column in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE "
            "table_schema = 'cafe24_data' AND data_type = 'VARCHAR'"
        ).fetchall():
            for (value,) in con.execute(
                f'SELECT DISTINCT "{column}" FROM cafe24_data."{table}" WHERE "{column}" IS NOT NULL'
            ).fetchall():
                if value in personal or inside.search(value):
                    found.append((table, column, value))
    return found


@pytest.mark.parametrize("mode", ["hash", "drop"])
def test_no_raw_personal_value_lands_and_orders_still_join_their_members(server, personal, tmp_path, mode) -> None:
    project = Project.at(tmp_path)
    authorize(server, project, MALL)
    load_with(server, project, mode)
    assert leaks(project, personal) == []
    joined, member_orders = sql(
        project,
        "SELECT count(c.member_id), count(o.member_id) FROM cafe24_data.orders o "
        "LEFT JOIN cafe24_data.customers c USING (mall_id, shop_no, member_id)",
    )[0]
    assert member_orders > 50 and joined == member_orders
    columns = {
        (t, c)
        for t, c in sql(
            project, "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'cafe24_data'"
        )
    }
    kept = {(t, c) for t, names in PERSONAL.items() for c in names if (t, c) in columns}
    if mode == "drop":
        assert kept == {(t, c) for t, names in PERSONAL.items() for c in names if c in JOINS}
    else:
        assert kept == {(t, c) for t, names in PERSONAL.items() for c in names}
        hashed = sql(project, "SELECT DISTINCT length(email) FROM cafe24_data.customers WHERE email IS NOT NULL")
        assert hashed == [(64,)]


def test_a_run_that_would_mix_raw_and_hashed_rows_is_refused_before_it_changes_anything(server, tmp_path) -> None:
    project = Project.at(tmp_path)
    authorize(server, project, MALL)
    load_with(server, project, "keep")
    before = sql(project, "SELECT count(*), max(email) FROM cafe24_data.customers")
    with pytest.raises(PipelineStepFailed) as failed:
        load_with(server, project, "hash")
    refused = cause_of(failed.value, PiiSettingError)
    assert refused is not None and "loaded with pii = keep" in str(refused) and "--dataset" in str(refused)
    assert sql(project, "SELECT count(*), max(email) FROM cafe24_data.customers") == before


def test_hashing_without_a_key_says_where_to_put_one(server, tmp_path) -> None:
    project = Project.at(tmp_path)
    authorize(server, project, MALL)
    with pytest.raises(UsageError, match="pii_key under \\[sources.cafe24\\] in .dlt/secrets.toml"):
        load_with(server, project, "hash", key=None)
    with pytest.raises(UsageError, match="at least 16 characters"):
        load_with(server, project, "drop", key="short")
