"""While the database is down, calls fail at once instead of each waiting on a connection."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from project_status.domain.errors import DatabaseUnavailableError
from project_status.store.breaker import FIRST_DELAY_SECONDS, MAX_DELAY_SECONDS, Breaker
from project_status.store.database import Database

NOWHERE = "postgresql+asyncpg://postgres@127.0.0.1:1/nothing"


@pytest.fixture
async def unreachable() -> AsyncIterator[Database]:
    db = Database(NOWHERE)
    yield db
    await db.dispose()


async def _touch(db: Database) -> None:
    async with db.unit_of_work() as session:
        await session.execute(text("SELECT 1"))


async def test_after_a_failed_connection_the_next_call_fails_at_once(unreachable: Database) -> None:
    with pytest.raises(DatabaseUnavailableError):
        await _touch(unreachable)
    assert unreachable.breaker.failures == 1

    started = time.perf_counter()
    with pytest.raises(DatabaseUnavailableError) as caught:
        await _touch(unreachable)

    assert time.perf_counter() - started < 0.05
    assert "tried again in" in caught.value.message
    assert caught.value.details["failures"] == 1
    assert unreachable.breaker.failures == 1, "a call refused by the breaker is not another attempt"


async def test_after_the_delay_the_database_is_tried_again_and_the_delay_doubles(
    unreachable: Database,
) -> None:
    with pytest.raises(DatabaseUnavailableError):
        await _touch(unreachable)
    await asyncio.sleep(FIRST_DELAY_SECONDS + 0.05)

    with pytest.raises(DatabaseUnavailableError):
        await _touch(unreachable)

    assert unreachable.breaker.failures == 2
    assert unreachable.breaker.retry_at - time.monotonic() > FIRST_DELAY_SECONDS


def test_the_delay_stops_growing_at_its_maximum() -> None:
    breaker = Breaker()
    for _ in range(20):
        breaker.failed()
    assert breaker.retry_at - time.monotonic() <= MAX_DELAY_SECONDS


async def test_a_success_closes_the_breaker(tmp_path: object) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/ok.db")
    try:
        db.breaker.failed()
        db.breaker.retry_at = 0.0  # the delay has passed
        await _touch(db)
        assert (db.breaker.failures, db.breaker.down_since) == (0, None)
    finally:
        await db.dispose()


async def test_another_database_failing_inside_a_unit_of_work_does_not_open_its_breaker(
    unreachable: Database, tmp_path: Path
) -> None:
    """A mirror copy reads PostgreSQL inside the mirror's own transaction: PostgreSQL going away
    then is PostgreSQL's failure, not the mirror's, which must stay open for the fallback reads."""
    local = Database(f"sqlite+aiosqlite:///{tmp_path / 'local.db'}")
    try:
        with pytest.raises(DatabaseUnavailableError):
            async with local.connection(transaction=True) as conn:
                await conn.execute(text("SELECT 1"))
                await _touch(unreachable)
        assert (unreachable.breaker.failures, local.breaker.failures) == (1, 0)
        await _touch(local)  # answers at once: its breaker is closed
    finally:
        await local.dispose()
