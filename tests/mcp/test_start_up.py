"""The stdio server's start-up leaves the process as a long-running server needs it.

`project-status serve` is started as a client starts it, through the console entry point (here
`main()` in a probe that reports the collector's state from a thread), and driven by the SDK's
client over stdio. No timings: what is checked is the state the server ends up in.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.mcp.conftest import StdioServer, server_env

REPORT_WHEN_COLLECTING = """
import gc, sys, threading, time
gc.disable()  # as main() does first; the thread reports when the server turns it on again
def report() -> None:
    while not gc.isenabled():
        time.sleep(0.01)
    print("COLLECTOR ON", file=sys.stderr, flush=True)
threading.Thread(target=report, daemon=True).start()
sys.argv = ["project-status", "serve"]
from project_status.cli.main import main
main()
"""
WAIT_SECONDS = 60.0
"""Bound on waiting for the report: the server turns the collector on right after its first
answer; a busy machine may take long to schedule it."""
POLL_SECONDS = 0.05


async def test_the_server_collects_garbage_again_once_it_has_answered(tmp_path: Path) -> None:
    """The CLI turns the cyclic collector off while it imports; a server that never turned it
    on again would keep every reference cycle its requests make, for as long as it runs."""
    command = [sys.executable, "-c", REPORT_WHEN_COLLECTING]
    server = await StdioServer(tmp_path, server_env(tmp_path), command=command).start()
    try:
        await server.call("list_work_items")
        for _ in range(round(WAIT_SECONDS / POLL_SECONDS)):
            if "COLLECTOR ON" in server.stderr():
                break
            await asyncio.sleep(POLL_SECONDS)
        assert "COLLECTOR ON" in server.stderr(), server.stderr()
    finally:
        await server.stop()
