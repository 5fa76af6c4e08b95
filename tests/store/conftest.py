"""Fixtures shared by the store's tests."""

from __future__ import annotations

import pytest

from tests.conftest import PostgresServer, PostgresTestDatabase, require_postgres


@pytest.fixture
async def pg(
    postgres_server: PostgresServer, postgres_database: PostgresTestDatabase | None
) -> PostgresTestDatabase:
    """The run's PostgreSQL test database, emptied (the test is skipped where there is none)."""
    require_postgres(postgres_server)
    assert postgres_database is not None
    await postgres_database.reset()
    return postgres_database
