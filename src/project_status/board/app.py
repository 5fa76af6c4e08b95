"""The board as an ASGI app: the page, its view (what a live refresh fetches) and the event
stream, mounted at `/board` by `project-status board` and by the HTTP transport of `serve`.

Read-only: every route reads through the service layer and nothing here writes. With a token
check, the page itself is only a shell (it holds no data) that asks for the token; the view and
the stream need it as a bearer header, as the MCP endpoint does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from project_status.board.view import gather, live_marker, render_error, render_page, render_view
from project_status.domain.errors import TrackerError
from project_status.services import notices
from project_status.services.tracker import Tracker

log = logging.getLogger(__name__)

MOUNT = "/board"
POLL_SECONDS = 0.4
"""How often the stream looks at the newest audit event: well inside the 2 s a change may take."""
KEEPALIVE_SECONDS = 15.0
TokenCheck = Callable[[str], bool]
"""Whether a presented bearer token is one the server accepts (None: no token needed)."""


@dataclass
class ChangeWatch:
    """The newest audit event (and whether a fallback answered), looked up at most once per poll
    interval whatever the number of open pages: one cheap read serves every stream."""

    tracker: Tracker
    _marker: str | None = None
    _at: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def marker(self) -> str:
        async with self._lock:
            now = time.monotonic()
            if self._marker is None or now - self._at >= POLL_SECONDS:
                self._marker = await self._look()
                self._at = time.monotonic()
            return self._marker

    async def _look(self) -> str:
        try:
            await self.tracker.try_ready()
            with notices.collecting() as warnings:
                newest, recent = await self.tracker.board.change_marker()
        except TrackerError:
            return "unavailable"
        return live_marker(newest, recent, bool(warnings))


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def loopback_security(port: int | None = None) -> TransportSecuritySettings:
    """Answer only requests addressed to this machine by name (DNS rebinding): on `port`, or on
    any port when None."""
    suffix = "*" if port is None else str(port)
    hosts = [name for host in LOOPBACK_NAMES for name in (host, f"{host}:{suffix}")]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=hosts,
        allowed_origins=[f"http://{host}" for host in hosts],
    )


def _unauthorized(presented: bool) -> JSONResponse:
    message = (
        "The bearer token is not valid for this server; check it with its administrator."
        if presented
        else "Bearer token required: send 'Authorization: Bearer <token>' with the token its "
        "administrator gave you."
    )
    challenge = 'Bearer realm="project-status"' + (', error="invalid_token"' if presented else "")
    return JSONResponse(
        {"error": "unauthorized", "message": message},
        status_code=401,
        headers={"WWW-Authenticate": challenge},
    )


def build_board(
    tracker: Tracker,
    *,
    token_check: TokenCheck | None = None,
    security: TransportSecuritySettings | None = None,
    base: str = MOUNT,
) -> Starlette:
    """The board's routes, relative to where it is mounted (`base`, for the page's own links)."""
    watch = ChangeWatch(tracker)
    guard = TransportSecurityMiddleware(security) if security is not None else None

    async def checked(request: Request, *, needs_token: bool) -> Response | None:
        if guard is not None:
            refused = await guard.validate_request(request, is_post=False)
            if refused is not None:
                return refused
        if needs_token and token_check is not None:
            scheme, _, presented = request.headers.get("authorization", "").partition(" ")
            presented = presented.strip()
            if scheme.lower() != "bearer" or not presented or not token_check(presented):
                return _unauthorized(bool(presented))
        return None

    def guarded(
        handler: Callable[[Request], Awaitable[Response]], *, needs_token: bool
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            refused = await checked(request, needs_token=needs_token)
            return refused if refused is not None else await handler(request)

        return endpoint

    async def page(_request: Request) -> Response:
        if token_check is not None:
            return _html(render_page(None, token_required=True, base=base))
        try:
            view = await gather(tracker)
        except TrackerError as error:
            return _html(render_page(None, token_required=False, base=base, error=error.message), status=503)
        return _html(render_page(view, token_required=False, base=base))

    async def view(_request: Request) -> Response:
        try:
            return _html(render_view(await gather(tracker)))
        except TrackerError as error:
            return _html(render_error(error.message), status=503)

    async def events(request: Request) -> Response:
        async def stream() -> AsyncIterator[bytes]:
            yield b"retry: 1000\n\n"
            sent: str | None = None
            quiet_since = time.monotonic()
            while not await request.is_disconnected():
                marker = await watch.marker()
                if marker != sent:
                    sent = marker
                    quiet_since = time.monotonic()
                    yield f"event: change\ndata: {marker}\n\n".encode()
                elif time.monotonic() - quiet_since >= KEEPALIVE_SECONDS:
                    quiet_since = time.monotonic()
                    yield b": still here\n\n"
                await asyncio.sleep(POLL_SECONDS)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    return Starlette(
        middleware=[Middleware(GZipMiddleware, minimum_size=1024)],  # the page: ~200 KB -> ~25 KB
        routes=[
            Route("/", guarded(page, needs_token=False)),
            Route("/view", guarded(view, needs_token=True)),
            Route("/events", guarded(events, needs_token=True)),
        ]
    )


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers={"Cache-Control": "no-store"})


def with_board(app: ASGIApp, board: ASGIApp, mount: str = MOUNT) -> ASGIApp:
    """`app` with the board at `mount`: board paths go to the board (which checks its own token,
    so its page can ask for one), everything else, lifespan included, to `app`."""

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] == "http" and path == mount:
            await RedirectResponse(f"{mount}/", status_code=307)(scope, receive, send)
            return
        if scope["type"] == "http" and path.startswith(mount + "/"):
            # Starlette routes on the path below root_path: the board sees "/", "/view", "/events".
            await board({**scope, "root_path": str(scope.get("root_path", "")) + mount}, receive, send)
            return
        await app(scope, receive, send)

    return dispatch
