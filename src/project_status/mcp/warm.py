"""Make the first tool calls cheap, in the time a client leaves the server idle after the handshake.

A server's first `tools/list` imports every command module and builds every tool's schema, and
its first calls import the services they use. A client typically lists the tools and then waits
for its model before the first call; several servers started at once (one per AI client) would
otherwise do all of that at their first call, on shared CPUs. So once the client says it is
initialized, the server loads its tool list (mcp/tool_cache.py), every command module, every
command's input validator (built on first use, registry.Arguments) and the services agents call
first, one step at a time, each when no request is being served.
"""

from __future__ import annotations

import importlib
import time
from typing import Any

import anyio
from mcp.server import ServerRequestContext
from mcp.server.context import CallNext, HandlerResult

from project_status.mcp.tools import ToolList
from project_status.services.commands import COMMANDS
from project_status.services.tracker import Tracker

INITIALIZED = "notifications/initialized"
FIRST_SERVICES = ("work_items", "claims", "notes", "dependencies", "changes", "vendors")
"""The tracker's services behind the tools agents call first (each imported on first use)."""
QUIET_SECONDS = 0.02
"""A step starts only when no request has been in the server for this long: a client that calls
right after listing (a script, a benchmark) is served first."""


class Activity:
    """Middleware that watches the requests: `handshake` (made by the lifespan) is set once the
    client has sent `initialized` (the answer to `initialize` has reached it); `busy` counts the
    requests being served and `last` is when one last came or went (`time.monotonic`: anyio's
    clock looks up the running async library on every read, twice per request here)."""

    def __init__(self) -> None:
        self.handshake: anyio.Event | None = None
        self.busy = 0
        self.last = 0.0

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        self.busy += 1
        self.last = time.monotonic()
        try:
            return await call_next(ctx)
        finally:
            self.busy -= 1
            self.last = time.monotonic()
            if ctx.method == INITIALIZED and self.handshake is not None:
                self.handshake.set()

    async def quiet(self) -> None:
        """Until no request has been served for QUIET_SECONDS."""
        while True:
            wait = self.last + QUIET_SECONDS - time.monotonic()
            if self.busy == 0 and wait <= 0:
                return
            await anyio.sleep(max(wait, QUIET_SECONDS))


async def warm_up(
    activity: Activity, handshake: anyio.Event, tool_list: ToolList, tracker: Tracker | None
) -> None:
    """After the handshake, in the quiet between requests: the tool list, each command module,
    each command's input validator, then the first services."""
    await handshake.wait()
    await activity.quiet()
    catalog = tool_list.catalog()
    for module in dict.fromkeys(catalog.modules.values()):
        await activity.quiet()
        importlib.import_module(module)
    for found in COMMANDS:  # each input's validator, built on first use (Arguments: defer_build)
        await activity.quiet()
        found.arguments.model_rebuild()
    for name in FIRST_SERVICES if tracker is not None else ():
        await activity.quiet()
        getattr(tracker, name)
