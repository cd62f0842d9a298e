"""dlt sources for Cafe24: the Admin API (`cafe24_source`) and the D.Collection feed (`dcollection_source`).

One resource per (mall, table), named `table__mall` so each mall keeps its own cursors, all built from the
endpoint table in `endpoints.py`; resources of different malls run in parallel threads, each mall paced by its
own bucket, while dlt keeps DuckDB's single writer.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import dlt
import pendulum
from dlt.common.typing import TSecretStrValue
from dlt.sources import DltResource, DltSource

from .auth import AppCredentials, Cafe24Credentials, TokenManager, TokenStore
from .client import ApiClient, RetryPolicy, check_base_url, make_http
from .collect import Collector
from .dcollection import dcollection_source
from .endpoints import DELETED, ENDPOINTS, SCOPES, Endpoint, descendants
from .errors import Cafe24AuthError, Cafe24ScopeError, register_secret
from .mallid import parse_mall_ids
from .paging import AHEAD, BACKFILL_CHUNK_ROWS, WALKERS, Plan, by_keys, with_details
from .pii import check as pii_check
from .pii import guard as pii_guard
from .pii import protect
from .prefetch import ahead
from .ratelimit import pacer_for
from .settings import (
    BATCH_ROWS,
    BUCKET_DRAIN_PER_SECOND,
    DEFAULT_API_VERSION,
    DEFAULT_BASE_URL,
    DEFAULT_START_DATE,
    DEFAULT_TOKEN_STORE,
    KST,
    ORDER_DATE_TYPES,
    PACED_CALLS_PER_SECOND,
)
from .tables import batches, first_copies, frames

# Rows reach the destination already unique by key (first_copies), so a database's delete-insert merge skips its
# own dedup: a window function over every column that cost DuckDB 4 s of an 8 s load at 20k orders. No strategy
# is named, since each destination has its default: delete-insert in databases, upsert on a Delta lake.
logger = logging.getLogger(__name__)
# Any: dlt's typed dicts allow `deduplicated` only beside strategy "delete-insert", which would pin the lake to it.
MERGE: Any = {"disposition": "merge", "deduplicated": True}
# What becomes of a row that left the API (pipelines/deletions.py): kept and marked, or deleted through dlt's
# hard_delete hint.
DELETION_MODES = ("soft", "hard")

__all__ = [
    "cafe24_source",
    "dcollection_source",
    "Cafe24Credentials",
    "MallSession",
    "child_hints",
    "collect_sessions",
    "resource_name",
    "select_tables",
]


@dataclass
class MallSession:
    """Everything one mall's resources share during a run: HTTP client, pacer, tokens, shops and the clock."""

    mall_id: str
    client: ApiClient
    front: ApiClient
    start: int = 0  # where a first backfill of orders starts: the range the completeness check counts
    shops: list[int] = field(default_factory=list)
    shop_rows: tuple[dict[str, Any], ...] = ()
    now: int = 0
    front_shops: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the run summary must tell about this mall
    skipped: set[str] = field(default_factory=set)  # tables left out: the grant lacks their scope
    lookback: int = 0  # seconds: rows this close to the clock may still appear, so checks stop short of them
    deletions: str = "soft"
    deletions_check_days: float = 7.0  # keys are walked at least this often, even when the counts agree
    lock: threading.Lock = field(default_factory=threading.Lock)
    ready: bool = False

    def prepare(self, wanted_shops: Sequence[int] | None) -> None:
        """Learn the server's clock and the active shops once, before any resource of the mall runs."""
        with self.lock:
            if self.ready:
                return
            self.shop_rows = tuple(self.client.get("/shops")["shops"])
            self.now = self.client.server_time or int(pendulum.now().timestamp())
            active = [int(s["shop_no"]) for s in self.shop_rows if s.get("active", "T") in ("T", True)]
            self.shops = [s for s in active if wanted_shops is None or s in wanted_shops]
            self.ready = True

    def skip(self, ep: Endpoint) -> None:
        """A table whose scope the grant lacks is left out, saying which scope and how to grant it; the others
        load (Endpoint.scope: what each endpoint needs)."""
        with self.lock:
            self.skipped.add(ep.table)
            self.notes.append(
                f"{self.mall_id}: {ep.table} skipped: the grant lacks the scope {ep.scope}. Add it to "
                f"the app in the Cafe24 developers' console, then run `cafe24-dlt auth --mall "
                f"{self.mall_id} --scopes {','.join(SCOPES)}`."
            )
        logger.warning("%s: %s skipped: the grant lacks the scope %s", self.mall_id, ep.table, ep.scope)

    @property
    def granted(self) -> bool:
        """Whether the Admin API can be called: a grant in the token store, or a refresh token in config."""
        tokens = self.client.tokens
        return tokens is not None and (
            tokens.bootstrap_refresh_token is not None or tokens.store.read(self.mall_id) is not None
        )

    def prepare_front(self, wanted_shops: Sequence[int] | None) -> tuple[list[int], int]:
        """The Front API cannot list shops, so no shop is left out silently: the shops asked for (shop_no), else
        every active shop of the Admin shops list when the mall has a grant, else shop 1 with a note saying so."""
        if wanted_shops:
            self.front_shops = list(wanted_shops)
        else:
            why = "without a grant the Front API cannot list the other shops"
            if self.granted:
                try:
                    self.prepare(None)
                    self.front_shops = list(self.shops)
                    return self.front_shops, self.now
                except (Cafe24AuthError, Cafe24ScopeError) as exc:  # the grant cannot read the shops list
                    why = f"the mall's grant could not list its shops ({exc})"
            self.front_shops = [1]
            self.notes.append(
                f"{self.mall_id}: front_products loaded shop 1 only: {why}. Run `cafe24-dlt auth` "
                "for this mall, or set shop_no under [sources.cafe24] (e.g. shop_no = [1, 2]) to "
                "load them all."
            )
        self.front.get("/products/count", {"shop_no": self.front_shops[0]})  # the server's clock
        now = self.front.server_time or int(pendulum.now().timestamp())
        with self.lock:
            self.now = self.now or now  # a run of the Front API alone checks its counts against this clock
        return self.front_shops, now


# Every mall session the sources build inside the block, so a run can check afterwards what it loaded against the
# API's counts, with the same clients, shops and clock.
collect_sessions: Collector[MallSession] = Collector("cafe24_sessions")


def resource_name(table: str, mall_id: str) -> str:
    """Resources are named per mall whatever the number of malls in a run, because dlt keys incremental state
    by resource name: a mall's cursors must never be another mall's, nor change when malls are added."""
    return f"{table}__{mall_id}"


def select_tables(source: DltSource, tables: Sequence[str]) -> DltSource:
    """Select the resources that load `tables` (every mall's), since resource names carry the mall."""
    source.resources.select(*(name for name, r in source.resources.items() if r.table_name in tables))
    return source


@dlt.source(name="cafe24", max_table_nesting=2)
def cafe24_source(
    mall_id: Any = dlt.config.value,  # one mall id or a list (Any: dlt resolves neither a union nor str-or-list)
    credentials: Cafe24Credentials = dlt.secrets.value,
    base_url: str = DEFAULT_BASE_URL,
    shop_no: list[int] | None = None,
    start_date: str = DEFAULT_START_DATE,
    api_version: str = DEFAULT_API_VERSION,
    token_store: str = DEFAULT_TOKEN_STORE,
    bucket_drain_per_second: float = BUCKET_DRAIN_PER_SECOND,
    max_calls_per_second: float = PACED_CALLS_PER_SECOND,
    lookback_minutes: int = 10,
    order_date_types: list[str] | None = None,
    customers_full_refresh_days: float = 7.0,
    max_attempts: int = 8,
    max_retry_seconds: float = 600.0,
    count_totals: bool = False,
    backfill_chunk_rows: int = BACKFILL_CHUNK_ROWS,
    backfills_only: bool = False,
    pii: str = "keep",
    pii_key: TSecretStrValue | None = None,
    deletions: str = "soft",
    deletions_check_days: float = 7.0,
    reload: dict[str, Any] | None = None,
    order_details: bool = False,
    product_details: bool = False,
) -> Iterator[DltResource]:
    """Products, categories, shops, orders and customers of one or more malls, incremental and merged on
    (mall_id, shop_no, key) so many malls can share one dataset.

    count_totals: before a walk from the beginning (first run, full refresh, the members' periodic walk), ask the
    count endpoints what it will yield, for every shop, and add it to the client's `stats.expected`, so a progress
    display can show a percentage and the time left. Off by default, since it costs calls: a count per table and
    shop, and one per 89-day orders window (an empty window then needs no list call, a full one no second count).

    backfill_chunk_rows: a walk from the beginning stops after about this many rows per shop and table, and says
    in its resource state where to go on (`paging.backfill_pending`), so a run can load it in chunks: one load
    package each, rows and position committed together. backfills_only: a run's later chunks walk only the shops
    whose backfill goes on.

    pii: keep, hash or drop the personal-data columns (sources/cafe24/pii.py); hash, and drop for the member ids
    that join customers and orders, use HMAC-SHA256 under pii_key, a secret.

    bucket_drain_per_second, max_calls_per_second: the pace the client plans for. Cafe24's bucket drains 2 calls/s and
    it warns past 10 calls/s (the client keeps to 6, since calls can reach the server bunched); raise them only for a
    server without those limits, such as the sandbox with its limits off.

    deletions: soft keeps a row that left the API with `_cafe24_deleted` true, hard deletes it; either way the
    keys are walked when the counts disagree or deletions_check_days have passed (pipelines/deletions.py).
    reload: {table: {mall: {shop: [keys]}}}: instead of walking, load exactly these rows again (a row that came
    back, or one the destination lacks).

    order_details: for every order the run loads (new or changed), call the order's detail endpoint once
    (`GET /orders/{order_id}?embed=benefits,coupons,refunds`, the embeds the list call lacks) and load
    order_benefits, order_coupons and order_refunds. Off by default, since it costs one call per order loaded: at
    Cafe24's 2 calls/s drain a backfill of 30,000 orders takes about 4 h of calls more, a day of 500 orders about
    4 minutes.

    product_details: for every product the run loads (new or changed), call the product's detail endpoint once
    (`GET /products/{product_no}`) for the fields the list call never returns, and load product_shipping_rates,
    product_relations and product_country_hscodes. Off by default, since it costs one call per product loaded: at
    Cafe24's 2 calls/s a bulk-edit day of 5,000 products takes about 42 minutes of calls more."""
    malls = parse_mall_ids(mall_id)
    if not malls:
        raise ValueError('mall_id is empty: give one mall id, or a list (mall_id = ["malla", "mallb"])')
    check_base_url(base_url.format(mall_id=malls[0]))
    register_secret(credentials.client_secret)
    register_secret(credentials.refresh_token)
    app = AppCredentials(credentials.client_id, credentials.client_secret or "")
    store = TokenStore(token_store)
    start = _start(start_date)
    hasher = pii_check(pii, pii_key)
    if deletions not in DELETION_MODES:
        raise ValueError(
            f"deletions = {deletions!r} is not one of {', '.join(DELETION_MODES)}: soft keeps a deleted "
            "row with _cafe24_deleted = true, hard removes it"
        )
    if pii_key:
        register_secret(pii_key)
    for name, pace in (
        ("bucket_drain_per_second", bucket_drain_per_second),
        ("max_calls_per_second", max_calls_per_second),
    ):
        if not pace > 0:
            raise ValueError(f"{name} = {pace!r}: give calls per second above 0 (Cafe24: 2 and 6, the defaults)")
    retry = RetryPolicy(attempts=max_attempts, max_seconds=max_retry_seconds)
    sessions = {
        m: _session(
            m,
            base_url,
            app,
            store,
            credentials.refresh_token,
            api_version,
            (bucket_drain_per_second, max_calls_per_second),
            retry,
            start,
        )
        for m in malls
    }
    for session in sessions.values():
        session.lookback, session.deletions = lookback_minutes * 60, deletions
        session.deletions_check_days = deletions_check_days
    # The server's clock and the shops are filled in per mall when its resources start.
    plan = Plan(
        0,
        start,
        lookback_minutes * 60,
        tuple(order_date_types or ORDER_DATE_TYPES),
        customers_full_refresh_days,
        count_totals=count_totals,
        backfill_chunk_rows=backfill_chunk_rows,
        backfills_only=backfills_only,
    )
    personal = Personal(pii, partial(protect, mode=pii, key=hasher))
    # Endpoint.details: the detail calls each option turns on
    options = {"order_details": order_details, "product_details": product_details}
    for session in sessions.values():
        for ep in ENDPOINTS:
            keys = None if reload is None else reload.get(ep.table, {}).get(session.mall_id, {})
            details = ep.details is not None and options[ep.details.option]
            yield _resource(ep, session, shop_no, plan, personal, keys, details)


def _start(start_date: str) -> int:
    """Where a first backfill starts, as epoch seconds: a KST date, not after today (nothing would load)."""
    try:
        start = pendulum.from_format(str(start_date), "YYYY-MM-DD", tz=KST)
    except ValueError:
        raise ValueError(
            f"start_date {start_date!r} is not a date: write it as YYYY-MM-DD (KST), e.g. 2024-01-01"
        ) from None
    if start > pendulum.now(KST):
        raise ValueError(
            f"start_date {start_date} is in the future, so there is nothing to load yet: give the first "
            "day of history to load (YYYY-MM-DD, KST)"
        )
    return int(start.timestamp())


def _session(
    mall_id: str,
    base_url: str,
    app: AppCredentials,
    store: TokenStore,
    refresh_token: str | None,
    api_version: str,
    pace: tuple[float, float],
    retry: RetryPolicy,
    start: int,
) -> MallSession:
    root = base_url.format(mall_id=mall_id).rstrip("/")
    check_base_url(root)
    http = make_http()
    tokens = TokenManager(mall_id, f"{root}/api/v2/oauth", app, store, http, refresh_token)
    client = ApiClient(
        mall_id,
        f"{root}/api/v2/admin",
        http,
        pacer_for(f"{root}/api/v2/admin", *pace),
        tokens,
        api_version,
        retry=retry,
    )
    front = ApiClient(
        mall_id,
        f"{root}/api/v2",
        http,
        pacer_for(f"{root}/api/v2", *pace),
        None,
        api_version,
        headers={"X-Cafe24-Client-Id": app.client_id},
        retry=retry,
    )
    session = MallSession(mall_id, client, front, start)
    collect_sessions.add(session)
    return session


def child_hints(ep: Endpoint) -> dict[str, Any]:
    """A child table is keyed by its parent's key and its own, and merged by its parent's key: a parent loaded
    again replaces all of its children, so a row removed from an order's items disappears."""
    return {
        c.table: dlt.mark.make_hints(
            table_name=c.table, write_disposition=MERGE, primary_key=list(key), merge_key=list(ep.primary_key)
        )
        for c, key in descendants(ep.all_children, ep.primary_key)
    }


@dataclass(frozen=True)
class Personal:
    """How this run loads personal data: the mode, and what it does to a table's columns."""

    mode: str
    protect: Callable[[str, dict[str, Any]], None]


def _resource(
    ep: Endpoint,
    session: MallSession,
    wanted_shops: Sequence[int] | None,
    run: Plan,
    personal: Personal,
    reload: dict[Any, list[Any]] | None = None,
    details: bool = False,
) -> DltResource:
    """`reload`: {shop: [keys]} to load again instead of walking (None: walk as usual). `details`: each row
    loaded also gets its detail call's lists (Endpoint.details), one call a row."""

    def rows() -> Iterator[Any]:  # Arrow tables, a child's marked with its hints
        if ep.api == "front":
            client = session.front
            shops, now = session.prepare_front(wanted_shops)
        else:
            client = session.client
            session.prepare(wanted_shops)
            shops, now = session.shops, session.now
        plan = replace(run, now=now, shop_rows=session.shop_rows, counted={})
        pii_guard(dlt.current.source_state(), personal.mode)
        state = dlt.current.resource_state()

        def shop_state(shop: int | None) -> dict[str, Any]:
            return state.setdefault(f"shop_{shop}", {}) if shop is not None else state

        each: list[int | None] = list(shops) if ep.per_shop else [None]
        if reload is not None:
            each = [shop for shop in shops if reload.get(shop)]
        before = copy.deepcopy(dict(state))
        seen: set[tuple[Any, ...]] = set()  # keys this load package already holds
        try:
            if plan.count_totals and reload is None and ep.slicing in AHEAD:  # all shops counted first: whole total
                client.stats.expect(
                    ep.table, sum(AHEAD[ep.slicing](client, ep, shop or 1, shop_state(shop), plan) for shop in each)
                )
            for shop in each:
                constants = {
                    "mall_id": session.mall_id,
                    **({"shop_no": shop} if shop is not None else {}),
                    **({DELETED: False} if ep.deletable else {}),
                }  # a row loaded is a row the API has
                walk = (
                    by_keys(client, ep, shop or 1, reload[shop])
                    if reload is not None
                    else WALKERS[ep.slicing](client, ep, shop or 1, shop_state(shop), plan)
                )
                fresh = (first_copies(page, constants, ep.primary_key, seen) for page in ahead(walk))
                # With a detail call per row, a page at a time: a batch would keep its rows from the progress
                # display for 2,000 calls (17 minutes at 2 calls/s), and dlt's cost per table is nothing beside them.
                for batch in batches(fresh, 1 if details else BATCH_ROWS):
                    if details:  # the rows this run loads, each once: one detail call a row
                        batch = with_details(client, ep, shop or 1, batch)
                    for table, data in frames(
                        batch, ep.table, constants, ep.primary_key, ep.all_children, personal.protect
                    ):
                        # a child's hints go to a variant of their own, so the resource's table stays the parent's
                        yield data if table == ep.table else dlt.mark.with_hints(data, hints[table], True)
        except Cafe24ScopeError:
            if seen:  # rows came in: a scope cannot go missing halfway; whatever this is, it is not a grant to fix
                raise
            state.clear()  # as it was: a walk's first steps (a backfill begun) must not look like work pending
            state.update(before)
            session.skip(ep)

    hints = child_hints(ep)
    return dlt.resource(
        rows,
        name=resource_name(ep.table, session.mall_id),
        table_name=ep.table,
        write_disposition=MERGE,
        primary_key=list(ep.primary_key),
        parallelized=True,
        selected=ep.api == "admin",  # front_products is opt-in: with_resources(...) or the CLI's --source front/all
    )
