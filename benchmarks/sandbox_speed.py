"""How fast the sandbox answers at full volume, against the 0.5 s a call may take at the bucket's 2 calls/s.

If the sandbox were slower than the bucket, benchmarks of the connector would measure the sandbox instead.
"""

from __future__ import annotations

import statistics
import time

import httpx

from sandbox.config import Limits, SandboxConfig, Volumes
from sandbox.server import SandboxServer

BUDGET = 0.5  # seconds per call at 2 calls/s
BIG = Volumes(products=50000, orders=100000, customers=50000)


def timed(client: httpx.Client, path: str, params: dict, repeat: int = 5) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path, params=params)
        times.append(time.perf_counter() - started)
        response.raise_for_status()
        size = len(response.content)
    return statistics.median(times), size


def main() -> None:
    config = SandboxConfig(volumes=BIG, limits=Limits(enabled=False))
    with SandboxServer(config) as server:
        started = time.perf_counter()
        server.sandbox.mall("bench")
        generated = time.perf_counter() - started
        token = httpx.post(f"{server.url}/__sandbox__/malls/bench/grant").json()["access_token"]
        client = httpx.Client(
            base_url=server.mall_url("bench") + "/api/v2/admin",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        window = {
            "start_date": time.strftime("%Y-%m-%d", time.gmtime(time.time() - 80 * 86400)),
            "end_date": time.strftime("%Y-%m-%d", time.gmtime(time.time())),
        }
        cases = [
            (
                "1,000 orders + items, receivers, buyer",
                "/orders",
                {**window, "limit": 1000, "embed": "items,receivers,buyer"},
            ),
            ("1,000 orders", "/orders", {**window, "limit": 1000}),
            ("orders/count", "/orders/count", window),
            ("100 products + variants", "/products", {"limit": 100, "embed": "variants"}),
            (
                "100 products, updated window",
                "/products",
                {"limit": 100, "updated_start_date": window["start_date"], "updated_end_date": window["end_date"]},
            ),
            (
                "1,000 customersprivacy (created_date)",
                "/customersprivacy",
                {"search_type": "created_date", "limit": 1000},
            ),
        ]
        print(f"sandbox: 100k orders / 50k products / 50k customers per mall; generated in {generated:.1f} s\n")
        print(f"{'call':<42} {'median s':>9} {'÷ 0.5 s budget':>15} {'bytes':>11}")
        for name, path, params in cases:
            seconds, size = timed(client, path, params)
            print(f"{name:<42} {seconds:>9.3f} {seconds / BUDGET:>15.2f} {size:>11,}")


if __name__ == "__main__":
    main()
