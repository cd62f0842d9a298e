"""Run state you can trust (issue #9): every mall its own cursors, whatever the number of malls in a run; a full
refresh that touches only its own resources. Runs go through `pipelines.cafe24_pipeline.load`, the CLI's own path,
over real HTTP into a real DuckDB file of a project directory."""

from __future__ import annotations

from pathlib import Path

import dlt
import duckdb
import pytest

from pipelines.project import Project
from pipelines.run import _kept_after_interrupt
from sandbox.server import SandboxServer
from sources.cafe24 import cafe24_source
from tests.cafe24.helpers import APP, pace, truth
from tests.cafe24.projects import SHOPS, SMALL_STORE, assert_complete, authorize, no_change_calls, orders, run


@pytest.fixture(scope="module")
def server():
    with SandboxServer(SMALL_STORE) as server:
        yield server


def test_malls_added_and_removed_keep_their_own_cursors(server, tmp_path: Path) -> None:
    """A alone; then B alone, a first run: B's whole history, not A's cursors; then A, still incremental; then A+C:
    C loads its whole history and A makes one call per (resource, date_type, shop) and loads nothing new; then C
    alone without A: C's cursors are its own, so only the no-change calls."""
    project = Project.at(tmp_path)
    authorize(server, project, "mallsa", "mallsb", "mallsc")
    run(server, project, "mallsa")
    first_b, _ = run(server, project, "mallsb")
    assert first_b.rows["orders"] == orders(server, "mallsb")
    again_a, _ = run(server, project, "mallsa")
    assert again_a.malls["mallsa"].calls == no_change_calls(server)
    assert again_a.rows.get("orders", 0) == 0
    added, _ = run(server, project, "mallsa", "mallsc")
    assert added.malls["mallsa"].calls == no_change_calls(server)
    assert added.rows["orders"] == orders(server, "mallsc")  # C's whole history, and nothing of A's again
    alone_c, _ = run(server, project, "mallsc")
    assert alone_c.malls["mallsc"].calls == no_change_calls(server) and alone_c.rows.get("orders", 0) == 0
    for mall in ("mallsa", "mallsb", "mallsc"):
        assert_complete(server, project, mall)


def as_an_earlier_version_left_it(project: Project, mall: str) -> None:
    """Rename the mall's resource state to the bare table names that one-mall runs used before per-mall names,
    load that state into the destination, and delete the local working dir, as an upgrade that also moves dlt's
    state into the project finds it: only the destination still has the state."""
    pipeline = dlt.pipeline(
        project.pipeline_name,
        pipelines_dir=str(project.pipelines_dir),
        dataset_name="cafe24_data",
        destination=dlt.destinations.duckdb(str(project.duckdb)),
    )
    with pipeline.managed_state(extract_state=True) as state:
        resources = state["sources"]["cafe24"]["resources"]
        for name in [n for n in resources if n.endswith(f"__{mall}")]:
            resources[name.removesuffix(f"__{mall}")] = resources.pop(name)
    pipeline.normalize()
    pipeline.load()
    pipeline.drop()  # the local working dir only; the dataset and its state stay


def test_cursors_of_a_one_mall_run_from_an_earlier_version_are_carried_over(server, tmp_path: Path) -> None:
    project = Project.at(tmp_path)
    authorize(server, project, "oldmall", "newmall")
    run(server, project, "oldmall")
    as_an_earlier_version_left_it(project, "oldmall")
    again, out = run(server, project, "oldmall")
    assert "orders: the cursors of the earlier one-mall runs now belong to mall oldmall" in out
    assert again.malls["oldmall"].calls == no_change_calls(server)
    other, _ = run(server, project, "newmall")  # the carried cursors are oldmall's alone
    assert other.rows["orders"] == orders(server, "newmall")
    assert_complete(server, project, "newmall")


def test_one_mall_cursors_over_a_table_of_several_malls_are_dropped_and_both_reload(server, tmp_path: Path) -> None:
    """Whose they were cannot be told, so they belong to nobody: a reload merged by key loses nothing."""
    project = Project.at(tmp_path)
    authorize(server, project, "mixa", "mixb")
    run(server, project, "mixa", "mixb")
    as_an_earlier_version_left_it(project, "mixa")
    again, out = run(server, project, "mixa")
    assert (
        "orders: the cursors of the earlier one-mall runs were dropped, since the table holds malls mixa, mixb"
    ) in out
    assert again.rows["orders"] == orders(server, "mixa")
    assert_complete(server, project, "mixa")
    assert run(server, project, "mixb")[0].malls["mixb"].calls == no_change_calls(server)


def test_full_refresh_forgets_only_the_cursors_of_this_runs_malls_and_tables(server, tmp_path: Path) -> None:
    """--full-refresh --mall A --resources products: A's products reload; A's orders, B's products and the Front
    API's front_products keep their rows and cursors."""
    project = Project.at(tmp_path)
    authorize(server, project, "refa", "refb")
    run(server, project, "refa", "refb")
    run(server, project, "refa", which="front")
    with duckdb.connect(str(project.duckdb), read_only=True) as con:
        front_rows = con.execute("SELECT count(*) FROM cafe24_data.front_products").fetchone()
    refreshed, out = run(server, project, "refa", tables=["products"], full_refresh=True)
    assert "full refresh: forgot the cursors of products__refa;" in out
    assert refreshed.rows == {"products": len(truth(server, "refa")["products"]) * SHOPS}
    after, _ = run(server, project, "refa", "refb")
    assert after.malls["refa"].calls == after.malls["refb"].calls == no_change_calls(server)
    front, _ = run(server, project, "refa", which="front")
    # the shops list, then per shop one page of nothing new and the completeness check's count
    assert front.malls["refa"].calls == 1 + 2 * SHOPS and front.rows.get("front_products", 0) == 0
    with duckdb.connect(str(project.duckdb), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM cafe24_data.front_products").fetchone() == front_rows
    assert_complete(server, project, "refa")
    assert_complete(server, project, "refb")


def test_a_load_left_pending_is_finished_and_the_run_goes_on_to_extract(server, tmp_path: Path) -> None:
    """A run stopped after extracting (Ctrl-C while normalizing or loading) leaves a load package. The next run
    loads it first and then extracts as usual, where dlt's run() alone would stop after it and lose a cron cycle."""
    project = Project.at(tmp_path)
    authorize(server, project, "pendmall")
    run(server, project, "pendmall")
    pipeline = dlt.pipeline(
        project.pipeline_name,
        pipelines_dir=str(project.pipelines_dir),
        dataset_name="cafe24_data",
        destination=dlt.destinations.duckdb(str(project.duckdb)),
    )
    pipeline.extract(
        cafe24_source(
            mall_id="pendmall",
            base_url=server.url + "/{mall_id}",
            credentials=dict(APP),
            token_store=str(project.root / "tokens"),
            **pace(server),
        )
    )
    pipeline.normalize()  # and stopped before loading
    assert pipeline.has_pending_data
    result, out = run(server, project, "pendmall")
    assert "finished the load an earlier run left pending" in out
    # extracted anew, from the pending package's cursors
    assert result.malls["pendmall"].calls == no_change_calls(server)
    assert not pipeline.has_pending_data
    assert_complete(server, project, "pendmall")


def test_a_first_run_stopped_before_loading_starts_over_as_its_message_says(server, tmp_path: Path) -> None:
    """Before any load the dataset does not exist, and dlt's sync discards a package waiting for it: the message
    must not promise that the next run loads it."""
    project = Project.at(tmp_path)
    authorize(server, project, "firstmall")
    pipeline = dlt.pipeline(
        project.pipeline_name,
        pipelines_dir=str(project.pipelines_dir),
        dataset_name="cafe24_data",
        destination=dlt.destinations.duckdb(str(project.duckdb)),
    )
    pipeline.extract(
        cafe24_source(
            mall_id="firstmall",
            base_url=server.url + "/{mall_id}",
            credentials=dict(APP),
            token_store=str(project.root / "tokens"),
            **pace(server),
        )
    )
    assert "the next run starts over from the beginning" in _kept_after_interrupt(pipeline, "normalize")
    result, out = run(server, project, "firstmall")
    assert "finished the load" not in out
    assert result.rows["orders"] == orders(server, "firstmall")
    assert_complete(server, project, "firstmall")
