"""The sandbox as an ASGI app: Admin, Front, OAuth, D.Collection and the /__sandbox__ control routes.

Every Admin, Front and D.Collection call passes the one request gate of gate.py.
"""

from __future__ import annotations

from collections.abc import Callable
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
DCOLLECTION_ROUTES: tuple[tuple[str, Callable[[dcollection.Catalog, dict[str, str]], dict]], ...] = (
    ("/dcollection/api/shops", dcollection.list_shops),
    ("/dcollection/api/products", dcollection.list_products),
    ("/dcollection/api/products/count", dcollection.count_products),
    ("/dcollection/api/products/standardtags", dcollection.list_standard_tags),
    ("/dcollection/api/storeproducts", dcollection.list_store_products),
)


async def _form(request: Request) -> dict[str, str]:
    """The urlencoded body of an OAuth call (the only form the OAuth endpoints take)."""
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))


def create_app(sandbox: Sandbox) -> Starlette:
    def admin_endpoint(path: str, handler: Callable[..., dict], scope: str | None) -> Route:
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

    dcollection_policy = gate.DCollectionPolicy(sandbox)

    def dcollection_endpoint(path: str, handler: Callable[[dcollection.Catalog, dict[str, str]], dict]) -> Route:
        def answer(request: Request, caller: gate.Caller, now: float) -> bytes:
            catalog = sandbox.dcollection
            catalog.ensure(now)
            with catalog.lock:
                return orjson.dumps(handler(catalog, dict(request.query_params)))

        return gate.route(sandbox, path, "GET " + path.removeprefix("/dcollection"), dcollection_policy, answer)

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
        *(dcollection_endpoint(path, handler) for path, handler in DCOLLECTION_ROUTES),
        Route("/{mall_id}/api/v2/oauth/authorize", authorize, methods=["GET"]),
        Route("/{mall_id}/api/v2/oauth/token", token, methods=["POST"]),
        Route("/{mall_id}/api/v2/oauth/revoke", revoke, methods=["POST"]),
        *(admin_endpoint(path, handler, scope) for path, handler, scope in ADMIN_ROUTES),
        *(admin_endpoint(path, handler, None) for path, handler in FRONT_ROUTES),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: wrong_method})
    app.state.sandbox = sandbox
    return app
