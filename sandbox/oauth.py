"""OAuth 2.0 as Cafe24 documents it: one-minute single-use codes, 2-hour access tokens, 2-week refresh tokens
that rotate on every use (docs/cafe24-reference.md#oauth).
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from dataclasses import dataclass, field

from .clock import Clock, kst_oauth

CODE_TTL = 60
ACCESS_TTL = 2 * 3600
REFRESH_TTL = 14 * 24 * 3600

SCOPES = (
    "mall.read_product",
    "mall.read_order",
    "mall.read_privacy",
    "mall.read_customer",
    "mall.read_category",
    "mall.read_store",
)


def basic_credentials(header: str) -> tuple[str, str] | None:
    """(client_id, secret) from `Authorization: Basic base64(client_id:secret)`, or None."""
    if not header.lower().startswith("basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return client_id, secret


class OAuthError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _token() -> str:
    # Cafe24 tokens are opaque alphanumeric strings about 22 characters long.
    return secrets.token_urlsafe(16).replace("-", "A").replace("_", "z")


@dataclass
class Grant:
    """One app's authorization on one mall. Holds exactly one live access token and one live refresh token."""

    mall_id: str
    client_id: str
    user_id: str
    scopes: tuple[str, ...]
    access_token: str = ""
    access_expires: float = 0.0
    refresh_token: str = ""
    refresh_expires: float = 0.0
    issued: float = 0.0
    revoked: bool = False


@dataclass
class _Code:
    mall_id: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    expires: float
    used: bool = False


@dataclass
class OAuthServer:
    clock: Clock
    client_id: str
    client_secret: str
    codes: dict[str, _Code] = field(default_factory=dict)
    by_access: dict[str, Grant] = field(default_factory=dict)
    by_refresh: dict[str, Grant] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def authorize(self, mall_id: str, client_id: str, redirect_uri: str, scope: str) -> str:
        if client_id != self.client_id:
            raise OAuthError(401, "invalid_client", "Unknown client_id.")
        if not redirect_uri:
            raise OAuthError(422, "invalid_request", "redirect_uri is required.")
        scopes = tuple(s for s in scope.split(",") if s) if scope else ()
        unknown = [s for s in scopes if s not in SCOPES]
        if not scopes or unknown:
            raise OAuthError(422, "invalid_scope", f"Unknown or empty scope: {','.join(unknown) or '(none)'}")
        code = _token()
        with self.lock:
            self.codes[code] = _Code(mall_id, client_id, redirect_uri, scopes, self.clock.now() + CODE_TTL)
        return code

    def check_client(self, client_id: str, client_secret: str) -> None:
        if client_id != self.client_id or not secrets.compare_digest(client_secret, self.client_secret):
            raise OAuthError(401, "invalid_client", "Client authentication failed.")

    def exchange_code(self, mall_id: str, code: str, redirect_uri: str) -> dict:
        with self.lock:
            entry = self.codes.get(code)
            if entry is None or entry.mall_id != mall_id:
                raise OAuthError(400, "invalid_grant", "Invalid authorization code.")
            if entry.used:
                raise OAuthError(400, "invalid_grant", "The authorization code has already been used.")
            if self.clock.now() > entry.expires:
                raise OAuthError(400, "invalid_grant", "The authorization code has expired.")
            if redirect_uri != entry.redirect_uri:
                raise OAuthError(400, "invalid_grant", "redirect_uri does not match the authorization request.")
            entry.used = True
            grant = Grant(mall_id, entry.client_id, f"{mall_id}-admin", entry.scopes)
            return self._rotate(grant)

    def refresh(self, mall_id: str, refresh_token: str) -> dict:
        with self.lock:
            grant = self.by_refresh.get(refresh_token)
            if grant is None or grant.mall_id != mall_id or grant.revoked:
                raise OAuthError(400, "invalid_grant", "Invalid refresh_token.")
            if self.clock.now() > grant.refresh_expires:
                raise OAuthError(400, "invalid_grant", "The refresh_token has expired.")
            return self._rotate(grant)

    def mint(self, mall_id: str, scopes: tuple[str, ...] = SCOPES) -> dict:
        """A grant without the browser step, for tests and demos (the control API's shortcut)."""
        with self.lock:
            return self._rotate(Grant(mall_id, self.client_id, f"{mall_id}-admin", scopes))

    def revoke(self, mall_id: str, token: str) -> None:
        with self.lock:
            grant = self.by_access.get(token) or self.by_refresh.get(token)
            if grant is not None and grant.mall_id == mall_id:
                grant.revoked = True
                self.by_access.pop(grant.access_token, None)
                self.by_refresh.pop(grant.refresh_token, None)

    def authenticate(self, mall_id: str, access_token: str) -> Grant:
        with self.lock:
            grant = self.by_access.get(access_token)
            if grant is None or grant.mall_id != mall_id or grant.revoked:
                raise OAuthError(401, "invalid_token", "Invalid access_token.")
            if self.clock.now() > grant.access_expires:
                raise OAuthError(401, "invalid_token", "access_token time expired.")
            return grant

    def expire_access(self, mall_id: str, *, refresh_too: bool = False) -> int:
        """Expire every access token of a mall now (and, if asked, its refresh tokens)."""
        with self.lock:
            now = self.clock.now()
            grants = {id(g): g for g in self.by_access.values() if g.mall_id == mall_id}
            for grant in grants.values():
                grant.access_expires = now - 1
                if refresh_too:
                    grant.refresh_expires = now - 1
            return len(grants)

    def _rotate(self, grant: Grant) -> dict:
        """Issue a new token pair; the old refresh token and the old access token die at once."""
        self.by_access.pop(grant.access_token, None)
        self.by_refresh.pop(grant.refresh_token, None)
        now = self.clock.now()
        grant.access_token, grant.refresh_token = _token(), _token()
        grant.issued, grant.access_expires, grant.refresh_expires = now, now + ACCESS_TTL, now + REFRESH_TTL
        self.by_access[grant.access_token] = grant
        self.by_refresh[grant.refresh_token] = grant
        return {
            "access_token": grant.access_token,
            "expires_at": kst_oauth(grant.access_expires),
            "refresh_token": grant.refresh_token,
            "refresh_token_expires_at": kst_oauth(grant.refresh_expires),
            "client_id": grant.client_id,
            "mall_id": grant.mall_id,
            "user_id": grant.user_id,
            "scopes": list(grant.scopes),
            "issued_at": kst_oauth(grant.issued),
            "shop_no": "1",
            "token_type": "Bearer",
        }
