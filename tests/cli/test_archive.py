"""`project-status archive ...` through the CLI runner: run (progress, dry run, --json), list and
restore, and their errors, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from project_status.store.database import Database
from project_status.store.tables import WorkItem
from tests.cli.conftest import Cli


def age(cli: Cli, *ids: str, days: int = 400) -> None:
    """Pretend the items were last updated `days` ago."""

    async def run() -> None:
        db = Database(cli.url)
        try:
            async with db.unit_of_work(write=True) as session:
                await session.execute(
                    update(WorkItem)
                    .where(WorkItem.id.in_([uuid.UUID(i) for i in ids]))
                    .values(updated_at=datetime.now(UTC) - timedelta(days=days))
                )
        finally:
            await db.dispose()

    asyncio.run(run())


def old_project(cli: Cli, title: str = "Old project") -> tuple[dict[str, str], dict[str, str]]:
    """A completed project with a completed task, both untouched for over a year."""
    project = cli.create("project", title, "--status", "completed")
    task = cli.create("task", f"{title} task", "--parent", project["id"], "--status", "completed")
    age(cli, project["id"], task["id"])
    return project, task


def test_run_archives_with_a_progress_bar_then_list_and_restore(cli: Cli) -> None:
    project, task = old_project(cli)
    live = cli.create("task", "Still going")

    result = cli.ok("archive", "run")

    assert "Archived 2 work items in 1 subtree, with 0 dependencies" in result.stdout
    assert "archiving" in result.stderr and "2/2" in result.stderr
    assert [row["id"] for row in cli.json("items", "list")["items"]] == [live["id"]]
    listed = cli.ok("archive", "list").stdout
    assert "Old project" in listed and "2 archived work items." in listed

    restored = cli.ok("archive", "restore", project["id"][:8])

    assert f"Restored project {project['id']} (version 2): Old project" in restored.stdout
    assert cli.json("items", "list")["total"] == 3
    assert cli.json("archive", "list")["total"] == 0
    assert [event["action"] for event in cli.json("items", "history", task["id"])["items"]][:2] == [
        "restored",
        "archived",
    ]


def test_a_dry_run_prints_json_and_writes_nothing(cli: Cli) -> None:
    old_project(cli)

    body = cli.json("archive", "run", "--dry-run")

    assert (body["dry_run"], body["items_archived"], body["subtrees_archived"]) == (True, 2, 1)
    assert body["older_than_days"] == 365 and body["cutoff"]
    assert cli.json("items", "list")["total"] == 2
    assert cli.json("archive", "list")["total"] == 0


def test_run_takes_a_threshold_and_reports_json(sqlite_cli: Cli) -> None:
    recent = sqlite_cli.create("task", "Done last month", "--status", "completed")
    age(sqlite_cli, recent["id"], days=40)

    assert sqlite_cli.json("archive", "run")["items_archived"] == 0
    body = sqlite_cli.json("archive", "run", "--older-than", "30", "--actor", "ops")

    assert (body["items_archived"], body["older_than_days"], body["dry_run"]) == (1, 30, False)
    history = sqlite_cli.json("items", "history", recent["id"])["items"]
    assert (history[0]["action"], history[0]["actor"]) == ("archived", "ops")


def test_threshold_and_time_options_are_checked_before_anything_runs(sqlite_cli: Cli) -> None:
    for days in ("0", "-5", "40000"):
        message = sqlite_cli.fail("archive", "run", "--older-than", days, code=2)
        assert "--older-than" in message and "from 1 to 36500" in message
    message = sqlite_cli.fail("archive", "list", "--archived-after", "yesterday", code=2)
    assert "--archived-after" in message and "ISO 8601" in message
    naive = sqlite_cli.fail("archive", "list", "--archived-after", "2026-01-01T00:00:00")
    assert "--archived-after" in naive and "timezone" in naive


def test_restore_errors_name_the_way_out(sqlite_cli: Cli) -> None:
    project, task = old_project(sqlite_cli)
    sqlite_cli.ok("archive", "run")
    live = sqlite_cli.create("task", "live")

    under_archived = sqlite_cli.fail("archive", "restore", task["id"])
    unknown = sqlite_cli.fail("archive", "restore", "0123456789abcdef", code=4)
    not_archived = sqlite_cli.fail("archive", "restore", live["id"], code=4)
    shown = sqlite_cli.fail("items", "show", project["id"], code=4)

    assert project["id"] in under_archived and f"restore {project['id']} instead" in under_archived
    assert "list them with `project-status archive list`" in unknown
    assert "is live" in not_archived and "`project-status items show`" in not_archived
    assert "is archived" in shown and f"`project-status archive restore {project['id']}`" in shown


def test_restoring_under_a_deleted_parent_says_to_restore_the_parent(sqlite_cli: Cli) -> None:
    parent = sqlite_cli.create("project", "Live project")
    child = sqlite_cli.create("task", "Old task", "--parent", parent["id"], "--status", "completed")
    age(sqlite_cli, child["id"])
    sqlite_cli.ok("archive", "run")
    sqlite_cli.ok("items", "delete", parent["id"])

    message = sqlite_cli.fail("archive", "restore", child["id"])

    assert f"its parent {parent['id']} is deleted" in message
    assert "`project-status items restore`" in message


def test_a_bad_archive_setting_names_the_variable(sqlite_cli: Cli) -> None:
    result = sqlite_cli.run("archive", "run", env={"PROJECT_STATUS_ARCHIVE_AFTER_DAYS": "0"})

    assert result.exit_code == 1
    assert result.stderr.startswith("error: PROJECT_STATUS_ARCHIVE_AFTER_DAYS:")


def test_the_archive_list_pages_and_filters(sqlite_cli: Cli) -> None:
    old_project(sqlite_cli, "Payments")
    old_project(sqlite_cli, "Search")
    sqlite_cli.ok("archive", "run")

    first = sqlite_cli.ok("archive", "list", "--limit", "3").stdout
    found = sqlite_cli.json("archive", "list", "--text", "payments", "--type", "project")

    assert "3 shown of 4 archived work items. Next page:" in first
    assert "project-status archive list --limit 3 --cursor" in first
    assert [row["title"] for row in found["items"]] == ["Payments"]
    assert set(found["items"][0]) == {
        "id",
        "item_type",
        "title",
        "status",
        "priority",
        "depth",
        "archived_at",
    }
