"""A stdio server on PostgreSQL told to stop (SIGTERM) puts the write-throughs it still holds in
its mirror before it leaves: `Mirror.repeat_later` gathers them for a moment, and the signal's
default action would leave them out. The gathering is held open here (a long quiet spell, set
in the server process) so that the write is still queued when the signal comes."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.mcp.conftest import StdioServer, server_env
from tests.mcp.test_postgresql import db_upgrade, throwaway_database

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is a POSIX signal")

HELD_OPEN = (
    "import project_status.services.fallback.mirror as mirror; "
    "mirror.GATHER_QUIET = mirror.GATHER_LONGEST = 600.0; "
    "from project_status.cli.main import main; main()"
)
MARKER = "GATHER_QUIET"
DEADLINE = 60.0
"""Seconds for the first copy, and for the exit: generous for a busy machine."""


def _server_pid() -> int:
    """The server this test process started (its child running `HELD_OPEN`)."""
    mine = str(os.getpid())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
            command = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if parent == mine and MARKER in command:
            return int(entry.name)
    raise LookupError("no server process found")


def _running(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _mirror(project: Path) -> Path:
    return project / ".project-status" / "cache.db"


def _copied(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        with sqlite3.connect(path) as conn:
            row = conn.execute("SELECT refreshed_at FROM sync_mirror_state").fetchone()
    except sqlite3.Error:
        return False
    return row is not None and row[0] is not None


async def _until(check: object, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not await asyncio.to_thread(check):  # type: ignore[arg-type]
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {DEADLINE} s")
        await asyncio.sleep(0.1)


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with throwaway_database("ps_sigterm_test") as url:
        yield url


async def test_sigterm_puts_the_queued_write_throughs_in_the_mirror(
    tmp_path: Path, postgres_url: str
) -> None:
    project = tmp_path / "project"
    (project / ".project-status").mkdir(parents=True)
    env = server_env(project, PROJECT_STATUS_DATABASE_URL=postgres_url)
    assert db_upgrade(project, postgres_url).returncode == 0
    server = await StdioServer(project, env, command=[sys.executable, "-c", HELD_OPEN, "serve"]).start()
    try:
        mirror = _mirror(project)
        await _until(lambda: _copied(mirror), "no first copy of PostgreSQL in the mirror")
        made = await server.call("create_work_item", item_type="project", title="Written just before SIGTERM")
        pid = _server_pid()
        with sqlite3.connect(mirror) as conn:
            held = conn.execute(
                "SELECT count(*) FROM work_items WHERE title = ?", (made["title"],)
            ).fetchone()
        assert held == (0,)  # still gathered
        os.kill(pid, signal.SIGTERM)
        await _until(lambda: not _running(pid), "the server did not exit")
    finally:
        await server.stop()
    with sqlite3.connect(mirror) as conn:
        rows = conn.execute("SELECT title, version FROM work_items").fetchall()
    assert rows == [("Written just before SIGTERM", 1)]
