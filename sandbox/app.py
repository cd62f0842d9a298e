"""The sandbox as an ASGI app: Admin, Front, OAuth, D.Collection and the /__sandbox__ control routes.

Every Admin/Front call goes through the same gate, in this order: the mall's bucket and usage quota (429),
the token and its scopes (401/403), the version header, injected faults, then the resource handler.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from . import admin, control, dcollection
from .errors import JSON, ApiError
from .faults import Fault
from .oauth import OAuthError, basic_credentials
from .state import Sandbox

VERSION_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DEFAULT_API_VERSION = "2025-12-01"

# (path under /{mall_id}, handler, scope): the Admin endpoint table.
ADMIN_ROUTES: tuple[tuple[str, Callable[..., dict], str], ...] = (
    ("/api/v2/admin/products", admin.list_products, "mall.read_product"),
    ("/api/v2/admin/products/count", admin.count_products, "mall.read_product"),
    ("/api/v2/admin/products/{product_no}", admin.get_product, "mall.read_product"),
    ("/api/v2/admin/products/{product_no}/variants", admin.list_variants, "mall.read_product"),
    ("/api/v2/admin/products/{product_no}/variants/{variant_code}", admin.get_variant, "mall.read_product"),
    ("/api/v2/admin/products/{product_no}/variants/{variant_code}/inventories", admin.get_inventory,
     "mall.read_product"),
    ("/api/v2/admin/categories", admin.list_categories, "mall.read_category"),
    ("/api/v2/admin/categories/count", admin.count_categories, "mall.read_category"),
    ("/api/v2/admin/categories/{category_no}", admin.get_category, "mall.read_category"),
    ("/api/v2/admin/shops", admin.list_shops, "mall.read_store"),
    ("/api/v2/admin/shops/{number}", admin.get_shop, "mall.read_store"),
    ("/api/v2/admin/orders", admin.list_orders, "mall.read_order"),
    ("/api/v2/admin/orders/count", admin.count_orders, "mall.read_order"),
    ("/api/v2/admin/orders/{order_id}", admin.get_order, "mall.read_order"),
    ("/api/v2/admin/orders/{order_id}/items", admin.list_order_items, "mall.read_order"),
    ("/api/v2/admin/orders/{order_id}/receivers", admin.list_order_receivers, "mall.read_order"),
    ("/api/v2/admin/orders/{order_id}/buyer", admin.get_order_buyer, "mall.read_order"),
    ("/api/v2/admin/customersprivacy", admin.list_customersprivacy, "mall.read_privacy"),
    ("/api/v2/admin/customersprivacy/count", admin.count_customersprivacy, "mall.read_privacy"),
    ("/api/v2/admin/customersprivacy/{member_id}", admin.get_customerprivacy, "mall.read_privacy"),
    ("/api/v2/admin/customers", admin.list_customers, "mall.read_customer"),
)
FRONT_ROUTES: tuple[tuple[str, Callable[..., dict]], ...] = (
    ("/api/v2/products", admin.list_front_products),
    ("/api/v2/products/count", admin.count_front_products),
)


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


async def _form(request: Request) -> dict[str, str]:
    """The urlencoded body of an OAuth call (the only form the OAuth endpoints take)."""
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))


async def apply_fault(fault: Fault, body: bytes, headers: dict[str, str]) -> Response:
    """What the client sees when a fault fires instead of (or on top of) the real answer."""
    if fault.kind in ("500", "503"):
        status = int(fault.kind)
        return ApiError(status, "Internal Server Error" if status == 500 else "Service Unavailable",
                        headers=headers).response()
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
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(self.body) + 1000).encode())]})
        await send({"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True})
        raise ConnectionResetError("sandbox fault: connection reset")


def create_app(sandbox: Sandbox) -> Starlette:
    def admin_endpoint(path: str, handler: Callable[..., dict], scope: str | None) -> Route:
        label = f"GET {path}"

        async def endpoint(request: Request) -> Response:
            mall_id = request.path_params.pop("mall_id")
            limits, quota = sandbox.limiter.admin(f"{mall_id}:front" if scope is None else mall_id)
            # The Date header tells the sandbox clock, so a client that takes "now" from the server stays
            # right when a test has advanced that clock.
            headers = {**limits.headers, "Date": formatdate(sandbox.clock.now(), usegmt=True)}
            fault = None
            started = time.perf_counter()
            try:
                if not limits.allowed:
                    raise ApiError(429, "Too Many Requests. The API call limit of the mall was exceeded.",
                                   headers=headers)
                if sandbox.faults.pick(request.url.path, mall_id, before_auth=True):
                    sandbox.oauth.expire_access(mall_id)  # the token runs out just as this call arrives
                if scope is None:
                    if request.headers.get("x-cafe24-client-id") != sandbox.config.client_id:
                        raise ApiError(401, "X-Cafe24-Client-Id is missing or unknown.", headers=headers)
                else:
                    try:
                        grant = sandbox.oauth.authenticate(mall_id, _bearer(request))
                    except OAuthError as exc:
                        raise ApiError(401, exc.message, headers=headers) from None
                    if scope not in grant.scopes:
                        raise ApiError(403, f"This access token lacks the scope {scope} required by {path}.",
                                       headers=headers, more_info={"required_scope": scope})
                version = request.headers.get("x-cafe24-api-version", DEFAULT_API_VERSION)
                if not VERSION_PATTERN.match(version):
                    raise ApiError(400, "X-Cafe24-Api-Version must look like 2025-12-01.", headers=headers)
                headers["X-Cafe24-Api-Version"] = version
                fault = sandbox.faults.pick(request.url.path, mall_id)
                now = sandbox.clock.now()
                base_url = f"{request.url.scheme}://{request.url.netloc}/{mall_id}"

                def run() -> bytes:
                    store = sandbox.mall(mall_id)
                    with store.lock:
                        req = admin.Request(store, dict(request.query_params), now, base_url)
                        answer = handler(req, **request.path_params)
                        for key, fields in store.new_fields.items():
                            rows = answer.get(key)
                            for row in rows if isinstance(rows, list) else [rows] if isinstance(rows, dict) else []:
                                row.update(fields)
                        return orjson.dumps(answer)

                body = await run_in_threadpool(run)
                response = (await apply_fault(fault, body, headers) if fault
                            else Response(body, media_type="application/json", headers=headers))
            except ApiError as exc:
                exc.headers = {**headers, **exc.headers}
                response = exc.response()
            if quota is not None:
                quota.charge(time.perf_counter() - started)
            sandbox.stats.record(mall_id, label, response.status_code, fault)
            return response

        return Route("/{mall_id}" + path, endpoint, methods=["GET"])

    async def authorize(request: Request) -> Response:
        mall_id = request.path_params["mall_id"]
        q = request.query_params
        try:
            if q.get("response_type") != "code":
                raise OAuthError(422, "invalid_request", "response_type must be code.")
            code = sandbox.oauth.authorize(mall_id, q.get("client_id", ""), q.get("redirect_uri", ""),
                                           q.get("scope", ""))
        except OAuthError as exc:
            return ApiError(exc.status, exc.message, more_info={"error": exc.code}).response()
        # The sandbox approves at once: there is no merchant at a browser to click "agree".
        target = q["redirect_uri"]
        params = {"code": code, **({"state": q["state"]} if "state" in q else {})}
        sandbox.stats.record(mall_id, "GET /api/v2/oauth/authorize", 302, None)
        return RedirectResponse(f"{target}{'&' if '?' in target else '?'}{urlencode(params)}", status_code=302)

    async def token(request: Request) -> Response:
        mall_id = request.path_params["mall_id"]
        try:
            if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                raise OAuthError(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded.")
            credentials = basic_credentials(request.headers.get("authorization", ""))
            if credentials is None:
                raise OAuthError(401, "invalid_client", "Authorization: Basic base64(client_id:client_secret) is required.")
            sandbox.oauth.check_client(*credentials)
            form = await _form(request)
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                body = sandbox.oauth.exchange_code(mall_id, str(form.get("code", "")), str(form.get("redirect_uri", "")))
            elif grant_type == "refresh_token":
                body = sandbox.oauth.refresh(mall_id, str(form.get("refresh_token", "")))
            else:
                raise OAuthError(400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token.")
            status = 200
            response: Response = JSON(body)
        except OAuthError as exc:
            status = exc.status
            response = ApiError(exc.status, exc.message, more_info={"error": exc.code}).response()
        sandbox.stats.record(mall_id, "POST /api/v2/oauth/token", status, None)
        return response

    async def revoke(request: Request) -> Response:
        mall_id = request.path_params["mall_id"]
        try:
            credentials = basic_credentials(request.headers.get("authorization", ""))
            if credentials is None:
                raise OAuthError(401, "invalid_client", "Authorization: Basic base64(client_id:client_secret) is required.")
            sandbox.oauth.check_client(*credentials)
            form = await _form(request)
            sandbox.oauth.revoke(mall_id, str(form.get("token", "")))
        except OAuthError as exc:
            return ApiError(exc.status, exc.message, more_info={"error": exc.code}).response()
        sandbox.stats.record(mall_id, "POST /api/v2/oauth/revoke", 200, None)
        return JSON({})

    async def not_found(request: Request, exc: Exception) -> Response:
        return ApiError(404, f"No such resource: {request.method} {request.url.path}").response()

    async def wrong_method(request: Request, exc: Exception) -> Response:
        return ApiError(405, f"{request.method} is not served for {request.url.path}").response()

    routes = [
        *control.routes(sandbox),
        *dcollection.routes(sandbox),
        Route("/{mall_id}/api/v2/oauth/authorize", authorize, methods=["GET"]),
        Route("/{mall_id}/api/v2/oauth/token", token, methods=["POST"]),
        Route("/{mall_id}/api/v2/oauth/revoke", revoke, methods=["POST"]),
        *(admin_endpoint(path, handler, scope) for path, handler, scope in ADMIN_ROUTES),
        *(admin_endpoint(path, handler, None) for path, handler in FRONT_ROUTES),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: wrong_method})
    app.state.sandbox = sandbox
    return app
