"""The sandbox's OAuth 2.0 server against docs/cafe24-reference.md#oauth, over real HTTP.

Authorize (302 with code and state), the token call (Basic client credentials, form body, the documented fields
and lifetimes), single-use one-minute codes, rotating two-week refresh tokens, revoke, and how the Admin API
answers missing, foreign, expired or under-scoped tokens (docs/cafe24-reference.md#errors: 401/403).
Tests that move the clock use a private sandbox: the clock belongs to one sandbox.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sandbox.config import SandboxConfig, Volumes
from sandbox.server import SandboxServer
from tests.conftest import UNLIMITED, grant

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "cafe24_examples"
CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"
REDIRECT_URI = "http://127.0.0.1:9/cb"
SCOPE = "mall.read_product,mall.read_order"
OAUTH_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000$")
TWO_HOURS = 2 * 3600
TWO_WEEKS = 14 * 24 * 3600
SMALL = Volumes(products=50, orders=200, customers=50)
HTTP = httpx.Client(timeout=30, follow_redirects=False)  # one client: building one per call costs ~40 ms


# ---- helpers -------------------------------------------------------------------------------------------------


@pytest.fixture
def mall() -> str:
    """A mall nobody else uses, so grants and expire-token calls of one test cannot touch another."""
    return f"oauth{uuid.uuid4().hex[:10]}"


@pytest.fixture
def private(start_sandbox) -> SandboxServer:
    """A sandbox of this test's own, for moving its clock."""
    return start_sandbox(SandboxConfig(limits=UNLIMITED, volumes=SMALL))


def basic(client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def authorize(
    server: SandboxServer,
    mall_id: str,
    *,
    client_id: str = CLIENT_ID,
    scope: str = SCOPE,
    redirect_uri: str = REDIRECT_URI,
    state: str = "xyz",
) -> httpx.Response:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "state": state,
        "redirect_uri": redirect_uri,
        "scope": scope,
    }
    return HTTP.get(f"{server.mall_url(mall_id)}/api/v2/oauth/authorize", params=params, follow_redirects=False)


def new_code(server: SandboxServer, mall_id: str, **kwargs: str) -> str:
    response = authorize(server, mall_id, **kwargs)
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


def token_call(
    server: SandboxServer, mall_id: str, form: dict[str, str], *, authorization: str | None = None, **kwargs: object
) -> httpx.Response:
    headers = {"Authorization": basic() if authorization is None else authorization}
    if not headers["Authorization"]:
        del headers["Authorization"]
    return HTTP.post(
        f"{server.mall_url(mall_id)}/api/v2/oauth/token", data=form, headers=headers, follow_redirects=False, **kwargs
    )  # type: ignore[arg-type]


def exchange(
    server: SandboxServer, mall_id: str, code: str, redirect_uri: str = REDIRECT_URI, **kwargs: object
) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    return token_call(server, mall_id, form, **kwargs)  # type: ignore[arg-type]


def refresh(server: SandboxServer, mall_id: str, refresh_token: str) -> httpx.Response:
    return token_call(server, mall_id, {"grant_type": "refresh_token", "refresh_token": refresh_token})


def revoke(server: SandboxServer, mall_id: str, token: str, *, authorization: str | None = None) -> httpx.Response:
    headers = {"Authorization": basic() if authorization is None else authorization}
    if not headers["Authorization"]:
        del headers["Authorization"]
    return HTTP.post(f"{server.mall_url(mall_id)}/api/v2/oauth/revoke", data={"token": token}, headers=headers)


def issue(server: SandboxServer, mall_id: str, scope: str = SCOPE) -> dict:
    """A token pair the way an app gets one: authorize, then exchange the code."""
    response = exchange(server, mall_id, new_code(server, mall_id, scope=scope))
    assert response.status_code == 200, response.text
    return response.json()


def products(server: SandboxServer, mall_id: str, access_token: str | None) -> httpx.Response:
    headers = {} if access_token is None else {"Authorization": f"Bearer {access_token}"}
    return HTTP.get(f"{server.mall_url(mall_id)}/api/v2/admin/products", params={"limit": 1}, headers=headers)


def advance(server: SandboxServer, seconds: float) -> None:
    response = HTTP.post(f"{server.url}/__sandbox__/clock/advance", json={"seconds": seconds})
    assert response.status_code == 200, response.text


def oauth_time(text: str) -> datetime:
    assert OAUTH_TIME.match(text), f"not YYYY-MM-DDTHH:MM:SS.000 without offset: {text!r}"
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f")


def assert_error(response: httpx.Response, status: int, oauth_error: str | None = None) -> dict:
    """The documented error body {"error": {"code", "message", "more_info"}} with this status."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "more_info"}
    assert body["error"]["message"]
    if oauth_error is not None:
        assert body["error"]["more_info"] == {"error": oauth_error}
    return body["error"]


# ---- authorize -----------------------------------------------------------------------------------------------


def test_authorize_redirects_with_code_and_state(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth: authorize answers 302 Location {redirect_uri}?code=...&state=..."""
    response = authorize(sandbox, mall)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    assert len(query["code"]) == 1 and len(query["code"][0]) >= 16
    assert set(query) == {"code", "state"}


def test_authorize_codes_are_distinct(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth: every authorize call issues its own code."""
    assert new_code(sandbox, mall) != new_code(sandbox, mall)


def test_authorize_with_unknown_client_id_is_401(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#errors: 401 for an unknown client."""
    response = authorize(sandbox, mall, client_id="someone-else")
    assert_error(response, 401, "invalid_client")
    assert "location" not in response.headers


def test_authorize_with_unknown_scope_is_422(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth (scopes), #errors: 422 for a value outside the spec."""
    error = assert_error(
        authorize(sandbox, mall, scope="mall.read_product,mall.write_everything"), 422, "invalid_scope"
    )
    assert "mall.write_everything" in error["message"]


# ---- token exchange ------------------------------------------------------------------------------------------


def test_token_response_has_exactly_the_documented_fields(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth response fields: the example's key set, shop_no "1",
    token_type Bearer, no expires_in."""
    response = exchange(sandbox, mall, new_code(sandbox, mall))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    example = json.loads((EXAMPLES / "oauth_token_authorization_code.json").read_text("utf-8"))
    assert set(body) == set(example)
    assert "expires_in" not in body
    assert body["shop_no"] == "1"
    assert body["token_type"] == "Bearer"
    assert body["client_id"] == CLIENT_ID
    assert body["mall_id"] == mall
    assert isinstance(body["user_id"], str) and body["user_id"]
    assert body["scopes"] == ["mall.read_product", "mall.read_order"]
    assert isinstance(body["access_token"], str) and isinstance(body["refresh_token"], str)
    assert body["access_token"] != body["refresh_token"]


def test_token_timestamps_have_no_offset_and_documented_lifetimes(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth lifetimes: expires_at = issued_at + 2 h,
    refresh_token_expires_at = issued_at + 14 d."""
    body = issue(sandbox, mall)
    issued = oauth_time(body["issued_at"])
    assert oauth_time(body["expires_at"]) - issued == timedelta(hours=2)
    assert oauth_time(body["refresh_token_expires_at"]) - issued == timedelta(days=14)


def test_token_timestamps_are_kst_wall_time(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth: offset-less timestamps; the sandbox prints them in KST like every other date."""
    body = issue(sandbox, mall)
    now = datetime.fromisoformat(HTTP.get(f"{sandbox.url}/__sandbox__/clock").json()["now"])
    assert now.utcoffset() == timedelta(hours=9)
    assert abs(oauth_time(body["issued_at"]) - now.replace(tzinfo=None)) < timedelta(seconds=60)


def test_new_access_token_works_on_the_admin_api(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#requests: Authorization: Bearer {access_token}."""
    response = products(sandbox, mall, issue(sandbox, mall)["access_token"])
    assert response.status_code == 200, response.text
    assert len(response.json()["products"]) == 1


def test_code_is_single_use(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth: "토큰발급 요청시 사용된 code는 재사용할 수 없으며"."""
    code = new_code(sandbox, mall)
    assert exchange(sandbox, mall, code).status_code == 200
    assert_error(exchange(sandbox, mall, code), 400, "invalid_grant")


def test_code_expires_after_one_minute(private: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth: "코드 발급 후 1분이 경과하면 만료됩니다"."""
    within, late = new_code(private, mall), new_code(private, mall)
    advance(private, 59)
    assert exchange(private, mall, within).status_code == 200
    advance(private, 2)  # 61 s after both codes were issued
    assert_error(exchange(private, mall, late), 400, "invalid_grant")


def test_code_of_another_mall_is_rejected(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth: the code is exchanged at the mall that issued it ({mallid}.cafe24api.com)."""
    code = new_code(sandbox, mall)
    assert_error(exchange(sandbox, mall + "x", code), 400, "invalid_grant")
    assert exchange(sandbox, mall, code).status_code == 200


def test_wrong_client_secret_is_401(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth (Basic base64(client_id:client_secret)), #errors: 401 unknown client."""
    code = new_code(sandbox, mall)
    assert_error(exchange(sandbox, mall, code, authorization=basic(secret="not-the-secret")), 401, "invalid_client")
    assert exchange(sandbox, mall, code).status_code == 200  # a refused call does not burn the code


def test_missing_basic_header_is_401(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth: the token call needs Authorization: Basic."""
    assert_error(exchange(sandbox, mall, new_code(sandbox, mall), authorization=""), 401, "invalid_client")


def test_garbled_basic_header_is_401(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth: Basic must carry base64(client_id:client_secret)."""
    code = new_code(sandbox, mall)
    assert_error(exchange(sandbox, mall, code, authorization="Basic !!!not-base64"), 401, "invalid_client")


def test_mismatched_redirect_uri_is_400(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth: the exchange repeats the authorize call's redirect_uri."""
    code = new_code(sandbox, mall)
    assert_error(exchange(sandbox, mall, code, redirect_uri="http://127.0.0.1:9/other"), 400, "invalid_grant")


def test_token_call_without_form_content_type_is_400(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth (Content-Type: application/x-www-form-urlencoded), #errors: 400."""
    code = new_code(sandbox, mall)
    response = HTTP.post(
        f"{sandbox.mall_url(mall)}/api/v2/oauth/token",
        headers={"Authorization": basic()},
        json={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
    )
    assert_error(response, 400, "invalid_request")


def test_unknown_grant_type_is_400(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth: grant_type is authorization_code or refresh_token."""
    assert_error(token_call(sandbox, mall, {"grant_type": "password"}), 400, "unsupported_grant_type")


# ---- refresh -------------------------------------------------------------------------------------------------


def test_refresh_returns_a_new_pair(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth rotation: a new access token and a new refresh token, same fields and scopes."""
    first = issue(sandbox, mall)
    response = refresh(sandbox, mall, first["refresh_token"])
    assert response.status_code == 200, response.text
    second = response.json()
    assert set(second) == set(first)
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["scopes"] == first["scopes"]
    assert second["shop_no"] == "1" and second["token_type"] == "Bearer"
    issued = oauth_time(second["issued_at"])
    assert oauth_time(second["expires_at"]) - issued == timedelta(hours=2)
    # The example: a refresh at 13:50 returns a refresh token expiring two weeks from that refresh.
    assert oauth_time(second["refresh_token_expires_at"]) - issued == timedelta(days=14)


def test_used_refresh_token_is_rejected(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth rotation: "기존 refresh token은 만료처리되어 사용할 수 없습니다"."""
    first = issue(sandbox, mall)
    assert refresh(sandbox, mall, first["refresh_token"]).status_code == 200
    assert_error(refresh(sandbox, mall, first["refresh_token"]), 400, "invalid_grant")


def test_old_access_token_dies_on_refresh(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth rotation; sandbox choice (issue #2): one live access token per grant."""
    first = issue(sandbox, mall)
    second = refresh(sandbox, mall, first["refresh_token"]).json()
    assert_error(products(sandbox, mall, first["access_token"]), 401)
    assert products(sandbox, mall, second["access_token"]).status_code == 200


def test_refreshed_refresh_token_rotates_again(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth: persist the new refresh_token after every refresh;
    it is the one that works next."""
    token = issue(sandbox, mall)["refresh_token"]
    for _ in range(3):
        response = refresh(sandbox, mall, token)
        assert response.status_code == 200, response.text
        token = response.json()["refresh_token"]
    assert products(sandbox, mall, response.json()["access_token"]).status_code == 200


def test_refresh_token_of_another_mall_is_rejected(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth: tokens belong to the mall they were issued for."""
    first = issue(sandbox, mall)
    assert_error(refresh(sandbox, mall + "x", first["refresh_token"]), 400, "invalid_grant")
    assert refresh(sandbox, mall, first["refresh_token"]).status_code == 200


def test_refresh_works_after_the_access_token_expired(private: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth: a 2-hour access token, a 2-week refresh token."""
    first = issue(private, mall)
    advance(private, TWO_HOURS + 1)
    assert_error(products(private, mall, first["access_token"]), 401)
    response = refresh(private, mall, first["refresh_token"])
    assert response.status_code == 200, response.text
    assert products(private, mall, response.json()["access_token"]).status_code == 200


def test_refresh_token_expires_after_two_weeks(private: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth: "refresh token은 2주간 유효하며"."""
    first = issue(private, mall)
    advance(private, TWO_WEEKS + 1)
    assert_error(refresh(private, mall, first["refresh_token"]), 400, "invalid_grant")


def test_refresh_token_works_until_two_weeks(private: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth: the refresh token is valid for two weeks, not less."""
    first = issue(private, mall)
    advance(private, TWO_WEEKS - 60)
    assert refresh(private, mall, first["refresh_token"]).status_code == 200


def test_access_token_expires_after_two_hours(private: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth: "접근 토큰은 발급 받은 후 2시간이 지나면 사용할 수 없습니다";
    401 with the error body."""
    token = issue(private, mall)["access_token"]
    advance(private, TWO_HOURS - 60)
    assert products(private, mall, token).status_code == 200
    advance(private, 61)
    error = assert_error(products(private, mall, token), 401)
    assert error["code"] == 401


# ---- revoke --------------------------------------------------------------------------------------------------


def test_revoke_kills_access_and_refresh_token(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth revoke: 200, and "리프레시 토큰도 함께 폐기됩니다"."""
    pair = issue(sandbox, mall)
    assert products(sandbox, mall, pair["access_token"]).status_code == 200
    response = revoke(sandbox, mall, pair["access_token"])
    assert response.status_code == 200, response.text
    assert_error(products(sandbox, mall, pair["access_token"]), 401)
    assert_error(refresh(sandbox, mall, pair["refresh_token"]), 400, "invalid_grant")


def test_revoke_by_refresh_token_kills_the_access_token(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth revoke (sandbox reading, issue #2): either token of a pair revokes the grant."""
    pair = issue(sandbox, mall)
    assert revoke(sandbox, mall, pair["refresh_token"]).status_code == 200
    assert_error(products(sandbox, mall, pair["access_token"]), 401)
    assert_error(refresh(sandbox, mall, pair["refresh_token"]), 400, "invalid_grant")


def test_revoke_leaves_other_grants_alive(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth revoke: only the named token's grant is revoked."""
    doomed, kept = issue(sandbox, mall), issue(sandbox, mall)
    assert revoke(sandbox, mall, doomed["access_token"]).status_code == 200
    assert products(sandbox, mall, kept["access_token"]).status_code == 200


def test_revoke_without_basic_header_is_401(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth: revoke takes the same Basic header; the token stays alive."""
    pair = issue(sandbox, mall)
    assert_error(revoke(sandbox, mall, pair["access_token"], authorization=""), 401, "invalid_client")
    assert_error(revoke(sandbox, mall, pair["access_token"], authorization=basic(secret="bad")), 401, "invalid_client")
    assert products(sandbox, mall, pair["access_token"]).status_code == 200


# ---- the Admin API's token checks ----------------------------------------------------------------------------


def test_missing_bearer_token_is_401(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#errors: 401 when the token is missing."""
    error = assert_error(products(sandbox, mall, None), 401)
    assert error["code"] == 401


def test_garbage_bearer_token_is_401(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#errors: 401 when the token is invalid."""
    assert_error(products(sandbox, mall, "not-a-token"), 401)


def test_token_of_another_mall_is_401(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth: a token is valid for the mall it was issued for only."""
    token = issue(sandbox, mall)["access_token"]
    assert_error(products(sandbox, mall + "other", token), 401)
    assert products(sandbox, mall, token).status_code == 200


def test_token_without_the_scope_is_403(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#errors: 403 when the scope is missing; products need mall.read_product."""
    token = grant(sandbox, mall, ["mall.read_order"])["access_token"]
    error = assert_error(products(sandbox, mall, token), 403)
    assert error["code"] == 403
    assert "mall.read_product" in error["message"]
    assert error["more_info"] == {"required_scope": "mall.read_product"}


def test_scopes_granted_at_authorize_decide_access(sandbox: SandboxServer, mall: str) -> None:
    """docs/cafe24-reference.md#oauth: the scope parameter of authorize is what the token may do."""
    token = issue(sandbox, mall, scope="mall.read_order")["access_token"]
    assert_error(products(sandbox, mall, token), 403)
    headers = {"Authorization": f"Bearer {token}"}
    response = HTTP.get(
        f"{sandbox.mall_url(mall)}/api/v2/admin/orders",
        params={"start_date": "2020-01-01", "end_date": "2020-01-31"},
        headers=headers,
    )
    assert response.status_code == 200, response.text


# ---- the control API's expire-token (issue #2, control API) ---------------------------------------------------


def test_expire_token_kills_access_but_not_refresh(sandbox: SandboxServer, mall: str) -> None:
    """Issue #2, control API: POST /__sandbox__/malls/{m}/expire-token expires the access token only."""
    pair = issue(sandbox, mall)
    response = HTTP.post(f"{sandbox.url}/__sandbox__/malls/{mall}/expire-token")
    assert response.status_code == 200
    assert response.json() == {"expired_grants": 1}
    error = assert_error(products(sandbox, mall, pair["access_token"]), 401)
    assert "expired" in error["message"]
    renewed = refresh(sandbox, mall, pair["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    assert products(sandbox, mall, renewed.json()["access_token"]).status_code == 200


def test_expire_token_with_refresh_kills_both(sandbox: SandboxServer, mall: str) -> None:
    """Issue #2, control API: expire-token?refresh=true expires the refresh token as well."""
    pair = issue(sandbox, mall)
    response = HTTP.post(f"{sandbox.url}/__sandbox__/malls/{mall}/expire-token", params={"refresh": "true"})
    assert response.json() == {"expired_grants": 1}
    assert_error(products(sandbox, mall, pair["access_token"]), 401)
    assert_error(refresh(sandbox, mall, pair["refresh_token"]), 400, "invalid_grant")


def test_expire_token_touches_only_its_mall(sandbox: SandboxServer, mall: str) -> None:
    """Issue #2, control API: expire-token is per mall."""
    other = mall + "b"
    mine, theirs = issue(sandbox, mall), issue(sandbox, other)
    HTTP.post(f"{sandbox.url}/__sandbox__/malls/{mall}/expire-token", params={"refresh": "true"})
    assert_error(products(sandbox, mall, mine["access_token"]), 401)
    assert products(sandbox, other, theirs["access_token"]).status_code == 200
