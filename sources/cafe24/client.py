"""One HTTP client per mall: paced sends, JSON decoding, typed errors, bounded retries.

429, 5xx, timeouts, dropped connections and malformed bodies are retried with exponential backoff and jitter,
bounded in attempts and in time; a 401 refreshes the token and resends (at most three rounds); other 4xx fail at
once with Cafe24's message.

Each call is bounded: its body is read as it arrives and stops past MAX_BODY_BYTES decoded (a gzip bomb is caught
as it expands), failing without a retry; a call that passes CALL_DEADLINE_SECONDS fails as a retryable timeout.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import ssl
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import urlparse

import httpx
import orjson
from tenacity import Retrying, retry_if_exception, stop_after_attempt, stop_after_delay, wait_exponential_jitter

from .auth import AUTH_COMMAND, TokenManager
from .collect import Collector
from .errors import (
    Cafe24AuthError,
    Cafe24Error,
    Cafe24MalformedResponse,
    Cafe24RateLimited,
    Cafe24RequestError,
    Cafe24ScopeError,
    Cafe24ServerError,
    redact,
    transport_error,
)
from .settings import CALL_DEADLINE_SECONDS, MAX_BODY_BYTES

log = logging.getLogger("cafe24")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8
    max_seconds: float = 600.0
    initial_wait: float = 0.5
    max_wait: float = 30.0


@dataclass
class CallStats:
    """What one mall's client did, for the run summary."""

    calls: int = 0
    throttled: int = 0
    retries: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    expected: Counter[str] = field(default_factory=Counter)  # rows per table that count endpoints announced
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, status: int | None) -> None:
        with self.lock:
            self.calls += 1
            if status is not None:
                self.statuses[status] += 1
                if status == 429:
                    self.throttled += 1

    def expect(self, table: str, rows: int) -> None:
        """A backfill's walk announces what the API counted ahead of it, so a progress display can give a
        percentage and a time left."""
        with self.lock:
            self.expected[table] += rows


# Every client the sources build inside `with collect_clients() as clients:`, so a run can report calls, 429s and
# retries per mall.
collect_clients: Collector[ApiClient] = Collector("cafe24_clients")


def check_base_url(url: str) -> None:
    """Plain http:// only to loopback (the sandbox); anything else must be https://."""
    parsed = urlparse(url)
    if parsed.scheme == "https":
        return
    host = parsed.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parsed.scheme != "http" or not loopback:
        raise ValueError(
            f"Refusing base URL {url!r}: Cafe24 is served over https://; plain http:// is allowed only "
            "for a loopback sandbox (127.0.0.1, ::1, localhost)."
        )


def make_http(timeout: float = 60.0) -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=10.0),
        limits=httpx.Limits(max_keepalive_connections=8, max_connections=16),
        verify=tls(),
    )


@functools.cache
def tls() -> ssl.SSLContext:
    """The certificates httpx would load for each client (certifi's, or SSL_CERT_FILE / SSL_CERT_DIR), loaded
    once per process: 35 ms of CPU per client, and a run makes a client per mall and per backfill chunk."""
    return httpx.create_ssl_context()


# A run of 20 digits or more: orjson reads a number past 64 bits as a float and loses digits
# (123456789012345678901234567890 becomes 1.23e+29), so such a body goes to the standard parser, which keeps it
# whole. Digits are mapped to "0" and the rest to " ", then searched as bytes: 4.5 ms on a 3 MB page of 1,000
# orders, where a regular expression took 31 ms beside orjson's 42. A run inside a string only costs the slower parser.
_DIGITS_ONLY = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_LONG_RUN = b"0" * 20


def _json(content: bytes) -> Any:
    """orjson is several times faster on 1,000-order pages; the standard parser takes what it would misread."""
    if _LONG_RUN in content.translate(_DIGITS_ONLY):
        return json.loads(content)
    return orjson.loads(content)


class Pacer(Protocol):
    def acquire(self) -> None: ...

    def observe(self, headers: Mapping[str, str]) -> None:
        """Called once per `acquire`, when that call has ended. Raises ValueError, the call counted out, when a
        header asks for a wait the pacer will not honour."""

    def back_off(self) -> None: ...


@dataclass(frozen=True)
class Answer:
    """One response, its body read in full (and within the bounds)."""

    status: int
    headers: httpx.Headers
    content: bytes


class ApiClient:
    """GET calls to one Cafe24 API: a mall's Admin API (OAuth `tokens`), its Front API or D.Collection (fixed
    `headers`: the client id, or Basic auth). `name` is the mall id, or the D.Collection client, in messages.
    `deadline` bounds each call, in seconds."""

    def __init__(
        self,
        name: str,
        api_url: str,
        http: httpx.Client,
        pacer: Pacer,
        tokens: TokenManager | None = None,
        api_version: str | None = None,
        headers: Mapping[str, str] | None = None,
        retry: RetryPolicy = RetryPolicy(),
        deadline: float = CALL_DEADLINE_SECONDS,
    ) -> None:
        self.mall_id = name
        self.api_url = api_url.rstrip("/")
        self.http = http
        self.pacer = pacer
        self.tokens = tokens
        self.api_version = api_version
        self.fixed_headers = dict(headers or {})
        self.retry = retry
        self.deadline = deadline
        self.stats = CallStats()
        collect_clients.add(self)
        self.server_time: int | None = None  # epoch seconds from the last response's Date header

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, Cafe24Error) and e.retryable),
            wait=wait_exponential_jitter(
                multiplier=self.retry.initial_wait, max=self.retry.max_wait, jitter=self.retry.initial_wait
            ),
            stop=stop_after_attempt(self.retry.attempts) | stop_after_delay(self.retry.max_seconds),
            before_sleep=self._before_retry,
            reraise=True,
        )
        return retrying(self._get_once, path, params or {})

    def _before_retry(self, state: Any) -> None:
        self.stats.retries += 1
        exc = state.outcome.exception()
        log.warning("%s: retrying after %s (attempt %d)", self.mall_id, exc, state.attempt_number)

    def _headers(self, token: str | None) -> dict[str, str]:
        headers = {"Content-Type": "application/json", **self.fixed_headers}
        if self.api_version:
            headers["X-Cafe24-Api-Version"] = self.api_version
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def _get_once(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        token = self.tokens.access_token() if self.tokens else None
        answer = self._send(path, params, token)
        # A 401 means the token was rotated by another thread or run, or expired early: refresh and resend. Up to
        # three times, since a call in flight can see the grant rotated again before its resend arrives.
        for _ in range(3):
            if answer.status != 401 or self.tokens is None:
                break
            token = self.tokens.refresh(rejected=token).access_token
            answer = self._send(path, params, token)
        return self._decode(path, answer)

    def _send(self, path: str, params: dict[str, Any], token: str | None) -> Answer:
        self.pacer.acquire()
        try:
            answer = self._fetch(path, params, token)
        except httpx.TransportError as exc:
            self.pacer.observe({})
            self.stats.count(None)
            raise transport_error(self.mall_id, self.api_url, exc, path) from None
        except BaseException:
            self.pacer.observe({})
            self.stats.count(None)
            raise
        self.stats.count(answer.status)
        try:
            self.pacer.observe(answer.headers)
        except ValueError as exc:
            raise Cafe24RequestError(self.mall_id, str(exc), status=answer.status, endpoint=path) from None
        self.server_time = _date_header(answer.headers.get("date")) or self.server_time
        return answer

    def _fetch(self, path: str, params: dict[str, Any], token: str | None) -> Answer:
        """One GET, its decoded body counted as it arrives, so neither its size nor a drip feed is unbounded."""
        deadline = time.monotonic() + self.deadline
        with self.http.stream(
            "GET",
            f"{self.api_url}{path}",
            params=params,
            headers=self._headers(token),
            timeout=_within(self.http.timeout, self.deadline),
        ) as response:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise Cafe24RequestError(
                        self.mall_id,
                        f"the answer passed the {MAX_BODY_BYTES:,}-byte cap "
                        "(decoded); no real page is this large, so it is not retried",
                        status=response.status_code,
                        endpoint=path,
                    )
                if time.monotonic() > deadline:
                    raise Cafe24ServerError(
                        self.mall_id,
                        f"the call passed its {self.deadline:g} s deadline",
                        status=response.status_code,
                        endpoint=path,
                    )
                chunks.append(chunk)
            return Answer(response.status_code, response.headers, b"".join(chunks))

    def _decode(self, path: str, answer: Answer) -> dict[str, Any]:
        status = answer.status
        if status == 200:
            try:
                body = _json(answer.content)
            except ValueError:
                raise Cafe24MalformedResponse(
                    self.mall_id, f"the 200 answer is not JSON ({len(answer.content)} bytes)", status=200, endpoint=path
                ) from None
            if not isinstance(body, dict):
                raise Cafe24MalformedResponse(
                    self.mall_id, "the 200 answer is not a JSON object", status=200, endpoint=path
                )
            return body
        code, message = _error(answer)
        if status == 429:
            self.pacer.back_off()
            raise Cafe24RateLimited(self.mall_id, f"429 {message}", status=status, code=code, endpoint=path)
        if status >= 500:
            raise Cafe24ServerError(self.mall_id, f"{status} {message}", status=status, code=code, endpoint=path)
        if status == 401:
            raise Cafe24AuthError(
                self.mall_id,
                f"401 {message}. The grant was refused even after a refresh; run "
                f"`{AUTH_COMMAND.format(mall_id=self.mall_id)}`.",
                status=status,
                code=code,
                endpoint=path,
            )
        if status == 403:
            raise Cafe24ScopeError(
                self.mall_id,
                f"403 {message}. Add the missing scope to the app and authorize again.",
                status=status,
                code=code,
                endpoint=path,
            )
        raise Cafe24RequestError(self.mall_id, f"{status} {message}", status=status, code=code, endpoint=path)


def _date_header(value: str | None) -> int | None:
    try:
        return int(parsedate_to_datetime(value).timestamp()) if value else None
    except (TypeError, ValueError):
        return None


def _within(timeout: httpx.Timeout, seconds: float) -> httpx.Timeout:
    """The client's timeouts, none longer than the call's deadline: httpx times each read, not the whole call."""

    def cap(value: float | None) -> float:
        return seconds if value is None else min(value, seconds)

    return httpx.Timeout(
        connect=cap(timeout.connect), read=cap(timeout.read), write=cap(timeout.write), pool=cap(timeout.pool)
    )


def _error(answer: Answer) -> tuple[object, str]:
    try:
        error = _json(answer.content).get("error")
    except (ValueError, AttributeError):
        text = answer.content[:120].decode("utf-8", "replace")
        return None, redact(f"non-JSON error body: {text!r}")
    if isinstance(error, dict):
        return error.get("code"), redact(str(error.get("message", "")))
    return error, redact(str(error))
