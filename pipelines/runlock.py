"""One run at a time per pipeline and project: dlt's docs forbid two runs of one pipeline side by side.

The lock is an OS file lock (filelock, flock on Linux), so the kernel frees it when its holder dies, even by
SIGKILL, and the next run takes it over with nobody cleaning up. A small file beside it names the holder (pid,
start time) for the message that a refused run prints.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

EX_TEMPFAIL = 75  # sysexits.h: try again later; cron wrappers and orchestrators know it as "retry"


class RunInProgress(Exception):
    """Another run of this pipeline holds the project's lock."""

    exit_code = EX_TEMPFAIL


@contextmanager
def one_run_at_a_time(lock_file: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the lock for the run; wait up to `wait` seconds for a run in progress, then give up."""
    lock_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # dlt's traces and state: the user's alone
    holder = lock_file.with_suffix(".holder.json")
    lock = FileLock(lock_file)
    try:
        lock.acquire(timeout=max(wait, 0.0))
    except Timeout:
        raise RunInProgress(_refusal(lock_file, holder, wait)) from None
    try:
        tmp = holder.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"pid": os.getpid(), "started": time.time()}))
        tmp.replace(holder)
        yield
    finally:
        holder.unlink(missing_ok=True)
        lock.release()


def _refusal(lock_file: Path, holder: Path, wait: float) -> str:
    try:
        info = json.loads(holder.read_text())
        started = datetime.fromtimestamp(info["started"], UTC)
        who = f"pid {info['pid']}, started {started:%Y-%m-%d %H:%M:%S} UTC, {time.time() - info['started']:.0f} s ago"
    except (OSError, ValueError, KeyError, TypeError):
        who = "it has not said who it is yet"
    waited = f" after waiting {wait:.0f} s" if wait > 0 else ""
    return (
        f"another run of this pipeline is in progress ({who}); this one stops{waited} so the two do not race "
        f"on one state. Let it finish, or pass --wait SECONDS to wait for it. Lock: {lock_file}"
    )
