"""Every error path: one stderr line saying what is wrong and what to do, exit code 1 for user
errors and 2 for usage errors, and a traceback only with --debug."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from project_status.services.tracker import Tracker
from project_status.services.work_items import WorkItemService
from tests.cli.conftest import Cli
from tests.conftest import PostgresServer, require_postgres, sqlite_url
from tests.helpers import insert_work_item_with_id

UNREACHABLE = "postgresql://postgres:s3cret-pw@127.0.0.1:1/project_status"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


# --- user errors: exit code 1, or 4 for something not found ----------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["items", "create", "--type", "task", "--title", "x", "--priority", "9"],
            "error: --priority: Input should be less than or equal to 5 (got 9); "
            "see `project-status items create --help`",
        ),
        (
            ["items", "create", "--type", "task", "--title", "   "],
            "error: --title: String should have at least 1 character",
        ),
        (
            ["items", "create", "--type", "task", "--title", "x", "--metadata", '{"estimated_hour": 1}'],
            "error: --metadata key 'estimated_hour': Extra inputs are not permitted (got 1)",
        ),
        (
            ["items", "create", "--type", "task", "--title", "x", "--commit", "abc"],
            "error: --commit: String should match pattern",
        ),
        (
            ["items", "show", "deadbeef"],
            "error: No work item with id 'deadbeef'; list them with `project-status items list`",
        ),
        (["items", "show", "dead"], "error: ID: an id prefix needs at least 8 hex characters, got 4"),
        (
            ["items", "show", "not-an-id"],
            "error: ID: must be a UUID or a prefix of at least 8 hex characters (got 'not-an-id')",
        ),
        (["items", "list", "--limit", "0"], "error: --limit: must be between 1 and 200 (got 0)"),
        (["items", "list", "--cursor", "nope"], "error: --cursor: is not a cursor of this list"),
        (["items", "update", "deadbeef", "--status", "completed"], "error: No work item with id 'deadbeef'"),
        (
            ["vendors", "show", "nope"],
            "error: No vendor named 'nope'; list them with `project-status vendors list`",
        ),
        (
            ["deploy", "show", "deadbeef"],
            "error: No deployment with id 'deadbeef'; list them with `project-status deploy list`",
        ),
        (
            ["deploy", "record", "--commit", COMMIT, "--vendor", "nope"],
            "error: --vendor: unknown vendor(s); register them with `project-status vendors create` first "
            "(got ['nope'])",
        ),
        (["deploy", "list", "--since", "2026-01-01T00:00:00"], "error: --since: needs a timezone"),
        (
            ["enhancements", "update", "deadbeef", "--priority", "1"],
            "error: No enhancement with id 'deadbeef'",
        ),
        (
            [
                "enhancements",
                "create",
                "--title",
                "t",
                "--description",
                "d",
                "--priority",
                "2",
                "--target-quarter",
                "2026-Q9",
            ],
            "error: --target-quarter: String should match pattern",
        ),
        (
            ["config", "set", "--default-token-budget", "5"],
            "error: --default-token-budget: Input should be greater than or equal to 1000 (got 5)",
        ),
        (["config", "set", "--current-session-id", "deadbeef"], "error: No work item with id 'deadbeef'"),
    ],
    ids=lambda value: " ".join(value)[:60] if isinstance(value, list) else "",
)
def test_user_error(sqlite_cli: Cli, args: list[str], expected: str) -> None:
    not_found = expected.startswith("error: No ")
    assert sqlite_cli.fail(*args, code=4 if not_found else 1).startswith(expected)


def test_service_messages_name_cli_commands_not_mcp_tools(sqlite_cli: Cli) -> None:
    sqlite_cli.ok("vendors", "create", "acme", "--status", "operational", "--extractor-version", "1")
    line = sqlite_cli.fail("vendors", "create", "acme", "--status", "broken", "--extractor-version", "2")
    assert line.startswith(
        "error: NAME: a vendor with this name already exists; use `project-status vendors update`"
    ), line
    assert "update_vendor_status" not in line


def test_deleted_parent_says_restore_it_first(sqlite_cli: Cli) -> None:
    parent = sqlite_cli.create("project", "Gone")
    sqlite_cli.ok("items", "delete", parent["id"])
    line = sqlite_cli.fail("items", "create", "--type", "task", "--title", "x", "--parent", parent["id"][:8])
    assert line.startswith("error: --parent: the parent work item is deleted; restore it first"), line


def test_dependency_cycle_names_the_cycle(sqlite_cli: Cli) -> None:
    a, b = sqlite_cli.create(title="a")["id"], sqlite_cli.create(title="b")["id"]
    sqlite_cli.ok("deps", "add", a, b, "--type", "blocks")
    line = sqlite_cli.fail("deps", "add", b, a, "--type", "blocks")
    assert line.startswith("error: TARGET: this dependency would close a cycle: "), line
    assert f"{a} blocks {b} blocks {a}" in line or f"{b} blocks {a} blocks {b}" in line, line


def test_removing_a_missing_dependency_points_at_the_item(sqlite_cli: Cli) -> None:
    a, b = sqlite_cli.create(title="a")["id"], sqlite_cli.create(title="b")["id"]
    line = sqlite_cli.fail("deps", "remove", a, b, "--type", "blocks", code=4)
    assert (
        line == f"error: No dependency {a} blocks {b}; `project-status items show {a}` lists its dependencies"
    )


async def test_ambiguous_prefix_lists_the_candidates(sqlite_cli: Cli) -> None:
    first, second = (
        uuid.UUID("abcdef01-0000-4000-8000-000000000001"),
        uuid.UUID("abcdef01-0000-4000-8000-000000000002"),
    )
    tracker = await Tracker.open(url=sqlite_cli.url)
    try:
        await insert_work_item_with_id(tracker, first, "one")
        await insert_work_item_with_id(tracker, second, "two")
    finally:
        await tracker.close()
    line = await asyncio.to_thread(sqlite_cli.fail, "items", "show", "abcdef01")
    assert line.startswith(
        "error: ID: the prefix 'abcdef01' matches several work items; give more characters"
    ), line
    assert f"(it matches {first}, {second})" in line
    shown = await asyncio.to_thread(sqlite_cli.ok, "items", "list")
    assert "abcdef01-0000-4000-8000-000000000001" in shown.stdout  # the table tells them apart


def test_version_conflict_says_who_changed_it_and_what_to_run(sqlite_cli: Cli) -> None:
    item = sqlite_cli.create(title="contested")
    sqlite_cli.ok("items", "update", item["id"], "--status", "blocked", "--actor", "bob", "--version", "1")
    line = sqlite_cli.fail("items", "update", item["id"][:8], "--priority", "1", "--version", "1", code=3)
    assert line.startswith(
        f"error: work item {item['id']} is at version 2, not 1: it was last changed by bob at "
    ), line
    assert line.endswith(
        f"review it with `project-status items show {item['id']}` and rerun with --version 2 "
        "(or without --version to use the latest)"
    ), line
    assert sqlite_cli.json("items", "show", item["id"])["priority"] == 3  # nothing written


def test_database_unavailable_is_one_clean_line(project: Path) -> None:
    cli = Cli(UNREACHABLE, project)
    result = cli.run("items", "list")
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(
        "error: The database at postgresql://postgres:***@127.0.0.1:1/project_status is unavailable; check "
        "that it is running and reachable. No fallback layer could answer either: the local mirror "
    ), line
    assert line.endswith("(--database-url or PROJECT_STATUS_DATABASE_URL choose the database)"), line
    assert "never copied from the primary database" in line and ".project_status.md" in line
    assert "s3cret-pw" not in result.output and result.stdout == ""
    assert not (project / ".project-status" / "status.db").exists(), "no silent switch to a local database"


def test_database_url_option_wins_over_the_environment(sqlite_cli: Cli, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    result = sqlite_cli.ok(
        "items", "create", "--type", "task", "--title", "elsewhere", "--database-url", f"sqlite:///{other}"
    )
    assert other.exists() and "elsewhere" in result.stdout
    assert sqlite_cli.json("items", "list")["total"] == 0


async def test_outdated_postgresql_schema_says_to_run_db_upgrade(
    postgres_server: PostgresServer, project: Path
) -> None:
    require_postgres(postgres_server)
    name = await postgres_server.create_database()
    try:
        cli = Cli(postgres_server.url(name), project)
        line = await asyncio.to_thread(cli.fail, "items", "list")
        assert line.startswith("error: The database schema is at nothing, this version needs "), line
        assert line.endswith("run `project-status db upgrade`"), line
        upgraded = await asyncio.to_thread(cli.ok, "db", "upgrade")
        assert "upgraded from an empty database" in upgraded.stdout
        assert (await asyncio.to_thread(cli.json, "items", "list"))["total"] == 0
    finally:
        await postgres_server.drop_database(name)


def test_public_http_bind_without_a_token_is_a_user_error(sqlite_cli: Cli) -> None:
    line = sqlite_cli.fail("serve", "--transport", "http", "--host", "0.0.0.0")
    assert line.startswith("error: --host: binding an address other than 127.0.0.1 needs a bearer token"), (
        line
    )


def test_a_report_path_that_is_a_folder_is_a_user_error(sqlite_cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    line = sqlite_cli.fail("status", "--write", str(folder))
    assert line.startswith("error: Is a directory") and str(folder) in line, line


# --- unexpected failures and --debug -------------------------------------------------------------


def test_a_bug_is_one_line_without_debug_and_a_traceback_with_it(
    sqlite_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: WorkItemService, **_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(WorkItemService, "list", broken)
    assert (
        sqlite_cli.fail("items", "list")
        == "error: unexpected RuntimeError: boom; rerun with --debug for the traceback"
    )
    result = sqlite_cli.run("--debug", "items", "list")
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr and "RuntimeError: boom" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1] == "error: unexpected RuntimeError: boom"


def test_debug_shows_the_traceback_and_log_of_a_tracker_error(project: Path) -> None:
    result = Cli(UNREACHABLE, project).run("--debug", "items", "list")
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "WARNING project_status.store.errors: database unavailable" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("error: The database at ")


# --- usage errors: exit code 2, before any database is touched -----------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["items", "list", "--bogus"], "No such option: --bogus"),
        (["items", "create", "--title", "x"], "Missing option '--type'"),
        (["items", "create", "--type", "epic", "--title", "x"], "'epic' is not one of"),
        (
            ["items", "create", "--type", "task", "--title", "x", "--priority", "high"],
            "Invalid value for '--priority': Input should be a valid integer",
        ),
        (["items", "create", "--type", "task", "--title", "x", "--metadata", "{bad"], "not valid JSON"),
        (["items", "create", "--type", "task", "--title", "x", "--metadata", "[1]"], "must be a JSON object"),
        (["items", "show"], "Missing argument 'ID'"),
        (["items", "update", "deadbeef"], "give at least one option to change"),
        (
            ["items", "update", "deadbeef", "--branch", "x", "--clear", "branch"],
            "branch is both set and cleared",
        ),
        (
            ["items", "update", "deadbeef", "--title", "x", "--version", "two"],
            "Invalid value for '--version': Input should be a valid integer",
        ),
        (["items", "move", "deadbeef"], "give either --parent ID or --top-level"),
        (["items", "move", "deadbeef", "--parent", "cafebabe", "--top-level"], "give either --parent ID or"),
        (["deps", "add", "deadbeef", "cafebabe"], "Missing option '--type'"),
        (["deploy", "list", "--since", "yesterday"], "not an ISO 8601 time"),
        (["config", "set"], "give at least one option to change"),
        (
            ["enhancements", "update", "deadbeef", "--clear", "depends-on", "--depends-on", "cafebabe"],
            "depends-on is both set and cleared",
        ),
        (["status", "report.md"], "give --write to write the report to report.md"),
        (["nonsense"], "No such command 'nonsense'"),
    ],
    ids=lambda value: " ".join(value)[:60] if isinstance(value, list) else "",
)
def test_usage_error(project: Path, tmp_path: Path, args: list[str], expected: str) -> None:
    database = tmp_path / "never" / "status.db"
    stderr = Cli(sqlite_url(database), project).fail(*args, code=2)
    assert expected in " ".join(stderr.replace("│", " ").split()), stderr
    assert not database.parent.exists(), "a usage error touches no database"


def test_every_command_of_the_registry_has_a_cli_command_to_name_as_next_step(sqlite_cli: Cli) -> None:
    from project_status.cli.errors import CLI_COMMAND
    from project_status.services.commands import COMMANDS

    assert set(CLI_COMMAND) == {command.name for command in COMMANDS}
    for words in CLI_COMMAND.values():
        assert "Usage: project-status " + words in sqlite_cli.ok(*words.split(), "--help").output
