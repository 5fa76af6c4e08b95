"""Issue 5 with a real PostgreSQL stopped for real: offline writes, sync, conflicts, exactly once.

Each test gets a fresh `tracker` database on this module's private server. Clients are full
trackers as the CLI and the server build them (from settings), each with its own data folder,
so each has its own mirror and journal.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from project_status.domain.errors import NotFoundError, VersionConflictError
from project_status.domain.operation import Operation, running
from project_status.domain.sync import ConflictReason, Resolution
from project_status.domain.vendors import VendorCreate
from project_status.domain.work_items import WorkItemCreate, WorkItemUpdate
from project_status.services import notices
from project_status.services.routing import unrouted
from project_status.services.tracker import Tracker
from project_status.services.work_items import WorkItemService
from project_status.store.database import Database
from tests.mcp.conftest import StdioServer, server_env
from tests.resilience.conftest import PrivatePostgres, wait_until_connectable
from tests.resilience.test_health import raw

ME, THEM = "offline-client", "online-client"


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
        assert notices.source() is not None and notices.source().name == "git"  # type: ignore[union-attr]
    assert acme.items[0].name == "acme"
    [warning] = warnings
    assert "this answer comes from .project_status.md as committed in git" in warning, warning
    assert "Not used: the local mirror" in warning and "older than the 30 min limit" in warning
    with notices.collecting() as warnings:
        beta = await me.vendors.query("beta")
        assert notices.source() is not None and notices.source().name == "file"  # type: ignore[union-attr]
    assert beta.items[0].name == "beta"
    [warning] = warnings
    assert f"this answer comes from {root / '.project_status.md'}, written " in warning, warning
    assert "as committed in git (" in warning.split("Not used:")[1]  # which did not hold it
    with notices.collecting() as warnings, pytest.raises(NotFoundError) as missing:
        await me.vendors.query("gamma")
    assert "database unavailable" in missing.value.message and "git" in missing.value.message
    assert warnings, "the answer still says where it looked"


async def test_an_id_from_the_git_fallback_finds_the_item_once_the_database_is_back(
    pg: PrivatePostgres, client: Callable[[str], Any], tmp_path: Path
) -> None:
    """The git layer answers with the real ids (the report carries them), says so in
    `data_source`, and the id it gave is the one PostgreSQL knows when it is back."""
    root = tmp_path / "me"
    root.mkdir()
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    me: Tracker = await client("me")
    payments = await me.work_items.create(item("Payments"), ME)
    await me.work_items.create(item("Refunds", payments.id), ME)
    await me.work_items.create(item("Payments"), ME)  # a second root with the same title
    await me.reports.write(root / ".project_status.md")
    await _run(*git[:3], "init", "-q")
    await _run(*git, "add", ".project_status.md")
    await _run(*git, "commit", "-q", "-m", "status")
    (root / ".project_status.md").unlink()  # only git history is left
    assert me.mirror is not None
    await me.mirror.refresh()
    _age_mirror(me.mirror.path, timedelta(hours=2))

    await stop(pg)
    with notices.collecting():
        page = await me.work_items.list(text="Refunds")
        source = notices.source()
    assert source is not None and source.name == "git", source
    assert source.age_seconds is not None and 0 <= source.age_seconds < 3600
    [refunds] = page.items
    with notices.collecting():
        from_git = await me.work_items.get(refunds.id[:8])  # the prefix a person copies works too
    assert from_git.parent_id == payments.id

    await start(pg)
    await back_online(me)
    with notices.collecting():
        found = await me.work_items.get(refunds.id)
        assert notices.source() is None  # from PostgreSQL: no fallback fields
    assert (found.id, found.title, found.parent_id) == (refunds.id, "Refunds", payments.id)


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


async def test_a_sync_killed_halfway_runs_again_and_writes_each_change_exactly_once(
    pg: PrivatePostgres, client: Callable[[str], Any], tmp_path: Path
) -> None:
    me: Tracker = await client("me")
    assert me.mirror is not None and me.router is not None
    await me.mirror.refresh()
    await stop(pg)
    me.router.regenerate_report = False  # not what this test is about, and 300 renders are slow
    with notices.collecting():
        for n in range(KILL_ENTRIES):
            await me.work_items.create(item(f"offline {n:03}"), ME)
    await me.close()
    env = server_env(tmp_path / "me", PROJECT_STATUS_DATABASE_URL=pg.tracker_url)
    down = await asyncio.to_thread(
        subprocess.run, [*CLI, "sync"], env=env, cwd=tmp_path / "me", capture_output=True, text=True
    )
    assert down.returncode == 1 and down.stdout == ""
    assert len(down.stderr.splitlines()) == 1, down.stderr
    line = down.stderr.strip()
    assert line.startswith("error: The database at ") and f"{KILL_ENTRIES} change(s) made while" in line, line
    await start(pg)

    first = await asyncio.create_subprocess_exec(
        *CLI, "sync", env=env, cwd=tmp_path / "me", stderr=asyncio.subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while await count(pg, "SELECT count(*) FROM sync_applied") < KILL_ENTRIES // 10:
            assert first.returncode is None, "the sync ended before it could be killed"
            assert time.monotonic() < deadline, "the sync made no progress"
            await asyncio.sleep(0.005)
        first.send_signal(signal.SIGKILL)
    finally:
        await first.wait()
    written = await count(pg, "SELECT count(*) FROM work_items")
    assert 0 < written < KILL_ENTRIES, f"killed after {written} of {KILL_ENTRIES}: not halfway"

    second = await asyncio.to_thread(
        subprocess.run, [*CLI, "sync", "--json"], env=env, cwd=tmp_path / "me", capture_output=True, text=True
    )
    assert second.returncode == 0, second.stderr
    result = json.loads(second.stdout)
    print(f"\nkilled after {written} of {KILL_ENTRIES} entries; the second run: {result}")
    assert result["applied"] == KILL_ENTRIES - written, result
    assert result["already_applied"] in (0, 1), result  # killed between the commit and its settling
    assert result["conflicts"] == 0 and result["remaining"] == 0
    assert await count(pg, "SELECT count(*) FROM work_items") == KILL_ENTRIES
    assert await count(pg, "SELECT count(DISTINCT title) FROM work_items") == KILL_ENTRIES
    assert await count(pg, "SELECT count(*) FROM events WHERE action = 'created'") == KILL_ENTRIES
    assert await count(pg, "SELECT count(*) FROM sync_applied") == KILL_ENTRIES
    with sqlite3.connect(tmp_path / "me" / ".project-status" / "cache.db") as conn:
        assert conn.execute("SELECT count(*) FROM sync_journal WHERE state = 'pending'").fetchone()[0] == 0


KILL_ENTRIES = 300
CLI = [sys.executable, "-m", "project_status"]


@pytest.mark.parametrize("how", ["fast", "immediate"])
async def test_through_the_mcp_server_reads_and_writes_go_on_while_postgres_is_down_and_sync_by_themselves(
    pg: PrivatePostgres, tmp_path: Path, how: str
) -> None:
    env = server_env(tmp_path, PROJECT_STATUS_DATABASE_URL=pg.tracker_url)
    server = await StdioServer(tmp_path, env).start()
    try:
        project = await server.call("create_work_item", item_type="project", title="Payments")
        task = await server.call("create_work_item", item_type="task", title="Retry", parent_id=project["id"])
        await _until(lambda: _mirror_copied(tmp_path), "the server's first copy into the mirror")

        await stop(pg, how)
        started = time.monotonic()
        shown = await server.call("query_work_item", id=task["id"])
        assert time.monotonic() - started < 2.0
        assert shown["title"] == "Retry" and "from the local mirror" in shown["warnings"][0]

        edited = await server.call("update_work_item", id=task["id"], version=1, title="Retry twice")
        added = await server.call("create_work_item", item_type="task", title="DLQ", parent_id=project["id"])
        assert edited["version"] == 2 and "pending sync" in edited["warnings"][0]
        assert "pending sync (2 change(s) waiting)" in added["warnings"][0]
        listed = await server.call("list_work_items", parent_id=project["id"])
        assert {row["title"] for row in listed["items"]} == {"Retry twice", "DLQ"}
        assert listed["warnings"]
        report = (tmp_path / ".project_status.md").read_text(encoding="utf-8")
        assert "Retry twice" in report and "DLQ" in report

        await start(pg)
        sql = "SELECT count(*) FROM work_items WHERE title = 'DLQ'"
        await _until(lambda: _pg_count(pg, sql), "the server's own sync after PostgreSQL came back", 20)
        assert await count(pg, sql) == 1
        row = await raw(pg, "SELECT title, version FROM work_items WHERE id = $1", uuid.UUID(task["id"]))
        assert (row["title"], row["version"]) == ("Retry twice", 2)
        assert await count(pg, "SELECT count(*) FROM work_items") == 3
        await _until(lambda: _no_warnings(server, task["id"]), "answers without warnings", 10)
        assert "Traceback" not in server.stderr()
    finally:
        await server.stop()


async def _until(check: Callable[[], Awaitable[Any]], what: str, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, f"waited {within} s for {what}"
        await asyncio.sleep(0.1)


async def _mirror_copied(root: Path) -> bool:
    path = root / ".project-status" / "cache.db"
    if not path.exists():
        return False
    with sqlite3.connect(path) as conn:
        try:
            row = conn.execute("SELECT refreshed_at, needs_refresh FROM sync_mirror_state").fetchone()
        except sqlite3.OperationalError:
            return False
    return row is not None and row[0] is not None and not row[1]


async def _pg_count(pg: PrivatePostgres, sql: str) -> bool:
    try:
        return await count(pg, sql) > 0
    except Exception:
        return False


async def _no_warnings(server: StdioServer, item_id: str) -> bool:
    return "warnings" not in await server.call("query_work_item", id=item_id)


async def test_a_create_that_reached_the_database_before_its_answer_was_lost_is_not_made_twice(
    pg: PrivatePostgres, client: Callable[[str], Any]
) -> None:
    """The client's deterministic id makes the create idempotent: sync finds the row and skips it."""
    me: Tracker = await client("me")
    assert me.mirror is not None and me.sync is not None
    await me.mirror.refresh()
    await stop(pg)
    with notices.collecting():
        created = await me.work_items.create(item("Sent twice"), ME)
    await start(pg)
    [entry] = await _journal(me)
    # what the first attempt did on the server before its answer was lost: the same operation
    first_attempt = Database(pg.tracker_async_url)
    try:
        with unrouted(), running(Operation(op_id=entry["op_id"], at=created.created_at)):
            again = await WorkItemService(first_attempt).create(item("Sent twice"), ME)
    finally:
        await first_attempt.dispose()
    assert again.id == created.id

    await back_online(me)
    result = await me.sync.sync()
    assert (result.applied, result.already_applied, result.conflicts) == (0, 1, 0), result
    assert await count(pg, "SELECT count(*) FROM work_items WHERE title = 'Sent twice'") == 1


async def test_health_is_recorded_in_the_mirror_while_postgres_is_down(
    pg: PrivatePostgres, client: Callable[[str], Any]
) -> None:
    me: Tracker = await client("me")
    assert me.mirror is not None and await me.health.check() is True
    await me.mirror.refresh()
    await stop(pg)
    assert await me.health.check() is False
    with notices.collecting() as warnings:
        config = await me.configuration.get()
    assert config.database_healthy is False and config.last_health_check_at is not None
    assert "from the local mirror" in warnings[0]


async def _journal(tracker: Tracker) -> list[dict[str, Any]]:
    assert tracker.mirror is not None
    with sqlite3.connect(tracker.mirror.path) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT op_id, operation, state FROM sync_journal ORDER BY seq").fetchall()
    return [{**dict(r), "op_id": uuid.UUID(r["op_id"])} for r in rows]
