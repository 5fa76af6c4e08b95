"""The MCP server over streamable HTTP: who may call (bearer tokens, one per person), which Host
and Origin it answers (DNS rebinding), and bounds on connections a client can hold open.

The SDK's own auth is not used: it answers a missing token with a pointer to OAuth metadata,
which sends clients into OAuth discovery and client registration against a server that has
none. Here a 401 is a plain bearer challenge with a body that says what to send.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h11
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from project_status.domain.errors import ValidationError
from project_status.mcp.context import PERSON_SCOPE_KEY
from project_status.settings import Settings

MIN_TOKEN_LENGTH = 16
"""A shorter token can be guessed; refused at start."""
MAX_PERSON_LENGTH = 64
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
WILDCARD_HOSTS = {"0.0.0.0", "::", ""}
HTTP_POOL_SIZE = 10
"""Default PostgreSQL connections of the shared HTTP server: one pool serves every session."""
HTTP_TIMEOUT_SECONDS = 15.0
"""Default answer and connect limits of the shared HTTP server. Hundreds of sessions queue on its
one pool and share its CPU, so a call waits seconds for its turn with PostgreSQL answering all
along: at a stdio server's 1.5 s that wait was taken for an outage, and 200 sessions got 636
answers from the offline mirror in the team benchmark (0 at 15 s)."""


def shared_server_settings(settings: Settings) -> Settings:
    """A stdio server's settings widened for one server shared by many sessions: a larger pool and
    longer limits, wherever the settings (environment, file) leave them at their defaults."""
    wider: dict[str, object] = {"pool_size": settings.pool_size or HTTP_POOL_SIZE}
    for name in ("answer_timeout_seconds", "connect_timeout_seconds"):
        if name not in settings.model_fields_set:
            wider[name] = HTTP_TIMEOUT_SECONDS
    return settings.model_copy(update=wider)


@dataclass(frozen=True)
class Caller:
    """Who a valid token belongs to: a person (tokens file) or nobody in particular (the single
    PROJECT_STATUS_HTTP_TOKEN, whose callers name themselves as before)."""

    person: str | None


class Tokens:
    """The bearer tokens the server accepts, each checked in constant time against every one."""

    def __init__(self, callers: dict[str, Caller]) -> None:
        self._callers = [(token.encode(), caller) for token, caller in callers.items()]

    def __len__(self) -> int:
        return len(self._callers)

    def caller(self, presented: str) -> Caller | None:
        given = presented.encode()
        found: Caller | None = None
        for token, caller in self._callers:  # no early exit: the time says nothing of a match
            if hmac.compare_digest(given, token):
                found = caller
        return found


def _check_token(token: str, field: str, where: str = "") -> None:
    if len(token) < MIN_TOKEN_LENGTH:
        raise ValidationError.for_field(
            field,
            f"{where}a token must be at least {MIN_TOKEN_LENGTH} characters (this one has {len(token)}); "
            "make one with `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`",
            None,
            min_length=MIN_TOKEN_LENGTH,
        )


def read_tokens_file(path: Path) -> dict[str, Caller]:
    """`name token` per line (blank lines and `#` comments skipped), from a file only its owner
    may read: the tokens are passwords."""
    field = "tokens_file"
    try:
        mode = path.stat().st_mode
    except OSError as error:
        raise ValidationError.for_field(field, f"cannot read {path}: {error.strerror}", str(path)) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ValidationError.for_field(
            field,
            f"{path} is open to group or others (mode {stat.filemode(mode)}); it holds passwords: "
            f"run `chmod 600 {path}`",
            str(path),
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationError.for_field(field, f"cannot read {path}: {error}", str(path)) from None
    callers: dict[str, Caller] = {}
    people: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        where = f"{path} line {number}"
        if len(parts) != 2:
            raise ValidationError.for_field(
                field, f"{where}: expected `name token` (two words), found {len(parts)}", None
            )
        person, token = parts
        if len(person) > MAX_PERSON_LENGTH or not person.isprintable():
            raise ValidationError.for_field(
                field, f"{where}: a name is at most {MAX_PERSON_LENGTH} printable characters", person
            )
        _check_token(token, field, f"{where} ({person}): ")
        if person in people:
            raise ValidationError.for_field(field, f"{where}: {person} is listed twice", person)
        if token in callers:
            raise ValidationError.for_field(
                field, f"{where}: {person} has the same token as someone above; give each their own", person
            )
        people.add(person)
        callers[token] = Caller(person)
    if not callers:
        raise ValidationError.for_field(field, f"{path} lists no `name token` line", str(path))
    return callers


def load_tokens(settings: Settings) -> Tokens | None:
    """The tokens of PROJECT_STATUS_TOKENS_FILE and PROJECT_STATUS_HTTP_TOKEN; None if neither."""
    callers: dict[str, Caller] = {}
    if settings.tokens_file is not None:
        callers.update(read_tokens_file(settings.tokens_file))
    if settings.http_token:
        _check_token(settings.http_token, "http_token")
        if settings.http_token in callers:
            raise ValidationError.for_field(
                "http_token", "is also a person's token in the tokens file; use another", None
            )
        callers[settings.http_token] = Caller(None)
    return Tokens(callers) if callers else None


async def _send_json(
    send: Send, status: int, body: dict[str, Any], headers: Iterable[tuple[str, str]]
) -> None:
    payload = json.dumps(body).encode()
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *((name.encode(), value.encode()) for name, value in headers),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


class BearerGate:
    """Let a request through only with a known bearer token, and record whose it is."""

    def __init__(self, app: ASGIApp, tokens: Tokens) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if str(scope.get("path", "")).startswith("/.well-known/"):
            await _send_json(
                send,
                404,
                {
                    "error": "not_found",
                    "message": "This server has no OAuth: send 'Authorization: Bearer <token>' with the "
                    "token its administrator gave you.",
                },
                (),
            )
            return
        header = ""
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                header = value.decode("latin-1")
        scheme, _, presented = header.partition(" ")
        caller = self.tokens.caller(presented.strip()) if scheme.lower() == "bearer" else None
        if caller is None:
            wrong = bool(presented.strip())
            message = (
                "The bearer token is not valid for this server; check it with its administrator."
                if wrong
                else "Bearer token required: send 'Authorization: Bearer <token>' with the token "
                "its administrator gave you."
            )
            challenge = 'Bearer realm="project-status"' + (', error="invalid_token"' if wrong else "")
            await _send_json(
                send,
                401,
                {"error": "unauthorized", "message": message},
                (("www-authenticate", challenge),),
            )
            return
        if caller.person is not None:
            scope[PERSON_SCOPE_KEY] = caller.person
        await self.app(scope, receive, send)


def transport_security(host: str, port: int, extra_hosts: str) -> TransportSecuritySettings:
    """DNS-rebinding protection for any bind: the Host and Origin a request may carry are the
    bound address (loopback names for a wildcard or loopback bind) and the configured extras."""
    names: list[str] = []
    if host in LOCAL_HOSTS or host in WILDCARD_HOSTS:
        names += ["127.0.0.1", "localhost", "[::1]"]
    if host not in WILDCARD_HOSTS:
        names.append(f"[{host}]" if ":" in host and not host.startswith("[") else host)
    for extra in extra_hosts.split(","):
        extra = extra.strip()
        if extra:
            names.append(extra)
    hosts: list[str] = []
    origins: list[str] = []
    for name in dict.fromkeys(names):
        has_port = name.rsplit("]", 1)[-1].count(":") == 1
        candidates = [name] if has_port else [name, f"{name}:{port}", f"{name}:*"]
        for candidate in candidates:
            hosts.append(candidate)
            origins += [f"http://{candidate}", f"https://{candidate}"]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


_BUSY = json.dumps({"error": "busy", "message": "Too many open connections; retry in a moment."}).encode()
_REFUSED = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nconnection: close\r\n"
    + f"content-length: {len(_BUSY)}\r\n\r\n".encode()
    + _BUSY
)


def bounded_protocol(max_connections: int, request_timeout: float) -> type[H11Protocol]:
    """uvicorn's HTTP/1.1 protocol with two bounds it lacks: at most `max_connections` open at
    once (more are answered 503 and closed), and a request (headers and body) must arrive
    within `request_timeout` seconds of its first byte or of the connection opening, so a client
    can hold no connection open by sending nothing or half a request."""

    class BoundedH11Protocol(H11Protocol):
        _request_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                transport.write(_REFUSED)
                transport.close()
                return
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state in (h11.IDLE, h11.SEND_BODY):
                if self._request_timer is None:
                    self._arm()
            else:
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            self._disarm()  # from here uvicorn's keep-alive timeout governs the idle connection
            super().on_response_complete()

        def _arm(self) -> None:
            self._disarm()
            self._request_timer = self.loop.call_later(request_timeout, self._expired)

        def _disarm(self) -> None:
            if self._request_timer is not None:
                self._request_timer.cancel()
                self._request_timer = None

        def _expired(self) -> None:
            self._request_timer = None
            if self.conn.their_state in (h11.IDLE, h11.SEND_BODY) and not self.transport.is_closing():
                self.transport.close()

    return BoundedH11Protocol


def serve_http(app: ASGIApp, settings: Settings, host: str, port: int) -> None:
    import uvicorn

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        http=bounded_protocol(settings.http_max_connections, settings.http_request_timeout),
        timeout_keep_alive=max(1, round(settings.http_keep_alive_timeout)),
        h11_max_incomplete_event_size=64 * 1024,
        ws="none",
        lifespan="on",
        # Event streams (the board's, MCP's GET stream) never end by themselves: a stop waits on
        # them only briefly.
        timeout_graceful_shutdown=2,
    )
    uvicorn.Server(config).run()
