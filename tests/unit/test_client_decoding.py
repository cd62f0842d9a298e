"""The client's side of one call, against canned answers: decoding, the typed error each failure becomes (and
whether it is retried), the body and deadline bounds, the Date header, the 401 refresh, and no secret in any
error text."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from sources.cafe24 import client as client_module
from sources.cafe24.auth import AppCredentials, Grant, TokenManager, TokenStore
from sources.cafe24.client import ApiClient, RetryPolicy
from sources.cafe24.errors import (
    Cafe24AuthError,
    Cafe24Error,
    Cafe24MalformedResponse,
    Cafe24RateLimited,
    Cafe24RequestError,
    Cafe24ScopeError,
    Cafe24ServerError,
    register_secret,
)
from tests.unit.fakes import API_URL, NO_RETRY, NoWait

# Retries without tenacity's sleeps, to count them.
INSTANT_RETRY = RetryPolicy(attempts=3, initial_wait=0, max_wait=0)
Handler = Callable[[httpx.Request], httpx.Response]


def make_client(handler: Handler, retry: RetryPolicy = NO_RETRY, **kwargs: object) -> ApiClient:
    return ApiClient(
        "unit", API_URL, httpx.Client(transport=httpx.MockTransport(handler)), NoWait(), retry=retry, **kwargs
    )


def answering(*responses: httpx.Response) -> tuple[list[httpx.Request], Handler]:
    """A handler giving these answers in turn (the last one again once they run out), keeping each request."""
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return responses[min(len(requests), len(responses)) - 1]

    return requests, handler


def test_a_json_object_is_returned_and_counted() -> None:
    requests, handler = answering(httpx.Response(200, json={"products": [{"product_no": 1}]}))
    client = make_client(handler, api_version="2025-12-01")
    assert client.get("/products", {"shop_no": 1}) == {"products": [{"product_no": 1}]}
    assert str(requests[0].url) == f"{API_URL}/products?shop_no=1"
    assert requests[0].headers["X-Cafe24-Api-Version"] == "2025-12-01"
    assert (client.stats.calls, client.stats.statuses[200]) == (1, 1)
    assert (client.pacer.acquired, client.pacer.observed) == (1, 1)


def test_integers_past_64_bits_still_decode() -> None:
    """orjson would read them as floats and lose digits; client._json hands such a body to the standard parser."""
    _, handler = answering(httpx.Response(200, content=b'{"count": 123456789012345678901234567890}'))
    assert make_client(handler).get("/products/count") == {"count": 123456789012345678901234567890}


@pytest.mark.parametrize("body", [b'{"products": [{"product_no": 1}', b"", b"<html><body>Bad Gateway</body></html>"])
def test_a_200_that_is_not_json_is_a_retryable_malformed_answer(body: bytes) -> None:
    _, handler = answering(httpx.Response(200, content=body))
    with pytest.raises(Cafe24MalformedResponse, match="not JSON") as caught:
        make_client(handler).get("/products")
    assert caught.value.retryable and caught.value.status == 200


def test_a_200_that_is_not_an_object_is_malformed() -> None:
    _, handler = answering(httpx.Response(200, json=[1, 2]))
    with pytest.raises(Cafe24MalformedResponse, match="not a JSON object"):
        make_client(handler).get("/products")


def test_a_cut_off_body_is_retried_and_the_next_answer_used() -> None:
    requests, handler = answering(
        httpx.Response(200, content=b'{"products": ['), httpx.Response(200, json={"products": []})
    )
    client = make_client(handler, INSTANT_RETRY)
    assert client.get("/products") == {"products": []}
    assert len(requests) == 2 and client.stats.retries == 1


def test_retries_end_after_the_policy_s_attempts() -> None:
    requests, handler = answering(httpx.Response(503, json={"error": {"code": 503, "message": "busy"}}))
    with pytest.raises(Cafe24ServerError, match="503 busy"):
        make_client(handler, INSTANT_RETRY).get("/products")
    assert len(requests) == 3


@pytest.mark.parametrize(
    ("status", "error", "retryable"),
    [
        (400, Cafe24RequestError, False),
        (404, Cafe24RequestError, False),
        (422, Cafe24RequestError, False),
        (403, Cafe24ScopeError, False),
        (429, Cafe24RateLimited, True),
        (500, Cafe24ServerError, True),
    ],
)
def test_an_error_body_becomes_a_typed_error_with_cafe24_s_code_and_message(
    status: int, error: type[Cafe24Error], retryable: bool
) -> None:
    _, handler = answering(httpx.Response(status, json={"error": {"code": "E42", "message": "limit is too large"}}))
    with pytest.raises(error, match="limit is too large") as caught:
        make_client(handler).get("/products")
    assert type(caught.value) is error
    assert (caught.value.status, caught.value.code, caught.value.endpoint) == (status, "E42", "/products")
    assert caught.value.retryable is retryable
    assert f"[unit /products] {status}" in str(caught.value)


def test_an_error_that_is_not_retryable_is_asked_once() -> None:
    requests, handler = answering(httpx.Response(422, json={"error": {"code": 422, "message": "bad"}}))
    with pytest.raises(Cafe24RequestError):
        make_client(handler, INSTANT_RETRY).get("/products")
    assert len(requests) == 1


def test_a_429_tells_the_pacer_to_back_off() -> None:
    _, handler = answering(httpx.Response(429, json={"error": {"code": 429, "message": "Too Many Requests"}}))
    client = make_client(handler)
    with pytest.raises(Cafe24RateLimited):
        client.get("/products")
    assert client.pacer.backed_off == 1 and client.stats.throttled == 1


def test_an_html_error_page_is_quoted_short() -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body>" + b"x" * 5000 + b"</body></html>"
    _, handler = answering(httpx.Response(502, content=page))
    with pytest.raises(Cafe24ServerError, match="non-JSON error body") as caught:
        make_client(handler).get("/products")
    assert "502 Bad Gateway" in str(caught.value) and len(str(caught.value)) < 300


def test_a_body_past_the_cap_fails_without_a_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "MAX_BODY_BYTES", 1024)
    requests, handler = answering(httpx.Response(200, json={"products": ["x" * 2000]}))
    with pytest.raises(Cafe24RequestError, match="1,024-byte cap") as caught:
        make_client(handler, INSTANT_RETRY).get("/products")
    assert not caught.value.retryable and len(requests) == 1


def test_a_call_past_its_deadline_is_a_retryable_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter([0.0, 500.0])  # the call starts, then its first chunk arrives past the 120 s deadline
    monkeypatch.setattr(client_module, "time", SimpleNamespace(monotonic=lambda: next(ticks)))
    _, handler = answering(httpx.Response(200, json={"products": []}))
    with pytest.raises(Cafe24ServerError, match="120 s deadline") as caught:
        make_client(handler).get("/products")
    assert caught.value.retryable


def test_the_date_header_is_the_server_s_clock() -> None:
    _, handler = answering(
        httpx.Response(200, json={}, headers={"Date": "Wed, 01 Jan 2025 00:00:00 GMT"}),
        httpx.Response(200, json={}, headers={"Date": "not a date"}),
    )
    client = make_client(handler)
    assert client.server_time is None
    client.get("/shops")
    assert client.server_time == 1735689600
    client.get("/shops")
    assert client.server_time == 1735689600  # an unreadable Date keeps the last one


def test_no_secret_appears_in_an_error() -> None:
    register_secret("unit-secret-7f3a9c")
    message = "token unit-secret-7f3a9c refused; refresh_token=abcdef123 Authorization: Bearer abc.def-123"
    _, handler = answering(httpx.Response(400, json={"error": {"code": 400, "message": message}}))
    with pytest.raises(Cafe24RequestError) as caught:
        make_client(handler).get("/products")
    text = str(caught.value)
    assert "unit-secret-7f3a9c" not in text and "abcdef123" not in text and "abc.def-123" not in text
    assert "token *** refused" in text


def test_control_characters_from_the_server_are_escaped() -> None:
    _, handler = answering(httpx.Response(400, json={"error": {"code": 400, "message": "bad\x1b[2Jparam"}}))
    with pytest.raises(Cafe24RequestError) as caught:
        make_client(handler).get("/products")
    assert "\x1b" not in str(caught.value) and "bad\\x1b[2Jparam" in str(caught.value)


# --- a 401 refreshes the grant and resends ---

OLD_ACCESS, OLD_REFRESH = "unit-old-access-1a2b", "unit-old-refresh-3c4d"
NEW_ACCESS, NEW_REFRESH = "unit-new-access-5e6f", "unit-new-refresh-7a8b"


def token_manager(tmp_path: Path) -> tuple[TokenManager, TokenStore, list[dict[str, str]]]:
    """A stored grant the API will reject, and a token endpoint that rotates it."""
    store = TokenStore(tmp_path / "tokens")
    now = time.time()
    store.write(Grant("unit", OLD_ACCESS, now + 7200, OLD_REFRESH, now + 14 * 86400))
    forms: list[dict[str, str]] = []

    def oauth(request: httpx.Request) -> httpx.Response:
        forms.append(dict(httpx.QueryParams(request.content.decode())))
        return httpx.Response(
            200,
            json={
                "mall_id": "unit",
                "access_token": NEW_ACCESS,
                "refresh_token": NEW_REFRESH,
                "issued_at": "2026-01-01T00:00:00.000",
                "expires_at": "2026-01-01T02:00:00.000",
                "refresh_token_expires_at": "2026-01-15T00:00:00.000",
            },
        )

    manager = TokenManager(
        "unit",
        "https://unit.cafe24api.com/api/v2/oauth",
        AppCredentials("id", "unit-app-secret"),
        store,
        httpx.Client(transport=httpx.MockTransport(oauth)),
    )
    return manager, store, forms


def test_a_401_refreshes_the_grant_and_resends(tmp_path: Path) -> None:
    manager, store, forms = token_manager(tmp_path)
    sent: list[str] = []

    def api(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["Authorization"])
        if request.headers["Authorization"] != f"Bearer {NEW_ACCESS}":
            return httpx.Response(401, json={"error": {"code": 401, "message": "invalid_token"}})
        return httpx.Response(200, json={"shops": []})

    assert make_client(api, tokens=manager).get("/shops") == {"shops": []}
    assert sent == [f"Bearer {OLD_ACCESS}", f"Bearer {NEW_ACCESS}"]
    assert forms == [{"grant_type": "refresh_token", "refresh_token": OLD_REFRESH}]
    assert store.read("unit").refresh_token == NEW_REFRESH  # the rotated grant is kept before it is used


def test_a_401_after_every_refresh_is_an_auth_error_without_the_token(tmp_path: Path) -> None:
    manager, _, forms = token_manager(tmp_path)

    def api(request: httpx.Request) -> httpx.Response:
        said = f"rejected {request.headers['Authorization']}"
        return httpx.Response(401, json={"error": {"code": 401, "message": said}})

    with pytest.raises(Cafe24AuthError, match="run `python -m pipelines.cafe24_pipeline auth --mall unit`") as caught:
        make_client(api, tokens=manager).get("/shops")
    assert caught.value.status == 401 and not caught.value.retryable
    assert len(forms) == 3  # three rounds, then the user is asked to authorize again
    assert NEW_ACCESS not in str(caught.value) and OLD_ACCESS not in str(caught.value)
