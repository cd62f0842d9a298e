"""Authorizing the app on a mall: the OAuth authorization-code flow with a one-shot local callback."""

from __future__ import annotations

import http.server
import queue
import secrets
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TextIO
from urllib.parse import parse_qs, urlencode, urlparse

import pendulum

from sources.cafe24.auth import AppCredentials, Grant, TokenManager, TokenStore
from sources.cafe24.client import check_base_url, make_http
from sources.cafe24.endpoints import SCOPES
from sources.cafe24.errors import Cafe24AuthError, register_secret
from sources.cafe24.settings import KST

from .errors import UsageError

CALLBACK_PATH = "/callback"


def mall_root(base_url: str, mall_id: str) -> str:
    root = base_url.format(mall_id=mall_id).rstrip("/")
    try:
        check_base_url(root)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return root


def authorize_url(root: str, client_id: str, redirect_uri: str, state: str, scopes: Iterable[str]) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "state": state,
            "redirect_uri": redirect_uri,
            "scope": ",".join(scopes),
        },
        safe=",",
    )
    return f"{root}/api/v2/oauth/authorize?{query}"


def exchange(mall_id: str, app: AppCredentials, root: str, store: TokenStore, code: str, redirect_uri: str) -> Grant:
    """Trade an authorization code for the mall's grant; TokenManager writes it to the store (mode 0600)."""
    register_secret(code)
    with make_http() as http:
        return TokenManager(mall_id, f"{root}/api/v2/oauth", app, store, http).exchange_code(code, redirect_uri)


class _Callback(http.server.BaseHTTPRequestHandler):
    server: CallbackServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        url = urlparse(self.path)
        if url.path != CALLBACK_PATH:
            self._answer(404, "Not the callback.")
            return
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if not secrets.compare_digest(query.get("state", ""), self.server.state):
            self._answer(400, "The state does not match this authorization request; it was ignored.")
            return
        if "error" in query:
            self.server.results.put(("error", f"{query['error']}: {query.get('error_description', '')}"))
            self._answer(400, "Cafe24 did not authorize the app; see the terminal.")
        elif query.get("code"):
            self.server.results.put(("code", query["code"]))
            self._answer(200, "Authorized: the terminal is finishing up. You can close this tab.")
        else:
            self._answer(400, "The redirect carries no code.")

    def _answer(self, status: int, text: str) -> None:
        body = f"<!doctype html><title>cafe24-dlt</title><p>{text}</p>\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the request line carries the code: never log it


class CallbackServer(http.server.ThreadingHTTPServer):
    """127.0.0.1:port, receiving `/callback?code&state` once; port 0 picks a free port."""

    daemon_threads = True

    def __init__(self, port: int, state: str) -> None:
        try:
            super().__init__(("127.0.0.1", port), _Callback)
        except OSError as exc:
            raise UsageError(
                f"cannot listen on 127.0.0.1:{port} for the OAuth redirect ({exc.strerror}); "
                "pass another --port (and register its redirect URI with the app)"
            ) from None
        self.state = state
        self.results: queue.Queue[tuple[str, str]] = queue.Queue()
        self._thread = threading.Thread(target=self.serve_forever, name="cafe24-oauth-callback", daemon=True)

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{CALLBACK_PATH}"

    def __enter__(self) -> CallbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()

    def wait(self, mall_id: str, timeout: float) -> str:
        try:
            kind, value = self.results.get(timeout=timeout)
        except queue.Empty:
            raise Cafe24AuthError(
                mall_id,
                f"no authorization reached {self.redirect_uri} within {timeout:.0f} s; "
                "run `auth` again (the code lives one minute)",
            ) from None
        if kind == "error":
            raise Cafe24AuthError(mall_id, f"the authorization was refused ({value})")
        return value


def authorize(
    mall_id: str,
    app: AppCredentials,
    base_url: str,
    store: TokenStore,
    *,
    scopes: Sequence[str] = SCOPES,
    port: int = 8025,
    open_url: Callable[[str], object] | None = None,
    timeout: float = 300.0,
    out: TextIO = sys.stdout,
) -> Grant:
    """The authorization-code flow: print the authorize URL, receive the redirect on 127.0.0.1:port, check
    `state`, exchange the code and store the grant. `open_url` plays the browser (None: the user opens it)."""
    root = mall_root(base_url, mall_id)
    state = secrets.token_urlsafe(16)
    with CallbackServer(port, state) as server:
        url = authorize_url(root, app.client_id, server.redirect_uri, state, scopes)
        print(
            f"Open this URL, sign in as the mall's operator and approve the app:\n\n  {url}\n\n"
            f"Waiting for the redirect to {server.redirect_uri} ...",
            file=out,
            flush=True,
        )
        if open_url is not None:
            open_url(url)
        code = server.wait(mall_id, timeout)
        return exchange(mall_id, app, root, store, code, server.redirect_uri)


def describe_grant(grant: Grant, store: TokenStore) -> str:
    def kst(epoch: float) -> str:
        return pendulum.from_timestamp(epoch, tz=KST).format("YYYY-MM-DD HH:mm:ss") + " KST"

    where = store.path_for(grant.mall_id).resolve()
    return (
        f"Authorized mall {grant.mall_id}. The grant is stored in {where} (mode 0600).\n"
        f"  scopes:        {', '.join(grant.scopes) or '(none reported)'}\n"
        f"  access token:  expires {kst(grant.expires_at)} (refreshed automatically)\n"
        f"  refresh token: expires {kst(grant.refresh_token_expires_at)}; each refresh renews it, so a pipeline "
        "that runs at least every two weeks never needs `auth` again."
    )
