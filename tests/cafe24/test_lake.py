"""Loads into a lake (issue #12): dlt's filesystem destination, a local folder, Delta tables. After a full load and
an incremental one with live changes in between, every table holds one row per key, the keys of a DuckDB load of
the same store, a cancelled order line is gone as it is in DuckDB, and the declared types are the files' types."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from deltalake import DeltaTable

from pipelines.project import Project
from pipelines.run import DEFAULT_DATASET
from sandbox.server import SandboxServer
from sources.cafe24.fields import DECLARED
from sources.cafe24.tables import ARROW
from tests.cafe24.cli import cli_env
from tests.cafe24.helpers import advance, bootstrap, truth
from tests.cafe24.projects import SMALL_STORE, TABLES, assert_complete, authorize, duckdb_keys, run


@pytest.fixture(scope="module")
def server():
    with SandboxServer(SMALL_STORE) as server:
        yield server


def lake_keys(bucket: Path) -> dict[str, list[tuple]]:
    """Each table's keys, read as an analyst reads the lake: deltalake's dataset of the table, queried by DuckDB."""
    found = {}
    with duckdb.connect() as con:
        for table, key in TABLES.items():
            con.register("t", DeltaTable(str(bucket / DEFAULT_DATASET / table)).to_pyarrow_dataset())
            found[table] = con.sql(f"SELECT {', '.join(key)} FROM t ORDER BY {', '.join(key)}").fetchall()
    return found


def assert_one_row_per_key(keys: dict[str, list[tuple]]) -> None:
    assert {table: len(rows) for table, rows in keys.items()} == {table: len(set(rows)) for table, rows in keys.items()}


def test_a_full_then_an_incremental_load_keep_one_row_per_key_with_the_keys_and_types_of_duckdb(
    server: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same store into a lake folder and into DuckDB, twice, with a cancelled order line, live orders, edits
    and members in between."""
    bucket = tmp_path / "lake"
    monkeypatch.setenv("DESTINATION__FILESYSTEM__BUCKET_URL", str(bucket))
    into_lake, into_duckdb = Project.at(tmp_path / "lake_project"), Project.at(tmp_path / "duckdb_project")
    for project in (into_lake, into_duckdb):
        authorize(server, project, "lakemall")

    first, _ = run(server, into_lake, "lakemall", destination="filesystem")
    run(server, into_duckdb, "lakemall")
    assert first.rows["orders"] == 600
    assert lake_keys(bucket) == duckdb_keys(into_duckdb)

    store = server.sandbox.mall("lakemall")
    now = int(server.sandbox.clock.now())
    order = next(
        o
        for o in store.orders
        if len(o.lines) >= 3 and "cancel_date" not in o.timeline and o.timeline["order_date"] < now
    )
    store.cancel_line(order.order_id, now + 60)
    advance(server, "lakemall", 6 * 3600, orders_per_hour=40, product_edits_per_hour=30, customers_per_hour=10)
    again, out = run(server, into_lake, "lakemall", destination="filesystem")
    run(server, into_duckdb, "lakemall")
    assert again.rows["orders"] > 0
    assert_complete(server, into_duckdb, "lakemall")
    keys = lake_keys(bucket)
    assert_one_row_per_key(keys)
    assert keys == duckdb_keys(into_duckdb)
    items = [k for k in keys["order_items"] if k[2] == order.order_id]
    assert len(items) == len(order.lines)
    assert "order_items: deleted 1 row(s)" in out

    for table in TABLES:
        schema = DeltaTable(str(bucket / DEFAULT_DATASET / table)).to_pyarrow_dataset().schema
        declared = {column: ARROW[kind] for column, kind in DECLARED[table].items() if column in schema.names}
        assert {column: schema.field(column).type for column in declared} == declared, table
    orders = DeltaTable(str(bucket / DEFAULT_DATASET / "orders")).to_pyarrow_dataset().schema
    assert str(orders.field("order_date").type) == "timestamp[us, tz=UTC]"
    assert str(orders.field("actual_order_amount__payment_amount").type) == "decimal128(38, 9)"


def test_the_cli_loads_into_a_lake_folder_named_in_config_and_refuses_d_collection(
    server: SandboxServer, tmp_path: Path
) -> None:
    """`cafe24-dlt run --destination filesystem`, the installed console script, the folder in .dlt/config.toml
    as the README shows: one table, then all of them twice, one row per key, without dlt's warnings; D.Collection
    is refused in one line."""
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text('[destination.filesystem]\nbucket_url = "lake"\n')
    env = cli_env(server, tmp_path, "lakeclimall", bootstrap(server, "lakeclimall")["refresh_token"])
    command = [str(Path(sys.executable).parent / "cafe24-dlt"), "run", "--destination", "filesystem"]
    for only in (["--resources", "shops"], [], []):  # first a lake without child tables, then a full and an update
        result = subprocess.run([*command, *only], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"Cafe24 -> filesystem ({DEFAULT_DATASET})")
        assert result.stderr == ""
    keys = lake_keys(tmp_path / "lake")
    assert_one_row_per_key(keys)
    assert [k for k in keys["orders"] if k[0] == "lakeclimall"] == sorted(
        ("lakeclimall", int(shop), order_id)
        for shop, ids in truth(server, "lakeclimall")["orders"].items()
        for order_id in ids
    )

    refused = subprocess.run(
        [*command, "--source", "all"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "D.Collection" in refused.stderr and "postgres" in refused.stderr
