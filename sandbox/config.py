"""Settings of one sandbox: seed, volumes, limits and app credentials."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Volumes:
    """How big each generated mall is; any mall can be given its own through the control API."""

    products: int = 300
    orders: int = 3000
    customers: int = 600
    categories: int = 40
    history_days: int = 400
    # The awkward cases, kept on purpose (see docs/sandbox.md).
    max_variants: int = 120  # one product carries this many variants (> the 100-per-product embed limit)
    bulk_edit_fraction: float = 0.55  # share of products edited on one "bulk edit" day
    same_second_rows: int = 150  # rows sharing one timestamp second (products, orders, customers)
    peak_fraction: float = 0.3  # share of orders placed in one sale week

    def with_overrides(self, **changes: object) -> "Volumes":
        return replace(self, **changes)


@dataclass(frozen=True)
class Limits:
    bucket_size: int = 40
    drain_rate: float = 2.0  # calls per second leaving the bucket
    max_per_second: int = 10  # same-mall calls within one second judged abnormal; 0 turns it off
    quota_calls: int = 3000  # usage quota: calls per window (third-party figure, see docs)
    quota_seconds: float = 600.0  # usage quota: processing seconds per window
    quota_window: float = 600.0  # seconds
    dcollection_per_minute: int = 40
    enabled: bool = True


@dataclass(frozen=True)
class SandboxConfig:
    seed: int = 24
    client_id: str = "sandbox-client-id"
    client_secret: str = "sandbox-client-secret"
    volumes: Volumes = field(default_factory=Volumes)
    limits: Limits = field(default_factory=Limits)
    start_time: float | None = None  # epoch seconds the sandbox clock starts at; None = now
    clock_runs: bool = True  # False: the clock moves only when advanced through the control API
    dcollection_stores: int = 12
    dcollection_big_shop_products: int = 5200  # one D.Collection shop has more products than the offset cap
