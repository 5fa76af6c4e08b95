"""PostgreSQL's prepared reads: a hot statement run on the driver's prepared statement reads exactly
what SQLAlchemy reads (names, order, values and their types), and one the driver refuses ends as
the same error as through SQLAlchemy.

PostgreSQL only: SQLite's hot reads take the quick connection (test_readers.py).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, select

from project_status.domain.errors import DatabaseError, DatabaseUnavailableError
from project_status.domain.vendors import VendorCreate
from project_status.services.clock import now
from project_status.services.tracker import Tracker
from project_status.store import notes, ready, summary, vendors
from project_status.store import work_items as items
from project_status.store.breaker import Breaker
from project_status.store.database import Database
from project_status.store.prepared import PreparedReader
from project_status.store.readers import ConnectionReader, Reader, hot
from project_status.store.tables import Vendor
from tests.conftest import Backend
from tests.helpers import create_item, depend

ACTOR = "test"
pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
"""The suite's `tracker`, on PostgreSQL only."""


def _typed(rows: Sequence[Any]) -> list[list[tuple[str, Any, type]]]:
    """Each row as (name, value, type) triples: equal values of another type would not do."""
    return [
        [(name, value, type(value)) for name, value in zip(row._fields, tuple(row), strict=True)]
        for row in rows
    ]


async def _both(db: Database, statement: Any, params: dict[str, Any]) -> tuple[Any, Any]:
    async with db.reader() as reader:
        assert isinstance(reader, PreparedReader)
        prepared = await reader.rows(statement, params)
        through_sqlalchemy = await ConnectionReader(reader.connection).rows(statement, params)
    return prepared, through_sqlalchemy


async def test_postgresql_reads_take_the_prepared_reader(tracker: Tracker) -> None:
    async with tracker.db.reader() as reader:
        assert type(reader) is PreparedReader


async def test_hot_statements_read_what_sqlalchemy_reads(
    tracker: Tracker, caplog: pytest.LogCaptureFixture
) -> None:
    project = await create_item(tracker, "project", item_type="project")
    parent = await create_item(tracker, "parent", item_type="session", parent=project)
    children = [await create_item(tracker, f"child {n}", parent=parent) for n in range(3)]
    await depend(tracker, children[0].id, "depends_on", children[1].id)
    await tracker.claims.claim(ACTOR, item=children[2].id)
    await tracker.notes.add(children[0].id, "first", ACTOR)
    await tracker.notes.add(children[0].id, "second", ACTOR)
    await tracker.vendors.create(
        VendorCreate(
            name="acme", status="broken", extractor_version="1", metadata={"manifest_compliant": True}
        ),
        ACTOR,
    )
    leaf = uuid.UUID(children[0].id)
    moment = now() + timedelta(seconds=1)
    cases: list[tuple[Any, dict[str, Any]]] = [
        (vendors._READ_BY_NAME, {"name": "acme"}),
        (items.READ_BY_ID, {"id": leaf}),
        (items._READ_BY_RANGE, {"low": uuid.UUID(int=0), "high": uuid.UUID(int=2**128 - 1)}),
        (notes._ITEM_WITH_NOTES, {"id": leaf, "limit": 1}),
        (notes._LATEST, {"item_id": leaf, "limit": 5}),
        (ready._counted_page_statement(("task", "research"), False, False), {"moment": moment, "limit": 2}),
        (
            ready._counted_page_statement(("task",), True, False),
            {"moment": moment, "actor": ACTOR, "limit": 9},
        ),
        (summary._statement(False), {"moment": moment, "list_limit": 5, "broken_limit": 5}),
    ]
    for children_too in (True, False):
        statement = items._surroundings_statement(children_too, True, 5)
        for item, path in ((leaf, children[0].path), (uuid.UUID(parent.id), parent.path)):
            cases.append(
                (
                    statement,
                    {"ancestor_ids": items.path_ids(path)[:-1], "root_id": item, "descendants_limit": 2},
                )
            )
    caplog.set_level(logging.DEBUG, logger="project_status.store.prepared")
    for statement, params in cases:
        prepared, through_sqlalchemy = await _both(tracker.db, statement, params)
        assert through_sqlalchemy, statement
        assert _typed(prepared) == _typed(through_sqlalchemy), statement
    assert not caplog.records  # each ran on the driver, none again through SQLAlchemy


async def test_a_statement_the_driver_refuses_ends_as_through_sqlalchemy(tracker: Tracker) -> None:
    refused = hot(select(Vendor.name).where(Vendor.name == bindparam("name")))
    for reader_of in (lambda reader: reader, lambda reader: ConnectionReader(reader.connection)):
        with pytest.raises(DatabaseError) as raised:
            async with tracker.db.reader() as reader:
                chosen: Reader = reader_of(reader)
                await chosen.rows(refused, {"name": 12})
        assert not isinstance(raised.value, DatabaseUnavailableError)


async def test_a_dropped_connection_is_found_and_replaced(tracker: Tracker, backend: Backend) -> None:
    """A pooled connection that died meanwhile (a restart) fails as one through SQLAlchemy does:
    unavailable, marked dropped so the caller may try once more, which gets a new connection."""
    await tracker.vendors.create(
        VendorCreate(name="acme", status="operational", extractor_version="1", metadata={}), ACTOR
    )
    async with tracker.db.reader() as reader:
        assert isinstance(reader, PreparedReader)
        pid = (await reader.connection.get_raw_connection()).driver_connection.get_server_pid()
    killer = Database(backend.url)
    try:
        async with killer.connection() as conn:
            await conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
    finally:
        await killer.dispose()
    with pytest.raises(DatabaseUnavailableError) as raised:
        async with tracker.db.reader() as reader:
            await vendors.read_by_name(reader, "acme")
    assert raised.value.dropped_connection
    with Breaker.probing():
        async with tracker.db.reader() as reader:
            found = await vendors.read_by_name(reader, "acme")
    assert found is not None and found.name == "acme"
