"""`make dagster`: Dagster's UI on 127.0.0.1 with the Cafe24 code location, against the sandbox, offline.

It starts the sandbox (Cafe24's own limits, its stores live: new orders, edits and members every hour), keeps
a project in ./cafe24_dagster/ (its .dlt/config.toml lists the malls, three to begin with; the grants, the
DuckDB file and each mall's dlt state sit beside it, laid out as any project), grants the app on every mall
the config names, as a merchant would, and runs `dagster dev` in that project with DAGSTER_HOME in
./cafe24_dagster/.dagster (orchestration/dagster.yaml: one run per mall, one DuckDB writer).

A mall added to the config while it runs is granted within seconds; "Reload definitions" in the UI then shows
its partition. The sandbox keeps its grants in memory only, so every start grants each mall anew.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import httpx

from pipelines.cafe24_pipeline import mall_ids
from pipelines.project import Project
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from sources.cafe24.auth import Grant, TokenStore
from sources.cafe24.settings import DEFAULT_TOKEN_STORE

PROJECT_DIR = "cafe24_dagster"
FIRST_MALLS = ["dagstera", "dagsterb", "dagsterc"]
LIVE = {"orders_per_hour": 120, "product_edits_per_hour": 60, "customers_per_hour": 20}
CONFIG = """\
# The Cafe24 code location's project (make dagster). Add a mall to the list, then "Reload definitions".
[sources.cafe24]
mall_id = [{malls}]

[dagster]
destination = "duckdb"  # or "postgres", with [destination.postgres] credentials in .dlt/secrets.toml
"""


def project_config(project: Project) -> Path:
    """The project's .dlt/config.toml, written with the first malls unless a person already keeps one."""
    config = project.root / ".dlt" / "config.toml"
    if not config.exists():
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(CONFIG.format(malls=", ".join(f'"{m}"' for m in FIRST_MALLS)))
    return config


def grant_new_malls(server: SandboxServer, config: Path, store: TokenStore, granted: set[str]) -> list[str]:
    """Grant the app on each configured mall not granted since the sandbox started, as `auth` would leave it.
    The file is read anew each time (dlt's config keeps what it read first)."""
    malls = tomllib.loads(config.read_text()).get("sources", {}).get("cafe24", {}).get("mall_id")
    new = [m for m in mall_ids(malls) if m not in granted]
    for mall in new:
        response = httpx.post(f"{server.url}/__sandbox__/malls/{mall}/grant", timeout=30)
        response.raise_for_status()
        store.write(Grant.from_response(response.json()))
        granted.add(mall)
    return new


def keep_granting(
    server: SandboxServer, config: Path, store: TokenStore, granted: set[str], stop: threading.Event
) -> None:
    while not stop.wait(2.0):
        try:
            for mall in grant_new_malls(server, config, store, granted):
                print(f"granted the app on mall {mall} (new in the config): reload definitions to see it", flush=True)
        except Exception as exc:  # a config being edited, a mall id mistyped: say so, keep serving
            print(f"cannot grant the configured malls yet: {exc}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8024, help="the sandbox's port (default 8024)")
    parser.add_argument("--ui-port", type=int, default=3000, help="Dagster's UI port (default 3000)")
    args = parser.parse_args(argv)
    config = SandboxConfig()
    try:
        server = SandboxServer(config, port=args.port).start()
    except OSError as exc:
        print(
            f"error: the sandbox cannot listen on port {args.port} ({exc.strerror}); try "
            f"`make dagster SANDBOX_PORT=8030`",
            file=sys.stderr,
        )
        return 1
    project = Project.at(PROJECT_DIR)
    config_file = project_config(project)
    os.chdir(project.root)  # dlt reads the project's .dlt/ from here, as `cafe24-dlt --project` does
    home = project.root / ".dagster"
    home.mkdir(exist_ok=True)
    shutil.copy(Path(__file__).with_name("dagster.yaml"), home / "dagster.yaml")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        # the sandbox's address and app: they change with the port, so they are not kept in the project
        "SOURCES__CAFE24__BASE_URL": server.url + "/{mall_id}",
        "SOURCES__CAFE24__CREDENTIALS__CLIENT_ID": config.client_id,
        "SOURCES__CAFE24__CREDENTIALS__CLIENT_SECRET": config.client_secret,
    }
    os.environ.update(env)
    store, stop = TokenStore(project.root / DEFAULT_TOKEN_STORE), threading.Event()
    granted: set[str] = set()
    try:
        malls = grant_new_malls(server, config_file, store, granted)
        httpx.post(f"{server.url}/__sandbox__/live", json=LIVE, timeout=30).raise_for_status()
        print(
            f"Cafe24 sandbox on {server.url}, malls {', '.join(malls)} granted and live; project in "
            f"{project.root}.\n"
            f"Dagster's UI: http://127.0.0.1:{args.ui_port} (the hourly schedule is on; a mall's first run is "
            "its backfill). Ctrl-C stops both.\n",
            flush=True,
        )
        threading.Thread(target=keep_granting, args=(server, config_file, store, granted, stop), daemon=True).start()
        dagster = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("dagster")),
                "dev",
                "-m",
                "orchestration.definitions",
                "-h",
                "127.0.0.1",
                "-p",
                str(args.ui_port),
            ],
            env=env,
        )
        try:
            return dagster.wait()
        except KeyboardInterrupt:  # the terminal sent SIGINT to dagster dev as well: let it shut down
            return dagster.wait()
    finally:
        stop.set()
        server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
