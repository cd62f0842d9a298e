"""The sandbox as an ASGI app: Admin, Front, OAuth, D.Collection and the /__sandbox__ control routes.

Every Admin, Front and D.Collection call passes the one request gate of gate.py; the OAuth and control routes
answer directly.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from urllib.parse import parse_qsl, urlencode

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from . import admin, control, dcollection, gate
from .errors import JSON, ApiError
from .oauth import OAuthError, basic_credentials
from .state import Sandbox

# (path under /{mall_id}, handler, scope): the Admin endpoint table.
ADMIN_ROUTES: tuple[tuple[str, Callable[..., dict], str], ...] = (
    ("/api/v2/admin/products", admin.list_products, "mall.read_product"),
    ("/api/v2/admin/products/count", admin.count_products, "mall.read_product"),
    ("/api/v2/admin/products/{product_no}", admin.get_product, "mall.read_product"),
    ("/api/v2/admin/products/{product_no}/variants", admin.list_variants, "mall.read_product"),
    ("/api/v2/admin/products/{product_no}/variants/{variant_code}", admin.get_variant, "mall.read_product"),
    (
        "/api/v2/admin/products/{product_no}/variants/{variant_code}/inventories",
        admin.get_inventory,
        "mall.read_product",
    ),
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
DCOLLECTION_ROUTES: tuple[tuple[str, Callable[[dcollection.Catalog, dict[str, str]], dict]], ...] = (
    ("/dcollection/api/shops", dcollection.list_shops),
    ("/dcollection/api/products", dcollection.list_products),
    ("/dcollection/api/products/count", dcollection.count_products),
    ("/dcollection/api/products/standardtags", dcollection.list_standard_tags),
    ("/dcollection/api/storeproducts", dcollection.list_store_products),
)


def create_app(sandbox: Sandbox) -> Starlette:
    """The ASGI app serving `sandbox` (server.py runs it under uvicorn)."""
    app = Starlette(routes=_routes(sandbox), exception_handlers={404: _not_found, 405: _wrong_method})
    app.state.sandbox = sandbox
    return app


def _routes(sandbox: Sandbox) -> list[Route]:
    """Every route of the sandbox; Starlette takes the first match, and no two of these paths overlap."""
    return [*control.routes(sandbox), *_dcollection_routes(sandbox), *_oauth_routes(sandbox), *_admin_routes(sandbox)]


def _admin_routes(sandbox: Sandbox) -> list[Route]:
    """The Admin endpoints, each behind its scope, and the Front endpoints, behind the app's client id."""
    return [
        *(_admin_route(sandbox, path, handler, scope) for path, handler, scope in ADMIN_ROUTES),
        *(_admin_route(sandbox, path, handler, None) for path, handler in FRONT_ROUTES),
    ]


def _admin_route(sandbox: Sandbox, path: str, handler: Callable[..., dict], scope: str | None) -> Route:
    """One endpoint answered from its mall's store, with the fields the platform started sending
    (POST /__sandbox__/malls/{mall_id}/new-fields) on every row."""

    def answer(request: Request, caller: gate.Caller, now: float) -> bytes:
        base_url = f"{request.url.scheme}://{request.url.netloc}/{caller.who}"
        store = sandbox.mall(caller.who)
        with store.lock:
            req = admin.Request(store, dict(request.query_params), now, base_url)
            found = handler(req, **request.path_params)
            for key, fields in store.new_fields.items():
                rows = found.get(key)
                for row in rows if isinstance(rows, list) else [rows] if isinstance(rows, dict) else []:
                    row.update(fields)
            return orjson.dumps(found)

    return gate.route(sandbox, "/{mall_id}" + path, f"GET {path}", gate.AdminPolicy(sandbox, path, scope), answer)


def _dcollection_routes(sandbox: Sandbox) -> list[Route]:
    """The D.Collection feed, answered from the one catalog all clients share."""
    policy = gate.DCollectionPolicy(sandbox)

    def route(path: str, handler: Callable[[dcollection.Catalog, dict[str, str]], dict]) -> Route:
        def answer(request: Request, caller: gate.Caller, now: float) -> bytes:
            catalog = sandbox.dcollection
            catalog.ensure(now)
            with catalog.lock:
                return orjson.dumps(handler(catalog, dict(request.query_params)))

        return gate.route(sandbox, path, "GET " + path.removeprefix("/dcollection"), policy, answer)

    return [route(path, handler) for path, handler in DCOLLECTION_ROUTES]


def _oauth_routes(sandbox: Sandbox) -> list[Route]:
    """The authorization code flow that `auth` walks, and the token refresh every run starts with."""
    return [
        Route("/{mall_id}/api/v2/oauth/authorize", partial(_authorize, sandbox), methods=["GET"]),
        Route("/{mall_id}/api/v2/oauth/token", partial(_token, sandbox), methods=["POST"]),
        Route("/{mall_id}/api/v2/oauth/revoke", partial(_revoke, sandbox), methods=["POST"]),
    ]


async def _authorize(sandbox: Sandbox, request: Request) -> Response:
    mall_id = request.path_params["mall_id"]
    q = request.query_params
    try:
        if q.get("response_type") != "code":
            raise OAuthError(422, "invalid_request", "response_type must be code.")
        code = sandbox.oauth.authorize(mall_id, q.get("client_id", ""), q.get("redirect_uri", ""), q.get("scope", ""))
    except OAuthError as exc:
        return _oauth_error(exc)
    # The sandbox approves at once: there is no merchant at a browser to click "agree".
    target = q["redirect_uri"]
    params = {"code": code, **({"state": q["state"]} if "state" in q else {})}
    sandbox.stats.record(mall_id, "GET /api/v2/oauth/authorize", 302, None)
    return RedirectResponse(f"{target}{'&' if '?' in target else '?'}{urlencode(params)}", status_code=302)


async def _token(sandbox: Sandbox, request: Request) -> Response:
    mall_id = request.path_params["mall_id"]
    try:
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise OAuthError(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded.")
        _check_client(sandbox, request)
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
        response = _oauth_error(exc)
    sandbox.stats.record(mall_id, "POST /api/v2/oauth/token", status, None)
    return response


async def _revoke(sandbox: Sandbox, request: Request) -> Response:
    mall_id = request.path_params["mall_id"]
    try:
        _check_client(sandbox, request)
        form = await _form(request)
        sandbox.oauth.revoke(mall_id, str(form.get("token", "")))
    except OAuthError as exc:
        return _oauth_error(exc)
    sandbox.stats.record(mall_id, "POST /api/v2/oauth/revoke", 200, None)
    return JSON({})


def _check_client(sandbox: Sandbox, request: Request) -> None:
    """The app's own credentials, which token and revoke calls carry as Basic base64(client_id:client_secret)."""
    credentials = basic_credentials(request.headers.get("authorization", ""))
    if credentials is None:
        raise OAuthError(401, "invalid_client", "Authorization: Basic base64(client_id:client_secret) is required.")
    sandbox.oauth.check_client(*credentials)


async def _form(request: Request) -> dict[str, str]:
    """The urlencoded body of an OAuth call (the only form the OAuth endpoints take)."""
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))


def _oauth_error(exc: OAuthError) -> Response:
    """Cafe24's error body, with the OAuth error code in more_info."""
    return ApiError(exc.status, exc.message, more_info={"error": exc.code}).response()


async def _not_found(request: Request, exc: Exception) -> Response:
    return ApiError(404, f"No such resource: {request.method} {request.url.path}").response()


async def _wrong_method(request: Request, exc: Exception) -> Response:
    return ApiError(405, f"{request.method} is not served for {request.url.path}").response()
