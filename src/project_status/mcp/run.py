"""Start the MCP server on stdio or streamable HTTP, refusing an unprotected public bind."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Iterator
from typing import NoReturn

import anyio

from project_status.domain.errors import ValidationError
from project_status.mcp.server import TrackerServer, build_server
from project_status.settings import Settings


def serve(settings: Settings, *, transport: str = "stdio", host: str = "127.0.0.1", port: int = 8765) -> None:
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if transport == "stdio":
        anyio.run(serve_stdio, build_server(settings, project_from_roots=True))
        leave_now()
    # HTTP only: the web stack (Starlette, uvicorn, the board) is not imported for stdio.
    from project_status.board.app import build_board, with_board
    from project_status.mcp.http import (
        LOCAL_HOSTS,
        BearerGate,
        load_tokens,
        serve_http,
        shared_server_settings,
        transport_security,
    )

    tokens = load_tokens(settings)  # checked before anything else: a bad file stops the start
    if host not in LOCAL_HOSTS and tokens is None:
        raise ValidationError.for_field(
            "host",
            "binding an address other than 127.0.0.1 needs a bearer token: a tokens file (--tokens FILE "
            "or PROJECT_STATUS_TOKENS_FILE, one `name token` per line) or PROJECT_STATUS_HTTP_TOKEN "
            "(clients then send 'Authorization: Bearer <token>'), or keep the default --host 127.0.0.1",
            host,
        )
    server = build_server(shared_server_settings(settings))
    security = transport_security(host, port, settings.allowed_hosts)
    app = server.streamable_http_app(transport_security=security, host=host)
    # One server for many clients serves the project it was started for, never a client's roots.
    assert server.app_state is not None and server.app_state.tracker is not None
    # The board beside /mcp, under the same tokens and Host/Origin rules. Its page is only a shell
    # that asks for the token, so it sits outside the gate and checks the token on its data.
    board = build_board(
        server.app_state.tracker,
        token_check=(lambda presented: tokens.caller(presented) is not None) if tokens is not None else None,
        security=security,
    )
    gated = BearerGate(app, tokens) if tokens is not None else app
    serve_http(with_board(gated, board), settings, host, port)


STRAY_TASK_SECONDS = 0.5
"""How long an ended stdio server waits for tasks left behind by libraries to finish."""


async def serve_stdio(server: TrackerServer) -> None:
    """Serve over stdio until the client closes stdin, then leave promptly.

    A database connection cancelled while in use leaves a close task behind in the database
    driver that can wait forever for a worker thread already stopped; the event loop would then
    wait for that task at exit. Such leftovers are cancelled until they finish, within a bound.
    """
    with _mirror_put_on_sigterm(server):
        try:
            await server.run_stdio_async()
        finally:
            with anyio.CancelScope(shield=True):
                await finish_stray_tasks(STRAY_TASK_SECONDS)


SIGTERM_FLUSH_SECONDS = 5.0
"""How long a server told to stop (SIGTERM) may take to put its queued write-throughs in the
mirror before it leaves anyway (the mirror's next copy then brings them)."""


@contextlib.contextmanager
def _mirror_put_on_sigterm(server: TrackerServer) -> Iterator[None]:
    """On SIGTERM, put the write-throughs still queued in the mirror, then leave at once, as the
    default action would (it would leave them out: `Mirror.repeat_later` gathers them for up to
    a tenth of a second). Where signals can't be handled here (Windows), nothing changes."""
    loop = asyncio.get_running_loop()
    leaving: list[asyncio.Task[None]] = []

    async def put_then_leave() -> None:
        tracker = server.app_state.tracker if server.app_state is not None else None
        if tracker is not None and tracker.mirror is not None:
            try:
                await asyncio.wait_for(tracker.mirror.settled(), SIGTERM_FLUSH_SECONDS)
            except TimeoutError:
                logging.getLogger(__name__).warning("the mirror's write-throughs were not put before exit")
        leave_now(128 + signal.SIGTERM)

    def on_sigterm() -> None:
        if not leaving:
            leaving.append(loop.create_task(put_then_leave()))

    try:
        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
    except (NotImplementedError, RuntimeError):  # no signal handling in this loop
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


def leave_now(code: int = 0) -> NoReturn:
    """End the process now that the client has gone and the connections are closed.

    The interpreter's own teardown of a heap this size can take seconds on a busy machine, and a
    client that closed stdin expects the server gone at once: flush what is buffered and skip it.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing left to say on it
            stream.flush()
    os._exit(code)


async def finish_stray_tasks(within: float) -> None:
    """Cancel every other task of this event loop, again and again, until all are done or
    `within` seconds have passed (a task may catch one cancellation and wait again)."""
    loop = asyncio.get_running_loop()
    current = asyncio.current_task()
    deadline = loop.time() + within
    while True:
        stray = [task for task in asyncio.all_tasks(loop) if task is not current and not task.done()]
        remaining = deadline - loop.time()
        if not stray or remaining <= 0:
            if stray:
                logging.getLogger(__name__).warning("%d tasks still running at exit", len(stray))
            return
        for task in stray:
            task.cancel()
        await asyncio.wait(stray, timeout=min(0.05, remaining))
