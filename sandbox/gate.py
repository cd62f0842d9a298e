"""The one gate every Admin, Front and D.Collection call passes, in this order: the caller's rate limit (429),
its credentials (401/403) and whatever else its API demands, injected faults, then the handler. Every answer
carries the limit's headers and the sandbox clock as its Date, and is counted in the stats.

What differs between the APIs is a `Policy`: who the caller is and which limit it draws on, how it proves
itself, and whether faults reach it.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .errors import ApiError
from .faults import Fault
from .limits import UsageQuota, Verdict
from .oauth import OAuthError, basic_credentials
from .state import Sandbox

VERSION_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DEFAULT_API_VERSION = "2025-12-01"


@dataclass(frozen=True)
class Caller:
    """Who a call comes from and what its rate limit said, known before anything is checked."""

    who: str  # the mall, or dcollection:<client id>: the row in the stats, and the mall faults match
    verdict: Verdict
    quota: UsageQuota | None = None  # charged with the call's processing time (the Admin usage limit)
    anonymous: bool = False  # the credentials were read to pick the limit and did not match


class Policy(Protocol):
    """What one API family brings to the gate."""

    throttled: str  # the 429 message
    faults: bool  # injected faults reach these routes

    def admit(self, request: Request) -> Caller:
        """Who calls, and the answer of the limit they draw on (taking a slot when allowed)."""
        ...

    def check(self, request: Request, caller: Caller, headers: dict[str, str]) -> None:
        """Raise the ApiError that refuses the call, if any; may add response headers."""
        ...


# Runs in a worker thread: the handler's JSON body for a call that passed the gate, at the sandbox time given.
Answer = Callable[[Request, Caller, float], bytes]


def route(sandbox: Sandbox, path: str, label: str, policy: Policy, answer: Answer) -> Route:
    """A GET route whose calls pass the gate; `label` names the endpoint in the stats."""

    async def endpoint(request: Request) -> Response:
        caller = policy.admit(request)
        # The Date header tells the sandbox clock, so a client that takes "now" from the server stays right when
        # a test has advanced that clock.
        headers = {**caller.verdict.headers, "Date": formatdate(sandbox.clock.now(), usegmt=True)}
        fault = None
        started = time.perf_counter()
        try:
            if not caller.verdict.allowed:
                raise ApiError(429, policy.throttled, headers=headers)
            if policy.faults and sandbox.faults.pick(request.url.path, caller.who, before_auth=True):
                sandbox.oauth.expire_access(caller.who)  # the token runs out just as this call arrives
            policy.check(request, caller, headers)
            if policy.faults:
                fault = sandbox.faults.pick(request.url.path, caller.who)
            body = await run_in_threadpool(answer, request, caller, sandbox.clock.now())
            response = (
                await apply_fault(fault, body, headers)
                if fault
                else Response(body, media_type="application/json", headers=headers)
            )
        except ApiError as exc:
            exc.headers = {**headers, **exc.headers}
            response = exc.response()
        if caller.quota is not None:
            caller.quota.charge(time.perf_counter() - started)
        sandbox.stats.record(caller.who, label, response.status_code, fault)
        return response

    return Route(path, endpoint, methods=["GET"])


class AdminPolicy:
    """Admin (a scope given): a Bearer token holding that scope; Front (no scope): the app's X-Cafe24-Client-Id.

    Both draw on the mall's bucket and usage quota (Front on a bucket of its own) and may name an API version.
    """

    throttled = "Too Many Requests. The API call limit of the mall was exceeded."
    faults = True

    def __init__(self, sandbox: Sandbox, path: str, scope: str | None) -> None:
        self.sandbox = sandbox
        self.path = path
        self.scope = scope

    def admit(self, request: Request) -> Caller:
        mall_id = request.path_params.pop("mall_id")  # the handler takes the rest of the path parameters
        verdict, quota = self.sandbox.limiter.admin(f"{mall_id}:front" if self.scope is None else mall_id)
        return Caller(mall_id, verdict, quota)

    def check(self, request: Request, caller: Caller, headers: dict[str, str]) -> None:
        if self.scope is None:
            if request.headers.get("x-cafe24-client-id") != self.sandbox.config.client_id:
                raise ApiError(401, "X-Cafe24-Client-Id is missing or unknown.", headers=headers)
        else:
            try:
                grant = self.sandbox.oauth.authenticate(caller.who, _bearer(request))
            except OAuthError as exc:
                raise ApiError(401, exc.message, headers=headers) from None
            if self.scope not in grant.scopes:
                raise ApiError(
                    403,
                    f"This access token lacks the scope {self.scope} required by {self.path}.",
                    headers=headers,
                    more_info={"required_scope": self.scope},
                )
        version = request.headers.get("x-cafe24-api-version", DEFAULT_API_VERSION)
        if not VERSION_PATTERN.match(version):
            raise ApiError(400, "X-Cafe24-Api-Version must look like 2025-12-01.", headers=headers)
        headers["X-Cafe24-Api-Version"] = version


class DCollectionPolicy:
    """D.Collection: Basic auth with the app's client id and secret; the limit is per client and minute."""

    throttled = "API calls from the client exceeded the limit (40 times per minute)."
    faults = False

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def admit(self, request: Request) -> Caller:
        client_id = self._client(request)
        name = client_id or "anonymous"
        return Caller(f"dcollection:{name}", self.sandbox.limiter.dcollection(name), anonymous=client_id is None)

    def check(self, request: Request, caller: Caller, headers: dict[str, str]) -> None:
        if caller.anonymous:
            raise ApiError(401, "Basic authentication with a valid client id and secret is required.", headers=headers)

    def _client(self, request: Request) -> str | None:
        """Basic base64(client_id:client_secret): the recipe a third-party client uses; the official one is unread."""
        credentials = basic_credentials(request.headers.get("authorization", ""))
        if credentials is None:
            return None
        try:
            self.sandbox.oauth.check_client(*credentials)
        except OAuthError:
            return None
        return credentials[0]


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


async def apply_fault(fault: Fault, body: bytes, headers: dict[str, str]) -> Response:
    """What the client sees when a fault fires instead of (or on top of) the real answer."""
    if fault.kind in ("500", "503"):
        status = int(fault.kind)
        return ApiError(
            status, "Internal Server Error" if status == 500 else "Service Unavailable", headers=headers
        ).response()
    if fault.kind == "504_after_delay":
        await asyncio.sleep(fault.delay)
        return ApiError(504, "Gateway Timeout", headers=headers).response()
    if fault.kind == "html_error":
        page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
        return Response(page, status_code=502, media_type="text/html", headers=headers)
    if fault.kind == "truncated_json":
        return Response(body[: max(1, len(body) // 2)], media_type="application/json", headers=headers)
    if fault.kind == "malformed_json":
        return Response(b"{'" + body[2:], media_type="application/json", headers=headers)
    return _ResetResponse(body, headers=headers)


class _ResetResponse(Response):
    """Starts a 200 answer and drops the connection before the body is complete."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(self.body) + 1000).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True})
        raise ConnectionResetError("sandbox fault: connection reset")
