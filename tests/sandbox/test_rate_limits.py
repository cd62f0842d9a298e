"""The sandbox's call limits against docs/cafe24-reference.md#rate-limits and #dcollection, over real HTTP.

Each test runs a private sandbox with its own Limits and small volumes. Assertions are on headers, status codes
and counts, never on elapsed time; the only sleep lets a bucket drain. Where a burst must not drain, the drain
rate is set near zero so the header counts are exact.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable

import httpx
import pytest

from sandbox.config import Limits, SandboxConfig, Volumes
from sandbox.server import SandboxServer
from tests.conftest import admin_client

SMALL = Volumes(products=50, orders=200, customers=50)
PRODUCTS = "/api/v2/admin/products"
PRODUCTS_LABEL = "GET /api/v2/admin/products"
NO_DRAIN = 0.001  # calls per second: a burst of a few hundred milliseconds drains nothing visible
DCOL_BASIC = "Basic " + base64.b64encode(b"sandbox-client-id:sandbox-client-secret").decode()


@pytest.fixture
def limited(start_sandbox: Callable[..., SandboxServer]) -> Callable[..., SandboxServer]:
    """start a private sandbox with these Limits and small volumes."""

    def start(**limits: object) -> SandboxServer:
        return start_sandbox(SandboxConfig(limits=Limits(**limits), volumes=SMALL))  # type: ignore[arg-type]

    return start


@pytest.fixture
def mall() -> str:
    return f"rl{uuid.uuid4().hex[:10]}"


def call_limit(response: httpx.Response) -> tuple[int, int]:
    """X-Api-Call-Limit "n/size" as two numbers."""
    used, _, size = response.headers["x-api-call-limit"].partition("/")
    return int(used), int(size)


def assert_error_body(response: httpx.Response, status: int) -> None:
    """docs/cafe24-reference.md#errors: {"error": {"code", "message", "more_info"}}."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "more_info"}
    assert body["error"]["code"] == status
    assert body["error"]["message"]


def burst(client: httpx.Client, n: int, path: str = PRODUCTS) -> list[httpx.Response]:
    return [client.get(path, params={"limit": 1}) for _ in range(n)]


# ---- X-Api-Call-Limit ----------------------------------------------------------------------------------------


def test_call_limit_header_counts_up_by_one_per_call(limited, mall: str) -> None:
    """docs/cafe24-reference.md#rate-limits: X-Api-Call-Limit "1/40" shows the calls in the mall's bucket."""
    server = limited(drain_rate=NO_DRAIN, max_per_second=0)
    with admin_client(server, mall) as client:
        responses = burst(client, 12)
    assert [r.status_code for r in responses] == [200] * 12
    assert [r.headers["x-api-call-limit"] for r in responses] == [f"{n}/40" for n in range(1, 13)]


def test_call_limit_header_on_every_admin_response(limited, mall: str) -> None:
    """docs/cafe24-reference.md#rate-limits: every Admin answer, also 401/404/422/429, carries X-Api-Call-Limit."""
    server = limited(drain_rate=NO_DRAIN, max_per_second=0)
    with admin_client(server, mall) as client:
        ok = client.get(PRODUCTS)
        unauthorized = client.get(PRODUCTS, headers={"Authorization": "Bearer nonsense"})
        missing = client.get(f"{PRODUCTS}/999999999")
        invalid = client.get(PRODUCTS, params={"limit": 0})
        rest = burst(client, 36)
        throttled = client.get(PRODUCTS)
    assert [r.status_code for r in (ok, unauthorized, missing, invalid, throttled)] == [200, 401, 404, 422, 429]
    assert [r.status_code for r in rest] == [200] * 36
    assert [call_limit(r) for r in (ok, unauthorized, missing, invalid)] == [(1, 40), (2, 40), (3, 40), (4, 40)]
    assert call_limit(rest[-1]) == (40, 40)
    assert call_limit(throttled) == (40, 40)


def test_bucket_size_comes_from_the_limits(limited, mall: str) -> None:
    """docs/cafe24-reference.md#rate-limits: the header's second number is the bucket size ("호출건수 제한")."""
    server = limited(bucket_size=7, drain_rate=NO_DRAIN, max_per_second=0)
    with admin_client(server, mall) as client:
        responses = burst(client, 8)
    assert [r.headers["x-api-call-limit"] for r in responses] == [f"{n}/7" for n in range(1, 8)] + ["7/7"]
    assert [r.status_code for r in responses] == [200] * 7 + [429]


# ---- the leaky bucket ----------------------------------------------------------------------------------------


def test_full_bucket_answers_429_then_drains(limited, mall: str) -> None:
    """docs/cafe24-reference.md#rate-limits: a full bucket of 40 answers 429;
    it drains 2 calls a second and calls resume."""
    server = limited(bucket_size=40, drain_rate=2.0, max_per_second=0)
    with admin_client(server, mall) as client:
        responses = burst(client, 45)
        statuses = [r.status_code for r in responses]
        assert statuses[:40] == [200] * 40  # the bucket holds 40, so no call up to the 40th is refused
        assert 429 in statuses[40:]
        throttled = responses[statuses.index(429)]
        assert_error_body(throttled, 429)
        assert throttled.headers["x-api-call-limit"] == "40/40"
        assert "retry-after" not in throttled.headers  # docs/cafe24-reference.md#rate-limits: no Retry-After
        time.sleep(1.1)  # 2 calls a second leave the bucket
        again = client.get(PRODUCTS, params={"limit": 1})
    assert again.status_code == 200, again.text
    assert call_limit(again)[0] <= 40


def test_rejected_calls_do_not_fill_the_bucket(limited, mall: str) -> None:
    """docs/cafe24-reference.md#rate-limits (silent on it; sandbox choice, issue #2):
    a 429 takes no room in the bucket."""
    server = limited(bucket_size=5, drain_rate=NO_DRAIN, max_per_second=0)
    with admin_client(server, mall) as client:
        responses = burst(client, 15)
    assert [r.status_code for r in responses] == [200] * 5 + [429] * 10
    assert {r.headers["x-api-call-limit"] for r in responses[5:]} == {"5/5"}


def test_more_than_max_per_second_is_429(limited, mall: str) -> None:
    """docs/cafe24-reference.md#rate-limits: "동일 IP로 초당 10회 이상의 호출" may be judged abnormal;
    the sandbox refuses it."""
    server = limited(bucket_size=1000, max_per_second=10)
    with admin_client(server, mall) as client:
        responses = burst(client, 12)
    statuses = [r.status_code for r in responses]
    assert statuses[:10] == [200] * 10
    assert 429 in statuses[10:]
    throttled = responses[10 + statuses[10:].index(429)]
    assert_error_body(throttled, 429)
    assert throttled.headers["x-api-call-limit"].endswith("/1000")


def test_bucket_is_per_mall(limited, mall: str) -> None:
    """docs/cafe24-reference.md#rate-limits: "Bucket은 쇼핑몰 당" — filling mall A leaves mall B's bucket empty."""
    server = limited(drain_rate=NO_DRAIN, max_per_second=0)
    with admin_client(server, mall) as a, admin_client(server, mall + "b") as b:
        filled = burst(a, 41)
        other = b.get(PRODUCTS, params={"limit": 1})
        a_again = a.get(PRODUCTS, params={"limit": 1})
    assert filled[-1].status_code == 429
    assert other.status_code == 200
    assert other.headers["x-api-call-limit"] == "1/40"
    assert a_again.status_code == 429


def test_bucket_is_shared_by_all_endpoints_of_a_mall(limited, mall: str) -> None:
    """docs/cafe24-reference.md#rate-limits: the bucket counts calls of the mall, whatever the endpoint."""
    server = limited(drain_rate=NO_DRAIN, max_per_second=0)
    with admin_client(server, mall) as client:
        first = client.get(PRODUCTS)
        second = client.get("/api/v2/admin/categories")
        third = client.get(f"{PRODUCTS}/count")
    assert [r.headers["x-api-call-limit"] for r in (first, second, third)] == ["1/40", "2/40", "3/40"]


# ---- the usage quota -----------------------------------------------------------------------------------------


def test_call_usage_rises_as_a_percentage(limited, mall: str) -> None:
    """docs/cafe24-reference.md#usage-quota: X-Cafe24-Call-Usage is the share of the call quota used, in %."""
    server = limited(bucket_size=1000, max_per_second=0, quota_calls=20)
    with admin_client(server, mall) as client:
        responses = burst(client, 19)
    assert [r.status_code for r in responses] == [200] * 19
    assert [r.headers["x-cafe24-call-usage"] for r in responses] == [f"{5 * n:.2f}" for n in range(1, 20)]
    for r in responses:
        assert "x-cafe24-call-remain" not in r.headers  # "Remain 항목은 Usage 값이 100% 이상 ... 에서만"
        assert "x-cafe24-time-remain" not in r.headers
        assert 0.0 <= float(r.headers["x-cafe24-time-usage"]) < 100.0


def test_exhausted_call_quota_sends_remain_and_429(limited, mall: str) -> None:
    """docs/cafe24-reference.md#usage-quota: at 100% the Remain header appears; calls beyond the quota are refused."""
    server = limited(bucket_size=1000, max_per_second=0, quota_calls=20, quota_window=600)
    with admin_client(server, mall) as client:
        responses = burst(client, 22)
    last_allowed, first_refused, second_refused = responses[19], responses[20], responses[21]
    assert [r.status_code for r in responses[:20]] == [200] * 20  # the quota's 20 calls all go through
    assert last_allowed.headers["x-cafe24-call-usage"] == "100.00"
    assert 0 < int(last_allowed.headers["x-cafe24-call-remain"]) <= 600
    assert_error_body(first_refused, 429)
    assert first_refused.headers["x-cafe24-call-usage"] == "105.00"
    assert 0 < int(first_refused.headers["x-cafe24-call-remain"]) <= 600
    # "재호출 가능까지 남은 시간은 더 길어질 수 있습니다": calls while blocked still count.
    assert second_refused.status_code == 429
    assert second_refused.headers["x-cafe24-call-usage"] == "110.00"
    assert int(second_refused.headers["x-cafe24-call-remain"]) > 0
    assert "x-cafe24-time-usage" in second_refused.headers


def test_exhausted_time_quota_sends_time_remain_and_429(limited, mall: str) -> None:
    """docs/cafe24-reference.md#usage-quota: X-Cafe24-Time-Usage / -Time-Remain for the processing-time quota."""
    server = limited(bucket_size=1000, max_per_second=0, quota_seconds=1e-6, quota_window=600)
    with admin_client(server, mall) as client:
        first, second = burst(client, 2)
    assert first.status_code == 200
    assert float(first.headers["x-cafe24-time-usage"]) == 0.0  # nothing processed before the first call
    assert "x-cafe24-time-remain" not in first.headers
    assert_error_body(second, 429)
    assert float(second.headers["x-cafe24-time-usage"]) >= 100.0
    assert 0 < int(second.headers["x-cafe24-time-remain"]) <= 600
    assert "x-cafe24-call-remain" not in second.headers  # the call quota is far from used up


def test_usage_quota_is_per_mall(limited, mall: str) -> None:
    """docs/cafe24-reference.md#usage-quota: usage is counted per mall, like the bucket."""
    server = limited(bucket_size=1000, max_per_second=0, quota_calls=4)
    with admin_client(server, mall) as a, admin_client(server, mall + "b") as b:
        assert burst(a, 5)[-1].status_code == 429
        other = b.get(PRODUCTS)
    assert other.status_code == 200
    assert other.headers["x-cafe24-call-usage"] == "25.00"


# ---- D.Collection --------------------------------------------------------------------------------------------


def dcollection(server: SandboxServer, client: httpx.Client, authorization: str | None = DCOL_BASIC) -> httpx.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return client.get(f"{server.url}/dcollection/api/shops", headers=headers)


def test_dcollection_allows_n_calls_per_minute(limited) -> None:
    """docs/cafe24-reference.md#dcollection: "(40 times per minute.)" on the 429 row; here 5 per minute."""
    server = limited(dcollection_per_minute=5)
    with httpx.Client(timeout=30) as client:
        responses = [dcollection(server, client) for _ in range(6)]
    assert [r.status_code for r in responses] == [200] * 5 + [429]
    assert all(len(r.json()["shops"]) == 10 for r in responses[:5])
    assert [r.headers["x-ratelimit-limit"] for r in responses] == ["5"] * 6
    assert [r.headers["x-ratelimit-remaining"] for r in responses] == ["4", "3", "2", "1", "0", "0"]
    assert [r.headers["x-ratelimit-reset"] for r in responses[:4]] == ["0"] * 4
    assert 0 < int(responses[4].headers["x-ratelimit-reset"]) <= 60
    assert_error_body(responses[5], 429)
    assert 0 < int(responses[5].headers["x-ratelimit-reset"]) <= 60


def test_dcollection_window_is_shared_by_all_endpoints(limited) -> None:
    """docs/cafe24-reference.md#dcollection: the per-minute limit is per client, across endpoints."""
    server = limited(dcollection_per_minute=2)
    with httpx.Client(timeout=30, headers={"Authorization": DCOL_BASIC}) as client:
        shops = client.get(f"{server.url}/dcollection/api/shops")
        tags = client.get(f"{server.url}/dcollection/api/products/standardtags")
        refused = client.get(f"{server.url}/dcollection/api/shops")
    assert [shops.status_code, tags.status_code, refused.status_code] == [200, 200, 429]


def test_dcollection_without_basic_auth_is_401(limited) -> None:
    """docs/cafe24-reference.md#dcollection: Basic Auth ("Basic Auth 기반의 인증 시스템")."""
    server = limited(dcollection_per_minute=5)
    with httpx.Client(timeout=30) as client:
        missing = dcollection(server, client, None)
        wrong = dcollection(server, client, "Basic " + base64.b64encode(b"sandbox-client-id:wrong").decode())
        bearer = dcollection(server, client, "Bearer sandbox-client-secret")
        right = dcollection(server, client)
    for response in (missing, wrong, bearer):
        assert_error_body(response, 401)
        assert "x-ratelimit-limit" in response.headers
    assert right.status_code == 200
    assert right.headers["x-ratelimit-remaining"] == "4"  # refused strangers did not use the client's calls


# ---- /__sandbox__/stats (issue #2, control API) ----------------------------------------------------------------


def test_stats_count_429s_per_mall_and_endpoint(limited, mall: str) -> None:
    """Issue #2, control API: /__sandbox__/stats counts requests and 429s per mall and endpoint."""
    server = limited(bucket_size=10, drain_rate=NO_DRAIN, max_per_second=0)
    with admin_client(server, mall) as client, admin_client(server, mall + "b") as other:
        burst(client, 13)
        other.get(f"{PRODUCTS}/count")
    stats = httpx.get(f"{server.url}/__sandbox__/stats").json()
    assert set(stats) >= {"totals", "malls"}
    assert stats["malls"][mall] == {PRODUCTS_LABEL: {"requests": 13, "200": 10, "429": 3, "throttled": 3}}
    assert stats["malls"][mall + "b"] == {"GET /api/v2/admin/products/count": {"requests": 1, "200": 1}}
    assert stats["totals"]["requests"] == 14
    assert stats["totals"]["429"] == stats["totals"]["throttled"] == 3


def test_stats_reset_on_delete(limited, mall: str) -> None:
    """Issue #2, control API: DELETE /__sandbox__/stats starts the counts afresh."""
    server = limited(bucket_size=2, drain_rate=NO_DRAIN, max_per_second=0)
    with admin_client(server, mall) as client:
        burst(client, 3)
        assert httpx.delete(f"{server.url}/__sandbox__/stats").json()["malls"] == {}
        client.get(PRODUCTS)
    stats = httpx.get(f"{server.url}/__sandbox__/stats").json()
    assert stats["malls"] == {mall: {PRODUCTS_LABEL: {"requests": 1, "429": 1, "throttled": 1}}}


def test_stats_count_dcollection_429s_per_client(limited) -> None:
    """Issue #2, control API: D.Collection calls are counted per client id."""
    server = limited(dcollection_per_minute=1)
    with httpx.Client(timeout=30) as client:
        dcollection(server, client)
        dcollection(server, client)
    stats = httpx.get(f"{server.url}/__sandbox__/stats").json()
    assert stats["malls"]["dcollection:sandbox-client-id"] == {
        "GET /api/shops": {"requests": 2, "200": 1, "429": 1, "throttled": 1}
    }
