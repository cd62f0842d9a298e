"""A token endpoint that misbehaves cannot write outside the token store, overwrite another mall's grant, leak a
token into an error, log or stderr, or drive the terminal; the store stays private to its user (issue #10)."""

from __future__ import annotations

import json
import logging
import os
import secrets
import stat
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pendulum
import pytest

from sources.cafe24.auth import AppCredentials, Grant, TokenManager, TokenStore
from sources.cafe24.client import ApiClient, RetryPolicy, make_http
from sources.cafe24.errors import Cafe24AuthError, Cafe24Error, redact
from sources.cafe24.ratelimit import BucketPacer
from sources.cafe24.settings import KST
from tests.cafe24.helpers import APP

MALL, OTHER = "hardmall", "othermall"
LOST = (
    f"The refresh token has been used up, so the grant is lost; run `python -m pipelines.cafe24_pipeline auth "
    f"--mall {MALL}` again."
)
CODE_SPENT = (
    f"The authorization code has been used up; run `python -m pipelines.cafe24_pipeline auth --mall {MALL}` again."
)
# method, path, form (or query) -> status, body
Respond = Callable[[str, str, dict[str, str]], tuple[int, str]]


class TokenServer(ThreadingHTTPServer):
    """Answers every request with what the test's `respond` says, and remembers every token it hands out."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.respond: Respond = lambda method, path, form: (500, "{}")
        self.issued: list[str] = []

    def grant_reply(self, mall_id: str) -> str:
        """A well-formed token reply, as Cafe24 sends it (KST wall times without an offset)."""
        now = pendulum.now(KST)
        tokens = {name: secrets.token_urlsafe(24) for name in ("access_token", "refresh_token")}
        self.issued.extend(tokens.values())
        stamp = "YYYY-MM-DDTHH:mm:ss.SSS"
        return json.dumps(
            {
                **tokens,
                "mall_id": mall_id,
                "client_id": APP["client_id"],
                "token_type": "Bearer",
                "issued_at": now.format(stamp),
                "expires_at": now.add(hours=2).format(stamp),
                "refresh_token_expires_at": now.add(days=14).format(stamp),
                "scopes": ["mall.read_store"],
            }
        )


class _Handler(BaseHTTPRequestHandler):
    server: TokenServer

    def do_GET(self) -> None:
        self._answer(self.headers.get("Authorization", ""))

    def do_POST(self) -> None:
        self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())

    def _answer(self, payload: str) -> None:
        form = {key: values[0] for key, values in parse_qs(payload).items()}
        if payload.startswith("Bearer "):
            form = {"access_token": payload.removeprefix("Bearer ")}
        status, body = self.server.respond(self.command, self.path, form)
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if body.startswith("{") else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # keep stderr for what the code under test prints
        pass


@pytest.fixture
def server() -> Iterator[TokenServer]:
    with TokenServer() as token_server:
        thread = threading.Thread(target=token_server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        yield token_server
        token_server.shutdown()


@pytest.fixture
def caplog(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def _manager(server: TokenServer, store: TokenStore, mall_id: str = MALL) -> TokenManager:
    return TokenManager(mall_id, f"{server.url}/{mall_id}/api/v2/oauth", AppCredentials(**APP), store, make_http())


def _grant(mall_id: str, expires_in: float) -> Grant:
    """A grant with tokens nobody has registered for redaction yet."""
    now = time.time()
    return Grant(mall_id, secrets.token_urlsafe(24), now + expires_in, secrets.token_urlsafe(24), now + 86400)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"" for p in sorted(root.rglob("*"))}


def _assert_hidden(texts: list[str], tokens: list[str]) -> None:
    for token in tokens:
        assert all(token not in text for text in texts)


@pytest.fixture
def store(tmp_path: Path) -> TokenStore:
    """A store holding this mall's expired grant (the next call refreshes it) and another mall's live grant."""
    store = TokenStore(tmp_path / "tokens")
    store.write(_grant(MALL, expires_in=-60))
    store.write(_grant(OTHER, expires_in=3600))
    with store.lock(MALL), store.lock(OTHER):  # lock files exist already, as after any earlier run
        pass
    return store


def _raw(store: TokenStore, mall_id: str) -> dict:
    return json.loads(store.path_for(mall_id).read_text())


def test_a_refresh_reply_for_another_mall_is_refused_and_that_malls_grant_is_untouched(
    server, store, tmp_path, caplog, capsys
) -> None:
    """A token endpoint that answers with another mall's grant cannot overwrite that mall's stored grant."""
    server.respond = lambda method, path, form: (200, server.grant_reply(OTHER))
    before = _tree(tmp_path)
    old = _raw(store, MALL)
    with pytest.raises(Cafe24AuthError) as failure:
        _manager(server, store).access_token()
    assert f"grant for mall '{OTHER}', not '{MALL}'; it was not stored. {LOST}" in str(failure.value)
    assert _tree(tmp_path) == before
    out, err = capsys.readouterr()
    _assert_hidden(
        [str(failure.value), caplog.text, out, err], [*server.issued, old["access_token"], old["refresh_token"]]
    )


def test_a_code_exchange_reply_for_another_mall_stores_nothing(server, store, tmp_path, caplog, capsys) -> None:
    """`auth --mall A` answered with mall B's grant neither stores it as A's nor overwrites B's."""
    server.respond = lambda method, path, form: (200, server.grant_reply(OTHER))
    before = _tree(tmp_path)
    with pytest.raises(Cafe24AuthError) as failure:
        _manager(server, store).exchange_code("c0de4711xyz", "http://127.0.0.1:8025/callback")
    assert str(failure.value).endswith(CODE_SPENT)
    assert _tree(tmp_path) == before
    out, err = capsys.readouterr()
    _assert_hidden([str(failure.value), caplog.text, out, err], [*server.issued, "c0de4711xyz"])


@pytest.mark.parametrize("hostile", ["/../../x", "../x", "sub/../../x"])
@pytest.mark.parametrize("flow", ["refresh", "code"])
def test_a_reply_whose_mall_id_is_a_path_writes_no_file_anywhere(server, store, tmp_path, hostile, flow) -> None:
    """A mall id of `/../../x` in a token reply once wrote a grant at /x.json; now nothing is written."""
    server.respond = lambda method, path, form: (200, server.grant_reply(hostile))
    before = _tree(tmp_path)
    manager = _manager(server, store)
    with pytest.raises(Cafe24AuthError) as failure:
        manager.refresh(rejected=None) if flow == "refresh" else manager.exchange_code("c0de4711xyz", "http://x/cb")
    assert str(failure.value).endswith(LOST if flow == "refresh" else CODE_SPENT)
    assert _tree(tmp_path) == before
    assert not Path("/x.json").exists() and not (tmp_path / "x.json").exists()


@pytest.mark.parametrize("mall_id", ["/../../x", "../x", "a/b", "sub/../../x"])
def test_the_store_refuses_a_mall_id_that_leaves_its_folder(tmp_path, mall_id) -> None:
    """Whatever reaches the store as a mall id, it never reads, writes or locks a file outside its folder."""
    store = TokenStore(tmp_path / "tokens")
    for call in (lambda: store.read(mall_id), lambda: store.write(_grant(mall_id, 60)), lambda: store.lock(mall_id)):
        with pytest.raises(ValueError, match="outside the token store"):
            call()
    assert not Path("/x.json").exists() and list(tmp_path.iterdir()) == []


def test_a_grant_file_symlinked_out_of_the_store_is_refused(tmp_path) -> None:
    """A grant file planted as a symlink cannot make the store read (or feed a run) a file elsewhere."""
    store = TokenStore(tmp_path / "tokens")
    store.write(_grant(MALL, 60))
    elsewhere = tmp_path / "elsewhere.json"
    store.path_for(MALL).rename(elsewhere)
    (tmp_path / "tokens" / f"{MALL}.json").symlink_to(elsewhere)
    with pytest.raises(ValueError, match="outside the token store"):
        store.read(MALL)


def test_a_400_that_echoes_the_refresh_form_shows_no_token(server, store, caplog, capsys) -> None:
    """A token endpoint that echoes `refresh_token=...` in its 400 body does not print the token on stderr."""
    spent = _raw(store, MALL)["refresh_token"]
    server.respond = lambda method, path, form: (400, f"grant_type=refresh_token&refresh_token={form['refresh_token']}")
    with pytest.raises(Cafe24AuthError) as failure:
        _manager(server, store).access_token()
    assert "refresh_token=***" in str(failure.value) and "auth --mall hardmall" in str(failure.value)
    out, err = capsys.readouterr()
    _assert_hidden([str(failure.value), caplog.text, out, err], [spent])


@pytest.mark.parametrize("body", ['{"access_token": "tok', "<html>502 Bad Gateway</html>", "[]"])
def test_a_200_that_is_not_a_json_object_says_the_grant_is_lost(server, store, caplog, body) -> None:
    """A broken 200 from the token endpoint was an uncaught JSONDecodeError after the refresh token was spent."""
    server.respond = lambda method, path, form: (200, body)
    stored = store.path_for(MALL).read_bytes()
    with pytest.raises(Cafe24AuthError) as failure:
        _manager(server, store).access_token()
    assert str(failure.value).endswith(LOST) and failure.value.status == 200
    assert store.path_for(MALL).read_bytes() == stored


@pytest.mark.parametrize("dropped", ["access_token", "refresh_token"])
def test_a_200_without_a_token_says_the_grant_is_lost(server, store, caplog, capsys, dropped) -> None:
    """A 200 whose JSON lacks a token cannot become a grant; the user is told to authorize again, not a KeyError."""

    def respond(method: str, path: str, form: dict[str, str]) -> tuple[int, str]:
        reply = json.loads(server.grant_reply(MALL))
        del reply[dropped]
        return 200, json.dumps(reply)

    server.respond = respond
    stored = store.path_for(MALL).read_bytes()
    with pytest.raises(Cafe24AuthError) as failure:
        _manager(server, store).access_token()
    assert str(failure.value).endswith(f"lacks {dropped}. {LOST}")
    assert store.path_for(MALL).read_bytes() == stored
    out, err = capsys.readouterr()
    _assert_hidden([str(failure.value), caplog.text, out, err], server.issued)


def test_a_401_naming_each_rotated_access_token_never_shows_one(server, store, caplog, capsys) -> None:
    """An Admin API 401 that quotes the access token hides it, including tokens issued by refreshes mid-run."""

    def respond(method: str, path: str, form: dict[str, str]) -> tuple[int, str]:
        if method == "POST":
            return 200, server.grant_reply(MALL)
        token = form["access_token"]
        return 401, json.dumps({"error": {"code": 401, "message": f"Invalid access_token: {token} ({token[:12]})"}})

    server.respond = respond
    tokens = _manager(server, store)
    client = ApiClient(
        MALL,
        f"{server.url}/{MALL}/api/v2/admin",
        tokens.http,
        BucketPacer(drain_per_second=100),
        tokens,
        "2025-12-01",
        retry=RetryPolicy(attempts=1),
    )
    with pytest.raises(Cafe24AuthError) as failure:
        client.get("/shops")
    assert failure.value.status == 401 and "auth --mall hardmall" in str(failure.value)
    assert len(server.issued) == 8  # the first refresh of the expired grant, then three more after 401s
    out, err = capsys.readouterr()
    _assert_hidden([str(failure.value), caplog.text, out, err], server.issued)


def test_redact_blanks_token_fields_it_was_never_told_about() -> None:
    """A token nobody registered (cut off, or from another grant) is still hidden when it is a named field."""
    value = secrets.token_urlsafe(24)
    texts = [
        f"grant_type=refresh_token&refresh_token={value}&x=1",
        f"code={value}",
        f"client_secret={value}",
        f'{{"refresh_token": "{value}"}}',
        f"{{'access_token': '{value}'}}",
        f'"access_token":"{value[:9]}',
        repr(f'{{"code": "{value}"}}'),
        f"Bearer {value}",
        f"Basic {value}",
    ]
    for text in texts:
        assert value[:9] not in redact(text), text
    assert redact(f"a=1&refresh_token={value}&b=2") == "a=1&refresh_token=***&b=2"
    assert redact(f'{{"access_token": "{value}", "x": 1}}') == '{"access_token": "***", "x": 1}'
    assert (
        redact('response_type=code&error_code=E42 {"code": 401}') == 'response_type=code&error_code=E42 {"code": 401}'
    )


def test_tokens_read_from_the_store_are_redacted(tmp_path) -> None:
    """A grant rotated by an earlier run is not in the config, yet its tokens are hidden once the store is read."""
    store = TokenStore(tmp_path / "tokens")
    grant = _grant(MALL, 60)
    store.write(grant)
    store.read(MALL)
    assert redact(f"echo {grant.access_token} and {grant.refresh_token}") == "echo *** and ***"


def test_control_characters_from_a_server_are_escaped(server, store) -> None:
    """An error message carrying ESC[2J (or a bell, or a bare CR) cannot clear or rewrite the terminal."""
    message = "bad grant\x1b[2J\x1b]0;owned\x07\r\x9b"
    server.respond = lambda method, path, form: (400, json.dumps({"error": {"message": message}}))
    with pytest.raises(Cafe24AuthError) as failure:
        _manager(server, store).access_token()
    assert "bad grant\\x1b[2J\\x1b]0;owned\\x07\\r\\x9b" in str(failure.value)
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in str(failure.value))
    plain = Cafe24Error(MALL, "line one\nline\ttwo\x7f", endpoint="/orders")
    assert str(plain) == "[hardmall /orders] line one\\nline\\ttwo\\x7f"


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_under_umask_000_the_store_creates_only_private_folders_and_files(tmp_path, open_umask) -> None:
    """A cron job with umask 000 still gets 0700 folders (parents too) and a 0600 grant and lock file."""
    store = TokenStore(tmp_path / "deep" / "er" / "tokens")
    with store.lock(MALL):
        store.write(_grant(MALL, 60))
    for folder in ("deep", "deep/er", "deep/er/tokens"):
        assert _mode(tmp_path / folder) == 0o700, folder
    assert _mode(store.path_for(MALL)) == 0o600
    assert _mode(Path(f"{store.path_for(MALL)}.lock")) == 0o600


def test_a_store_open_to_other_users_is_closed_with_a_warning(tmp_path, caplog) -> None:
    """A grant folder or file others can read (copied, or made under a loose umask) is repaired, not used as is."""
    store = TokenStore(tmp_path / "tokens")
    grant = _grant(MALL, 60)
    store.write(grant)
    lock = Path(f"{store.path_for(MALL)}.lock")
    lock.touch()
    os.chmod(store.directory, 0o777)
    os.chmod(store.path_for(MALL), 0o644)
    os.chmod(lock, 0o666)
    assert store.read(MALL) == grant
    with store.lock(MALL):
        pass
    assert (_mode(store.directory), _mode(store.path_for(MALL)), _mode(lock)) == (0o700, 0o600, 0o600)
    warned = [r.getMessage() for r in caplog.records if r.name == "cafe24" and r.levelno == logging.WARNING]
    for path in (store.directory, store.path_for(MALL), lock):
        assert any(str(path) in message and "open to other users" in message for message in warned), path
    _assert_hidden([caplog.text], [grant.access_token, grant.refresh_token])


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
@pytest.mark.parametrize("owned", ["file", "folder"])
def test_a_store_owned_by_another_user_is_refused(tmp_path, owned) -> None:
    """A grant file or folder that another account owns (and could swap) is refused, not repaired or used."""
    store = TokenStore(tmp_path / "tokens")
    store.write(_grant(MALL, 60))
    os.chown(store.path_for(MALL) if owned == "file" else store.directory, 65534, 65534)
    with pytest.raises(Cafe24AuthError, match="belongs to uid 65534, not to this user"):
        store.read(MALL)
    if owned == "folder":
        with pytest.raises(Cafe24AuthError, match="belongs to uid 65534"):
            store.write(_grant(MALL, 60))
