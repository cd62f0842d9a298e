"""A misbehaving server on loopback cannot exhaust memory, hold a call forever or park the pacer for years
(issue #10): bodies are capped as they decode, calls have a total deadline, header waits are bounded."""

from __future__ import annotations

import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sources.cafe24.client import ApiClient, Pacer, RetryPolicy, make_http
from sources.cafe24.errors import Cafe24RequestError, Cafe24ServerError
from sources.cafe24.ratelimit import BucketPacer, MinutePacer
from sources.cafe24.settings import CALL_DEADLINE_SECONDS, DEFAULT_API_VERSION, MAX_BODY_BYTES

pytestmark = pytest.mark.timeout(60)  # a hang (a call never ending, a pacer sleeping on a header) fails the test

INFLATED = 8 * MAX_BODY_BYTES  # what the hostile bodies would cost if read in full
MB = 1 << 20


class Hostile(ThreadingHTTPServer):
    """Answers every GET with `respond`, counting the requests and the body bytes the socket accepted."""

    daemon_threads = True

    def __init__(self, respond: Callable[[_Handler], None]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.respond = respond
        self.requests = 0
        self.sent = 0
        self.finished = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


class _Handler(BaseHTTPRequestHandler):
    server: Hostile

    def do_GET(self) -> None:
        self.server.requests += 1
        try:
            self.server.respond(self)
        except OSError:
            pass  # the client hung up, as it should
        finally:
            self.server.finished.set()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def hostile(respond: Callable[[_Handler], None]) -> Iterator[Hostile]:
    server = Hostile(respond)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _head(handler: BaseHTTPRequestHandler, status: int, headers: Mapping[str, str]) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()


def _client(server: Hostile, pacer: Pacer, attempts: int = 8, deadline: float = CALL_DEADLINE_SECONDS) -> ApiClient:
    """Wired as `_session` wires a mall's client; retries wait 10 ms so a wrong retry shows as a request count."""
    return ApiClient(
        "hostile",
        server.url,
        make_http(),
        pacer,
        None,
        DEFAULT_API_VERSION,
        retry=RetryPolicy(attempts=attempts, initial_wait=0.01, max_wait=0.01),
        deadline=deadline,
    )


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """INFLATED bytes of zeros, gzipped a megabyte at a time (about 500 KB on the wire)."""
    pack = zlib.compressobj(6, zlib.DEFLATED, 31)
    block = bytes(MB)
    return b"".join([pack.compress(block) for _ in range(INFLATED // MB)] + [pack.flush()])


def _fails_within(call: Callable[[], object]) -> tuple[Cafe24RequestError, int]:
    """The request error `call` must end with, and the most memory Python held meanwhile."""
    tracemalloc.start()
    try:
        with pytest.raises(Cafe24RequestError) as caught:
            call()
        return caught.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_gzip_bomb_fails_once_without_inflating_in_full(gzip_bomb: bytes) -> None:
    """A 500 KB gzip answer that inflates to 512 MB stops at the cap: one request, memory a fraction of it."""

    def respond(handler: _Handler) -> None:
        _head(handler, 200, {"Content-Encoding": "gzip", "Content-Length": str(len(gzip_bomb))})
        handler.wfile.write(gzip_bomb)

    with hostile(respond) as server:
        pacer = BucketPacer()
        client = _client(server, pacer)
        error, peak = _fails_within(lambda: client.get("/products"))
        assert not error.retryable and "/products" in str(error) and f"{MAX_BODY_BYTES:,}-byte cap" in str(error)
        assert server.requests == 1
        assert peak < INFLATED // 2
        assert pacer.in_flight == 0 and client.stats.calls == 1


def test_a_huge_plain_body_fails_once_and_stops_reading() -> None:
    """A 512 MB answer (the 1.5 GB body of the issue, scaled) is cut at the cap and the connection dropped."""

    def respond(handler: _Handler) -> None:
        _head(handler, 200, {"Content-Type": "application/json", "Content-Length": str(INFLATED)})
        block = b" " * MB
        for _ in range(INFLATED // MB):
            handler.wfile.write(block)
            handler.server.sent += len(block)

    with hostile(respond) as server:
        pacer = BucketPacer()
        client = _client(server, pacer)
        error, peak = _fails_within(lambda: client.get("/orders"))
        assert "/orders" in str(error) and f"{MAX_BODY_BYTES:,}-byte cap" in str(error)
        assert server.requests == 1
        assert server.finished.wait(30)
        assert server.sent < MAX_BODY_BYTES + 32 * MB  # the cap, plus what the kernel's buffers held
        assert peak < INFLATED // 2
        assert pacer.in_flight == 0 and client.stats.calls == 1


def test_a_drip_fed_body_fails_at_the_deadline_and_is_retried_a_bounded_number_of_times() -> None:
    """A server sending one byte a second never trips a per-read timeout; the call's deadline ends each attempt."""

    def respond(handler: _Handler) -> None:
        _head(handler, 200, {"Content-Type": "application/json", "Content-Length": "100"})
        for _ in range(100):
            handler.wfile.write(b" ")
            time.sleep(1)

    with hostile(respond) as server:
        pacer = BucketPacer()
        client = _client(server, pacer, attempts=2, deadline=2)
        with pytest.raises(Cafe24ServerError, match="passed its 2 s deadline") as caught:
            client.get("/customers")
        assert caught.value.retryable
        assert server.requests == 2
        assert pacer.in_flight == 0 and client.stats.calls == 2 and client.stats.retries == 1


@pytest.mark.parametrize(
    ("pacer", "header", "value"),
    [
        (BucketPacer, "X-Cafe24-Call-Remain", "1e9"),
        (BucketPacer, "X-Cafe24-Call-Remain", "inf"),
        (BucketPacer, "X-Cafe24-Call-Remain", "nan"),
        (BucketPacer, "X-Cafe24-Call-Remain", "-5"),
        (BucketPacer, "X-Cafe24-Time-Remain", "1e9"),
        (BucketPacer, "X-Api-Call-Limit", "1e9/40"),
        (MinutePacer, "X-RateLimit-Reset", "999999999"),
    ],
)
def test_a_header_asking_for_an_absurd_wait_fails_the_call_instead_of_sleeping(
    pacer: Callable[[], BucketPacer | MinutePacer], header: str, value: str
) -> None:
    """A 429 whose wait header says 31 years, inf, nan or -5 s ends the call with that header named, not a hang."""

    def respond(handler: _Handler) -> None:
        _head(handler, 429, {"Content-Type": "application/json", "X-RateLimit-Remaining": "0", header: value})
        handler.wfile.write(b'{"error": {"code": 429, "message": "Too Many Requests"}}')

    with hostile(respond) as server:
        pace = pacer()
        with pytest.raises(Cafe24RequestError, match="header") as caught:
            _client(server, pace).get("/shops")
        assert f"{header} header ({value!r})" in str(caught.value) and not caught.value.retryable
        assert server.requests == 1
        assert pace.blocked_until <= time.monotonic()  # no wait was scheduled
        assert getattr(pace, "in_flight", 0) == 0  # BucketPacer's count of calls in flight is balanced
        pace.acquire()  # and the next call is not held back
        pace.observe({})


@pytest.mark.parametrize(
    ("pacer", "headers"),
    [
        (BucketPacer, {"X-Cafe24-Call-Usage": "100.00", "X-Cafe24-Call-Remain": "1"}),
        (MinutePacer, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"}),
    ],
)
def test_a_sane_wait_header_still_pauses_the_pacer_for_that_long(
    pacer: Callable[[], BucketPacer | MinutePacer], headers: dict[str, str]
) -> None:
    """The usage quota's `Remain: 1` (and D.Collection's reset) still blocks the next call for one second."""

    def respond(handler: _Handler) -> None:
        _head(handler, 200, {"Content-Type": "application/json", **headers})
        handler.wfile.write(b'{"shops": []}')

    with hostile(respond) as server:
        pace = pacer()
        before = time.monotonic()
        assert _client(server, pace).get("/shops") == {"shops": []}
        after = time.monotonic()
        assert before + 1 <= pace.blocked_until <= after + 1
