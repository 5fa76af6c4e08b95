"""Make the first tool calls cheap, in the time a client leaves the server idle after the handshake.

A server's first `tools/list` imports every command module and builds every tool's schema, and
its first calls import the services they use. A client typically lists the tools and then waits
for its model before the first call; several servers started at once (one per AI client) would
otherwise do all of that at their first call, on shared CPUs. So once the client says it is
initialized, the server builds its tool list and the services agents call first, one step at a
time, so that a request arriving meanwhile waits for one step at most.
"""

from __future__ import annotations

from typing import Any

import anyio
from anyio.lowlevel import checkpoint
from mcp.server import ServerRequestContext
from mcp.server.context import CallNext, HandlerResult

from project_status.mcp import tools
from project_status.services.tracker import Tracker

INITIALIZED = "notifications/initialized"
FIRST_SERVICES = ("work_items", "claims", "notes", "dependencies", "changes", "vendors")
"""The tracker's services behind the tools agents call first (each imported on first use)."""


class HandshakeWatch:
    """Middleware that sets `done` (made by the lifespan) once the client has sent `initialized`:
    the answer to `initialize` has reached it."""

    def __init__(self) -> None:
        self.done: anyio.Event | None = None

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        result = await call_next(ctx)
        if ctx.method == INITIALIZED and self.done is not None:
            self.done.set()
        return result


async def warm_up(handshake: anyio.Event, tracker: Tracker | None) -> None:
    """After the handshake: the tool list, then the first services, each step its own turn."""
    await handshake.wait()
    tools.listed()
    for name in FIRST_SERVICES if tracker is not None else ():
        await checkpoint()
        getattr(tracker, name)
