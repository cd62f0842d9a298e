"""`python -m tests.cafe24.runner SANDBOX_URL MALL WORKDIR [--refresh-and-die]`: a pipeline run in its own
process, for tests of what happens between processes (overlapping cron runs, a kill after a refresh)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sources.cafe24.auth import AppCredentials, TokenManager, TokenStore
from sources.cafe24.client import make_http
from tests.cafe24.helpers import APP, UNPACED, admin_source, make_pipeline, run


def main(url: str, mall_id: str, workdir: str, *flags: str) -> int:
    work = Path(workdir)
    if "--refresh-and-die" in flags:
        store = TokenStore(work / "tokens")
        manager = TokenManager(mall_id, f"{url}/{mall_id}/api/v2/oauth", AppCredentials(**APP), store, make_http())
        manager.refresh(rejected=None)
        os._exit(9)  # killed right after the new grant reached the store
    name = flags[0] if flags else "cafe24"
    run(
        make_pipeline(work, name),
        admin_source(
            url, work, mall_id, start_date="2025-06-01", bucket_drain_per_second=200, max_calls_per_second=UNPACED
        ),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
