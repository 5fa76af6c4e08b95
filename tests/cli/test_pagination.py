"""Lists page like the MCP tools: a total, and when cut, the exact command for the next page."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.cli.conftest import Cli

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _follow(cli: Cli, *args: str) -> tuple[list[str], list[str]]:
    """Run a list command and every next-page command it prints; the pages' lines and footers."""
    rows: list[str] = []
    footers: list[str] = []
    command = list(args)
    for _ in range(20):
        lines = cli.ok(*command).stdout.splitlines()
        if lines[-1].startswith("  project-status "):
            footers.append(lines[-2])
            rows += lines[2:-2]
            command = shlex.split(lines[-1])[1:]
            continue
        footers.append(lines[-1])
        rows += lines[2:-1]
        return rows, footers
    raise AssertionError("more pages than expected")


def test_next_page_commands_walk_the_whole_list(cli: Cli) -> None:
    titles = [f"task {i}" for i in range(5)]
    for title in titles:
        cli.create("task", title)
    cli.create("project", "not a task")
    rows, footers = _follow(cli, "items", "list", "--type", "task", "--limit", "2")
    assert [row.split(maxsplit=4)[-1] for row in rows] == titles
    assert footers == [
        "2 shown of 5 work items. Next page:",
        "2 shown of 5 work items. Next page:",
        "1 shown of 5 work items (the last page).",
    ]


def test_the_hint_repeats_the_options_typed(sqlite_cli: Cli) -> None:
    for i in range(3):
        sqlite_cli.create("task", f"webhook {i}")
    lines = sqlite_cli.ok("items", "list", "--text", "webhook", "--type", "task", "--limit", "1").stdout
    hint = shlex.split(lines.splitlines()[-1])
    assert hint[:9] == [
        "project-status",
        "items",
        "list",
        "--type",
        "task",
        "--text",
        "webhook",
        "--limit",
        "1",
    ]
    assert hint[9] == "--cursor" and len(hint) == 11


def test_the_hint_keeps_a_database_url_given_on_the_command_line(sqlite_cli: Cli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    for i in range(2):
        sqlite_cli.ok("items", "create", "--type", "task", "--title", f"t{i}", "--database-url", url)
    hint = sqlite_cli.ok("items", "list", "--limit", "1", "--database-url", url).stdout.splitlines()[-1]
    assert f"--database-url {url}" in hint
    assert "t1" in sqlite_cli.ok(*shlex.split(hint)[1:]).stdout


def test_json_pages_chain_by_next_cursor(sqlite_cli: Cli) -> None:
    for i in range(5):
        sqlite_cli.create("task", f"t{i}")
    seen: list[str] = []
    cursor: list[str] = []
    while True:
        page = sqlite_cli.json("items", "list", "--limit", "2", *cursor)
        assert page["total"] == 5
        seen += [row["title"] for row in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = ["--cursor", page["next_cursor"]]
    assert seen == [f"t{i}" for i in range(5)]


@pytest.mark.parametrize(
    ("command", "noun"),
    [
        (["items", "ready"], "ready work items"),
        (["deploy", "list"], "deployments"),
        (["enhancements", "list"], "enhancements"),
    ],
    ids=["ready", "deployments", "enhancements"],
)
def test_other_lists_page_too(sqlite_cli: Cli, command: list[str], noun: str) -> None:
    for i in range(3):
        sqlite_cli.create("task", f"t{i}")
        sqlite_cli.ok("deploy", "record", "--commit", COMMIT, "--deployed-at", f"2026-01-0{i + 1}T00:00:00Z")
        sqlite_cli.ok("enhancements", "create", "--title", f"e{i}", "--description", "d", "--priority", "3")
    rows, footers = _follow(sqlite_cli, *command, "--limit", "2")
    assert len(rows) == 3
    assert footers == [f"2 shown of 3 {noun}. Next page:", f"1 shown of 3 {noun} (the last page)."]


def test_empty_and_whole_lists_say_so(sqlite_cli: Cli) -> None:
    assert sqlite_cli.ok("items", "list").stdout == "No work items.\n"
    assert sqlite_cli.ok("vendors", "list").stdout == "No vendors.\n"
    assert "No work items yet" in sqlite_cli.ok("items", "tree").stdout
    sqlite_cli.create()
    assert sqlite_cli.ok("items", "list").stdout.splitlines()[-1] == "1 work item."


def test_history_says_when_older_events_are_left_out(sqlite_cli: Cli) -> None:
    item = sqlite_cli.create()
    sqlite_cli.ok("items", "update", item["id"], "--priority", "1")
    out = sqlite_cli.ok("items", "history", item["id"], "--limit", "1").stdout
    assert out.splitlines()[-1] == "The newest 1 events; pass a larger --limit (up to 200) for older ones."
