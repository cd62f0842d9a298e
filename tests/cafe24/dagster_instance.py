"""A real Dagster instance serving the code location in orchestration/ for one project directory: what the
Dagster tests and the benchmark's part 8 run on.

The instance lives in a folder (DAGSTER_HOME) with the repo's dagster.yaml; the code location runs as a gRPC
server in the project directory, and the daemon takes runs off the queue and has the default run launcher
start each in its own process. Runs are submitted with the `dagster` CLI, as an operator would."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomlkit
import yaml

from sources.cafe24.auth import Grant, TokenStore
from tests.cafe24.cli import REPO, free_port
from tests.cafe24.helpers import APP

if TYPE_CHECKING:  # dagster is imported where it is used: every pytest worker imports this module to collect
    from dagster import DagsterInstance

BIN = Path(sys.executable).parent
JOB = "cafe24_malls"


def write_project(
    root: Path,
    url: str,
    grants: dict[str, dict],
    options: dict[str, Any] | None = None,
    destination: str | None = None,
    credentials: str | None = None,
) -> Path:
    """A project directory as a user keeps one: .dlt/config.toml naming the malls (and [dagster] destination),
    the secrets beside it, each mall's grant in its token store."""
    config: dict[str, Any] = {
        "sources": {
            "cafe24": {
                "mall_id": list(grants),
                "base_url": url + "/{mall_id}",
                "token_store": "tokens",
                **(options or {}),
            }
        }
    }
    if destination:
        config["dagster"] = {"destination": destination}
    secrets: dict[str, Any] = {"sources": {"cafe24": {"credentials": dict(APP)}}}
    if credentials:
        secrets["destination"] = {"postgres": {"credentials": credentials}}
    (root / ".dlt").mkdir(parents=True)
    (root / ".dlt" / "config.toml").write_text(tomlkit.dumps(config))
    (root / ".dlt" / "secrets.toml").write_text(tomlkit.dumps(secrets))
    store = TokenStore(root / "tokens")
    for grant in grants.values():
        store.write(Grant.from_response(grant))
    return root


def dagster_env(home: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__"))},
        "DAGSTER_HOME": str(home),
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "PYTHONPATH": str(REPO),
    }


class Dagster:
    """The instance, the code location's gRPC server and (once started) the daemon, for one project."""

    def __init__(self, project: Path, home: Path) -> None:
        self.project, self.home = project, home
        settings = yaml.safe_load((REPO / "orchestration" / "dagster.yaml").read_text())
        # the queue's own pace, 1 s instead of 5, only so that runs wait less to be taken off the queue
        settings["run_coordinator"]["config"]["dequeue_interval_seconds"] = 1
        home.mkdir()
        (home / "dagster.yaml").write_text(yaml.safe_dump(settings))
        self.env = dagster_env(home)
        self.port = free_port()
        self.workspace = home / "workspace.yaml"
        self.workspace.write_text(
            yaml.safe_dump(
                {"load_from": [{"grpc_server": {"host": "127.0.0.1", "port": self.port, "location_name": "cafe24"}}]}
            )
        )
        self.processes: list[subprocess.Popen] = []
        self.daemon: subprocess.Popen | None = None
        self.instance: DagsterInstance | None = None

    def start(self) -> Dagster:
        self.processes.append(
            self._spawn(
                "dagster",
                "api",
                "grpc",
                "-m",
                "orchestration.definitions",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "--location-name",
                "cafe24",
            )
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.processes[0].poll() is not None:
                    raise RuntimeError(f"the code server did not start: {self.log()}") from None
                time.sleep(0.2)
        from dagster import DagsterInstance

        self.instance = DagsterInstance.from_config(str(self.home))
        return self

    def _spawn(self, command: str, *args: str) -> subprocess.Popen:
        with open(self.home / f"{command}.log", "a") as log:
            return subprocess.Popen(
                [str(BIN / command), *args], cwd=self.project, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def log(self) -> str:
        return "".join(p.read_text()[-3000:] for p in sorted(self.home.glob("*.log")))

    def _cli(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [str(BIN / "dagster"), *args, "-w", str(self.workspace)],
            cwd=self.project,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    @staticmethod
    def _done(what: str, process: subprocess.Popen) -> None:
        out, _ = process.communicate(timeout=300)
        assert process.returncode == 0, f"{what}: {out}"

    def launch(self, mall: str) -> None:
        """`dagster job launch`, with the tags the job gives a partition's run."""
        tags = json.dumps({"dagster/partition": mall, "cafe24/mall": mall})
        self._done(f"launching {mall}", self._cli("job", "launch", "-j", JOB, "--tags", tags))

    def backfill(self, *malls: str) -> None:
        """`dagster job backfill`: the daemon makes a run per partition, each tagged by the job's partitions."""
        self._done(
            "the backfill", self._cli("job", "backfill", "-j", JOB, "--partitions", ",".join(malls), "--noprompt")
        )

    def start_daemon(self) -> None:
        """The daemon, with the hourly schedule stopped first: it is on by default, and a test that spans a
        quarter past the hour would otherwise find the schedule's runs among its own."""
        if self.daemon is None:
            self._done("stopping the schedule", self._cli("schedule", "stop", "hourly"))
            self.daemon = self._spawn("dagster-daemon", "run", "-w", str(self.workspace))
            self.processes.append(self.daemon)

    def wait(self, runs: int = 1, timeout: float = 180) -> list:
        """Every run's record once at least `runs` exist and all have finished, oldest first."""
        from dagster import DagsterRunStatus, RunsFilter

        assert self.instance is not None
        finished = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
        deadline = time.monotonic() + timeout
        while True:
            records = self.instance.get_run_records(RunsFilter(job_name=JOB), ascending=True)
            if len(records) >= runs and all(r.dagster_run.status in finished for r in records):
                return records
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"runs unfinished: {[(r.dagster_run.tags, r.dagster_run.status) for r in records]}\n{self.log()}"
                )
            time.sleep(0.5)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.instance is not None:
            self.instance.dispose()
