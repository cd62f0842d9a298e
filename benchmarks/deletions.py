"""Part 9: what finding deletions costs, in calls, at 10k and 100k products (issue #13).

A mall of N products loads its products (one shop: every shop lists the whole catalogue, so a shop's cost is the
unit), then runs three more times on a frozen clock: with nothing new (the baseline), after the merchant deleted
1% of the products (the counts disagree, so the keys are walked), and after deletions_check_days passed with the
counts agreeing (the periodic walk). Each run's calls less the baseline's are the reconciliation's. Limits are
off, since a call count does not depend on the pace; the time at the platform's pace follows from the bucket.
"""

from __future__ import annotations

import io
import time
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb

from pipelines.project import Project
from pipelines.run import load
from sandbox.config import Limits, SandboxConfig, Volumes
from sandbox.server import SandboxServer
from sources.cafe24.auth import Grant, TokenStore
from sources.cafe24.settings import BUCKET_DRAIN_PER_SECOND, BUCKET_SIZE, PRODUCTS_LIMIT

from .common import APP, SEED, Control

SIZES = (10_000, 100_000)
DELETED_SHARE = 0.01
CHECK_DAYS = 7.0


def at_platform_pace(calls: int) -> float:
    """Seconds for `calls` on one mall's bucket: the first 40 at once, then 2 a second."""
    return max(0, calls - BUCKET_SIZE) / BUCKET_DRAIN_PER_SECOND


def deletion_cost(workdir: Path, results: dict[str, Any], say: Any) -> None:
    results["deletions"] = {"deleted_share": DELETED_SHARE, "sizes": {}}
    for n in SIZES:
        say(f"part 9: deletions at {n:,} products (one shop, limits off)")
        results["deletions"]["sizes"][str(n)] = _one_size(workdir / f"deletions-{n}", n)
        r = results["deletions"]["sizes"][str(n)]
        say(
            f"  walk after deletions: {r['after_deletions']['calls']} calls ({r['after_deletions']['deleted']} "
            f"marked of {r['deleted']} deleted); periodic walk: {r['periodic']['calls']} calls; "
            f"{r['periodic']['platform_seconds']:.0f} s at the platform's pace"
        )


def _one_size(workdir: Path, products: int) -> dict[str, Any]:
    mall = "delbench"
    config = SandboxConfig(
        seed=SEED,
        volumes=Volumes(products=products, orders=100, customers=100),
        limits=Limits(enabled=False),
        clock_runs=False,
    )
    with SandboxServer(config) as server:
        ctl = Control(server.url)
        project = Project.at(workdir)
        TokenStore(str(project.root / "tokens")).write(Grant.from_response(ctl.grant(mall)))
        source = {
            "mall_id": [mall],
            "base_url": server.url + "/{mall_id}",
            "credentials": dict(APP),
            "token_store": str(project.root / "tokens"),
            "bucket_drain_per_second": 10_000,
            "shop_no": [1],
            "deletions_check_days": CHECK_DAYS,
        }

        def run() -> tuple[Counter[str], float, Any]:
            before = _by_path(ctl.mall_stats(mall))
            began = time.monotonic()
            result = load(source, tables=["products"], project=project, out=io.StringIO())
            return _by_path(ctl.mall_stats(mall)) - before, time.monotonic() - began, result

        first, first_seconds, _ = run()
        baseline, _, _ = run()
        victims = ctl.truth(mall)["products"][:: int(1 / DELETED_SHARE)]
        ctl.delete(mall, products=victims)
        calls, seconds, result = run()
        after = _walk(result, calls - baseline, seconds)
        with duckdb.connect(str(project.duckdb), read_only=True) as con:
            marked = sorted(
                p
                for (p,) in con.execute("SELECT product_no FROM cafe24_data.products WHERE _cafe24_deleted").fetchall()
            )
        ctl.advance(CHECK_DAYS * 86400)
        calls, seconds, result = run()  # the walk is due now, the counts agree
        periodic = _walk(result, calls - baseline, seconds)
    return {
        "products": products,
        "first_load_calls": first.total(),
        "first_load_seconds": first_seconds,
        "no_change_calls": baseline.total(),
        "no_change_by_path": dict(baseline),
        "deleted": len(victims),
        "marked_equal_deleted": marked == sorted(victims),
        "after_deletions": after,
        "periodic": periodic,
        # full pages of keys, then the page with fewer than 100 that ends the walk
        "expected_walk_calls": (products - len(victims)) // PRODUCTS_LIMIT + 1,
    }


def _by_path(stats: dict[str, dict[str, int]]) -> Counter[str]:
    return Counter({path.split("/api/v2", 1)[-1]: row.get("requests", 0) for path, row in stats.items()})


def _walk(result: Any, by_path: Counter[str], seconds: float) -> dict[str, Any]:
    walked = [r for r in result.deletions if r.api_keys is not None]
    calls = by_path.total()
    return {
        "calls": calls,
        "by_path": dict(by_path),
        "seconds": seconds,
        "platform_seconds": at_platform_pace(calls),
        "api_keys": sum(r.api_keys for r in walked),
        "deleted": sum(r.deleted for r in walked),
        "reloaded": sum(r.reloaded for r in walked),
        "reasons": [r.reason for r in walked],
    }


def deletions_section(d: dict[str, Any]) -> list[str]:
    rows = []
    for n, r in d["sizes"].items():
        a, p = r["after_deletions"], r["periodic"]
        rows.append(
            f"| {int(n):,} | {r['no_change_calls']} | {r['deleted']} | {a['calls']} "
            f"({a['platform_seconds']:.0f} s) | {a['deleted']} {'=' if r['marked_equal_deleted'] else '≠'} "
            f"deleted | {p['calls']} ({p['platform_seconds']:.0f} s) | {r['expected_walk_calls']} |"
        )
    return [
        "## Part 9: what finding deletions costs",
        "",
        "One shop of a mall with N products (every shop lists the whole catalogue, so a mall pays this per "
        "shop), loaded, then run on a frozen clock: with nothing new (the baseline), after the merchant deleted "
        f"{d['deleted_share']:.0%} of the products (the counts disagree, so the keys are walked), and after "
        f"{CHECK_DAYS:g} days with the counts agreeing (the periodic walk). Calls are each run's less the "
        "baseline's; the time is what those calls take on the platform's bucket (40 at once, then 2 a second). "
        "The periodic run's two calls beyond the walk renew the access token that expired over the days: the "
        "refused call and the refresh.",
        "",
        "| products | baseline run (calls) | deleted | calls after the deletions | rows marked | "
        "periodic walk (calls) | live products ÷ 100, + 1 for the page that ends the walk |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
    ]
