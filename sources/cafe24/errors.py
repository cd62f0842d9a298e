"""Typed errors that carry Cafe24's error code and message, and never a token or the client secret."""

from __future__ import annotations

import re
import socket
import threading
from urllib.parse import urlparse

_SECRETS: set[str] = set()
_LOCK = threading.Lock()
_BEARER = re.compile(r"(?i)(bearer|basic)\s+[A-Za-z0-9+/=._-]+")
# OAuth fields whose values are secrets, in a form or query (`refresh_token=abc&x=1`) or a JSON/dict text
# (`"refresh_token": "abc"`): a value can be a token nobody registered yet, or one cut off mid-value.
_FIELDS = r"access_token|refresh_token|code|client_secret"
_FORM_FIELD = re.compile(rf"(?<![\w-])({_FIELDS})=[^&\s\"'#]+")
_QUOTED_FIELD = re.compile(rf"(\\?[\"']({_FIELDS})\\?[\"']\s*:\s*\\?[\"'])[^\"'\\]+")
# C0 and C1 control characters and DEL: a server's message could otherwise move the cursor or clear the terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def register_secret(value: str | None) -> None:
    """Remember a value that must never be shown; every error message passes through `redact`."""
    if value and len(value) >= 6:
        with _LOCK:
            _SECRETS.add(value)


def redact(text: str) -> str:
    with _LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, "***")
    text = _FORM_FIELD.sub(r"\1=***", text)
    text = _QUOTED_FIELD.sub(r"\1***", text)
    return _BEARER.sub(r"\1 ***", text)


def visible(text: str) -> str:
    """Control characters as escapes (`\\x1b`, `\\n`), so text from a server cannot drive the terminal."""
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


class Cafe24Error(Exception):
    """Something went wrong talking to Cafe24; `status`/`code` are what the platform answered, if it did."""

    retryable = False

    def __init__(
        self, mall_id: str, message: str, *, status: int | None = None, code: object = None, endpoint: str | None = None
    ) -> None:
        self.mall_id = mall_id
        self.status = status
        self.code = code
        self.endpoint = endpoint
        self.message = visible(redact(message))
        where = f" {endpoint}" if endpoint else ""
        super().__init__(visible(f"[{mall_id}{where}] ") + self.message)


class Cafe24AuthError(Cafe24Error):
    """401, or a grant that cannot be refreshed: the user must authorize again."""


class Cafe24ScopeError(Cafe24Error):
    """403: the app's grant lacks a scope the endpoint needs."""


class Cafe24RequestError(Cafe24Error):
    """400/404/422: the request itself is wrong; retrying cannot help."""


class Cafe24RateLimited(Cafe24Error):
    retryable = True


class Cafe24ServerError(Cafe24Error):
    retryable = True


class Cafe24MalformedResponse(Cafe24Error):
    """A 200 whose body is not the JSON object the endpoint promises (cut off, or an HTML page)."""

    retryable = True


def transport_error(mall_id: str, url: str, exc: BaseException, endpoint: str | None = None) -> Cafe24Error:
    """A DNS failure means a wrong mall id (retrying cannot fix it); anything else on the wire is retryable."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return Cafe24RequestError(
                mall_id,
                f"the host {urlparse(url).hostname} does not resolve: check the mall id '{mall_id}' (and base_url)",
                endpoint=endpoint,
            )
        cause = cause.__cause__ or cause.__context__
    return Cafe24ServerError(mall_id, f"transport error: {exc.__class__.__name__}: {exc}", endpoint=endpoint)
