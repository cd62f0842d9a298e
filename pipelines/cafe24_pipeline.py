"""Cron-ready entry point: load Cafe24 into DuckDB (or any dlt destination), and authorize a mall.

    python -m pipelines.cafe24_pipeline [run] [--resources products,orders] [--mall M ...] [--full-refresh]
    python -m pipelines.cafe24_pipeline auth --mall M [--port 8025] [--no-browser] [--code CODE]

Whatever is not given on the command line comes from dlt config: .dlt/config.toml, .dlt/secrets.toml or
SOURCES__CAFE24__... environment variables (mall_id, base_url, credentials, token_store, ...).

Everything a run keeps lives in the directory it runs in: the database (./cafe24.duckdb), dlt's run state
(./.dlt_pipelines/cafe24: schemas, each mall's cursors per table and shop, pending loads) and the grants
(./.cafe24_tokens). To start a project over, delete cafe24.duckdb and .dlt_pipelines/; to reload some tables,
run --full-refresh with --resources/--mall.

Exit codes: 0 everything loaded (or authorized), 1 it failed and the message says why, 2 usage or configuration,
75 another run of this project is in progress (see --wait), 130 interrupted (Ctrl-C).
Tokens and the client secret are never printed.
"""

from __future__ import annotations

import argparse
import http.server
import json
import queue
import secrets
import sys
import threading
import time
import webbrowser
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO
from urllib.parse import parse_qs, urlencode, urlparse

import dlt
import pendulum
from dlt.common.configuration import with_config
from dlt.common.configuration.exceptions import (
    ConfigFieldMissingException,
    ConfigurationException,
    LookupTraces,
)
from dlt.common.runtime.collector_base import Collector
from dlt.pipeline.exceptions import PipelineStepFailed
from dlt.sources import DltSource

from sources.cafe24 import Cafe24Credentials, cafe24_source, dcollection_source
from sources.cafe24.auth import AppCredentials, Grant, TokenManager, TokenStore
from sources.cafe24.client import ApiClient, check_base_url, collect_clients, make_http
from sources.cafe24.errors import Cafe24AuthError, Cafe24Error, redact, register_secret
from sources.cafe24.settings import DEFAULT_BASE_URL, DEFAULT_TOKEN_STORE, KST, SCOPES

from .cursors import carry_over, forget
from .project import DUCKDB_FILE, STATE_DIR, Project
from .runlock import RunInProgress, one_run_at_a_time

DEFAULT_DATASET = "cafe24_data"
DUCKDB_CONFIG_KEY = "destination.duckdb.credentials"
EX_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C
CALLBACK_PATH = "/callback"


class UsageError(Exception):
    """The command line or the configuration is wrong: exit code 2."""


class LoadFailed(Exception):
    """The destination refused some of the load: exit code 1."""


class Interrupted(Exception):
    """Ctrl-C (SIGINT) stopped the run: exit code 130, after saying what was kept."""


# ---------------------------------------------------------------------------------------------------- run


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

    @property
    def calls(self) -> int:
        return sum(m.calls for m in self.malls.values())

    @property
    def throttled(self) -> int:
        return sum(m.throttled for m in self.malls.values())

    @property
    def calls_per_second(self) -> float:
        return self.calls / self.extract_seconds if self.extract_seconds > 0 else 0.0


class Progress(Collector):
    """dlt's progress as short lines: one every `period` seconds while a step runs and one when it ends."""

    def __init__(self, out: TextIO, calls: Callable[[], int] = lambda: 0, period: float = 10.0) -> None:
        self.out = out
        self.calls = calls
        self.period = period
        self.step = ""
        self.counts: dict[str, int] = defaultdict(int)
        self.totals: dict[str, int] = {}
        self.started = self.last = 0.0
        self.failed = False
        self.lock = threading.Lock()

    def _line(self, status: str) -> str:
        name = (self.step or "").split(" ")[0].lower()
        elapsed = time.monotonic() - self.started
        done = [f"{k} {self.counts[k]}/{t}" for k, t in self.totals.items() if t]
        tables = [k for k in self.counts if k not in self.totals and not k.startswith("_dlt")]
        roots = [f"{k} {self.counts[k]}" for k in tables if "__" not in k]
        nested = len(tables) - len(roots)
        parts = done + roots + ([f"{nested} nested tables"] if nested else [])
        calls = f" | {self.calls()} API calls" if name == "extract" else ""
        return f"  {name:<9} {status:<7} {elapsed:6.1f}s  {', '.join(parts)}{calls}".rstrip()

    def update(self, name: str, inc: int = 1, total: int | None = None, inc_total: int | None = None,
               message: str | None = None, label: str | None = None) -> None:
        if label:
            return
        with self.lock:
            self.counts[name] += inc
            if total is not None:
                self.totals[name] = total
            elif inc_total:
                self.totals[name] = self.totals.get(name, 0) + inc_total
            now = time.monotonic()
            if now - self.last >= self.period:
                self.last = now
                print(self._line("running"), file=self.out, flush=True)

    def _start(self, step: str) -> None:
        with self.lock:
            self.counts, self.totals = defaultdict(int), {}
            self.started = self.last = time.monotonic()
            self.failed = False

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        self.failed = exc_type is not None
        super().__exit__(exc_type, exc, tb)

    def _stop(self) -> None:
        with self.lock:
            if "_dlt_pipeline_state" in self.counts and all(k.startswith("_dlt") for k in self.counts
                                                             if k not in self.totals):
                return  # dlt's own extract of the pipeline state: nothing to tell
            print(self._line("failed" if self.failed else "done"), file=self.out, flush=True)


def build_sources(source_args: dict[str, Any], which: str,
                  dcollection_args: dict[str, Any] | None = None) -> list[DltSource]:
    """admin: the Admin tables; front: front_products; dcollection: the partner feed; all: everything.
    D.Collection takes the same app credentials as the Admin API (sources.cafe24.credentials)."""
    built: list[DltSource] = []
    if which in ("admin", "front", "all"):
        cafe24 = cafe24_source(**source_args)
        keep = [n for n, r in cafe24.resources.items()
                if which == "all" or (r.table_name == "front_products") == (which == "front")]
        cafe24.resources.select(*keep)
        built.append(cafe24)
    if which in ("dcollection", "all"):
        built.append(dcollection_source(**(dcollection_args or {})))
    return built


def load(source_args: dict[str, Any], *, tables: Sequence[str] | None = None, destination: str = "duckdb",
         dataset: str = DEFAULT_DATASET, full_refresh: bool = False, project: Project | None = None,
         wait: float = 0.0, out: TextIO = sys.stdout, which: str = "admin",
         dcollection_args: dict[str, Any] | None = None) -> RunResult:
    """One run into `destination`, with the state and database of `project` (default: the current directory).
    `source_args` go to `cafe24_source` as they are, so what is left out comes from dlt config; `which` picks
    the APIs and `tables` picks tables by name (default: all of them)."""
    project = project or Project.at()
    try:
        with collect_clients() as clients:
            sources = build_sources(source_args, which, dcollection_args)
    except ValueError as exc:  # a refused base URL, an unreadable start date
        raise UsageError(redact(str(exc))) from None
    by_table: dict[str, list[tuple[DltSource, str]]] = defaultdict(list)
    for source in sources:
        for name, resource in source.selected_resources.items():
            by_table[resource.table_name].append((source, name))
    wanted = list(tables) if tables else list(by_table)
    unknown = [t for t in wanted if t not in by_table]
    if unknown:
        raise UsageError(f"unknown table {unknown[0]!r}; choose from {', '.join(sorted(by_table))}")
    for source in sources:
        source.resources.select(*(name for t in wanted for s, name in by_table[t] if s is source))

    def calls() -> int:
        return sum(c.stats.calls for c in clients)

    if destination == "duckdb":
        project.duckdb.parent.mkdir(parents=True, exist_ok=True)
        target: Any = dlt.destinations.duckdb(str(project.duckdb))
    else:
        target = destination
    with one_run_at_a_time(project.lock_file, wait):
        pipeline = dlt.pipeline(pipeline_name=project.pipeline_name, destination=target, dataset_name=dataset,
                                pipelines_dir=str(project.pipelines_dir), progress=Progress(out, calls))
        started = time.monotonic()
        try:
            _prepare(pipeline, sources, full_refresh, out)
            info = pipeline.run(sources, loader_file_format="jsonl")
        except PipelineStepFailed as exc:
            if isinstance(exc.exception, KeyboardInterrupt):
                raise Interrupted(_kept_after_interrupt(pipeline, exc.step)) from None
            raise
    elapsed = time.monotonic() - started
    if info.has_failed_jobs:
        failed = [job.job_file_info.table_name for package in info.load_packages for job in
                  package.jobs.get("failed_jobs", [])]
        raise LoadFailed(f"the destination refused the load jobs of {', '.join(sorted(set(failed)))}")
    trace = pipeline.last_trace
    counts = trace.last_normalize_info.row_counts if trace and trace.last_normalize_info else {}
    rows: dict[str, int] = defaultdict(int)
    nested: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for table, n in counts.items():
        if table.startswith("_dlt"):
            continue
        root = table.split("__")[0]
        if root == table:
            rows[table] += n
        else:
            nested[root][0] += n
            nested[root][1] += 1
    extract = next((s for s in trace.steps if s.step == "extract"), None) if trace else None
    extract_seconds = (extract.finished_at - extract.started_at).total_seconds() if extract else elapsed
    return RunResult(
        tables=wanted, rows=dict(rows), nested={k: (v[0], v[1]) for k, v in nested.items()},
        malls=_calls_by_api(clients),
        elapsed=elapsed, extract_seconds=extract_seconds, destination=destination, dataset=dataset)


def _prepare(pipeline: dlt.Pipeline, sources: Sequence[DltSource], full_refresh: bool, out: TextIO) -> None:
    """The run state before extraction: restored from the destination, an interrupted run's packages loaded
    (dlt would otherwise load them and stop, costing a cron cycle), then the cursors edited."""
    pipeline.sync_destination()
    if pipeline.has_pending_data:
        print("  finishing the load an earlier run left pending", file=out, flush=True)
        pipeline.run()
    for note in carry_over(pipeline):
        print(f"  state: {note}", file=out, flush=True)
    if full_refresh:
        forgotten = forget(pipeline, sources)
        print(f"  full refresh: forgot the cursors of {', '.join(forgotten)}; they reload from the start, merged by "
              "key. Other tables, malls and sources keep theirs.", file=out, flush=True)


def _kept_after_interrupt(pipeline: dlt.Pipeline, step: str) -> str:
    """What an interrupted run leaves: dlt commits rows and cursors together, per load package."""
    pending = len(pipeline.list_extracted_load_packages()) + len(pipeline.list_normalized_load_packages())
    if pending:
        return (f"interrupted during the {step} step: {pending} load package(s) of this run are kept, not yet fully "
                "loaded; the next run loads them first, rows and cursors together, then extracts what is new")
    return (f"interrupted during the {step} step: nothing of this run was committed; tables and cursors are as "
            "the last completed run left them, and the next run starts from there")


def _calls_by_api(clients: Sequence[ApiClient]) -> dict[str, MallCalls]:
    """Calls per mall (Admin and Front together) or per D.Collection client."""
    out: dict[str, MallCalls] = {}
    for client in clients:
        seen = out.setdefault(client.mall_id, MallCalls(0, 0, 0))
        seen.calls += client.stats.calls
        seen.throttled += client.stats.throttled
        seen.retries += client.stats.retries
    return out


def summary(result: RunResult) -> str:
    """One screen: rows per table, calls per mall, time and pace."""
    lines = [f"Loaded into {result.destination} dataset {result.dataset} in {result.elapsed:.1f} s:", "",
             f"  {'table':<12} {'rows':>8}   nested rows (tables)"]
    for table in result.tables:
        deep, count = result.nested.get(table, (0, 0))
        extra = f"   {deep:>8} ({count})" if count else ""
        lines.append(f"  {table:<12} {result.rows.get(table, 0):>8}{extra}")
    lines += ["", f"  {'mall':<12} {'API calls':>9} {'429s':>6} {'retries':>8}"]
    for mall, c in result.malls.items():
        lines.append(f"  {mall:<12} {c.calls:>9} {c.throttled:>6} {c.retries:>8}")
    lines += ["", f"  {result.calls} API calls in {result.extract_seconds:.1f} s of extraction "
                  f"({result.calls_per_second:.2f} calls/s); {result.elapsed:.1f} s in all."]
    return "\n".join(lines)


def run_command(args: argparse.Namespace) -> int:
    source_args: dict[str, Any] = {}
    if args.source != "dcollection":
        malls = _mall_ids(args.mall) or _mall_ids(_configured()[0])
        if not malls:
            raise UsageError("no mall to load: pass --mall MALL_ID or set mall_id under [sources.cafe24] in "
                             ".dlt/config.toml (or SOURCES__CAFE24__MALL_ID)")
        source_args["mall_id"] = malls[0] if len(malls) == 1 else malls
    if args.base_url:
        source_args["base_url"] = args.base_url
    if args.start_date:
        source_args["start_date"] = args.start_date
    if args.token_store:
        source_args["token_store"] = args.token_store
    tables = _split(args.resources)
    project = Project.at(duckdb=args.duckdb or _configured_duckdb(), pipelines_dir=args.pipelines_dir)
    into = f"{project.duckdb}" if args.destination == "duckdb" else args.destination
    print(f"Cafe24 -> {into} ({args.dataset}){' with a full refresh' if args.full_refresh else ''}; "
          f"state in {project.working_dir}", flush=True)
    result = load(source_args, tables=tables or None, destination=args.destination, dataset=args.dataset,
                  full_refresh=args.full_refresh, project=project, wait=args.wait, which=args.source)
    print("\n" + summary(result), flush=True)
    return 0


# ---------------------------------------------------------------------------------------------------- auth


def mall_root(base_url: str, mall_id: str) -> str:
    root = base_url.format(mall_id=mall_id).rstrip("/")
    try:
        check_base_url(root)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return root


def authorize_url(root: str, client_id: str, redirect_uri: str, state: str, scopes: Iterable[str]) -> str:
    query = urlencode({"response_type": "code", "client_id": client_id, "state": state,
                       "redirect_uri": redirect_uri, "scope": ",".join(scopes)}, safe=",")
    return f"{root}/api/v2/oauth/authorize?{query}"


def exchange(mall_id: str, app: AppCredentials, root: str, store: TokenStore, code: str,
             redirect_uri: str) -> Grant:
    """Trade an authorization code for the mall's grant; TokenManager writes it to the store (mode 0600)."""
    register_secret(code)
    with make_http() as http:
        return TokenManager(mall_id, f"{root}/api/v2/oauth", app, store, http).exchange_code(code, redirect_uri)


class _Callback(http.server.BaseHTTPRequestHandler):
    server: "CallbackServer"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        url = urlparse(self.path)
        if url.path != CALLBACK_PATH:
            self._answer(404, "Not the callback.")
            return
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if not secrets.compare_digest(query.get("state", ""), self.server.state):
            self._answer(400, "The state does not match this authorization request; it was ignored.")
            return
        if "error" in query:
            self.server.results.put(("error", f"{query['error']}: {query.get('error_description', '')}"))
            self._answer(400, "Cafe24 did not authorize the app; see the terminal.")
        elif query.get("code"):
            self.server.results.put(("code", query["code"]))
            self._answer(200, "Authorized: the terminal is finishing up. You can close this tab.")
        else:
            self._answer(400, "The redirect carries no code.")

    def _answer(self, status: int, text: str) -> None:
        body = f"<!doctype html><title>cafe24-dlt</title><p>{text}</p>\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the request line carries the code: never log it


class CallbackServer(http.server.ThreadingHTTPServer):
    """127.0.0.1:port, receiving `/callback?code&state` once; port 0 picks a free port."""

    daemon_threads = True

    def __init__(self, port: int, state: str) -> None:
        try:
            super().__init__(("127.0.0.1", port), _Callback)
        except OSError as exc:
            raise UsageError(f"cannot listen on 127.0.0.1:{port} for the OAuth redirect ({exc.strerror}); "
                             "pass another --port (and register its redirect URI with the app)") from None
        self.state = state
        self.results: queue.Queue[tuple[str, str]] = queue.Queue()
        self._thread = threading.Thread(target=self.serve_forever, name="cafe24-oauth-callback", daemon=True)

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{CALLBACK_PATH}"

    def __enter__(self) -> "CallbackServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()

    def wait(self, mall_id: str, timeout: float) -> str:
        try:
            kind, value = self.results.get(timeout=timeout)
        except queue.Empty:
            raise Cafe24AuthError(mall_id, f"no authorization reached {self.redirect_uri} within {timeout:.0f} s; "
                                            "run `auth` again (the code lives one minute)") from None
        if kind == "error":
            raise Cafe24AuthError(mall_id, f"the authorization was refused ({value})")
        return value


def authorize(mall_id: str, app: AppCredentials, base_url: str, store: TokenStore, *,
              scopes: Sequence[str] = SCOPES, port: int = 8025, open_url: Callable[[str], object] | None = None,
              timeout: float = 300.0, out: TextIO = sys.stdout) -> Grant:
    """The authorization-code flow: print the authorize URL, receive the redirect on 127.0.0.1:port, check
    `state`, exchange the code and store the grant. `open_url` plays the browser (None: the user opens it)."""
    root = mall_root(base_url, mall_id)
    state = secrets.token_urlsafe(16)
    with CallbackServer(port, state) as server:
        url = authorize_url(root, app.client_id, server.redirect_uri, state, scopes)
        print(f"Open this URL, sign in as the mall's operator and approve the app:\n\n  {url}\n\n"
              f"Waiting for the redirect to {server.redirect_uri} ...", file=out, flush=True)
        if open_url is not None:
            open_url(url)
        code = server.wait(mall_id, timeout)
        return exchange(mall_id, app, root, store, code, server.redirect_uri)


def describe_grant(grant: Grant, store: TokenStore) -> str:
    def kst(epoch: float) -> str:
        return pendulum.from_timestamp(epoch, tz=KST).format("YYYY-MM-DD HH:mm:ss") + " KST"

    where = store.path_for(grant.mall_id).resolve()
    return (f"Authorized mall {grant.mall_id}. The grant is stored in {where} (mode 0600).\n"
            f"  scopes:        {', '.join(grant.scopes) or '(none reported)'}\n"
            f"  access token:  expires {kst(grant.expires_at)} (refreshed automatically)\n"
            f"  refresh token: expires {kst(grant.refresh_token_expires_at)}; each refresh renews it, so a pipeline "
            "that runs at least every two weeks never needs `auth` again.")


# Looked up where cafe24_source looks: [sources.cafe24] in .dlt/*.toml, SOURCES__CAFE24__... variables.
@with_config(sections=("sources", "cafe24", "cafe24"))
def _configured(mall_id: Any = None, base_url: str = DEFAULT_BASE_URL,
                token_store: str = DEFAULT_TOKEN_STORE) -> tuple[Any, str, str]:
    return mall_id, base_url, token_store


def _configured_duckdb() -> str | None:
    """dlt's own key for the database file, [destination.duckdb] credentials; relative to the project."""
    value = dlt.config.get(DUCKDB_CONFIG_KEY) or dlt.secrets.get(DUCKDB_CONFIG_KEY)
    if value is not None and not isinstance(value, str):
        raise UsageError(f"{DUCKDB_CONFIG_KEY} must be the path of a DuckDB file, e.g. \"cafe24.duckdb\"")
    return value


@with_config(sections=("sources", "cafe24", "cafe24"))
def _configured_credentials(credentials: Cafe24Credentials = dlt.secrets.value) -> Cafe24Credentials:
    return credentials


def _mall_ids(value: Any) -> list[str]:
    """Mall ids from the command line or config: a string ("a", "a,b" or a JSON list) or a list."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise UsageError(f"mall_id {text!r} is not a JSON list") from None
        else:
            value = text.split(",")
    return [str(m).strip() for m in value or () if str(m).strip()]


def auth_command(args: argparse.Namespace) -> int:
    given = {k: v for k, v in (("base_url", args.base_url), ("token_store", args.token_store)) if v}
    configured_mall, base_url, token_store = _configured(**given)
    credentials = _configured_credentials()
    malls = _mall_ids(args.mall) or _mall_ids(configured_mall)
    if len(malls) != 1:
        raise UsageError("say which mall to authorize: auth --mall MALL_ID")
    mall_id = malls[0]
    register_secret(credentials.client_secret)
    app = AppCredentials(credentials.client_id, credentials.client_secret)
    store = TokenStore(token_store)
    scopes = _split(args.scopes) or list(SCOPES)
    if args.code:
        code = args.code
        if "code=" in code:  # the whole redirected URL was pasted
            code = parse_qs(urlparse(code).query).get("code", [""])[0]
        redirect_uri = args.redirect_uri or f"http://127.0.0.1:{args.port}{CALLBACK_PATH}"
        grant = exchange(mall_id, app, mall_root(base_url, mall_id), store, code, redirect_uri)
    elif args.redirect_uri:
        # A redirect URI registered elsewhere (Cafe24 wants it registered with the app): the user pastes the code.
        state = secrets.token_urlsafe(16)
        url = authorize_url(mall_root(base_url, mall_id), app.client_id, args.redirect_uri, state, scopes)
        print(f"Open this URL and approve the app:\n\n  {url}\n\nThen run:\n  python -m pipelines.cafe24_pipeline "
              f"auth --mall {mall_id} --redirect-uri {args.redirect_uri} --code CODE\nwith the code from the "
              f"address it sends you to (check that its state is {state}); the code lives one minute.")
        return 0
    else:
        grant = authorize(mall_id, app, base_url, store, scopes=scopes, port=args.port,
                          open_url=None if args.no_browser else webbrowser.open, timeout=args.timeout)
    print(describe_grant(grant, store), flush=True)
    return 0


# ---------------------------------------------------------------------------------------------------- main


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipelines.cafe24_pipeline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command")

    run = commands.add_parser("run", help="load the mall(s) (the default command)", description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("--destination", default="duckdb",
                     help=f"a dlt destination name (default: duckdb, into ./{DUCKDB_FILE} of the current directory)")
    run.add_argument("--duckdb", metavar="PATH",
                     help=f"the DuckDB file (default: {DUCKDB_CONFIG_KEY} from config, else ./{DUCKDB_FILE}); "
                          "relative paths are the current directory's")
    run.add_argument("--dataset", default=DEFAULT_DATASET, help=f"dataset / schema name (default {DEFAULT_DATASET})")
    run.add_argument("--source", choices=("admin", "dcollection", "front", "all"), default="admin",
                     help="which API to load: the Admin tables (default), the D.Collection feed, the Front API's "
                          "front_products, or all of them")
    run.add_argument("--resources", metavar="TABLES", help="comma-separated tables, e.g. products,orders")
    run.add_argument("--mall", action="extend", nargs="+", metavar="MALL_ID",
                     help="mall id(s) (default: sources.cafe24.mall_id)")
    run.add_argument("--full-refresh", action="store_true",
                     help="forget the cursors of this run's tables and malls only (with --resources/--mall, just "
                          "those) and reload them from the start, merged by key; it says which")
    run.add_argument("--start-date", help="where a first backfill of orders starts (YYYY-MM-DD, KST)")
    run.add_argument("--base-url", metavar="TEMPLATE", help="e.g. https://{mall_id}.cafe24api.com")
    run.add_argument("--token-store", metavar="DIR", help=f"where grants live (default {DEFAULT_TOKEN_STORE})")
    run.add_argument("--pipelines-dir", metavar="DIR",
                     help=f"where dlt keeps this project's run state: schemas, cursors, pending loads and the run "
                          f"lock (default ./{STATE_DIR}, not dlt's ~/.dlt, so checkouts never share state)")
    run.add_argument("--wait", type=_seconds, default=0.0, metavar="SECONDS",
                     help="if another run of this project is in progress, wait this long for it (default: exit "
                          f"{RunInProgress.exit_code} at once)")
    run.set_defaults(handler=run_command)

    auth = commands.add_parser("auth", help="authorize the app on a mall (OAuth authorization code)")
    auth.add_argument("--mall", metavar="MALL_ID", help="the mall to authorize (default: sources.cafe24.mall_id)")
    auth.add_argument("--port", type=int, default=8025, help="local port for the redirect (default 8025)")
    auth.add_argument("--no-browser", action="store_true", help="print the URL without opening a browser")
    auth.add_argument("--code", help="a code (or the whole redirected URL) to exchange without the local server")
    auth.add_argument("--redirect-uri", help="the redirect URI registered with the app, if not the local one")
    auth.add_argument("--scopes", help=f"comma-separated (default {','.join(SCOPES)})")
    auth.add_argument("--base-url", metavar="TEMPLATE", help="e.g. https://{mall_id}.cafe24api.com")
    auth.add_argument("--token-store", metavar="DIR", help=f"where grants live (default {DEFAULT_TOKEN_STORE})")
    auth.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the redirect")
    auth.set_defaults(handler=auth_command)
    return parser


def _cafe24_cause(exc: BaseException) -> Cafe24Error | None:
    """The Cafe24Error behind a dlt step failure, if there is one (dlt wraps it in one or two layers)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, Cafe24Error):
            return current
        todo += [getattr(current, "exception", None), current.__cause__, current.__context__]
    return None


def _missing_fields(traces: dict[str, list[Any]], prefix: str = "") -> list[str]:
    """Dotted names of the fields dlt could not find, descending into nested specs (credentials.client_id)."""
    names: list[str] = []
    for name, lookups in traces.items():
        nested = [t for t in lookups if isinstance(t, LookupTraces)]
        if nested:
            for trace in nested:
                names += _missing_fields(trace.traces, f"{prefix}{name}.")
        else:
            names.append(prefix + name)
    return list(dict.fromkeys(names))


def _missing_config(exc: ConfigFieldMissingException) -> str:
    prefix = "credentials." if exc.spec_name == Cafe24Credentials.__name__ else ""
    fields = _missing_fields(exc.traces, prefix) or [prefix + f for f in exc.fields]
    env = ", ".join("SOURCES__CAFE24__" + f.upper().replace(".", "__") for f in fields)
    return (f"missing configuration: {', '.join(fields)}. Put it under [sources.cafe24] in .dlt/config.toml "
            f"(secrets in .dlt/secrets.toml, see .dlt/secrets.toml.example) or export {env}.")


def _report(exc: Cafe24Error | LoadFailed) -> None:
    print(f"error: {exc}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("run", "auth", "-h", "--help"):
        argv = ["run", *argv]
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return args.handler(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ConfigFieldMissingException as exc:
        print(f"error: {_missing_config(exc)}", file=sys.stderr)
        return 2
    except ConfigurationException as exc:
        print(f"error: configuration: {redact(str(exc))}", file=sys.stderr)
        return 2
    except RunInProgress as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Interrupted as exc:
        print(exc, file=sys.stderr)
        return EX_INTERRUPTED
    except (Cafe24Error, LoadFailed) as exc:
        _report(exc)
        return 1
    except PipelineStepFailed as exc:
        cause = _cafe24_cause(exc)
        if cause is not None:
            _report(cause)
        else:
            inner = exc.exception
            print(f"error: the {exc.step} step failed: {type(inner).__name__}: {redact(str(inner))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted before the run started: nothing was changed", file=sys.stderr)
        return EX_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
