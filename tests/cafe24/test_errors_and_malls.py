"""Bad input gets a clear, actionable error; many malls load in one run into one dataset (issue #3 §1, §6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.project import Project
from pipelines.report import summary
from sandbox.config import Limits, SandboxConfig, Volumes
from sandbox.server import SandboxServer
from sources.cafe24 import cafe24_source
from sources.cafe24.auth import Grant, TokenStore
from sources.cafe24.endpoints import SCOPES
from sources.cafe24.errors import Cafe24RequestError
from tests.cafe24.helpers import APP, bootstrap, grant_with, keys, make_pipeline, run, source, truth
from tests.cafe24.projects import run as run_project

FAST = Limits(drain_rate=200, bucket_size=40, max_per_second=0)


@pytest.fixture(scope="module")
def server():
    with SandboxServer(
        SandboxConfig(volumes=Volumes(products=120, orders=600, customers=120), limits=FAST, clock_runs=False)
    ) as server:
        yield server


def _root_cause(exc: BaseException) -> BaseException:
    """The exception the chain started from, as Python prints it (suppressed contexts skipped)."""
    while exc.__cause__ or (exc.__context__ and not exc.__suppress_context__):
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return exc


def test_several_malls_load_in_one_run_into_one_dataset(server, tmp_path: Path) -> None:
    """Issue #3 §6: keys are compound (mall_id, shop_no, key), so malls share tables without collisions."""
    malls = ["malla", "mallb", "mallc"]
    tokens = {m: bootstrap(server, m)["refresh_token"] for m in malls}
    pipeline = make_pipeline(tmp_path)
    for mall in malls:  # each mall's first grant, as `auth` would have stored it
        run(
            pipeline,
            source(server, tmp_path, mall, tokens[mall], start_date="2024-01-01").with_resources(f"shops__{mall}"),
        )
    run(pipeline, source(server, tmp_path, malls, start_date="2024-01-01"))
    for mall in malls:
        expected = truth(server, mall)
        assert keys(pipeline, "orders", "order_id", mall, 1) == expected["orders"]["1"]
        assert keys(pipeline, "products", "product_no", mall, 2) == expected["products"]


def test_a_table_whose_scope_the_grant_lacks_is_skipped_with_the_scope_and_the_fix(server, tmp_path: Path) -> None:
    """docs/cafe24-reference.md#errors: 403 when a scope is missing. The other tables load; the summary names the
    scope and the `auth --scopes` fix; the completeness check does not count what was skipped."""
    project = Project.at(tmp_path)
    narrow = [s for s in SCOPES if s not in ("mall.read_category", "mall.read_privacy")]
    TokenStore(str(project.root / "tokens")).write(Grant.from_response(grant_with(server, "narrowmall", narrow)))
    result, _ = run_project(server, project, "narrowmall")
    assert result.rows["orders"] == 600 and result.rows["products"] and "categories" not in result.rows
    notes = "\n".join(result.notes)
    for table, scope in (("categories", "mall.read_category"), ("customers", "mall.read_privacy")):
        assert f"narrowmall: {table} skipped: the grant lacks the scope {scope}" in notes
    assert f"cafe24-dlt auth --mall narrowmall --scopes {','.join(SCOPES)}" in summary(result)
    assert {c.table for c in result.completeness} == {"products", "orders"} and not result.incomplete

    again, _ = run_project(server, project, "narrowmall")  # nothing half-begun is taken for a pending backfill
    assert len(again.notes) == 2 and again.rows.get("orders", 0) == 0


def test_a_mall_id_that_does_not_resolve_fails_at_once_with_the_mall_named(tmp_path: Path) -> None:
    """A wrong mall id is a DNS failure on the real host: said plainly, not retried for minutes."""
    src = cafe24_source(
        mall_id="nosuchmallzz",
        credentials={**APP, "refresh_token": "x" * 22},
        base_url="https://{mall_id}.invalid",
        token_store=str(tmp_path / "tokens"),
    )
    with pytest.raises(Exception) as failure:
        run(make_pipeline(tmp_path), src.with_resources("shops__nosuchmallzz"))
    cause = _root_cause(failure.value)
    assert isinstance(cause, Cafe24RequestError) and "check the mall id 'nosuchmallzz'" in str(cause)


def test_plain_http_is_refused_unless_the_host_is_loopback(tmp_path: Path) -> None:
    """Issue #3 interface: Cafe24 is https only; http:// is for a sandbox on loopback."""
    with pytest.raises(Exception, match="https"):
        cafe24_source(
            mall_id="m", credentials=APP, base_url="http://{mall_id}.example.com", token_store=str(tmp_path / "t")
        )
    cafe24_source(
        mall_id="m", credentials=APP, base_url="http://127.0.0.1:9/{mall_id}", token_store=str(tmp_path / "t")
    )
