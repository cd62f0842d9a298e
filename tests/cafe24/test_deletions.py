"""Deletions (issue #13 item 1): the merchant deletes products and members through the sandbox's control API, and
the next ordinary run marks exactly those, in every shop, for one mall of a shared dataset; a restored product is
live again; hard deletes remove the rows and their variants; a walk is due every deletions_check_days even when
the counts agree. Cafe24 has no deleted flag or list (docs/cafe24-reference.md#deleted-records), so only a walk of the
keys can tell."""

from __future__ import annotations

import duckdb
import httpx
import pytest

from pipelines.deletions import TABLE
from pipelines.project import Project
from pipelines.report import summary
from sandbox.server import SandboxServer
from tests.cafe24.helpers import advance, truth
from tests.cafe24.projects import SHOPS, SMALL_STORE, authorize, no_change_calls, run

DAY = 86400


@pytest.fixture(scope="module")
def server():
    with SandboxServer(SMALL_STORE) as server:
        yield server


def merchant(server: SandboxServer, mall: str, action: str, **body: list) -> dict:
    response = httpx.post(f"{server.url}/__sandbox__/malls/{mall}/{action}", json=body)
    response.raise_for_status()
    return response.json()


def rows(project: Project, sql: str) -> list[tuple]:
    with duckdb.connect(str(project.duckdb), read_only=True) as con:
        return con.execute(sql).fetchall()


def marked(project: Project, table: str, key: str, mall: str) -> dict[bool, set]:
    """Keys per shop-independent state: {deleted?: {(shop, key)}} of one mall."""
    found: dict[bool, set] = {True: set(), False: set()}
    for shop, value, deleted, at in rows(
        project,
        f"SELECT shop_no, {key}, _cafe24_deleted, _cafe24_deleted_at FROM cafe24_data.{table} WHERE mall_id = '{mall}'",
    ):
        assert (at is not None) == deleted  # the time is set exactly when the flag is
        found[deleted].add((shop, value))
    return found


def test_deleted_rows_are_marked_in_every_shop_and_a_restored_product_is_live_again(server, tmp_path) -> None:
    project = Project.at(tmp_path)
    authorize(server, project, "delmall", "bystander")
    first, _ = run(server, project, "delmall", "bystander")
    assert [r.reason for r in first.deletions if r.api_keys is not None] == []  # a first load walks no keys
    before = truth(server, "delmall")
    products = before["products"][5:45]  # 40
    members = [m for shop, n in (("1", 15), ("2", 7), ("3", 3)) for m in before["customers"][shop][:n]]
    assert len(members) == 25  # in every shop
    merchant(server, "delmall", "delete", products=products, members=members)

    second, out = run(server, project, "delmall", "bystander")
    gone = marked(project, "products", "product_no", "delmall")
    assert gone[True] == {(s, p) for s in range(1, SHOPS + 1) for p in products}
    assert {p for _, p in gone[False]} == set(before["products"]) - set(products)
    left = marked(project, "customers", "member_id", "delmall")
    assert {m for _, m in left[True]} == set(members)
    assert marked(project, "products", "product_no", "bystander")[True] == set()  # the other mall is untouched
    walked = {(r.mall, r.table, r.shop): r for r in second.deletions if r.api_keys is not None}
    assert {(m, t) for m, t, _ in walked} == {("delmall", "products"), ("delmall", "customers")}
    assert sum(r.deleted for (_, t, _), r in walked.items() if t == "products") == 40 * SHOPS
    assert sum(r.deleted for (_, t, _), r in walked.items() if t == "customers") == 25
    assert all(c.matches for c in second.completeness)  # the deleted rows are not live, so the counts agree
    assert "counts differ" in summary(second)
    recorded = rows(
        project,
        f"SELECT mall_id, table_name, sum(deleted) FROM cafe24_data.{TABLE} "
        "WHERE api_keys IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2",
    )
    assert recorded == [("delmall", "customers", 25), ("delmall", "products", 40 * SHOPS)]

    merchant(server, "delmall", "restore", products=products[:5])
    third, _ = run(server, project, "delmall", "bystander")
    back = marked(project, "products", "product_no", "delmall")
    assert back[True] == {(s, p) for s in range(1, SHOPS + 1) for p in products[5:]}
    assert {(s, p) for s in range(1, SHOPS + 1) for p in products[:5]} <= back[False]
    assert sum(r.reloaded for r in third.deletions) == 5 * SHOPS
    assert all(c.matches for c in third.completeness)

    quiet, _ = run(server, project, "delmall", "bystander")  # counts agree and no walk is due: no extra call
    assert [r for r in quiet.deletions if r.api_keys is not None] == []
    assert quiet.calls == 2 * no_change_calls(server)


def test_hard_deletes_remove_the_rows_and_their_variants(server, tmp_path) -> None:
    project = Project.at(tmp_path)
    authorize(server, project, "hardmall")
    run(server, project, "hardmall", source={"deletions": "hard"})
    products = truth(server, "hardmall")["products"][:10]
    listed = ", ".join(map(str, products))
    assert rows(project, f"SELECT count(*) FROM cafe24_data.product_variants WHERE product_no IN ({listed})")[0][0]
    merchant(server, "hardmall", "delete", products=products)

    result, _ = run(server, project, "hardmall", source={"deletions": "hard"})
    for table in ("products", "product_variants"):
        assert rows(project, f"SELECT count(*) FROM cafe24_data.{table} WHERE product_no IN ({listed})") == [(0,)]
    assert all(c.matches for c in result.completeness)

    merchant(server, "hardmall", "restore", products=products)
    run(server, project, "hardmall", source={"deletions": "hard"})
    assert rows(
        project,
        f"SELECT count(DISTINCT product_no) FROM cafe24_data.products "
        f"WHERE product_no IN ({listed}) AND NOT _cafe24_deleted",
    ) == [(10,)]
    assert rows(project, f"SELECT count(*) FROM cafe24_data.product_variants WHERE product_no IN ({listed})")[0][0]


def test_the_keys_are_walked_every_few_days_even_when_the_counts_agree(server, tmp_path) -> None:
    project = Project.at(tmp_path)
    authorize(server, project, "agedmall")
    run(server, project, "agedmall", source={"deletions_check_days": 3})
    advance(server, "agedmall", 2 * DAY)
    early, _ = run(server, project, "agedmall", source={"deletions_check_days": 3})
    assert [r for r in early.deletions if r.api_keys is not None] == []
    advance(server, "agedmall", 2 * DAY)
    due, _ = run(server, project, "agedmall", source={"deletions_check_days": 3})
    walked = [r for r in due.deletions if r.api_keys is not None]
    assert {(r.table, r.shop) for r in walked} == {
        (t, s) for t in ("products", "customers") for s in range(1, SHOPS + 1)
    }
    assert all("days since the last walk" in r.reason and not r.deleted and not r.reloaded for r in walked)
