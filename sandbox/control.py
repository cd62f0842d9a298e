"""/__sandbox__: the control and observation API that tests, benchmarks and demos drive.

Nothing here exists on Cafe24; every route is documented in docs/sandbox.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .clock import kst
from .config import Volumes
from .errors import JSON, ApiError
from .oauth import SCOPES
from .state import Sandbox
from .store import LiveRates


async def _json(request: Request) -> dict[str, Any]:
    if not await request.body():
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "The body must be JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object.")
    return body


def _only(body: dict[str, Any], cls: type) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(body) - names)
    if unknown:
        raise ApiError(422, f"Unknown setting '{unknown[0]}'; expected some of {', '.join(sorted(names))}.")
    return body


@dataclass(frozen=True)
class _Deletion:
    products: tuple[int, ...] = ()
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Restore:
    products: tuple[int, ...] = ()


def routes(sandbox: Sandbox) -> list[Route]:
    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                return JSON(await handler(request))
            except ApiError as exc:
                return exc.response()
            except (TypeError, ValueError) as exc:
                return ApiError(422, str(exc)).response()

        return endpoint

    async def stats(request: Request) -> dict:
        if request.method == "DELETE":
            sandbox.stats.reset()
        return sandbox.stats.snapshot()

    async def faults(request: Request) -> Any:
        if request.method == "POST":
            return sandbox.faults.add(**await _json(request)).public()
        if request.method == "DELETE":
            sandbox.faults.clear()
        return {"faults": [f.public() for f in sandbox.faults.rules]}

    async def clock(request: Request) -> dict:
        if request.method == "POST":
            seconds = float((await _json(request)).get("seconds", 0))
            sandbox.clock.advance(seconds)
        now = sandbox.clock.now()
        return {"now": kst(now), "epoch": now}

    async def expire_token(request: Request) -> dict:
        mall_id = request.path_params["mall_id"]
        refresh = request.query_params.get("refresh") in ("1", "true", "T")
        return {"expired_grants": sandbox.oauth.expire_access(mall_id, refresh_too=refresh)}

    async def grant(request: Request) -> dict:
        scopes = tuple((await _json(request)).get("scopes", SCOPES))
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown:
            raise ApiError(422, f"Unknown scope {unknown[0]}.")
        return sandbox.oauth.mint(request.path_params["mall_id"], scopes)

    async def volumes(request: Request) -> dict:
        mall_id = request.path_params["mall_id"]
        if request.method == "PUT":
            sandbox.set_volumes(mall_id, sandbox.config.volumes.with_overrides(**_only(await _json(request), Volumes)))
        return asdict(sandbox.volumes.get(mall_id, sandbox.config.volumes))

    async def live(request: Request) -> dict:
        mall_id = request.path_params.get("mall_id")
        rates = LiveRates(**_only(await _json(request), LiveRates))
        sandbox.set_live(rates, mall_id)
        return asdict(rates)

    async def new_fields(request: Request) -> dict:
        """The platform starts sending undocumented fields: {response key: {field: value}} on every row."""
        store = sandbox.mall(request.path_params["mall_id"])
        body = await _json(request)
        with store.lock:
            store.new_fields.update({k: dict(v) for k, v in body.items()})
            return store.new_fields

    async def delete(request: Request) -> dict:
        """The merchant deletes: {"products": [product_no, ...], "members": [member_id, ...]}."""
        store = sandbox.mall(request.path_params["mall_id"])
        body = _only(await _json(request), _Deletion)
        try:
            return {
                "products": store.delete_products([int(n) for n in body.get("products", ())]),
                "members": store.delete_members([str(m) for m in body.get("members", ())]),
            }
        except KeyError as exc:
            raise ApiError(404, f"No such {exc.args[0]}.") from None

    async def restore(request: Request) -> dict:
        """The merchant restores products from the trash: {"products": [product_no, ...]}."""
        store = sandbox.mall(request.path_params["mall_id"])
        body = _only(await _json(request), _Restore)
        try:
            return {"products": store.restore_products([int(n) for n in body.get("products", ())])}
        except KeyError as exc:
            raise ApiError(404, f"No such {exc.args[0]}.") from None

    async def truth(request: Request) -> dict:
        """Ground truth as of the sandbox clock: every key a complete load must contain."""
        store = sandbox.mall(request.path_params["mall_id"])
        now = sandbox.clock.now()
        with store.lock:
            visible_orders = [o for o in store.orders if o.timeline["order_date"] <= now]
            return {
                "now": kst(now),
                "products": sorted(store.products),
                "categories": sorted(store.categories),
                "orders": {str(s): sorted(o.order_id for o in visible_orders if o.shop_no == s) for s in (1, 2, 3)},
                "customers": {
                    str(s): sorted(c.member_id for c in store.customers if c.shop_no == s and c.created <= now)
                    for s in (1, 2, 3)
                },
                "variants": sum(p.n_variants for p in store.products.values()),
            }

    table = [
        ("/__sandbox__/stats", stats, ["GET", "DELETE"]),
        ("/__sandbox__/faults", faults, ["GET", "POST", "DELETE"]),
        ("/__sandbox__/clock", clock, ["GET"]),
        ("/__sandbox__/clock/advance", clock, ["POST"]),
        ("/__sandbox__/live", live, ["POST"]),
        ("/__sandbox__/malls/{mall_id}/live", live, ["POST"]),
        ("/__sandbox__/malls/{mall_id}/expire-token", expire_token, ["POST"]),
        ("/__sandbox__/malls/{mall_id}/grant", grant, ["POST"]),
        ("/__sandbox__/malls/{mall_id}/volumes", volumes, ["GET", "PUT"]),
        ("/__sandbox__/malls/{mall_id}/truth", truth, ["GET"]),
        ("/__sandbox__/malls/{mall_id}/new-fields", new_fields, ["POST"]),
        ("/__sandbox__/malls/{mall_id}/delete", delete, ["POST"]),
        ("/__sandbox__/malls/{mall_id}/restore", restore, ["POST"]),
    ]
    return [Route(path, guarded(handler), methods=methods) for path, handler, methods in table]
