"""`make demo`: start the sandbox, authorize like a merchant would, and show a few live calls.

The full demo (a dlt load into DuckDB, then an incremental run) arrives with the Admin source.
"""

from __future__ import annotations

import argparse
import secrets
import time
from urllib.parse import parse_qs, urlparse

import httpx

from sandbox.config import SandboxConfig
from sandbox.oauth import SCOPES
from sandbox.server import SandboxServer

MALL = "demomall"
REDIRECT_URI = "http://127.0.0.1:8025/callback"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8024)
    args = parser.parse_args(argv)
    config = SandboxConfig()
    with SandboxServer(config, port=args.port) as server:
        base = server.mall_url(MALL)
        print(f"Cafe24 sandbox listening on {server.url} (mall '{MALL}': {base}/api/v2/...)\n")
        state = secrets.token_hex(8)
        authorize = httpx.get(f"{base}/api/v2/oauth/authorize", params={
            "response_type": "code", "client_id": config.client_id, "state": state,
            "redirect_uri": REDIRECT_URI, "scope": ",".join(SCOPES)})
        code = parse_qs(urlparse(authorize.headers["location"]).query)["code"][0]
        print(f"1. authorize -> {authorize.status_code} redirect with a one-minute code")
        token = httpx.post(f"{base}/api/v2/oauth/token", auth=(config.client_id, config.client_secret),
                           data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI})
        grant = token.json()
        print(f"2. token     -> {token.status_code}; access token expires {grant['expires_at']} (KST), "
              f"refresh token {grant['refresh_token_expires_at']}")
        client = httpx.Client(base_url=f"{base}/api/v2/admin",
                              headers={"Authorization": f"Bearer {grant['access_token']}",
                                       "X-Cafe24-Api-Version": "2025-12-01"})
        for path, params in (("/products/count", {}), ("/products", {"limit": 3, "fields": "product_no,product_name,price,updated_date"}),
                             ("/customersprivacy/count", {}), ("/shops", {})):
            response = client.get(path, params=params)
            print(f"3. GET {path:<24} -> {response.status_code}  X-Api-Call-Limit {response.headers['x-api-call-limit']}")
            body = response.json()
            if "products" in body:
                for row in body["products"]:
                    print(f"     {row['product_no']:>6}  {row['price']:>10}  {row['updated_date']}  {row['product_name']}")
            elif "shops" in body:
                for row in body["shops"]:
                    print(f"     shop {row['shop_no']}: {row['currency_code']} {row['language_code']} {row['timezone']}")
            else:
                print(f"     {body}")
        statuses = []
        for _ in range(60):  # ~8 calls/s: under the 10/s rule, over the 2/s drain
            statuses.append(client.get("/categories/count").status_code)
            time.sleep(0.12)
        first_429 = statuses.index(429) + 1 if 429 in statuses else None
        print(f"4. 60 calls at ~9/s: {statuses.count(200)} x 200, {statuses.count(429)} x 429, the first 429 at "
              f"call {first_429} (the bucket holds 40 and drains 2/s)")
        print(f"\nTry it yourself: `make sandbox` (port {args.port}), then the curl lines in README.md.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
