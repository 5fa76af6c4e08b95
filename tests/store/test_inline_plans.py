"""SQLite's hot reads on the inline connection's own cursor: a hot statement reads exactly what
SQLAlchemy reads (names, order, values and their types); one SQLite cannot run at once is run
again on the async path.

SQLite only: PostgreSQL's hot reads take the driver's prepared statements (test_prepared.py).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from project_status.domain.vendors import VendorCreate
from project_status.services.clock import now
from project_status.services.tracker import Tracker
from project_status.store import notes, ready, summary, vendors
from project_status.store import work_items as items
from project_status.store.database import Database
from project_status.store.readers import ConnectionReader, InlineSqliteReader
from tests.helpers import create_item, depend

ACTOR = "test"
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
"""The suite's `tracker`, on SQLite only."""


def _typed(rows: Sequence[Any]) -> list[list[tuple[str, Any, type]]]:
    """Each row as (name, value, type) triples: equal values of another type would not do."""
    return [
        [(name, value, type(value)) for name, value in zip(row._fields, tuple(row), strict=True)]
        for row in rows
    ]


async def _both(db: Database, statement: Any, params: dict[str, Any]) -> tuple[Any, Any]:
    async with db.reader() as reader:
        assert isinstance(reader, InlineSqliteReader)
        inline = await reader.rows(statement, params)
        assert reader.connection is not None  # ran inline, not again on the async path
    async with db._read_connection() as connection:
        through_sqlalchemy = await ConnectionReader(connection).rows(statement, params)
    return inline, through_sqlalchemy


async def test_hot_statements_read_inline_what_sqlalchemy_reads(
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
    types = ("task", "research")
    cases: list[tuple[Any, dict[str, Any]]] = [
        (vendors._READ_BY_NAME, {"name": "acme"}),
        (items.READ_BY_ID, {"id": leaf}),
        (items._READ_BY_RANGE, {"low": uuid.UUID(int=0), "high": uuid.UUID(int=2**128 - 1)}),
        (notes._ITEM_WITH_NOTES, {"id": leaf, "limit": 1}),
        (notes._LATEST, {"item_id": leaf, "limit": 5}),
        (ready._page_statement(types, False, False), {"moment": moment, "limit": 2}),
        (ready._page_statement(("task",), True, False), {"moment": moment, "actor": ACTOR, "limit": 9}),
        (
            ready._page_statement(types, False, True),
            {
                "moment": moment,
                "limit": 5,
                "after_priority": 1,
                "after_created_at": moment - timedelta(days=1),
                "after_id": uuid.UUID(int=0),
            },
        ),
        (ready.count_statement(types, by_actor=False, subtract=True), {"moment": moment}),
        (ready.count_statement(types, by_actor=True, subtract=True), {"moment": moment, "actor": ACTOR}),
        (summary._statement(True), {"moment": moment, "list_limit": 5, "broken_limit": 5}),
    ]
    for children_too in (True, False):
        for statement in items._surroundings_statements(children_too, True, 5):
            for item, path in ((leaf, children[0].path), (uuid.UUID(project.id), project.path)):
                ancestors = items.path_ids(path)[:-1]  # none for the project: an empty IN list
                cases.append(
                    (statement, {"ancestor_ids": ancestors, "root_id": item, "descendants_limit": 2})
                )
    caplog.set_level(logging.DEBUG, logger="project_status.store.readers")
    for statement, params in cases:
        inline, through_sqlalchemy = await _both(tracker.db, statement, params)
        assert _typed(inline) == _typed(through_sqlalchemy), statement
    assert not caplog.records  # each ran inline, none again on the async path
