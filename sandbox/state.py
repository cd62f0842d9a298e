"""What one running sandbox knows (`Sandbox`) and what it counts (`Stats`).

A module of its own so the routes (app, control, the request gate) import the state, never each other.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import Any

from .clock import Clock
from .config import SandboxConfig, Volumes
from .dcollection import Catalog
from .faults import Fault, Faults
from .limits import RateLimiter
from .oauth import OAuthServer
from .store import LiveRates, MallStore


class Stats:
    """Request counts per mall (or D.Collection client) and endpoint, for tests and benchmarks."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.counts: dict[str, dict[str, dict[str, int]]] = defaultdict(
                lambda: defaultdict(lambda: defaultdict(int))
            )
            self.started = time.time()

    def record(self, who: str, endpoint: str, status: int, fault: Fault | None) -> None:
        with self.lock:
            row = self.counts[who][endpoint]
            row["requests"] += 1
            row[str(status)] += 1
            if status == 429:
                row["throttled"] += 1
            if status >= 500 or fault is not None:
                row["errors"] += 1
            if fault is not None:
                row["faults"] += 1

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            malls = {who: {ep: dict(c) for ep, c in eps.items()} for who, eps in self.counts.items()}
        totals: dict[str, int] = defaultdict(int)
        for eps in malls.values():
            for c in eps.values():
                for k, n in c.items():
                    totals[k] += n
        return {"since": self.started, "totals": dict(totals), "malls": malls}


class Sandbox:
    """Everything one running sandbox knows: clock, grants, limits, faults, stats and the generated malls."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.clock = Clock(self.config.start_time, self.config.clock_runs)
        self.anchor = self.clock.now()
        self.oauth = OAuthServer(self.clock, self.config.client_id, self.config.client_secret)
        self.limiter = RateLimiter(self.config.limits)
        self.faults = Faults(self.config.seed)
        self.stats = Stats()
        self.live = LiveRates()
        self.volumes: dict[str, Volumes] = {}
        self._malls: dict[str, MallStore] = {}
        self._lock = threading.Lock()
        self.dcollection = Catalog(self.config, self.anchor)

    def mall(self, mall_id: str) -> MallStore:
        with self._lock:
            store = self._malls.get(mall_id)
            if store is None:
                volumes = self.volumes.get(mall_id, self.config.volumes)
                store = self._malls[mall_id] = MallStore(mall_id, self.config.seed, volumes, self.anchor)
                store.rates = self.live
        store.catch_up(self.clock.now())
        return store

    def set_volumes(self, mall_id: str, volumes: Volumes) -> None:
        """Give a mall its own size; it is generated anew on next use."""
        with self._lock:
            self.volumes[mall_id] = volumes
            self._malls.pop(mall_id, None)

    def set_live(self, rates: LiveRates, mall_id: str | None = None) -> None:
        with self._lock:
            if mall_id is None:
                targets = list(self._malls.values())
            else:
                targets = [self._malls[mall_id]] if mall_id in self._malls else []
            if mall_id is None:
                self.live = rates
                self.dcollection.edits_per_hour = rates.dcollection_edits_per_hour
        now = self.clock.now()
        for store in targets:
            store.catch_up(now)  # activity before this moment follows the old rates
            store.rates = rates
        if mall_id and mall_id not in self._malls:
            self.mall(mall_id).rates = rates
