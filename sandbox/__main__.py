"""`cafe24-sandbox` / `python -m sandbox`: serve a Cafe24 look-alike on loopback."""

from __future__ import annotations

import argparse
import contextlib
import sys
from dataclasses import fields

from .config import Limits, SandboxConfig, Volumes
from .server import SandboxServer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="cafe24-sandbox", description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8024, help="port to listen on")
    parser.add_argument("--seed", type=int, default=SandboxConfig.seed, help="the same seed generates the same stores")
    parser.add_argument("--client-id", default=SandboxConfig.client_id, help="the app's client id")
    parser.add_argument("--client-secret", default=SandboxConfig.client_secret, help="the app's client secret")
    parser.add_argument("--start-time", type=float, help="epoch seconds the sandbox clock starts at (None: now)")
    parser.add_argument(
        "--frozen-clock", action="store_true", help="the clock moves only through POST /__sandbox__/clock/advance"
    )
    volumes = parser.add_argument_group("volumes (per mall)")
    for f in fields(Volumes):
        volumes.add_argument(
            f"--{f.name.replace('_', '-')}", type=type(f.default), default=f.default, help=f.metadata["help"]
        )
    limits = parser.add_argument_group("limits")
    limits.add_argument("--bucket-size", type=int, default=Limits.bucket_size, help="calls the bucket holds")
    limits.add_argument(
        "--drain-rate", type=float, default=Limits.drain_rate, help="calls per second leaving the bucket"
    )
    limits.add_argument(
        "--max-per-second",
        type=int,
        default=Limits.max_per_second,
        help="same-mall calls per second judged abnormal (0: off)",
    )
    limits.add_argument("--quota-calls", type=int, default=Limits.quota_calls, help="usage quota: calls per window")
    limits.add_argument(
        "--quota-seconds", type=float, default=Limits.quota_seconds, help="usage quota: processing seconds per window"
    )
    limits.add_argument(
        "--quota-window", type=float, default=Limits.quota_window, help="usage quota: the window, in seconds"
    )
    limits.add_argument(
        "--dcollection-per-minute",
        type=int,
        default=Limits.dcollection_per_minute,
        help="D.Collection calls per minute",
    )
    limits.add_argument("--no-limits", action="store_true", help="turn every rate limit off")
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> SandboxConfig:
    return SandboxConfig(
        seed=args.seed,
        client_id=args.client_id,
        client_secret=args.client_secret,
        start_time=args.start_time,
        clock_runs=not args.frozen_clock,
        volumes=Volumes(**{f.name: getattr(args, f.name) for f in fields(Volumes)}),
        limits=Limits(
            bucket_size=args.bucket_size,
            drain_rate=args.drain_rate,
            max_per_second=args.max_per_second,
            quota_calls=args.quota_calls,
            quota_seconds=args.quota_seconds,
            quota_window=args.quota_window,
            dcollection_per_minute=args.dcollection_per_minute,
            enabled=not args.no_limits,
        ),
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server = SandboxServer(config_from(args), host=args.host, port=args.port)
    print(
        f"Cafe24 sandbox on http://{args.host}:{args.port}  (mall M: http://{args.host}:{args.port}/M/api/v2/...,"
        f" D.Collection: /dcollection/api/..., control: /__sandbox__/...)",
        file=sys.stderr,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
