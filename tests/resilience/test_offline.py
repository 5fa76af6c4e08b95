"""Issue 5 with a real PostgreSQL stopped for real: offline writes, sync, conflicts, exactly once.

Each test gets a fresh `tracker` database on this module's private server. Clients are full
trackers as the CLI and the server build them (from settings), each with its own data folder,
so each has its own mirror and journal.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from project_status.domain.errors import NotFoundError, VersionConflictError
from project_status.domain.sync import ConflictReason, Resolution
from project_status.domain.vendors import VendorCreate
from project_status.domain.work_items import WorkItemCreate, WorkItemUpdate
from project_status.services import notices
from project_status.services.tracker import Tracker
from project_status.settings import Settings
from tests.resilience.conftest import PrivatePostgres, fresh_tracker_database, wait_until_connectable
from tests.resilience.test_health import raw

ME, THEM = "offline-client", "online-client"


@pytest.fixture
async def pg(postgres: PrivatePostgres) -> AsyncIterator[PrivatePostgres]:
    await fresh_tracker_database(postgres)
    yield postgres
    postgres.ensure_running()


@pytest.fixture
async def client(pg: PrivatePostgres, tmp_path: Path) -> AsyncIterator[Callable[[str], Any]]:
    """`client(name)`: a tracker on the private server whose data folder is tmp/<name>/."""
    opened: list[Tracker] = []

    async def make(name: str) -> Tracker:
        folder = tmp_path / name / ".project-status"
        tracker = await Tracker.open(Settings(database_url=pg.tracker_url, data_dir=folder))
        opened.append(tracker)
        return tracker

    yield make
    pg.ensure_running()
    for tracker in opened:
        await tracker.close()


async def stop(pg: PrivatePostgres, how: str = "fast") -> None:
    pg.stop(how)  # type: ignore[arg-type]


async def start(pg: PrivatePostgres) -> None:
    pg.start()
    await wait_until_connectable(pg)


async def back_online(tracker: Tracker) -> None:
    """Let the breaker's back-off run out, as time would in a real outage."""
    tracker.db.breaker.succeeded()


async def count(pg: PrivatePostgres, sql: str, *args: Any) -> int:
    return int((await raw(pg, sql, *args))[0])


def item(title: str, parent: str | None = None) -> WorkItemCreate:
    return WorkItemCreate(item_type="task" if parent else "project", title=title, parent_id=parent)


async def test_offline_writes_are_acknowledged_kept_and_synced_exactly_once(
    pg: PrivatePostgres, client: Callable[[str], Any], tmp_path: Path
) -> None:
    me: Tracker = await client("me")
    project = await me.work_items.create(item("Payments"), ME)
    task = await me.work_items.create(item("Retry webhooks", str(project.id)), ME)
    assert me.mirror is not None and me.sync is not None
    await me.mirror.refresh()

    await stop(pg, "immediate")
    with notices.collecting() as warnings:
        shown = await me.work_items.get(str(task.id))
    assert shown.title == "Retry webhooks"
    assert "this answer comes from the local mirror" in warnings[0], warnings

    with notices.collecting() as warnings:
        edited = await me.work_items.update(str(task.id), 1, WorkItemUpdate(title="Retry webhooks twice"), ME)
        added = await me.work_items.create(item("Dead-letter queue", str(project.id)), ME)
    assert edited.version == 2 and added.parent_id == str(project.id)
    assert any("pending sync (2 change(s) waiting)" in w for w in warnings), warnings
    # optimistic locking still holds offline, against the mirror's versions
    with pytest.raises(VersionConflictError):
        await me.work_items.update(str(task.id), 1, WorkItemUpdate(priority=1), ME)
    report = (tmp_path / "me" / ".project_status.md").read_text(encoding="utf-8")
    assert "Retry webhooks twice" in report and "Dead-letter queue" in report

    await start(pg)
    await back_online(me)
    result = await me.sync.sync()
    assert (result.applied, result.conflicts, result.remaining) == (2, 0, 0), result
    assert result.mirror_refreshed
    assert await count(pg, "SELECT count(*) FROM work_items WHERE title = 'Dead-letter queue'") == 1
    row = await raw(pg, "SELECT title, version, updated_by FROM work_items WHERE id = $1", task.id)
    assert (row["title"], row["version"], row["updated_by"]) == ("Retry webhooks twice", 2, ME)
    assert await count(pg, "SELECT count(*) FROM work_items WHERE id = $1", added.id) == 1  # same id
    assert await count(pg, "SELECT count(*) FROM sync_applied WHERE outcome = 'applied'") == 2

    again = await me.sync.sync()
    assert (again.applied, again.already_applied, again.conflicts) == (0, 0, 0)
    with notices.collecting() as warnings:
        assert (await me.work_items.get(str(task.id))).version == 2
    assert warnings == []


async def test_a_change_made_meanwhile_by_another_client_is_kept_as_a_conflict_with_both_versions(
    pg: PrivatePostgres, client: Callable[[str], Any]
) -> None:
    me: Tracker = await client("me")
    them: Tracker = await client("them")
    task = await me.work_items.create(item("Shared task"), ME)
    assert me.mirror is not None and me.sync is not None
    await me.mirror.refresh()

    await stop(pg)
    with notices.collecting():
        mine = await me.work_items.update(str(task.id), 1, WorkItemUpdate(title="Mine", priority=1), ME)
        await me.work_items.update(str(task.id), mine.version, WorkItemUpdate(status="blocked"), ME)
        other = await me.work_items.create(item("Unrelated"), ME)
    await start(pg)

    await back_online(them)
    theirs = await them.work_items.update(str(task.id), 1, WorkItemUpdate(title="Theirs"), THEM)
    assert theirs.version == 2

    await back_online(me)
    result = await me.sync.sync()
    assert (result.applied, result.conflicts, result.remaining) == (1, 2, 0), result
    assert await count(pg, "SELECT count(*) FROM work_items WHERE id = $1", other.id) == 1
    row = await raw(pg, "SELECT title, status, version FROM work_items WHERE id = $1", task.id)
    assert (row["title"], row["status"], row["version"]) == ("Theirs", "active", 2)  # not overwritten

    conflicts = await me.sync.conflicts()
    assert [c.reason for c in conflicts] == [ConflictReason.VERSION, ConflictReason.BLOCKED]
    first = conflicts[0]
    assert first.entity_id == str(task.id) and first.actor == ME
    assert first.mine is not None and first.mine["title"] == "Mine"  # both versions are recoverable
    assert first.theirs is not None and first.theirs["title"] == "Theirs"
    assert "version" in first.message

    resolved = await me.sync.resolve(first.id[:8], Resolution.APPLY_MINE, "reviewer")
    assert resolved.resolution is Resolution.APPLY_MINE and resolved.resolved_by == "reviewer"
    row = await raw(pg, "SELECT title, priority, version FROM work_items WHERE id = $1", task.id)
    assert (row["title"], row["priority"], row["version"]) == ("Mine", 1, 3)
    await me.sync.resolve(conflicts[1].id, Resolution.KEEP_THEIRS, "reviewer")
    assert await me.sync.conflicts() == []
    assert len(await me.sync.conflicts(include_resolved=True)) == 2
    with pytest.raises(Exception, match="already resolved"):
        await me.sync.resolve(first.id, Resolution.KEEP_THEIRS, "reviewer")


async def test_with_the_mirror_older_than_the_ttl_reads_come_from_git_history_then_the_file(
    pg: PrivatePostgres, client: Callable[[str], Any], tmp_path: Path
) -> None:
    root = tmp_path / "me"
    root.mkdir()
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    me: Tracker = await client("me")
    await me.vendors.create(_vendor("acme"), ME)
    await me.reports.write(root / ".project_status.md")
    await _run(*git[:3], "init", "-q")
    await _run(*git, "add", ".project_status.md")
    await _run(*git, "commit", "-q", "-m", "status")
    await me.vendors.create(_vendor("beta"), ME)
    await me.reports.write(root / ".project_status.md")  # on disk, not committed
    assert me.mirror is not None
    await me.mirror.refresh()
    _age_mirror(me.mirror.path, timedelta(hours=2))

    await stop(pg)
    with notices.collecting() as warnings:
        acme = await me.vendors.query("acme")
    assert acme.items[0].name == "acme"
    [warning] = warnings
    assert "this answer comes from .project_status.md as committed in git" in warning, warning
    assert "Not used: the local mirror" in warning and "older than the 30 min limit" in warning
    with notices.collecting() as warnings:
        beta = await me.vendors.query("beta")
    assert beta.items[0].name == "beta"
    [warning] = warnings
    assert f"this answer comes from {root / '.project_status.md'}, written " in warning, warning
    assert "as committed in git (" in warning.split("Not used:")[1]  # which did not hold it
    with notices.collecting() as warnings, pytest.raises(NotFoundError) as missing:
        await me.vendors.query("gamma")
    assert "database unavailable" in missing.value.message and "git" in missing.value.message
    assert warnings, "the answer still says where it looked"


def _vendor(name: str) -> VendorCreate:
    return VendorCreate.model_validate(
        {
            "name": name,
            "status": "operational",
            "extractor_version": "1.0.0",
            "metadata": {
                "format_support": {"excel": True, "csv": True, "pdf": False, "ocr": False},
                "test_results": {"passing": 10, "total": 10, "skipped": 0},
                "manifest_compliant": True,
            },
        }
    )


def _age_mirror(path: Path, by: timedelta) -> None:
    with sqlite3.connect(path) as conn:
        stamp = (datetime.now(UTC) - by).strftime("%Y-%m-%d %H:%M:%S.%f")
        conn.execute("UPDATE sync_mirror_state SET refreshed_at = ?", (stamp,))


async def _run(*argv: str) -> None:
    process = await asyncio.create_subprocess_exec(*argv)
    assert await process.wait() == 0, argv
