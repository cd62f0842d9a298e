"""A throwaway PostgreSQL server from the machine's own binaries, for loads into a real Postgres.

initdb refuses to run as root, and CI runs as root: then the server runs as the `postgres` OS user, in a temp
dir that user owns. Trust auth on 127.0.0.1 only; fsync off, since nothing outlives the test run."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2

from tests.cafe24.cli import free_port

OS_USER = "postgres"  # the server's OS user when the tests run as root
USER = "postgres"  # the database superuser initdb creates
# Trust auth ignores it, but dlt's Postgres credentials want a password.
PASSWORD = "throwaway"


def bindir() -> Path | None:
    """Where `pg_config` says the server binaries are, or None when there are none."""
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    found = Path(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True).stdout.strip())
    return found if (found / "initdb").exists() and (found / "pg_ctl").exists() else None


class PostgresServer:
    """One server on a free loopback port; `database()` makes a fresh database and gives its dlt URL."""

    def __init__(self, binaries: Path, root: Path, port: int) -> None:
        self.binaries, self.root, self.port = binaries, root, port
        self.data = root / "data"

    def _as_owner(self, *command: str) -> None:
        as_root = ["runuser", "-u", OS_USER, "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*as_root, *command], cwd=self.root, capture_output=True, text=True)
        if done.returncode:
            log = self.root / "server.log"
            raise RuntimeError(
                f"{' '.join(command)} failed ({done.returncode}): {done.stdout}{done.stderr}"
                f"{log.read_text() if log.exists() else ''}"
            )

    def start(self) -> PostgresServer:
        self._as_owner(
            str(self.binaries / "initdb"),
            "-D",
            str(self.data),
            "-U",
            USER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._as_owner(
            str(self.binaries / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():  # also after a start that timed out
            self._as_owner(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def database(self, name: str) -> str:
        """A new, empty database: each test its own, so tests never see each other's tables."""
        connection = psycopg2.connect(self.url())
        connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
        try:
            connection.cursor().execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()
        return self.url(name)


@contextmanager
def postgres_server(binaries: Path) -> Iterator[PostgresServer]:
    root = Path(tempfile.mkdtemp(prefix="cafe24-pg-"))  # not under pytest's tmp, which only root may enter
    if os.geteuid() == 0:
        shutil.chown(root, OS_USER, OS_USER)
    root.chmod(0o700)
    server = PostgresServer(binaries, root, free_port())
    try:
        try:
            yield server.start()
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
