"""Settings of one sandbox: seed, volumes, limits and app credentials."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Volumes:
    """How big each generated mall is; any mall can be given its own through the control API."""

    # The help texts are what `cafe24-sandbox --help` prints beside each option.
    products: int = field(default=300, metadata={"help": "products in the catalogue"})
    orders: int = field(default=3000, metadata={"help": "orders over the history"})
    customers: int = field(default=600, metadata={"help": "members"})
    categories: int = field(default=40, metadata={"help": "categories in the tree"})
    history_days: int = field(default=400, metadata={"help": "days of history before the clock's start"})
    # The awkward cases, kept on purpose (see docs/sandbox.md).
    max_variants: int = field(
        default=120, metadata={"help": "variants of the one largest product (over the embed's 100 per product)"}
    )
    bulk_edit_fraction: float = field(default=0.55, metadata={"help": "share of products edited on one bulk-edit day"})
    same_second_rows: int = field(
        default=150, metadata={"help": "rows sharing one timestamp second (products, orders, members)"}
    )
    peak_fraction: float = field(default=0.3, metadata={"help": "share of orders placed in one sale week"})

    def with_overrides(self, **changes: object) -> Volumes:
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
