"""Readable output: tables, a tree and records; colour only on a terminal; data printed as written."""

from __future__ import annotations

import getpass

from tests.cli.conftest import Cli

ANSI = "\x1b["


def test_no_colour_into_a_pipe_and_colour_on_a_terminal(sqlite_cli: Cli) -> None:
    sqlite_cli.create("task", "Coloured", "--status", "blocked")
    piped = sqlite_cli.ok("items", "list").stdout
    assert ANSI not in piped and "blocked" in piped
    terminal = sqlite_cli.ok("items", "list", env={"FORCE_COLOR": "1"}).stdout
    assert ANSI in terminal and "blocked" in terminal


def test_errors_are_not_coloured_into_a_pipe(sqlite_cli: Cli) -> None:
    assert ANSI not in sqlite_cli.run("items", "show", "deadbeef").stderr


def test_data_is_never_read_as_markup(sqlite_cli: Cli) -> None:
    title = "[bold red]not markup[/] :smile: [link=x]y[/link]"
    item = sqlite_cli.create("task", title)
    assert title in sqlite_cli.ok("items", "list").stdout
    assert title in sqlite_cli.ok("items", "tree").stdout
    assert title in sqlite_cli.ok("items", "show", item["id"]).stdout


def test_tables_show_short_ids_that_work_as_arguments(sqlite_cli: Cli) -> None:
    item = sqlite_cli.create("task", "Short")
    row = sqlite_cli.ok("items", "list").stdout.splitlines()[2]
    short = row.split()[0]
    assert short == item["id"][:8]
    assert sqlite_cli.json("items", "show", short)["id"] == item["id"]


def test_piped_tables_have_no_padding_at_line_ends(sqlite_cli: Cli) -> None:
    item = sqlite_cli.create("task", "A fairly long title for a task")
    sqlite_cli.create("task", "Short", "--parent", item["id"])
    for command in (["items", "list"], ["items", "tree"], ["items", "show", item["id"]], ["config", "show"]):
        out = sqlite_cli.ok(*command).stdout
        assert all(line == line.rstrip() for line in out.splitlines()), (command, out)


def test_create_prints_the_new_row_with_its_id(sqlite_cli: Cli) -> None:
    out = sqlite_cli.ok("items", "create", "--type", "task", "--title", "New one", "--priority", "2").stdout
    first, *rest = out.splitlines()
    assert first.startswith("Created task ") and first.endswith(" (version 1).")
    item_id = first.split()[2]
    record = dict(
        line.split(None, 1) for line in rest if line.split(None, 1)[0] in {"id", "priority", "created"}
    )
    assert record["id"] == item_id and record["priority"] == "2"
    assert record["created"].endswith(f"by cli:{getpass.getuser()}")


def test_tree_below_one_item(sqlite_cli: Cli) -> None:
    root = sqlite_cli.create("project", "Root")
    child = sqlite_cli.create("session", "Child", "--parent", root["id"])
    sqlite_cli.create("task", "Grandchild", "--parent", child["id"])
    sqlite_cli.create("project", "Elsewhere")
    lines = sqlite_cli.ok("items", "tree", child["id"][:8]).stdout.splitlines()
    assert lines[0].startswith("Child  session · active · P3  ")
    assert lines[1].startswith("└── Grandchild  task")
    assert len(lines) == 2
