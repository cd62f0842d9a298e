"""Bad input gets a clear, actionable error; many malls load in one run into one dataset (issue #3 §1, §6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.config import Limits, SandboxConfig, Volumes
from sandbox.server import SandboxServer
from sources.cafe24 import cafe24_source
from sources.cafe24.errors import Cafe24RequestError, Cafe24ScopeError
from tests.cafe24.helpers import APP, bootstrap, grant_with, keys, make_pipeline, run, source, truth

FAST = Limits(drain_rate=200, bucket_size=40, max_per_second=0)


@pytest.fixture(scope="module")
def server():
    with SandboxServer(SandboxConfig(volumes=Volumes(products=120, orders=600, customers=120), limits=FAST,
                                     clock_runs=False)) as server:
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
        run(pipeline, source(server, tmp_path, mall, tokens[mall], start_date="2024-01-01")
            .with_resources(f"shops__{mall}"))
    run(pipeline, source(server, tmp_path, malls, start_date="2024-01-01"))
    for mall in malls:
        expected = truth(server, mall)
        assert keys(pipeline, "orders", "order_id", mall, 1) == expected["orders"]["1"]
        assert keys(pipeline, "products", "product_no", mall, 2) == expected["products"]


def test_a_token_without_a_scope_names_the_missing_scope(server, tmp_path: Path) -> None:
    """docs/cafe24-reference.md#errors: 403 when the scope is missing; the error says which, and is not retried."""
    limited = grant_with(server, "narrowmall", ["mall.read_store", "mall.read_product"])
    with pytest.raises(Exception) as failure:
        run(make_pipeline(tmp_path), source(server, tmp_path, "narrowmall", limited["refresh_token"])
            .with_resources("shops__narrowmall", "categories__narrowmall"))
    cause = _root_cause(failure.value)
    assert isinstance(cause, Cafe24ScopeError) and "mall.read_category" in str(cause)


def test_a_mall_id_that_does_not_resolve_fails_at_once_with_the_mall_named(tmp_path: Path) -> None:
    """A wrong mall id is a DNS failure on the real host: said plainly, not retried for minutes."""
    src = cafe24_source(mall_id="nosuchmallzz", credentials={**APP, "refresh_token": "x" * 22},
                        base_url="https://{mall_id}.invalid", token_store=str(tmp_path / "tokens"))
    with pytest.raises(Exception) as failure:
        run(make_pipeline(tmp_path), src.with_resources("shops__nosuchmallzz"))
    cause = _root_cause(failure.value)
    assert isinstance(cause, Cafe24RequestError) and "check the mall id 'nosuchmallzz'" in str(cause)


def test_plain_http_is_refused_unless_the_host_is_loopback(tmp_path: Path) -> None:
    """Issue #3 interface: Cafe24 is https only; http:// is for a sandbox on loopback."""
    with pytest.raises(Exception, match="https"):
        cafe24_source(mall_id="m", credentials=APP, base_url="http://{mall_id}.example.com",
                      token_store=str(tmp_path / "t"))
    cafe24_source(mall_id="m", credentials=APP, base_url="http://127.0.0.1:9/{mall_id}",
                  token_store=str(tmp_path / "t"))


