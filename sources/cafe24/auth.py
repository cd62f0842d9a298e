"""The OAuth grant of each mall and where it lives between runs.

Cafe24 kills a refresh token the moment it is used, so the new one is written to disk (atomically, fsynced,
mode 0600) before the new access token is used, under a lock that overlapping cron runs share. The grant is
never kept only in dlt state: dlt rolls state back when a run fails, and the old token is dead by then.
The store is this user's alone: folders 0700, files 0600, nothing read or written outside its folder, and a
token reply is stored only if it is a whole grant for the mall that asked.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from itertools import takewhile
from pathlib import Path
from typing import Any

import httpx
import pendulum
from dlt.common.configuration import configspec
from dlt.common.configuration.specs import CredentialsConfiguration
from dlt.common.typing import TSecretStrValue
from filelock import FileLock

from .errors import Cafe24AuthError, Cafe24Error, redact, register_secret, transport_error
from .settings import KST, REFRESH_AHEAD_SECONDS

log = logging.getLogger("cafe24")

AUTH_COMMAND = "python -m pipelines.cafe24_pipeline auth --mall {mall_id}"
DIR_MODE = 0o700
FILE_MODE = 0o600
TOKEN_FIELDS = ("access_token", "refresh_token")
# What a token reply must carry to become a grant (Grant.from_response reads them all).
REPLY_FIELDS = ("mall_id", *TOKEN_FIELDS, "issued_at", "expires_at", "refresh_token_expires_at")


@configspec
class Cafe24Credentials(CredentialsConfiguration):
    client_id: str = None  # type: ignore[assignment]  # dlt's configspec: None until resolved, then required
    client_secret: TSecretStrValue | None = None  # the Admin API needs it; front_products needs only client_id
    refresh_token: TSecretStrValue | None = None  # first use only; afterwards the token store keeps the grant


@dataclass(frozen=True)
class AppCredentials:
    client_id: str
    client_secret: str = field(repr=False)

    def basic_header(self) -> str:
        pair = f"{self.client_id}:{self.client_secret}".encode()
        return "Basic " + base64.b64encode(pair).decode()


@dataclass(frozen=True)
class Grant:
    """One mall's tokens. Tokens never appear in repr(), logs or exception text."""

    mall_id: str
    access_token: str = field(repr=False)
    expires_at: float  # epoch seconds on this machine's clock
    refresh_token: str = field(repr=False)
    refresh_token_expires_at: float
    scopes: tuple[str, ...] = ()

    @classmethod
    def from_response(cls, body: dict[str, Any], received: float | None = None) -> Grant:
        """Expiry is kept on this machine's clock: lifetimes are measured from the server's `issued_at`, so a
        skewed local clock cannot make a live token look dead (or a dead one live)."""
        received = time.time() if received is None else received
        issued = _kst_epoch(body["issued_at"])
        return cls(
            mall_id=body["mall_id"],
            access_token=body["access_token"],
            expires_at=received + _kst_epoch(body["expires_at"]) - issued,
            refresh_token=body["refresh_token"],
            refresh_token_expires_at=received + _kst_epoch(body["refresh_token_expires_at"]) - issued,
            scopes=tuple(body.get("scopes") or ()),
        )

    def fresh(self, now: float | None = None) -> bool:
        return (now or time.time()) < self.expires_at - REFRESH_AHEAD_SECONDS


def _kst_epoch(text: str) -> float:
    """Token timestamps are KST wall time without an offset ("2021-03-01T14:00:00.000")."""
    moment = pendulum.parse(text, tz=KST)
    if not isinstance(moment, pendulum.DateTime):
        raise ValueError(f"{text!r} is not a date and time")
    return moment.timestamp()


def _register_tokens(body: Mapping[str, Any]) -> None:
    """Tokens rotate, so the ones configured at start are not all: each one read or issued is redacted too."""
    for name in TOKEN_FIELDS:
        if isinstance(body.get(name), str):
            register_secret(body[name])


class TokenStore:
    """One JSON file per mall in a private directory; each write replaces the file atomically."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory).expanduser()

    def path_for(self, mall_id: str) -> Path:
        """The mall's file, which must be a file of the store's own folder whatever the mall id says."""
        path = self.directory / f"{mall_id}.json"
        if path.resolve().parent != self.directory.resolve():
            raise ValueError(
                f"The mall id {mall_id!r} would put its grant outside the token store "
                f"{self.directory}; a mall id is lowercase letters and digits."
            )
        return path

    def lock(self, mall_id: str, timeout: float = 120) -> FileLock:
        path = Path(f"{self.path_for(mall_id)}.lock")
        self._make_directory(mall_id)
        if path.exists():
            _keep_private(path, FILE_MODE, mall_id)
        return FileLock(str(path), timeout=timeout, mode=FILE_MODE)

    def read(self, mall_id: str) -> Grant | None:
        path = self.path_for(mall_id)
        try:
            _keep_private(self.directory, DIR_MODE, mall_id)
            _keep_private(path, FILE_MODE, mall_id)
            data = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except ValueError as exc:
            raise Cafe24AuthError(
                mall_id,
                f"The token store file {path} is not valid JSON ({exc.__class__.__name__})"
                f"; run `{AUTH_COMMAND.format(mall_id=mall_id)}` again.",
            ) from None
        _register_tokens(data)
        data["scopes"] = tuple(data.get("scopes") or ())
        return Grant(**data)

    def write(self, grant: Grant) -> None:
        target = self.path_for(grant.mall_id)
        self._make_directory(grant.mall_id)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{grant.mall_id}.", suffix=".tmp")
        try:
            os.fchmod(fd, FILE_MODE)
            with os.fdopen(fd, "w") as handle:
                json.dump({**asdict(grant), "scopes": list(grant.scopes)}, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _make_directory(self, mall_id: str) -> None:
        """mkdir applies the umask (and gives parents 0777 under umask 000), so each folder it made is chmodded."""
        missing = list(takewhile(lambda folder: not folder.exists(), (self.directory, *self.directory.parents)))
        self.directory.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        for folder in missing:
            os.chmod(folder, DIR_MODE)
        _keep_private(self.directory, DIR_MODE, mall_id)


def _keep_private(path: Path, mode: int, mall_id: str) -> None:
    """Refuse a store path another user owns (they could swap the grant); close one others may open."""
    info = os.stat(path)
    if info.st_uid != os.geteuid():
        raise Cafe24AuthError(
            mall_id,
            f"The token store path {path} belongs to uid {info.st_uid}, not to this user "
            f"(uid {os.geteuid()}); give it to this user or choose another token_store.",
        )
    current = stat.S_IMODE(info.st_mode)
    if current & 0o077:
        log.warning("The token store path %s was open to other users (mode %04o); set it to %04o.", path, current, mode)
        os.chmod(path, mode)


class TokenManager:
    """Hands out a valid access token for one mall, refreshing it ahead of expiry and once on a 401."""

    def __init__(
        self,
        mall_id: str,
        oauth_url: str,
        app: AppCredentials,
        store: TokenStore,
        http: httpx.Client,
        bootstrap_refresh_token: str | None = None,
    ) -> None:
        self.mall_id = mall_id
        self.oauth_url = oauth_url  # .../api/v2/oauth
        self.app = app
        self.store = store
        self.http = http
        self.bootstrap_refresh_token = bootstrap_refresh_token
        register_secret(bootstrap_refresh_token)
        self._grant: Grant | None = None

    def access_token(self) -> str:
        grant = self._grant or self.store.read(self.mall_id)
        if grant is None or not grant.fresh():
            grant = self.refresh(rejected=None)
        self._grant = grant
        return grant.access_token

    def refresh(self, rejected: str | None) -> Grant:
        """Refresh under the store's lock. If another process already rotated the grant, use its result."""
        with self.store.lock(self.mall_id):
            stored = self.store.read(self.mall_id)
            if stored is not None and stored.fresh() and stored.access_token != rejected:
                self._grant = stored
                return stored
            if not self.app.client_secret:
                raise Cafe24AuthError(
                    self.mall_id,
                    "The Admin API needs the app's client_secret (sources.cafe24"
                    ".credentials.client_secret); only front_products runs without it.",
                )
            refresh_token = stored.refresh_token if stored else self.bootstrap_refresh_token
            if not refresh_token:
                raise Cafe24AuthError(
                    self.mall_id,
                    f"No grant is stored for this mall; run `{AUTH_COMMAND.format(mall_id=self.mall_id)}` first.",
                )
            grant = self._token_call({"grant_type": "refresh_token", "refresh_token": refresh_token})
            self._grant = grant
            return grant

    def exchange_code(self, code: str, redirect_uri: str) -> Grant:
        register_secret(code)
        with self.store.lock(self.mall_id):
            grant = self._token_call({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})
        self._grant = grant
        return grant

    def _token_call(self, form: dict[str, str]) -> Grant:
        try:
            response = self.http.post(
                f"{self.oauth_url}/token", data=form, headers={"Authorization": self.app.basic_header()}
            )
        except httpx.TransportError as exc:
            raise transport_error(self.mall_id, self.oauth_url, exc, "/oauth/token") from None
        if response.status_code in (400, 401):
            raise Cafe24AuthError(
                self.mall_id, _refusal(form["grant_type"], response, self.mall_id), status=response.status_code
            )
        if response.status_code != 200:
            raise Cafe24Error(
                self.mall_id,
                f"The token endpoint answered {response.status_code}: {_message(response)}",
                status=response.status_code,
            )
        grant = self._grant_from(response, form["grant_type"])
        # Persist first: from this moment the old refresh token is dead on the platform.
        self.store.write(grant)
        return grant

    def _grant_from(self, response: httpx.Response, grant_type: str) -> Grant:
        """A 200 that is not a whole grant for this mall is stored nowhere: a grant naming another mall would
        overwrite that mall's (or, with a path for a mall id, a file anywhere). The refresh token (or code) is
        spent all the same, so the error says the mall must be authorized again."""
        spent = _spent(grant_type, self.mall_id)
        try:
            body = response.json()
        except ValueError:
            raise Cafe24AuthError(
                self.mall_id,
                f"The token endpoint answered 200 with a body that is not JSON "
                f"({len(response.content)} bytes). {spent}",
                status=200,
            ) from None
        if not isinstance(body, dict):
            raise Cafe24AuthError(
                self.mall_id, f"The token endpoint answered 200 with JSON that is not an object. {spent}", status=200
            )
        _register_tokens(body)
        missing = [name for name in REPLY_FIELDS if not body.get(name) or not isinstance(body[name], str)]
        if missing:
            raise Cafe24AuthError(
                self.mall_id, f"The token endpoint's 200 answer lacks {', '.join(missing)}. {spent}", status=200
            )
        if body["mall_id"] != self.mall_id:
            raise Cafe24AuthError(
                self.mall_id,
                f"The token endpoint answered with a grant for mall "
                f"{body['mall_id'][:80]!r}, not {self.mall_id!r}; it was not stored. "
                f"{spent}",
                status=200,
            )
        try:
            return Grant.from_response(body)
        except ValueError as exc:  # an expiry pendulum cannot read
            raise Cafe24AuthError(
                self.mall_id,
                f"The token endpoint's 200 answer has an unreadable time ({exc.__class__.__name__}). {spent}",
                status=200,
            ) from None


def _refusal(grant_type: str, response: httpx.Response, mall_id: str) -> str:
    """Say what the user can do: fix the app credentials, or authorize the mall again."""
    said = f"Cafe24 refused the {grant_type} grant ({response.status_code}: {_message(response)})."
    again = f"run `{AUTH_COMMAND.format(mall_id=mall_id)}` to authorize again."
    if response.status_code == 401:
        return f"{said} The app's client id or client secret is wrong; check them in .dlt/secrets.toml."
    if grant_type == "authorization_code":
        return f"{said} The code is single-use and expires after one minute; {again}"
    return f"{said} The refresh token has expired, was revoked or was already used; {again}"


def _spent(grant_type: str, mall_id: str) -> str:
    again = f"run `{AUTH_COMMAND.format(mall_id=mall_id)}` again."
    if grant_type == "authorization_code":
        return f"The authorization code has been used up; {again}"
    return f"The refresh token has been used up, so the grant is lost; {again}"


def _message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):  # not JSON, or JSON that is not an object
        return redact(response.text[:200])
    if isinstance(error, dict):
        return redact(str(error.get("message", error)))
    return redact(str(error))
