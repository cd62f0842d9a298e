"""Cron-ready entry point: load Cafe24 into DuckDB (or any dlt destination), and authorize a mall.

    cafe24-dlt [run] [--project DIR] [--resources products,orders] [--mall M ...] [--full-refresh] [--transform]
               [--quiet|--json]
    cafe24-dlt auth --mall M [--project DIR] [--port 8025] [--no-browser] [--code CODE]

(`python -m pipelines.cafe24_pipeline` is the same command.)

Whatever is not given on the command line comes from dlt config: .dlt/config.toml, .dlt/secrets.toml or
SOURCES__CAFE24__... environment variables (mall_id, base_url, credentials, token_store, ...).

Everything a run keeps lives in the directory it runs in: the database (./cafe24.duckdb), dlt's run state
(./.dlt_pipelines/cafe24: schemas, each mall's cursors per table and shop, pending loads) and the grants
(./.cafe24_tokens). To start a project over, delete cafe24.duckdb and .dlt_pipelines/; to reload some tables,
run --full-refresh with --resources/--mall.

Exit codes: 0 everything loaded (or authorized), 1 it failed and the message says why, 2 usage or configuration,
3 with --strict: loaded, but a table's rows differ from the API's count (the summary's completeness lines say
where), 4 with --transform: loaded, but a dbt model or test of transform/ failed (the summary names it), 75
another run of this project is in progress (see --wait), 130 interrupted (Ctrl-C).
Tokens and the client secret are never printed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import sys
import webbrowser
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlparse

from sources.cafe24.auth import AppCredentials, TokenStore
from sources.cafe24.endpoints import SCOPES
from sources.cafe24.errors import register_secret
from sources.cafe24.pii import MODES
from sources.cafe24.settings import DEFAULT_BASE_URL, DEFAULT_TOKEN_STORE

from .authorize import CALLBACK_PATH, authorize, authorize_url, describe_grant, exchange, mall_root
from .config import DUCKDB_CONFIG_KEY, configured, configured_credentials, configured_duckdb, mall_ids
from .errors import EX_INCOMPLETE, EX_TRANSFORM, UsageError
from .failures import failure
from .project import DUCKDB_FILE, STATE_DIR, Project
from .report import quiet_dlt, summary, summary_json
from .run import DEFAULT_DATASET, load
from .runlock import RunInProgress


def run_command(args: argparse.Namespace) -> int:
    source_args: dict[str, Any] = {}
    configured_mall, configured_base_url, _ = configured()
    if args.source != "dcollection":
        malls = mall_ids(args.mall) or mall_ids(configured_mall)
        if not malls:
            raise UsageError(
                "no mall to load: pass --mall MALL_ID or set mall_id under [sources.cafe24] in "
                ".dlt/config.toml (or SOURCES__CAFE24__MALL_ID)"
            )
        source_args["mall_id"] = malls[0] if len(malls) == 1 else malls
    if args.base_url:
        source_args["base_url"] = args.base_url
    if args.start_date:
        source_args["start_date"] = args.start_date
    if args.pii:
        source_args["pii"] = args.pii
    if args.token_store:
        source_args["token_store"] = args.token_store
    tables = _split(args.resources)
    project = Project.at(duckdb=args.duckdb or configured_duckdb(), pipelines_dir=args.pipelines_dir)
    into = f"{project.duckdb}" if args.destination == "duckdb" else args.destination
    base_url = args.base_url or configured_base_url
    elsewhere = f"; API at {base_url}" if base_url != DEFAULT_BASE_URL and args.source != "dcollection" else ""
    chatty = not (args.quiet or args.json)
    out = sys.stdout if chatty else io.StringIO()
    if chatty and out.isatty():  # the live display gives backfills a percentage and a time left
        source_args["count_totals"] = True
    print(
        f"Cafe24 -> {into} ({args.dataset}){' with a full refresh' if args.full_refresh else ''}; "
        f"state in {project.working_dir}{elsewhere}",
        file=out,
        flush=True,
    )
    result = load(
        source_args,
        tables=tables or None,
        destination=args.destination,
        dataset=args.dataset,
        full_refresh=args.full_refresh,
        project=project,
        wait=args.wait,
        which=args.source,
        out=out,
        transform=args.transform,
    )
    incomplete = args.strict and bool(result.incomplete)
    dbt_failed = result.transform is not None and not result.transform.ok
    code = EX_TRANSFORM if dbt_failed else EX_INCOMPLETE if incomplete else 0
    print(
        json.dumps(summary_json(result, code)) if args.json else ("\n" if chatty else "") + summary(result), flush=True
    )
    if incomplete:
        print(
            f"error: --strict: {len(result.incomplete)} table/shop count(s) differ from the API's; see the "
            "completeness lines of the summary",
            file=sys.stderr,
            flush=True,
        )
    if dbt_failed:
        print(
            "error: --transform: the load is kept, but dbt failed; see the dbt lines of the summary",
            file=sys.stderr,
            flush=True,
        )
    return code


def auth_command(args: argparse.Namespace) -> int:
    given = {k: v for k, v in (("base_url", args.base_url), ("token_store", args.token_store)) if v}
    configured_mall, base_url, token_store = configured(**given)
    credentials = configured_credentials()
    malls = mall_ids([args.mall] if args.mall is not None else configured_mall)
    if len(malls) != 1:
        raise UsageError("say which mall to authorize: auth --mall MALL_ID")
    mall_id = malls[0]
    register_secret(credentials.client_secret)
    app = AppCredentials(credentials.client_id, credentials.client_secret or "")
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
        print(
            f"Open this URL and approve the app:\n\n  {url}\n\nThen run:\n  python -m pipelines.cafe24_pipeline "
            f"auth --mall {mall_id} --redirect-uri {args.redirect_uri} --code CODE\nwith the code from the "
            f"address it sends you to (check that its state is {state}); the code lives one minute."
        )
        return 0
    else:
        grant = authorize(
            mall_id,
            app,
            base_url,
            store,
            scopes=scopes,
            port=args.port,
            open_url=None if args.no_browser else webbrowser.open,
            timeout=args.timeout,
        )
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
    parser = argparse.ArgumentParser(
        prog="cafe24-dlt", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command")

    run = commands.add_parser(
        "run",
        help="load the mall(s) (the default command)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--destination",
        default="duckdb",
        help=f"a dlt destination name (default: duckdb, into ./{DUCKDB_FILE} of the current directory)",
    )
    run.add_argument(
        "--duckdb",
        metavar="PATH",
        help=f"the DuckDB file (default: {DUCKDB_CONFIG_KEY} from config, else ./{DUCKDB_FILE}); "
        "relative paths are the current directory's",
    )
    run.add_argument("--dataset", default=DEFAULT_DATASET, help=f"dataset / schema name (default {DEFAULT_DATASET})")
    run.add_argument(
        "--source",
        choices=("admin", "dcollection", "front", "all"),
        default="admin",
        help="which API to load: the Admin tables (default), the D.Collection feed, the Front API's "
        "front_products, or all of them",
    )
    run.add_argument("--resources", metavar="TABLES", help="comma-separated tables, e.g. products,orders")
    run.add_argument(
        "--mall", action="extend", nargs="+", metavar="MALL_ID", help="mall id(s) (default: sources.cafe24.mall_id)"
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="forget the cursors of this run's tables and malls only (with --resources/--mall, just "
        "those) and reload them from the start, merged by key; it says which",
    )
    run.add_argument("--start-date", help="where a first backfill of orders starts (YYYY-MM-DD, KST)")
    run.add_argument(
        "--pii",
        choices=MODES,
        help="personal data: keep (the default), hash (HMAC-SHA256 with "
        "pii_key from .dlt/secrets.toml) or drop; a dataset keeps the mode it was first loaded with",
    )
    run.add_argument("--base-url", metavar="TEMPLATE", help="e.g. https://{mall_id}.cafe24api.com")
    run.add_argument("--token-store", metavar="DIR", help=f"where grants live (default {DEFAULT_TOKEN_STORE})")
    run.add_argument(
        "--pipelines-dir",
        metavar="DIR",
        help=f"where dlt keeps this project's run state: schemas, cursors, pending loads and the run "
        f"lock (default ./{STATE_DIR}, not dlt's ~/.dlt, so checkouts never share state)",
    )
    run.add_argument(
        "--wait",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="if another run of this project is in progress, wait this long for it (default: exit "
        f"{RunInProgress.exit_code} at once)",
    )
    run.add_argument(
        "--strict",
        action="store_true",
        help=f"exit {EX_INCOMPLETE} when the completeness check finds a table and shop whose loaded rows "
        "differ from the API's count (for monitoring); the rows stay loaded",
    )
    run.add_argument(
        "--transform",
        action="store_true",
        help=f"after the load, build the analytics models of transform/ (cafe24__orders, "
        f"cafe24__daily_shop, ...) with dbt in the same dataset and test them; exit {EX_TRANSFORM} "
        "if a model or test fails (duckdb or postgres)",
    )
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
    for command in (run, auth):
        command.add_argument(
            "--project",
            metavar="DIR",
            help="the project directory, as if the command started there: its .dlt/ config, grants, "
            "database and state (default: the current directory; for cron)",
        )
    run.add_argument("--quiet", action="store_true", help="print only errors and the final summary")
    run.add_argument(
        "--json",
        action="store_true",
        help="print only the summary, as one JSON object (rows per table, calls, 429s, retries, "
        'elapsed); errors too, as {"ok": false, "exit_code": N, "error": ...}',
    )
    auth.set_defaults(handler=auth_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("run", "auth", "-h", "--help"):
        argv = ["run", *argv]
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage
        return exc.code if isinstance(exc.code, int) else 2
    as_json = getattr(args, "json", False)
    try:
        if args.project:
            _enter_project(args.project)
        with quiet_dlt(warnings=not (getattr(args, "quiet", False) or as_json)):
            return int(args.handler(args))
    except (Exception, KeyboardInterrupt) as exc:
        code, message = failure(exc)
        print(message, file=sys.stderr, flush=True)
        if as_json:
            print(json.dumps({"ok": False, "exit_code": code, "error": message.removeprefix("error: ")}), flush=True)
        return code


def _enter_project(directory: str) -> None:
    """--project: everything relative (.dlt/ config, grants, database, state) is the project's, as when cron
    starts in it; dlt reads .dlt/ from the working directory, so the simplest truth is to go there."""
    try:
        os.chdir(directory)
    except OSError as exc:
        raise UsageError(
            f"--project {directory}: {exc.strerror}; give the project's directory (the one holding .dlt/config.toml)"
        ) from None


if __name__ == "__main__":
    raise SystemExit(main())
