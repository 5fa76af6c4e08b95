"""Optimistic locking from the terminal: --version N is checked; without it the CLI reads the
current version, says on stderr which one it used, and the change applies to that version."""

from __future__ import annotations

import pytest

from tests.cli.conftest import Cli

NOTE = "note: using the current version {version} of {what} (pass --version N to make sure nobody changed it)"


def _one_note(stderr: str) -> str:
    notes = [line for line in stderr.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1, stderr
    return notes[0]


@pytest.mark.parametrize(
    ("command", "expected_version"),
    [
        (["items", "update", "{id}", "--title", "Renamed"], 3),
        (["items", "move", "{id}", "--parent", "{parent}"], 3),
        (["items", "delete", "{id}"], 3),
    ],
    ids=["update", "move", "delete"],
)
def test_work_item_change_without_version_uses_the_current_one(
    cli: Cli, command: list[str], expected_version: int
) -> None:
    parent = cli.create("project", "Parent")
    item = cli.create(title="Edited twice")
    cli.ok("items", "update", item["id"], "--priority", "2", "--version", "1")
    args = [word.format(id=item["id"][:8], parent=parent["id"][:8]) for word in command]
    result = cli.ok(*args, "--json")
    assert _one_note(result.stderr) == NOTE.format(version=2, what=f"work item {item['id'][:8]}")
    assert cli.json("items", "show", item["id"])["version"] == expected_version


def test_restore_without_version(sqlite_cli: Cli) -> None:
    item = sqlite_cli.create(title="Back again")
    sqlite_cli.ok("items", "delete", item["id"], "--version", "1")
    result = sqlite_cli.ok("items", "restore", item["id"])
    assert "using the current version 2" in _one_note(result.stderr)
    assert "Restored task" in result.stdout
    assert sqlite_cli.json("items", "show", item["id"])["deleted_at"] is None


def test_vendor_update_without_version(cli: Cli) -> None:
    cli.ok("vendors", "create", "acme", "--status", "operational", "--extractor-version", "1")
    result = cli.ok("vendors", "update", "acme", "--status", "broken")
    assert _one_note(result.stderr) == NOTE.format(version=1, what="vendor acme")
    assert cli.json("vendors", "show", "acme")["status"] == "broken"


def test_config_set_without_version(cli: Cli) -> None:
    cli.ok("config", "set", "--git-branch", "one", "--version", "1")
    result = cli.ok("config", "set", "--git-branch", "two")
    assert _one_note(result.stderr) == NOTE.format(version=2, what="the configuration")
    assert cli.json("config", "show")["git_branch"] == "two"


def test_enhancement_update_without_version(cli: Cli) -> None:
    enhancement = cli.json("enhancements", "create", "--title", "E", "--description", "D", "--priority", "3")
    result = cli.ok("enhancements", "update", enhancement["id"][:8], "--status", "approved")
    assert _one_note(result.stderr) == NOTE.format(version=1, what=f"enhancement {enhancement['id'][:8]}")
    assert cli.json("enhancements", "list")["items"][0]["status"] == "approved"


def test_explicit_version_prints_no_note(sqlite_cli: Cli) -> None:
    item = sqlite_cli.create()
    result = sqlite_cli.ok("items", "update", item["id"], "--status", "completed", "--version", "1")
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("setup", "command", "who"),
    [
        (
            ["vendors", "create", "acme", "--status", "operational", "--extractor-version", "1"],
            ["vendors", "update", "acme", "--status", "broken", "--actor", "carol", "--version", "1"],
            "vendor acme is at version 2, not 1: it was last changed by carol at ",
        ),
        (
            [],
            ["config", "set", "--git-branch", "x", "--actor", "carol", "--version", "1"],
            "the configuration is at version 2, not 1: it was last changed by carol at ",
        ),
    ],
    ids=["vendor", "config"],
)
def test_stale_version_names_who_changed_it(
    sqlite_cli: Cli, setup: list[str], command: list[str], who: str
) -> None:
    if setup:
        sqlite_cli.ok(*setup)
    sqlite_cli.ok(*command)
    line = sqlite_cli.fail(*command, code=3)
    assert line.startswith(f"error: {who}"), line
    assert "rerun with --version 2" in line


def test_stale_enhancement_version(sqlite_cli: Cli) -> None:
    enhancement = sqlite_cli.json(
        "enhancements", "create", "--title", "E", "--description", "D", "--priority", "3", "--actor", "dave"
    )
    sqlite_cli.ok("enhancements", "update", enhancement["id"], "--priority", "1", "--actor", "erin")
    line = sqlite_cli.fail(
        "enhancements", "update", enhancement["id"], "--priority", "2", "--version", "1", code=3
    )
    assert f"enhancement {enhancement['id']} is at version 2, not 1: it was last changed by erin" in line
