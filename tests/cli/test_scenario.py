"""A person runs the project from the terminal: every command group, on SQLite and PostgreSQL."""

from __future__ import annotations

import getpass

from tests.cli.conftest import Cli

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def test_full_scenario(cli: Cli) -> None:
    # Work items: a project with a session and two tasks, addressed by 8-character prefixes.
    project = cli.create("project", "Payments")
    assert project["created_by"] == f"cli:{getpass.getuser()}"
    session = cli.create("session", "Sprint 1", "--parent", project["id"][:8])
    fix = cli.create(
        "task",
        "Fix retries",
        "--parent",
        session["id"][:8],
        "--priority",
        "1",
        "--metadata",
        '{"estimated_hours": 3}',
        "--actor",
        "alice",
    )
    docs = cli.create("task", "Write docs", "--parent", session["id"][:8], "--branch", "docs")
    assert fix["created_by"] == "alice" and fix["metadata"] == {"estimated_hours": 3}
    assert fix["depth"] == 2 and fix["parent_id"] == session["id"]

    created = cli.ok("items", "create", "--type", "research", "--title", "Compare queues")
    assert "Created research" in created.stdout and "version 1" in created.stdout

    table = cli.ok("items", "list", "--type", "task").stdout
    assert "Fix retries" in table and "Write docs" in table and "2 work items." in table

    tree = cli.ok("items", "tree").stdout.splitlines()
    assert tree[0].startswith("Payments") and project["id"][:8] in tree[0]
    assert any("Sprint 1" in line and "──" in line for line in tree)
    assert next(line for line in tree if "Fix retries" in line).startswith("    ")  # two levels down

    # Dependencies decide ready work: docs waits for the fix.
    cli.ok("deps", "add", fix["id"][:8], docs["id"][:8], "--type", "blocks")
    ready = [row["title"] for row in cli.json("items", "ready", "--type", "task")["items"]]
    assert ready == ["Fix retries"]
    shown = cli.ok("items", "show", docs["id"][:8]).stdout
    assert "Dependencies" in shown and f"{fix['id']} blocks this item" in shown
    assert "Ancestors" in shown and "Payments" in shown

    # Updates: the version-less path reads and says the version; an explicit one is checked.
    done = cli.ok("items", "update", fix["id"][:8], "--status", "completed")
    assert "note: using the current version 1" in done.stderr and "Updated task" in done.stdout
    ready = [row["title"] for row in cli.json("items", "ready", "--type", "task")["items"]]
    assert ready == ["Write docs"]
    cli.json(
        "items", "update", docs["id"][:8], "--clear", "branch", "--title", "Write the docs", "--version", "1"
    )

    # Move, delete (with the subtree), restore.
    moved = cli.json("items", "move", session["id"][:8], "--top-level")
    assert moved["parent_id"] is None and moved["depth"] == 0
    assert cli.json("items", "show", fix["id"][:8])["depth"] == 1
    cli.ok("items", "delete", session["id"][:8])
    assert [r["title"] for r in cli.json("items", "list", "--type", "task")["items"]] == []
    assert cli.json("items", "list", "--type", "task", "--include-deleted")["total"] == 2
    cli.ok("items", "restore", session["id"][:8])
    assert cli.json("items", "list", "--type", "task")["total"] == 2

    history = cli.json("items", "history", session["id"][:8])["items"]
    assert [event["action"] for event in history][:3] == ["restored", "deleted", "moved"]
    assert history[0]["actor"] == f"cli:{getpass.getuser()}"
    cli.ok("deps", "remove", docs["id"][:8], fix["id"][:8], "--type", "depends_on")

    # Vendors, deployments, configuration and enhancements.
    cli.ok(
        "vendors",
        "create",
        "acme",
        "--status",
        "operational",
        "--extractor-version",
        "1.4.0",
        "--metadata",
        '{"test_results": {"passing": 9, "total": 10}, "format_support": {"pdf": true}}',
    )
    cli.ok("vendors", "create", "globex", "--status", "operational", "--extractor-version", "0.9")
    cli.ok("vendors", "update", "globex", "--status", "broken", "--version", "1")
    vendors = cli.ok("vendors", "list").stdout
    assert "acme" in vendors and "9/10" in vendors and "2 vendors, 1 operational." in vendors
    assert [v["name"] for v in cli.json("vendors", "list", "--only-broken")["items"]] == ["globex"]
    assert cli.json("vendors", "show", "acme")["metadata"]["format_support"]["pdf"] is True

    deployment = cli.json(
        "deploy",
        "record",
        "--commit",
        COMMIT,
        "--pr",
        "42",
        "--pr-title",
        "Retries",
        "--vendor",
        "acme",
        "--item",
        fix["id"][:8],
    )
    assert deployment["vendor_names"] == ["acme"] and deployment["work_item_ids"] == [fix["id"]]
    assert deployment["metadata"] == {
        "pr_number": 42,
        "pr_title": "Retries",
        "test_summary": {},
        "constitutional_compliance": False,
    }
    assert "#42 Retries" in cli.ok("deploy", "list").stdout
    assert cli.json("deploy", "show", deployment["id"][:8])["commit_hash"] == COMMIT

    configuration = cli.json(
        "config",
        "set",
        "--current-session-id",
        session["id"][:8],
        "--git-branch",
        "main",
        "--active-context-type",
        "feature",
    )
    assert configuration["current_session_id"] == session["id"] and configuration["version"] == 2
    assert "git branch" in cli.ok("config", "show").stdout

    first = cli.json(
        "enhancements", "create", "--title", "Bulk import", "--description", "CSV", "--priority", "2"
    )
    second = cli.json(
        "enhancements",
        "create",
        "--title",
        "Audit UI",
        "--description",
        "Web",
        "--priority",
        "1",
        "--depends-on",
        first["id"][:8],
        "--principle",
        "Privacy",
    )
    assert second["depends_on"] == [first["id"]]
    cli.json("enhancements", "update", first["id"][:8], "--status", "approved")
    listed = cli.json("enhancements", "list")["items"]
    assert [e["title"] for e in listed] == ["Audit UI", "Bulk import"]
    assert listed[1]["status"] == "approved"
