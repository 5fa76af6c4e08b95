"""`project-status board`: the board alone, on a local port, over its own tracker."""

from __future__ import annotations

import logging
import sys
import threading
import time
import webbrowser
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from project_status.board.app import MOUNT, build_board, loopback_security, with_board
from project_status.domain.errors import TrackerError, ValidationError
from project_status.services.fallback.mirror import Mirror
from project_status.services.tracker import Tracker
from project_status.settings import Settings, database_url

log = logging.getLogger(__name__)

DEFAULT_PORT = 8766
MIRROR_POLL_SECONDS = 2.0
GRACEFUL_STOP_SECONDS = 2


def board_app(settings: Settings, port: int) -> ASGIApp:
    """The board at /board (and / sends there), opening the store for as long as it runs.

    No health, archive or sync job runs, so looking never writes to the store. With PostgreSQL,
    the local mirror (a cache file) is copied at start and now and then, so that an outage
    shows recent data.
    """
    tracker = Tracker.create(settings)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            await tracker.ensure_ready()
        except TrackerError as error:
            log.warning("database not ready at start-up: %s", error.message)
        try:
            async with anyio.create_task_group() as jobs:
                if tracker.mirror is not None:
                    every = settings.mirror_refresh_minutes * 60
                    jobs.start_soon(keep_mirror_copied, tracker.mirror, tracker.try_ready, every)
                try:
                    yield
                finally:
                    jobs.cancel_scope.cancel()
        finally:
            await tracker.close()

    async def home(_request: Request) -> Response:
        return RedirectResponse(f"{MOUNT}/", status_code=307)

    root = Starlette(routes=[Route("/", home)], lifespan=lifespan)
    return with_board(root, build_board(tracker, security=loopback_security(port)))


async def keep_mirror_copied(
    mirror: Mirror, ready: Callable[[], Awaitable[bool]], refresh_every_seconds: float
) -> None:
    """Copy PostgreSQL into the mirror at start and every `refresh_every_seconds`. Unlike a
    server's upkeep it never replays the offline journal: that writes to the store, and the
    board only looks (a server, or `project-status sync`, replays it)."""
    last_copy = float("-inf")
    while True:
        try:
            if await ready():
                state = await mirror.state()
                due = state.needs_refresh or time.monotonic() - last_copy >= refresh_every_seconds
                if not state.pending and due and (await mirror.refresh()).refreshed:
                    last_copy = time.monotonic()
        except TrackerError as error:
            log.info("mirror copy: %s", error.message)
        except Exception:  # the fallback must not die silently with the job
            log.exception("mirror copy failed; trying again")
        await anyio.sleep(MIRROR_POLL_SECONDS)


def require_store(settings: Settings) -> None:
    """The board only reads: it does not create an embedded database that is not there yet."""
    url = make_url(database_url(settings))
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        raise ValidationError.for_field(
            "database_url",
            f"there is no project-status database at {url.database}, and the board only reads, so it "
            "creates none: run the board in a project folder that has one, point --database-url (or "
            "PROJECT_STATUS_DATA_DIR) at it, or create it with any change, e.g. `project-status items "
            'create --type project --title "..."`',
            url.database,
        )


def run_board(settings: Settings, *, port: int = DEFAULT_PORT, open_browser: bool = False) -> None:
    import uvicorn

    require_store(settings)
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    url = f"http://127.0.0.1:{port}{MOUNT}/"
    config = uvicorn.Config(
        board_app(settings, port),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="none",
        lifespan="on",
        # Open event streams never end by themselves: without a bound, a stop would wait on them.
        timeout_graceful_shutdown=GRACEFUL_STOP_SECONDS,
    )
    server = uvicorn.Server(config)
    print(f"The board is at {url} (Ctrl+C stops it)", flush=True)
    if open_browser:
        # Opened once the socket listens, so the browser never finds nothing there.
        def opener() -> None:
            for _ in range(100):
                if server.started:
                    webbrowser.open(url)
                    return
                threading.Event().wait(0.1)

        threading.Thread(target=opener, daemon=True).start()
    server.run()
