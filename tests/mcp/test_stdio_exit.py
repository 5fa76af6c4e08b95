"""`project-status serve` over stdio ends when its client closes stdin: right after start-up, when
idle, and (PostgreSQL primary) in the middle of the mirror's copy. The real console command runs
in a subprocess; the deadline is generous for a busy machine, and the time each try took is
printed (`benchmarks/bench_stdio_exit.py` measures the distribution against the one-second aim).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.mcp.test_postgresql import ADMIN_URL, admin_connect

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from bench_stdio_exit import create_database, drop_database, one_try

DEADLINE = 10.0
"""Seconds a try may take before it counts as lingering: far above the aim, for busy machines."""
TRIES = 2
"""Tries per case: a lingering exit used to happen in most tries, not all."""
ROWS = 60_000


@pytest.fixture(scope="module")
async def seeded_postgres() -> AsyncIterator[str]:
    """A throw-away PostgreSQL database at head with enough rows that a mirror copy takes time."""
    await (await admin_connect()).close()  # skips (or fails under CI) when no PostgreSQL answers
    url = await create_database(ADMIN_URL, ROWS)
    try:
        yield url
    finally:
        await drop_database(ADMIN_URL, url)


async def exits(case: str, url: str | None) -> None:
    for attempt in range(TRIES):
        seconds = await asyncio.to_thread(one_try, case, url, DEADLINE, ROWS)
        print(f"{case} try {attempt + 1}: exited {seconds * 1000:.0f} ms after stdin closed")


@pytest.mark.parametrize("case", ["fresh", "idle"])
async def test_sqlite_server_exits_when_stdin_closes(case: str) -> None:
    await exits(case, None)


@pytest.mark.parametrize("case", ["fresh", "copy"])
async def test_postgresql_server_exits_when_stdin_closes(case: str, seeded_postgres: str) -> None:
    await exits(case, seeded_postgres)
