"""`alembic upgrade head` on a fresh database of each backend builds exactly the models' schema."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, insert, inspect, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateIndex

from project_status.domain.errors import SchemaOutdatedError
from project_status.services.tracker import Tracker
from project_status.store.database import Database
from project_status.store.migrate import HEAD, alembic_config, current_revision, script_head, upgrade
from project_status.store.tables import Base, WorkItem, WorkItemDependency
from tests.conftest import BACKENDS, PostgresServer, require_postgres, sqlite_url


@pytest.fixture(params=BACKENDS)
async def fresh_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: PostgresServer
) -> AsyncIterator[str]:
    """The URL of a brand-new, empty database (not the suite's shared, migrated one)."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "fresh.db")
        return
    require_postgres(postgres_server)
    name = await postgres_server.create_database()
    try:
        yield postgres_server.url(name)
    finally:
        await postgres_server.drop_database(name)


@pytest.fixture
async def fresh_db(fresh_url: str) -> AsyncIterator[Database]:
    db = Database(fresh_url)
    try:
        yield db
    finally:
        await db.dispose()


def _differences(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def test_head_constant_matches_the_migration_scripts() -> None:
    assert script_head() == HEAD


async def test_upgrade_head_builds_exactly_the_models_schema(fresh_db: Database) -> None:
    before, after = await upgrade(fresh_db)

    assert (before, after) == (None, HEAD)
    async with fresh_db.engine.connect() as conn:
        differences = await conn.run_sync(_differences)
        tables = await conn.run_sync(_tables)
    assert differences == []
    assert tables == set(Base.metadata.tables) | {"alembic_version"}


def _partial_indexes(conn: Connection) -> dict[str, str]:
    """Each partial index of the migrated database and its condition, as the database gives it."""
    key = f"{conn.dialect.name}_where"
    found = {}
    for table in _tables(conn):
        for index in inspect(conn).get_indexes(table):
            where = index.get("dialect_options", {}).get(key)
            if where is not None:
                found[index["name"]] = str(where).strip("()")
    return found


async def test_the_models_partial_indexes_are_the_migrations_on_each_backend(fresh_db: Database) -> None:
    """Alembic's comparison leaves index conditions out, and the live-rows indexes give theirs
    to PostgreSQL only when asked (tables.LiveRowsIndex): the models, compiled for the backend,
    carry the same conditions as the migrated database."""
    await upgrade(fresh_db)
    async with fresh_db.engine.connect() as conn:
        migrated = await conn.run_sync(_partial_indexes)
    dialect = fresh_db.engine.dialect
    modelled = {}
    for table in Base.metadata.tables.values():
        for index in table.indexes:
            ddl = str(CreateIndex(index).compile(dialect=dialect))
            if " WHERE " in ddl:
                modelled[index.name] = ddl.split(" WHERE ", 1)[1].strip("()")
    assert migrated == modelled
    assert set(migrated) == {"ix_work_items_live", "ix_work_items_ready_order"}
    for name in migrated:  # what Alembic renders and `Table.to_metadata` copies
        index = next(index for index in WorkItem.__table__.indexes if index.name == name)
        assert {"sqlite_where", "postgresql_where"} <= set(index.dialect_kwargs)


async def test_upgrade_creates_the_configuration_singleton(fresh_db: Database) -> None:
    await upgrade(fresh_db)
    tracker = Tracker(fresh_db)

    config = await tracker.configuration.get()

    assert (config.version, config.default_token_budget, config.created_by) == (1, 200_000, "system")


async def test_upgrade_twice_changes_nothing(fresh_db: Database) -> None:
    await upgrade(fresh_db)

    assert await upgrade(fresh_db) == (HEAD, HEAD)
    assert await current_revision(fresh_db) == HEAD


async def test_opening_a_fresh_database_migrates_sqlite_and_asks_postgresql_for_an_upgrade(
    fresh_url: str,
) -> None:
    if fresh_url.startswith("sqlite"):
        tracker = await Tracker.open(url=fresh_url)
        try:
            assert await current_revision(tracker.db) == HEAD
        finally:
            await tracker.close()
        return
    with pytest.raises(SchemaOutdatedError) as caught:
        await Tracker.open(url=fresh_url)
    assert "project-status db upgrade" in caught.value.message
    assert caught.value.details == {"current": None, "required": HEAD}


def _downgrade(conn: Connection, revision: str) -> None:
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.downgrade(cfg, revision)


def _columns(conn: Connection, table: str) -> set[str]:
    return {column["name"] for column in inspect(conn).get_columns(table)}


async def test_the_assignee_migration_keeps_stored_items_and_their_dependencies(fresh_db: Database) -> None:
    """0008 adds a nullable column to stored items; going back drops it alone (a rebuilt SQLite
    table would take the dependency rows with it)."""
    await upgrade(fresh_db, "0007")
    items = WorkItem.__table__
    stamp = datetime(2026, 11, 30, tzinfo=UTC)
    ids = [uuid.uuid4(), uuid.uuid4()]
    async with fresh_db.connection(transaction=True) as conn:
        for n, item_id in enumerate(ids):
            await conn.execute(
                insert(items).values(
                    id=item_id, version=1, item_type="task", title=f"t{n}", status="active", priority=3,
                    path=f"/{item_id}", depth=0, metadata={}, created_at=stamp, created_by="a",
                    updated_at=stamp, updated_by="a",
                )
            )  # fmt: skip
        await conn.execute(
            insert(WorkItemDependency.__table__).values(
                source_id=ids[0],
                target_id=ids[1],
                dependency_type="depends_on",
                created_at=stamp,
                created_by="a",
            )
        )

    assert await upgrade(fresh_db) == ("0007", HEAD)
    async with fresh_db.connection(transaction=True) as conn:
        assert (
            await conn.execute(select(items.c.title, items.c.assignee).order_by(items.c.title))
        ).all() == [
            ("t0", None),
            ("t1", None),
        ]
        await conn.execute(update(items).values(assignee="claude-code"))
        await conn.run_sync(_downgrade, "0007")
        assert "assignee" not in await conn.run_sync(_columns, "work_items")
        assert "assignee" not in await conn.run_sync(_columns, "archived_work_items")
        assert (await conn.execute(select(func.count()).select_from(WorkItemDependency))).scalar() == 1
        assert (await conn.execute(select(func.count()).select_from(items))).scalar() == 2
