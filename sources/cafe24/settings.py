"""Numbers from the Cafe24 reference (docs/cafe24-reference.md), named as the reference names them."""

from __future__ import annotations

import pendulum

DEFAULT_BASE_URL = "https://{mall_id}.cafe24api.com"
DEFAULT_DCOLLECTION_URL = "https://dcollection-api.cafe24.com"
DEFAULT_API_VERSION = "2025-12-01"
# Korea Standard Time, +09:00 all year (no daylight saving since 1988): the one tzinfo every module uses.
KST = pendulum.timezone("Asia/Seoul")
DEFAULT_TOKEN_STORE = ".cafe24_tokens"  # not the reference's: where the grants live, relative to the project

# Rate limits ("API Limit"): a leaky bucket of 40 per mall draining 2 calls/s; over 10 calls/s may be abnormal.
BUCKET_SIZE = 40
BUCKET_DRAIN_PER_SECOND = 2.0
MAX_CALLS_PER_SECOND = 10
# Not the reference's: calls leave the pacer evenly but can reach the server bunched (threads, GIL, network), so the
# client keeps well below the 10 the reference warns about.
PACED_CALLS_PER_SECOND = MAX_CALLS_PER_SECOND - 4
MAX_HEADER_WAIT_SECONDS = 600  # the usage quota's window: a header asking to wait longer is broken, not obeyed

# Bounds on one call (not the reference's): what a broken or hostile server can cost before the call fails.
MAX_BODY_BYTES = 64 * 1024 * 1024  # decoded; the largest real page (1,000 orders with items) is about 10 MB
CALL_DEADLINE_SECONDS = 120.0  # a whole call, headers to last byte; httpx's own timeouts are per read

# OAuth lifetimes.
ACCESS_TOKEN_SECONDS = 2 * 3600
REFRESH_TOKEN_SECONDS = 14 * 86400
REFRESH_AHEAD_SECONDS = 300  # refresh this long before the access token expires

# Pages and offset caps per endpoint.
PRODUCTS_LIMIT, PRODUCTS_OFFSET_MAX = 100, 5000
ORDERS_LIMIT, ORDERS_OFFSET_MAX = 1000, 15000
CUSTOMERS_LIMIT, CUSTOMERS_OFFSET_MAX = 1000, 8000
CATEGORIES_LIMIT, CATEGORIES_OFFSET_MAX = 100, 8000
# At least this many rows of a walk's pages go to dlt as one set of Arrow tables (tables.batches): two full pages
# of orders, so a batch holds little more than the page before it did.
BATCH_ROWS = 2000
EMBED_VARIANTS_MAX = 100  # variants per product in embed=variants
ORDER_WINDOW_MONTHS = 3  # an orders call may not span 3 months or more

# Every order date type: sweeping them all catches every status change, as orders have no updated date.
ORDER_DATE_TYPES = (
    "order_date",
    "pay_date",
    "place_date",
    "shipbegin_date",
    "shipend_date",
    "purchaseconfirmation_date",
    "cancel_request_date",
    "cancel_accept_date",
    "cancel_complete_date",
    "cancel_date",
    "return_request_date",
    "return_accept_date",
    "return_complete_date",
    "exchange_request_date",
    "exchange_accept_date",
    "exchange_complete_date",
)
# Where a first backfill of orders starts, unless start_date says otherwise (KST).
DEFAULT_START_DATE = "2024-01-01"
