"""The API clients share one TLS context, and it verifies as httpx's own default does."""

from __future__ import annotations

import ssl

from sources.cafe24.client import make_http, tls


def test_every_client_verifies_certificates_and_hostnames_with_one_shared_context() -> None:
    with make_http() as first, make_http() as second:
        contexts = {id(c._transport._pool._ssl_context) for c in (first, second)}  # httpx keeps no public handle
    assert contexts == {id(tls())}
    assert tls().verify_mode == ssl.CERT_REQUIRED and tls().check_hostname
    assert tls().cert_store_stats()["x509_ca"] > 0  # the CA bundle is loaded, not an empty store
