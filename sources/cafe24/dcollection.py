"""dlt source for D.Collection, the partner feed of shops and products across Cafe24 stores.

Completeness without a category list: every product is reached through `/api/storeproducts` by the store ids
of the shops list, in updated-date windows; a window that fills the 5,000 offset cap is split (store batch
first, then dates) rather than cut short. All calls of a run share one 40-calls-per-minute pacer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import dlt
from dlt.sources import DltResource

from .auth import AppCredentials, Cafe24Credentials
from .client import ApiClient, RetryPolicy, check_base_url, make_http
from .collect import Collector
from .columns import KST, coerce
from .errors import Cafe24Error, register_secret
from .ratelimit import MinutePacer
from .settings import DEFAULT_DCOLLECTION_URL

LIMIT, OFFSET_MAX = 100, 5000
STORE_BATCH = 50  # store ids per storeproducts call (comma lists take up to 100)
SHOP_FILTERS = ("dcollection_store_category", "shop_language", "shop_currency_code")
EARLIEST = date(2000, 1, 1)  # before any Cafe24 store was created


class Feed:
    """What the resources of one run share: the client, the shops list and the server's date."""

    def __init__(
        self, client: ApiClient, shop_filters: dict[str, str], start: date, product_categories: list[str] | None = None
    ) -> None:
        self.client = client
        self.shop_filters = shop_filters
        self.start = start
        self.product_categories = list(product_categories or ())
        self.shops: list[dict[str, Any]] = []
        self.today = start
        self._lock = threading.Lock()
        self._ready = False

    def prepare(self) -> None:
        with self._lock:
            if self._ready:
                return
            self.today = _today(self.client)
            for page in walk(self.client, "/api/shops", "shops", dict(self.shop_filters), self.today, EARLIEST):
                self.shops.extend(page)
            self.today = _today(self.client)
            self._ready = True

    @property
    def store_ids(self) -> list[str]:
        return sorted({str(shop["store_id"]) for shop in self.shops})


# Every feed the source builds inside the block, so a run can check its products against /api/products/count.
collect_feeds: Collector[Feed] = Collector("cafe24_feeds")


def _today(client: ApiClient) -> date:
    moment = datetime.fromtimestamp(client.server_time, KST) if client.server_time else datetime.now(KST)
    return moment.date()


def walk(
    client: ApiClient, path: str, data_key: str, params: dict[str, str], today: date, first_created: date
) -> Iterator[list[dict[str, Any]]]:
    """Every row of a query, oldest created first. When the offset cap is reached, the walk goes on from the
    last row's creation day (a created-date keyset at day granularity), so no window is cut short and only the
    rows of that one day are fetched twice; merge on the key keeps them once."""
    created_from = first_created
    while True:
        query = {
            **params,
            "sort": "created_date",
            "order": "asc",
            "created_start_date": created_from.isoformat(),
            "created_end_date": today.isoformat(),
        }
        at, last = 0, None
        while True:
            rows = client.get(path, {**query, "limit": LIMIT, "offset": at})[data_key]
            yield rows
            if rows:
                last = datetime.fromisoformat(rows[-1]["created_date"]).astimezone(KST).date()
            if len(rows) < LIMIT:
                return
            at += LIMIT
            if at > OFFSET_MAX:
                break
        if last is None or last <= created_from:
            raise Cafe24Error(
                client.mall_id,
                f"more than {OFFSET_MAX + LIMIT} rows were created on {created_from}"
                f" ({path}); the offset cap cannot page past them.",
                endpoint=path,
            )
        created_from = last


@dlt.source(name="dcollection", section="cafe24", max_table_nesting=1)  # shares sources.cafe24.credentials
def dcollection_source(
    credentials: Cafe24Credentials = dlt.secrets.value,
    dcollection_url: str = DEFAULT_DCOLLECTION_URL,  # not base_url: that is the Admin API's, in the same section
    start_date: str = "2010-01-01",
    store_categories: list[str] | None = None,
    shop_languages: list[str] | None = None,
    shop_currencies: list[str] | None = None,
    product_categories: list[str] | None = None,
    calls_per_minute: int = 40,
    lookback_days: int = 1,
    max_attempts: int = 8,
) -> Iterator[DltResource]:
    """Shops, products and standard tags of the D.Collection feed, merged on their keys."""
    check_base_url(dcollection_url)
    app = AppCredentials(credentials.client_id, credentials.client_secret or "")  # Basic base64(id:secret)
    register_secret(app.client_secret)
    client = ApiClient(
        f"dcollection:{app.client_id}",
        dcollection_url,
        make_http(),
        MinutePacer(calls_per_minute),
        headers={"Authorization": app.basic_header()},
        retry=RetryPolicy(attempts=max_attempts),
    )
    filters = {
        name: ",".join(values)
        for name, values in zip(SHOP_FILTERS, (store_categories, shop_languages, shop_currencies), strict=False)
        if values
    }
    feed = Feed(client, filters, date.fromisoformat(start_date), product_categories)
    collect_feeds.add(feed)

    @dlt.resource(name="dcollection_shops", write_disposition="merge", primary_key=["store_id", "shop_no"])
    def shops() -> Iterator[list[dict[str, Any]]]:
        feed.prepare()
        yield [coerce(shop) for shop in feed.shops]

    @dlt.resource(name="dcollection_products", write_disposition="merge", primary_key="product_ukey")
    def products() -> Iterator[list[dict[str, Any]]]:
        """By updated date since the last run, a day of overlap (bounds are whole days)."""
        feed.prepare()
        state = dlt.current.resource_state()
        cursor = state.get("updated_day")
        lo = date.fromisoformat(cursor) - timedelta(days=lookback_days) if cursor else feed.start
        stores = feed.store_ids
        window = {"updated_start_date": lo.isoformat(), "updated_end_date": feed.today.isoformat()}
        if feed.product_categories:  # only these D.Collection categories, across every store
            queries = [
                ("/api/products", "products", {**window, "dcollection_product_category": code})
                for code in feed.product_categories
            ]
        else:
            batches = [",".join(stores[i : i + STORE_BATCH]) for i in range(0, len(stores), STORE_BATCH)]
            queries = [("/api/storeproducts", "store_products", {**window, "store_id": batch}) for batch in batches]
        for path, key, params in queries:
            for page in walk(client, path, key, params, feed.today, EARLIEST):
                yield [coerce(row) for row in page]
        state["updated_day"] = feed.today.isoformat()

    @dlt.resource(name="dcollection_standard_tags", write_disposition="replace")
    def standard_tags() -> Iterator[list[dict[str, Any]]]:
        at = 0
        while True:
            rows = client.get("/api/products/standardtags", {"limit": LIMIT, "offset": at})["standardtags"]
            yield rows
            if len(rows) < LIMIT:
                return
            at += LIMIT

    yield from (shops, products, standard_tags)
