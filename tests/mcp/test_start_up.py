"""The stdio server's start-up leaves the process as a long-running server needs it.

`project-status serve` is started as a client starts it, through the console entry point (here
`main()` in a probe whose threads report on the process's state), and driven by the SDK's
client over stdio. No timings: what is checked is the state the server ends up in.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.mcp.conftest import StdioServer, server_env

SERVE_AND_REPORT = """
import gc, sys, threading, time
gc.disable()  # as main() does first; the thread reports when the server turns it on again
def report(what: str, done) -> None:
    while not done():
        time.sleep(0.01)
    print(what, file=sys.stderr, flush=True)
WARM = ("project_status.services.commands.report", "project_status.services.work_items")
def warm() -> bool:  # the modules, and every command's input validator (built on first use)
    if not set(WARM) <= set(sys.modules):
        return False
    every = sys.modules["project_status.services.commands.registry"].COMMANDS._every
    return every is not None and all(found.arguments.__pydantic_complete__ for found in every)
threading.Thread(target=report, args=("COLLECTOR ON", gc.isenabled), daemon=True).start()
threading.Thread(target=report, args=("WARM", warm), daemon=True).start()
sys.argv = ["project-status", "serve"]
from project_status.cli.main import main
main()
"""
WAIT_SECONDS = 60.0
"""Bound on waiting for a report: the server readies its first calls right after the handshake
and turns the collector on right after its first answer; a busy machine may take long."""
POLL_SECONDS = 0.05
SERVE = [sys.executable, "-c", SERVE_AND_REPORT]


async def test_the_server_collects_garbage_again_once_it_has_answered(tmp_path: Path) -> None:
    """The CLI turns the cyclic collector off while it imports; a server that never turned it
    on again would keep every reference cycle its requests make, for as long as it runs."""
    server = await StdioServer(tmp_path, server_env(tmp_path), command=SERVE).start()
    try:
        await server.call("list_work_items")
        await reported(server, "COLLECTOR ON")
    finally:
        await server.stop()


async def test_after_the_handshake_the_server_readies_its_first_calls_unasked(tmp_path: Path) -> None:
    """Every command module (the tool list), every command's input validator and the services
    agents call first are loaded while the client is idle, not at its first call. Twice: the
    second server finds its tool list on file (mcp/tool_cache.py), so no schema is made for it."""
    for _ in range(2):
        server = await StdioServer(tmp_path, server_env(tmp_path), command=SERVE).start()
        try:
            await reported(server, "WARM")
        finally:
            await server.stop()


async def reported(server: StdioServer, what: str) -> None:
    for _ in range(round(WAIT_SECONDS / POLL_SECONDS)):
        if what in server.stderr().splitlines():
            return
        await asyncio.sleep(POLL_SECONDS)
    raise AssertionError(f"the server never reported {what!r}; its stderr:\n{server.stderr()}")
