"""The archive over MCP: the two tools end to end through the SDK client (errors as JSON), the
periodic job's rounds, and a server that archives overdue work at start-up."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from project_status.domain.enums import ItemType, WorkItemStatus
from project_status.domain.work_items import WorkItemCreate
from project_status.services.jobs import ARCHIVE_RETRY_SECONDS, archive_round
from project_status.services.tracker import Tracker
from project_status.settings import Settings
from project_status.store.tables import WorkItem
from tests.conftest import sqlite_url
from tests.mcp.conftest import StdioServer, error_fields, server_env


async def age(tracker: Tracker, *ids: str) -> None:
    async with tracker.db.unit_of_work(write=True) as session:
        await session.execute(
            update(WorkItem)
            .where(WorkItem.id.in_([uuid.UUID(i) for i in ids]))
            .values(updated_at=datetime.now(UTC) - timedelta(days=400))
        )


@pytest.fixture
async def beside(server: StdioServer) -> AsyncIterator[Tracker]:
    """A tracker on the server's own SQLite file, to age items and run the archive."""
    tracker = await Tracker.open(url=sqlite_url(server.database))
    try:
        yield tracker
    finally:
        await tracker.close()


async def archived_project(server: StdioServer, beside: Tracker, title: str) -> tuple[dict[str, Any], ...]:
    project = await server.call("create_work_item", item_type="project", title=title, status="completed")
    task = await server.call(
        "create_work_item",
        item_type="task",
        title=f"{title} task",
        parent_id=project["id"],
        status="completed",
    )
    await age(beside, project["id"], task["id"])
    await beside.archive.run(actor="test")
    return project, task


async def test_query_and_restore_archived_work_items(server: StdioServer, beside: Tracker) -> None:
    project, task = await archived_project(server, beside, "Ledger migration")

    found = await server.call("query_archived_work_items", text="ledger", item_type="project")
    everything = await server.call("query_archived_work_items", limit=1)
    history = await server.call("get_work_item_history", id=task["id"])
    restored = await server.call("restore_archived_work_item", id=project["id"][:8], actor="alice")
    again = await server.call("query_work_item", id=project["id"])

    assert [row["id"] for row in found["items"]] == [project["id"]]
    assert found["items"][0]["archived_at"] and found["total"] == 1
    assert everything["total"] >= 2 and everything["next_cursor"]
    assert history["items"][0]["action"] == "archived"
    assert (restored["id"], restored["version"], restored["updated_by"]) == (project["id"], 2, "alice")
    assert [child["id"] for child in again["children"]] == [task["id"]]


async def test_archive_errors_come_back_as_json(server: StdioServer, beside: Tracker) -> None:
    project, task = await archived_project(server, beside, "Old audit")

    hidden = await server.fail("query_work_item", id=project["id"])
    under_archived = await server.fail("restore_archived_work_item", id=task["id"])
    unknown = await server.fail("restore_archived_work_item", id=str(uuid.uuid4()))
    naive = await server.fail("query_archived_work_items", archived_after="2026-01-01T00:00:00")
    cursor = await server.fail("query_archived_work_items", cursor="nope")

    assert hidden["error"] == "NotFoundError" and "restore_archived_work_item" in hidden["message"]
    assert hidden["details"]["archived"] is True
    assert under_archived["error"] == "ValidationError"
    assert under_archived["details"]["errors"][0]["restore_id"] == project["id"]
    assert unknown["error"] == "NotFoundError" and "query_archived_work_items" in unknown["message"]
    assert error_fields(naive) == ["archived_after"]
    assert error_fields(cursor) == ["cursor"]


# --- the periodic job ----------------------------------------------------------------------------


async def test_a_round_archives_when_due_and_then_waits_an_interval(tracker: Tracker) -> None:
    item = await tracker.work_items.create(
        WorkItemCreate(item_type=ItemType.TASK, title="old", status=WorkItemStatus.COMPLETED), "test"
    )
    await age(tracker, item.id)
    settings = Settings(archive_interval_hours=24, archive_after_days=365)

    first = await archive_round(tracker, settings)
    second = await archive_round(tracker, settings)

    assert first == 24 * 3600
    assert 23 * 3600 < second <= 24 * 3600
    assert (await tracker.archive.list()).total == 1
    last = await tracker.archive.last_run()
    assert last is not None and last.actor == "system:archive" and last.items == 1


async def test_a_round_with_the_database_down_is_logged_and_retried(caplog: pytest.LogCaptureFixture) -> None:
    down = Tracker.create(url="postgresql+asyncpg://postgres@127.0.0.1:1/project_status")
    try:
        with caplog.at_level(logging.WARNING, logger="project_status"):
            wait = await archive_round(down, Settings(archive_interval_hours=24))
    finally:
        await down.close()

    assert wait == ARCHIVE_RETRY_SECONDS
    assert "archive job skipped, the database is unavailable" in caplog.text


async def test_the_server_archives_overdue_work_at_start_up(tmp_path_factory: pytest.TempPathFactory) -> None:
    project = tmp_path_factory.mktemp("mcp-archive-at-start")
    url = sqlite_url(project / ".project-status" / "status.db")
    tracker = await Tracker.open(url=url)
    try:
        old = await tracker.work_items.create(
            WorkItemCreate(item_type=ItemType.PROJECT, title="old", status=WorkItemStatus.COMPLETED), "test"
        )
        await age(tracker, old.id)
        running = await StdioServer(project, server_env(project)).start()
        try:
            for _ in range(100):
                if (await tracker.archive.list()).total:
                    break
                await asyncio.sleep(0.05)
            assert [row.id for row in (await tracker.archive.list()).items] == [old.id]
            history = await running.call("get_work_item_history", id=old.id)
            assert history["items"][0]["actor"] == "system:archive"
        finally:
            await running.stop()
    finally:
        await tracker.close()
