"""--json: every command that prints data prints one JSON object with schema_version 1."""

from __future__ import annotations

import json

import pytest

from project_status.cli.main import app
from project_status.cli.reference import commands
from tests.cli.conftest import Cli

COMMIT = "0123456789abcdef0123456789abcdef01234567"
LIST_KEYS = {"schema_version", "items", "total", "next_cursor"}


@pytest.fixture
def seeded(sqlite_cli: Cli) -> dict[str, str]:
    """One of everything: a project with a task, a vendor, a deployment and an enhancement."""
    project = sqlite_cli.create("project", "Payments")
    task = sqlite_cli.create("task", "Fix", "--parent", project["id"])
    sqlite_cli.ok("vendors", "create", "acme", "--status", "operational", "--extractor-version", "1")
    deployment = sqlite_cli.json("deploy", "record", "--commit", COMMIT, "--vendor", "acme")
    enhancement = sqlite_cli.json(
        "enhancements", "create", "--title", "E", "--description", "D", "--priority", "2"
    )
    return {
        "project": project["id"],
        "task": task["id"],
        "deployment": deployment["id"],
        "enhancement": enhancement["id"],
    }


def test_every_command_that_prints_data_takes_json() -> None:
    without = [
        entry.path
        for entry in commands(app)
        if not entry.is_group
        and entry.words[0] != "serve"
        and "json" not in {param.name for param in entry.command.params}
    ]
    assert without == []


@pytest.mark.parametrize(
    ("args", "total"),
    [
        (["items", "list"], 2),
        (["items", "ready"], 1),  # ready work is actionable items only: the task, not the project
        (["vendors", "list"], 1),
        (["deploy", "list"], 1),
        (["enhancements", "list"], 1),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, list) else str(value),
)
def test_lists_carry_items_total_and_next_cursor(
    sqlite_cli: Cli, seeded: dict[str, str], args: list[str], total: int
) -> None:
    body = sqlite_cli.json(*args)
    assert set(body) >= LIST_KEYS, body
    assert body["total"] == total and len(body["items"]) == total and body["next_cursor"] is None
    assert all("id" in row for row in body["items"])


def test_vendor_list_also_counts_operational(sqlite_cli: Cli, seeded: dict[str, str]) -> None:
    assert sqlite_cli.json("vendors", "list")["operational"] == 1


def test_show_commands_print_the_full_object_at_top_level(sqlite_cli: Cli, seeded: dict[str, str]) -> None:
    item = sqlite_cli.json("items", "show", seeded["project"][:8])
    assert item["id"] == seeded["project"] and item["version"] == 1
    assert [child["title"] for child in item["children"]] == ["Fix"]
    assert {"ancestors", "dependencies", "created_by", "updated_at"} <= set(item)
    vendor = sqlite_cli.json("vendors", "show", "acme")
    assert vendor["name"] == "acme" and vendor["metadata"]["test_results"] == {
        "passing": 0,
        "total": 0,
        "skipped": 0,
    }
    deployment = sqlite_cli.json("deploy", "show", seeded["deployment"][:8])
    assert deployment["id"] == seeded["deployment"] and deployment["vendor_names"] == ["acme"]
    configuration = sqlite_cli.json("config", "show")
    assert configuration["version"] == 1 and configuration["default_token_budget"] == 200_000


def test_tree_nests_children(sqlite_cli: Cli, seeded: dict[str, str]) -> None:
    forest = sqlite_cli.json("items", "tree")
    assert set(forest) == {"schema_version", "items"}
    (root,) = forest["items"]
    assert root["id"] == seeded["project"] and root["depth"] == 0
    assert [(c["title"], c["depth"], c["children"]) for c in root["children"]] == [("Fix", 1, [])]
    below = sqlite_cli.json("items", "tree", seeded["task"][:8])
    assert [node["title"] for node in below["items"]] == ["Fix"]


def test_history_lists_events_newest_first(sqlite_cli: Cli, seeded: dict[str, str]) -> None:
    sqlite_cli.ok("items", "update", seeded["task"][:8], "--status", "completed")
    events = sqlite_cli.json("items", "history", seeded["task"][:8])["items"]
    assert [e["action"] for e in events] == ["updated", "created"]
    assert events[0]["changes"]["status"] == {"old": "active", "new": "completed"}


def test_changes_print_the_changed_row(sqlite_cli: Cli, seeded: dict[str, str]) -> None:
    updated = sqlite_cli.json("items", "update", seeded["task"][:8], "--priority", "1")
    assert updated["priority"] == 1 and updated["version"] == 2
    edge = sqlite_cli.json("deps", "add", seeded["project"][:8], seeded["task"][:8], "--type", "depends_on")
    assert edge == {
        "schema_version": 1,
        "source_id": seeded["project"],
        "target_id": seeded["task"],
        "dependency_type": "depends_on",
    }
    assert (
        sqlite_cli.json("enhancements", "update", seeded["enhancement"][:8], "--priority", "1")["version"]
        == 2
    )
    assert (
        sqlite_cli.json("vendors", "update", "acme", "--extractor-version", "2")["extractor_version"] == "2"
    )
    assert sqlite_cli.json("config", "set", "--git-branch", "main")["git_branch"] == "main"


def test_json_stdout_stays_parseable_when_a_note_is_printed(sqlite_cli: Cli, seeded: dict[str, str]) -> None:
    result = sqlite_cli.ok("items", "delete", seeded["task"][:8], "--json")
    assert "note: using the current version 1" in result.stderr
    assert json.loads(result.stdout)["deleted_at"] is not None


def test_db_commands_take_json(sqlite_cli: Cli) -> None:
    current = sqlite_cli.json("db", "current")
    assert current["up_to_date"] is True and current["revision"] == current["head"]
    upgraded = sqlite_cli.json("db", "upgrade")
    assert upgraded["before"] == upgraded["revision"] == upgraded["head"]
    assert "sqlite" in upgraded["database"]
