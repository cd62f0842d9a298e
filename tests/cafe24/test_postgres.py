"""Loads into a real PostgreSQL server (issue #12): the same store lands with the same keys as in DuckDB, a full
load and an incremental one after live changes, and the declared column types carry over."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import psycopg2
import pytest

from pipelines.project import Project
from pipelines.run import DEFAULT_DATASET
from sandbox.server import SandboxServer
from sources.cafe24.fields import DECLARED
from tests.cafe24.cli import cli_env
from tests.cafe24.helpers import advance, bootstrap, truth
from tests.cafe24.postgres import PostgresServer
from tests.cafe24.projects import SHOPS, SMALL_STORE, TABLES, assert_complete, authorize, duckdb_keys, run

# Each of our column types as Postgres declares it (information_schema.columns.data_type); json columns are JSON
# text, as in DuckDB (docs/tables.md).
POSTGRES_TYPES = {
    "bigint": "bigint",
    "decimal": "numeric",
    "bool": "boolean",
    "timestamp": "timestamp with time zone",
    "json": "character varying",
    "text": "character varying",
}


@pytest.fixture(scope="module")
def server():
    with SandboxServer(SMALL_STORE) as server:
        yield server


def postgres_keys(url: str) -> dict[str, list[tuple]]:
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        found = {}
        for table, key in TABLES.items():
            cursor.execute(f"SELECT {', '.join(key)} FROM {DEFAULT_DATASET}.{table} ORDER BY {', '.join(key)}")
            found[table] = [tuple(row) for row in cursor.fetchall()]
    connection.close()
    return found


def postgres_types(url: str) -> dict[tuple[str, str], str]:
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = %s",
            (DEFAULT_DATASET,),
        )
        found = {(table, column): data_type for table, column, data_type in cursor.fetchall()}
    connection.close()
    return found


def test_a_full_then_an_incremental_load_land_the_keys_of_duckdb_with_their_types(
    server: SandboxServer, postgres: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same store into Postgres and into DuckDB, twice, with live orders, edits and members in between."""
    url = postgres.database("full_then_incremental")
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", url)
    into_postgres, into_duckdb = Project.at(tmp_path / "postgres"), Project.at(tmp_path / "duckdb")
    for project in (into_postgres, into_duckdb):
        authorize(server, project, "pgmall")

    first, _ = run(server, into_postgres, "pgmall", destination="postgres")
    run(server, into_duckdb, "pgmall")
    assert first.rows["orders"] == 600
    assert postgres_keys(url) == duckdb_keys(into_duckdb)

    advance(server, "pgmall", 6 * 3600, orders_per_hour=40, product_edits_per_hour=30, customers_per_hour=10)
    again, _ = run(server, into_postgres, "pgmall", destination="postgres")
    in_duckdb, _ = run(server, into_duckdb, "pgmall")
    assert again.rows["orders"] > 0
    # the completeness check reads Postgres as it reads DuckDB, and keeps its rows there too
    assert again.completeness == in_duckdb.completeness and again.completeness and not again.incomplete
    with psycopg2.connect(url) as con, con.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {DEFAULT_DATASET}._cafe24_completeness")
        assert cursor.fetchone()[0] == 2 * len(again.completeness)
    assert_complete(server, into_duckdb, "pgmall")
    assert postgres_keys(url) == duckdb_keys(into_duckdb)

    types = postgres_types(url)
    declared = {
        (table, column): POSTGRES_TYPES[kind]
        for table in TABLES
        for column, kind in DECLARED[table].items()
        if (table, column) in types
    }
    assert {column: types[column] for column in declared} == declared
    assert types["orders", "order_date"] == "timestamp with time zone"
    assert types["order_items", "product_price"] == "numeric"
    assert types["products", "display"] == "boolean"


def test_the_cli_loads_into_postgres(server: SandboxServer, postgres: PostgresServer, tmp_path: Path) -> None:
    """`cafe24-dlt run --destination postgres`, the installed console script, credentials from the environment."""
    url = postgres.database("cli")
    env = {
        **cli_env(server, tmp_path, "pgclimall", bootstrap(server, "pgclimall")["refresh_token"]),
        "DESTINATION__POSTGRES__CREDENTIALS": url,
    }
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cafe24-dlt"), "run", "--destination", "postgres"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Cafe24 -> postgres ({DEFAULT_DATASET})")
    orders = postgres_keys(url)["orders"]
    assert orders == sorted(
        ("pgclimall", int(shop), order_id)
        for shop, ids in truth(server, "pgclimall")["orders"].items()
        for order_id in ids
    )


@pytest.mark.parametrize("mode", ["soft", "hard"])
def test_deletions_are_marked_or_deleted_in_postgres(
    server: SandboxServer, postgres: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """The merchant deletes products and members; the next run marks them (soft) or deletes them and the products'
    variants (hard) in Postgres, through the same SQL client and dlt merge as DuckDB."""
    url = postgres.database(f"deletions_{mode}")
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", url)
    project, mall = Project.at(tmp_path), f"pgdel{mode}"
    authorize(server, project, mall)
    run(server, project, mall, destination="postgres", source={"deletions": mode})
    store = truth(server, mall)
    products, members = store["products"][:5], store["customers"]["1"][:3]
    httpx.post(
        f"{server.url}/__sandbox__/malls/{mall}/delete", json={"products": products, "members": members}
    ).raise_for_status()

    result, _ = run(server, project, mall, destination="postgres", source={"deletions": mode})
    assert not result.incomplete
    with psycopg2.connect(url) as con, con.cursor() as cursor:
        found = {}
        for table, key, keys in (
            ("products", "product_no", products),
            ("customers", "member_id", members),
            ("product_variants", "product_no", products),
        ):
            flag = "_cafe24_deleted" if table != "product_variants" else "true"
            cursor.execute(
                f"SELECT {flag}, count(*) FROM {DEFAULT_DATASET}.{table} WHERE {key} = ANY(%s) GROUP BY 1",
                (list(keys),),
            )
            found[table] = dict(cursor.fetchall())
    con.close()
    if mode == "soft":
        assert found["products"] == {True: 5 * SHOPS} and found["customers"] == {True: 3}
        assert found["product_variants"]  # kept: the product's flag says it is gone
    else:
        assert found == {"products": {}, "customers": {}, "product_variants": {}}
