"""What a run tells its user: progress lines while dlt works, and the summary at the end (text or JSON)."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

import rich.console
import rich.progress
import rich.text
from dlt.common.runtime.collector_base import Collector

from sources.cafe24.client import ApiClient

from .completeness import TABLE, Count
from .deletions import TABLE as DELETIONS_TABLE
from .deletions import Reconciled
from .transform import TransformResult, as_json, describe

# dlt's notes to developers that cron would mail on every run: columns that got no values in a load, and on a
# lake the child tables' merge key and the rows' dedup flag, which Delta's upsert ignores (pipelines/lake.py
# stands in for the first, sources.cafe24.first_copies makes the second true).
NOISE = ("did not receive any data", "Merge key is not supported for this strategy", "sets `deduplicated` with")


@dataclass
class MallCalls:
    calls: int
    throttled: int
    retries: int


@dataclass
class RunResult:
    """What one load did: rows per table (nested tables folded into their root), calls per mall, timings."""

    tables: list[str]  # the tables the run was asked to load
    rows: dict[str, int]  # root table -> rows
    nested: dict[str, tuple[int, int]]  # root table -> (nested rows, nested tables)
    malls: dict[str, MallCalls]
    elapsed: float
    extract_seconds: float
    destination: str
    dataset: str
    new_columns: list[str] = field(default_factory=list)  # table.column: fields the API sent that are not declared
    notes: list[str] = field(default_factory=list)  # what the run left out and how to add it
    completeness: list[Count] | None = None  # None: not checked (a Delta lake)
    deletions: list[Reconciled] | None = None  # None: not checked (a Delta lake)
    transform: TransformResult | None = None  # None: --transform was not asked for

    @property
    def calls(self) -> int:
        return sum(m.calls for m in self.malls.values())

    @property
    def throttled(self) -> int:
        return sum(m.throttled for m in self.malls.values())

    @property
    def retries(self) -> int:
        return sum(m.retries for m in self.malls.values())

    @property
    def incomplete(self) -> list[Count]:
        return [c for c in self.completeness or () if not c.matches]

    @property
    def calls_per_second(self) -> float:
        return self.calls / self.extract_seconds if self.extract_seconds > 0 else 0.0


class _Rows(rich.progress.ProgressColumn):
    """Rows so far, and the total once the API counted one."""

    def render(self, task: rich.progress.Task) -> rich.text.Text:
        done = f"{int(task.completed):,}"
        return rich.text.Text(f"{done}/{int(task.total):,}" if task.total is not None else done, justify="right")


class _Display(rich.progress.Progress):
    """A task per table under one heading line (the step, its API calls, its nested tables)."""

    heading = ""

    def get_renderables(self) -> Iterable[rich.console.RenderableType]:
        yield rich.text.Text(f"  {self.heading}")
        yield self.make_tasks_table(self.tasks)


class Progress(Collector):
    """dlt's progress, per table. At a terminal, a live display: rows so far and, where the API counted a
    backfill ahead (`expected`), a bar, a percentage and the time left. Elsewhere (cron, a pipe) a short line
    every `period` seconds while a step runs. Either way, one line when a step ends. A backfill's later chunks
    extract on top of the earlier ones' rows, so their counts reach the total counted before the first."""

    def __init__(
        self,
        out: TextIO,
        calls: Callable[[], int] = lambda: 0,
        expected: Callable[[], Mapping[str, int]] = dict,
        period: float = 10.0,
        live: bool | None = None,
    ) -> None:
        self.out = out
        self.calls = calls
        self.expected = expected
        self.period = period
        self.live = out.isatty() if live is None else live
        self.step = ""
        self.counts: dict[str, int] = defaultdict(int)
        self.totals: dict[str, int] = {}
        self.earlier: Counter[str] = Counter()  # rows extracted by this run's earlier chunks
        self.started = self.last = 0.0
        self.failed = False
        self.lock = threading.Lock()
        self.display: _Display | None = None
        self.tasks: dict[str, rich.progress.TaskID] = {}

    @property
    def _name(self) -> str:
        return (self.step or "").split(" ")[0].lower()

    def _rows(self, table: str) -> int:
        return self.counts.get(table, 0) + (self.earlier[table] if self._name == "extract" else 0)

    def _totals(self) -> dict[str, int]:
        """dlt's own totals (resources, files, jobs), and while extracting the rows the API counted ahead."""
        totals = dict(self.totals)
        if self._name == "extract":
            for table, rows in self.expected().items():
                totals[table] = max(rows, self._rows(table))  # an incremental mall beside a backfill runs over
        return totals

    def _tables(self) -> tuple[list[str], int]:
        """Root tables seen so far, and how many nested tables beside them."""
        tables = [k for k in self.counts if k not in self.totals and not k.startswith("_dlt")]
        roots = [k for k in tables if "__" not in k]
        return roots, len(tables) - len(roots)

    def _line(self, status: str) -> str:
        elapsed = time.monotonic() - self.started
        totals = self._totals()
        done = [f"{k} {self.counts.get(k, 0)}/{t}" for k, t in self.totals.items() if t]  # dlt's: files, jobs
        roots, nested = self._tables()
        rows = [
            f"{k} {self._rows(k)}" + (f"/{totals[k]} ({100 * self._rows(k) // totals[k]}%)" if totals.get(k) else "")
            for k in roots
        ]
        parts = done + rows + ([f"{nested} nested tables"] if nested else [])
        calls = f" | {self.calls()} API calls" if self._name == "extract" else ""
        return f"  {self._name:<9} {status:<7} {elapsed:6.1f}s  {', '.join(parts)}{calls}".rstrip()

    def _heading(self) -> str:
        roots, nested = self._tables()
        elapsed = time.monotonic() - self.started
        calls = f", {self.calls()} API calls" if self._name == "extract" else ""
        return f"{self._name} {elapsed:.0f}s{calls}" + (f", {nested} nested tables" if nested else "")

    def _draw(self) -> None:
        """Bring the live display up to date: a task per root table, its total once the API counted it."""
        assert self.display is not None
        totals = self._totals()
        roots, _ = self._tables()
        for table in dict.fromkeys([*roots, *(t for t in totals if t not in self.totals)]):  # + the counted ones
            if table not in self.tasks:
                self.tasks[table] = self.display.add_task(table, total=None)
            self.display.update(self.tasks[table], completed=self._rows(table), total=totals.get(table))
        self.display.heading = self._heading()

    def update(
        self,
        name: str,
        inc: int = 1,
        total: int | None = None,
        inc_total: int | None = None,
        message: str | None = None,
        label: str | None = None,
    ) -> None:
        if label:
            return
        with self.lock:
            self.counts[name] += inc
            if total is not None:
                self.totals[name] = total
            elif inc_total:
                self.totals[name] = self.totals.get(name, 0) + inc_total
            if self.display is not None:
                self._draw()
                return
            now = time.monotonic()
            if now - self.last >= self.period:
                self.last = now
                print(self._line("running"), file=self.out, flush=True)

    def _start(self, step: str) -> None:
        with self.lock:
            self.counts, self.totals = defaultdict(int), {}
            self.started = self.last = time.monotonic()
            self.failed = False
            if self.live:
                self.display = _Display(
                    rich.progress.TextColumn("    {task.description:<16}"),
                    rich.progress.BarColumn(),
                    _Rows(),
                    rich.progress.TaskProgressColumn(),
                    rich.progress.TimeRemainingColumn(),
                    console=rich.console.Console(file=self.out),
                    transient=True,
                    redirect_stdout=False,
                    redirect_stderr=False,
                )
                self.tasks = {}
                self.display.heading = self._heading()
                self.display.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        self.failed = exc_type is not None
        super().__exit__(exc_type, exc, tb)  # type: ignore[arg-type]  # dlt's Collector types them as always set

    def _stop(self) -> None:
        with self.lock:
            if self.display is not None:
                self.display.stop()  # transient: the live block gives way to the step's one line
                self.display = None
            if "_dlt_pipeline_state" in self.counts and all(
                k.startswith("_dlt") for k in self.counts if k not in self.totals
            ):
                return  # dlt's own extract of the pipeline state: nothing to tell
            print(self._line("failed" if self.failed else "done"), file=self.out, flush=True)
            if self._name == "extract" and not self.failed:
                self.earlier.update(
                    {k: n for k, n in self.counts.items() if k not in self.totals and not k.startswith("_dlt")}
                )


def calls_by_api(clients: Sequence[ApiClient]) -> dict[str, MallCalls]:
    """Calls per mall (Admin and Front together) or per D.Collection client."""
    out: dict[str, MallCalls] = {}
    for client in clients:
        seen = out.setdefault(client.mall_id, MallCalls(0, 0, 0))
        seen.calls += client.stats.calls
        seen.throttled += client.stats.throttled
        seen.retries += client.stats.retries
    return out


def summary(result: RunResult) -> str:
    """One screen: rows per table, calls per mall, time and pace; columns as wide as the longest name."""
    width = max(12, *(len(t) for t in result.tables), *(len(m) for m in result.malls))
    lines = [
        f"Loaded into {result.destination} dataset {result.dataset} in {result.elapsed:.1f} s:",
        "",
        f"  {'table':<{width}} {'rows':>8}   child rows (tables)",
    ]
    for table in result.tables:
        deep, count = result.nested.get(table, (0, 0))
        extra = f"   {deep:>8} ({count})" if count else ""
        lines.append(f"  {table:<{width}} {result.rows.get(table, 0):>8}{extra}")
    lines += ["", f"  {'mall':<{width}} {'API calls':>9} {'429s':>6} {'retries':>8}"]
    for mall, c in result.malls.items():
        lines.append(f"  {mall:<{width}} {c.calls:>9} {c.throttled:>6} {c.retries:>8}")
    if result.completeness != []:  # [] when nothing the run loaded has a count endpoint (D.Collection, shops)
        lines += ["", *_completeness_lines(result, width)]
    if result.deletions:
        lines += ["", *_deletion_lines(result.deletions)]
    if result.new_columns:
        lines += [
            "",
            f"  new columns (the API sent fields the declared schema does not know; they were loaded): "
            f"{', '.join(result.new_columns)}",
        ]
    lines += [f"  note: {note}" for note in result.notes]
    lines += [
        "",
        f"  {result.calls} API calls in {result.extract_seconds:.1f} s of extraction "
        f"({result.calls_per_second:.2f} calls/s); {result.elapsed:.1f} s in all.",
    ]
    if result.transform is not None:
        lines += ["", describe(result.transform)]
    return "\n".join(lines)


def _completeness_lines(result: RunResult, width: int) -> list[str]:
    """One line per table, indented under its heading: the API's count against the live rows, summed over the
    malls and shops checked, and which of them differ."""
    if result.completeness is None:
        return [
            f"  completeness: not checked on a {result.destination} lake; compare the Delta tables with the "
            "API's counts yourself (docs/tables.md)"
        ]
    by_table: dict[str, list[Count]] = defaultdict(list)
    for count in result.completeness:
        by_table[count.table].append(count)
    lines = [
        f"  completeness: the API's count against the rows in the destination (kept in {TABLE})",
        f"    {'table':<{width}} {'API count':>9} {'loaded':>8}",
    ]
    for table, counts in by_table.items():
        api, loaded = sum(c.api_count for c in counts), sum(c.loaded_count for c in counts)
        off = [
            f"{c.mall} {f'category {c.part}' if c.part else f'shop {c.shop}'}: {c.api_count} vs {c.loaded_count}"
            for c in counts
            if not c.matches
        ]
        verdict = f"MISMATCH ({'; '.join(off)})" if off else "ok"
        lines.append(f"    {table:<{width}} {api:>9} {loaded:>8}   {verdict}")
    return lines


def _deletion_lines(deletions: Sequence[Reconciled]) -> list[str]:
    """One line per shop whose keys were walked: why, and what it found."""
    walked = [r for r in deletions if r.api_keys is not None]
    if not walked:
        return [f"  deletions: no walk of the keys was due (decisions kept in {DELETIONS_TABLE})"]
    return [
        f"  deletions: keys walked (kept in {DELETIONS_TABLE})",
        *(
            f"    {r.table} {r.mall} shop {r.shop}: {r.api_keys} keys in the API, {r.deleted} gone, {r.reloaded} "
            f"loaded again ({r.reason})"
            for r in walked
        ),
    ]


def summary_json(result: RunResult, exit_code: int = 0) -> dict[str, Any]:
    """--json: the summary for monitors and orchestrators; `exit_code` is the command's (--strict can fail a
    loaded run)."""
    return {
        "ok": exit_code == 0,
        "exit_code": exit_code,
        "destination": result.destination,
        "dataset": result.dataset,
        "tables": {
            t: {"rows": result.rows.get(t, 0), "nested_rows": result.nested.get(t, (0, 0))[0]} for t in result.tables
        },
        "malls": {
            m: {"calls": c.calls, "throttled": c.throttled, "retries": c.retries} for m, c in result.malls.items()
        },
        "calls": result.calls,
        "throttled": result.throttled,
        "retries": result.retries,
        "elapsed_seconds": round(result.elapsed, 3),
        "extract_seconds": round(result.extract_seconds, 3),
        "new_columns": result.new_columns,
        "notes": result.notes,
        "completeness": None
        if result.completeness is None
        else [{**asdict(c), "matches": c.matches} for c in result.completeness],
        "deletions": None if result.deletions is None else [asdict(r) for r in result.deletions],
        "transform": None if result.transform is None else as_json(result.transform),
    }


class _Drop(logging.Filter):
    def __init__(self, below: int) -> None:
        super().__init__()
        self.below = below

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.below and not any(n in record.getMessage() for n in NOISE)


@contextmanager
def quiet_dlt(warnings: bool = True) -> Iterator[None]:
    """Cron mails whatever reaches stderr, so only what a person must read gets there: never dlt's column notes,
    and with warnings=False (--quiet, --json) no warning at all, ours (retries) or dlt's. Only for the run: a
    process that calls main() or load() goes on to see our warnings afterwards."""
    drop = _Drop(logging.WARNING if warnings else logging.ERROR)
    loggers = [logging.getLogger(name) for name in ("dlt", "cafe24")]
    for logger in loggers:
        logger.addFilter(drop)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(drop)
