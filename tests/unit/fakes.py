"""In-memory stand-ins for the unit tests: an API served by `httpx.MockTransport` and a pacer that never waits, so
a walker or the client runs in microseconds instead of against the sandbox and its real-time rate limits."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import httpx

from sources.cafe24.client import ApiClient, RetryPolicy

API_URL = "https://unit.cafe24api.com/api/v2/admin"
PREFIX = "/api/v2/admin"
# One attempt: a test of one answer must not sleep through tenacity's backoff.
NO_RETRY = RetryPolicy(attempts=1)


class NoWait:
    """The client's Pacer protocol, counting what it is told and never blocking."""

    def __init__(self) -> None:
        self.acquired = self.observed = self.backed_off = 0

    def acquire(self) -> None:
        self.acquired += 1

    def observe(self, headers: Mapping[str, str]) -> None:
        self.observed += 1

    def back_off(self) -> None:
        self.backed_off += 1


Route = Callable[[dict[str, str]], dict[str, Any]]


class FakeApi:
    """Each path (under /api/v2/admin) answers a function of the query; every call's path and query are kept."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.calls: list[tuple[str, dict[str, str]]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix(PREFIX)
        params = dict(request.url.params)
        self.calls.append((path, params))
        return httpx.Response(200, json=self.routes[path](params))

    def client(self) -> ApiClient:
        return ApiClient(
            "unit", API_URL, httpx.Client(transport=httpx.MockTransport(self.handle)), NoWait(), retry=NO_RETRY
        )

    def params(self, path: str) -> list[dict[str, str]]:
        """The queries of the calls to one path, in order."""
        return [params for called, params in self.calls if called == path]


def epoch(kst_text: str) -> int:
    """A bound the walkers printed (kst_iso) back as epoch seconds."""
    return int(datetime.fromisoformat(kst_text).timestamp())
