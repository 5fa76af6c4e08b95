"""The agent workflow from the command line on both backends: claim, release, done, notes,
history of any entity, the change feed (also followed by a separate process), JSON errors and
the exit codes 3 (conflict or claimed by another) and 4 (not found)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.cli.conftest import Cli

MISSING = "00000000-0000-4000-8000-000000000000"


def test_claim_renew_and_done_with_a_note(cli: Cli) -> None:
    low = cli.create("task", "low", "--priority", "4")
    high = cli.create("task", "high", "--priority", "1")
    claimed = cli.json("items", "claim", "--actor", "agent-a")
    assert (claimed["id"], claimed["status"], claimed["claimed_by"]) == (high["id"], "in_progress", "agent-a")
    renewed = cli.json("items", "claim", high["id"][:8], "--lease", "90", "--actor", "agent-a")
    assert renewed["version"] == claimed["version"] + 1
    text = cli.ok("items", "claim", "--type", "task", "--actor", "agent-a").stdout
    assert f"Claimed {low['id']}" in text and "for agent-a until" in text
    done = cli.json("items", "done", high["id"], "--note", "merged", "--actor", "agent-a")
    assert (done["status"], done["claimed_by"]) == ("completed", None)
    notes = cli.json("items", "notes", high["id"])
    assert [(n["text"], n["actor"]) for n in notes["items"]] == [("merged", "agent-a")]


def test_another_actors_claim_exits_3_and_force_completes(cli: Cli) -> None:
    task = cli.create("task", "contested")
    cli.ok("items", "claim", task["id"], "--actor", "agent-a")
    line = cli.fail("items", "claim", task["id"], "--actor", "agent-b", code=3)
    assert "claimed by agent-a" in line and "`project-status items ready`" in line
    line = cli.fail("items", "done", task["id"], "--actor", "agent-b", code=3)
    assert f"`project-status items done {task['id']} --force`" in line
    cli.fail("items", "release", task["id"], "--actor", "agent-b", code=3)
    forced = cli.json("items", "done", task["id"], "--force", "--actor", "agent-b")
    assert forced["status"] == "completed"


def test_release_and_notes(cli: Cli) -> None:
    task = cli.create("task", "handed over")
    cli.ok("items", "claim", task["id"])
    released = cli.json("items", "release", task["id"], "--note", "over to you")
    assert (released["status"], released["claimed_by"]) == ("active", None)
    cli.ok("items", "note", task["id"], "second thought")
    shown = cli.ok("items", "notes", task["id"]).stdout
    assert "over to you" in shown and "second thought" in shown and "2 notes" in shown


def test_not_found_exits_4_and_json_errors_have_the_mcp_shape(cli: Cli) -> None:
    cli.fail("items", "claim", MISSING, code=4)
    cli.fail("history", MISSING, code=4)
    result = cli.run("items", "claim", MISSING, "--json")
    assert result.exit_code == 4
    body = json.loads(result.stdout)
    assert set(body) == {"error", "message", "details"} and body["error"] == "NotFoundError"
    nothing = cli.run("items", "claim", "--json")
    assert nothing.exit_code == 4
    assert "`project-status items ready`" in json.loads(nothing.stdout)["message"]
    bad = cli.run("items", "claim", "--lease", "0", "--json")
    assert bad.exit_code == 1
    error = json.loads(bad.stdout)
    assert error["error"] == "ValidationError"
    assert error["details"]["errors"][0]["field"] == "lease_minutes"
    line = cli.fail("items", "claim", "--lease", "2000")
    assert line.startswith("error: --lease:") and "1440" in line


def test_a_version_conflict_exits_3(cli: Cli) -> None:
    task = cli.create("task", "moved on")
    cli.ok("items", "update", task["id"], "--title", "moved", "--version", "1")
    cli.fail("items", "update", task["id"], "--title", "stale", "--version", "1", code=3)
    result = cli.run("items", "update", task["id"], "--title", "stale", "--version", "1", "--json")
    assert result.exit_code == 3 and json.loads(result.stdout)["error"] == "VersionConflictError"


def test_history_of_any_entity_and_changes_since(cli: Cli) -> None:
    start = cli.json("changes", "--limit", "1")["next_cursor"]
    task = cli.create("task", "watched")
    cli.ok("vendors", "create", "acme", "--status", "operational", "--extractor-version", "1")
    page = cli.json("changes", "--since", start)
    assert [(r["entity_type"], r["action"]) for r in page["items"]] == [
        ("work_item", "created"),
        ("vendor", "created"),
    ]
    only = cli.json("changes", "--since", start, "--type", "vendor")
    assert [r["entity_type"] for r in only["items"]] == ["vendor"]
    text = cli.ok("changes", "--since", start).stdout
    assert "'watched'" in text and f"next cursor: {page['next_cursor']}" in text
    assert cli.json("history", "acme")["entity_type"] == "vendor"
    shown = cli.ok("history", task["id"][:8]).stdout
    assert "work_item" in shown and "created" in shown
    assert cli.json("history", "configuration")["entity_type"] == "configuration"


def test_changes_follow_prints_what_another_process_changes(cli: Cli, tmp_path: Path) -> None:
    """`changes --follow` in its own process, with a deadline: it prints a change made after it
    started, and Ctrl-C ends it cleanly."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PROJECT_STATUS_")},
        "PROJECT_STATUS_DATABASE_URL": cli.url,
        "PROJECT_STATUS_DATA_DIR": str(cli.project / ".project-status"),
    }
    program = str(Path(sys.executable).with_name("project-status"))
    start = cli.json("changes", "--limit", "1")["next_cursor"]
    out = tmp_path / "follow.jsonl"
    with out.open("w") as sink:
        follower = subprocess.Popen(
            [program, "changes", "--follow", "--since", start, "--interval", "0.2", "--json"],
            cwd=cli.project,
            env=env,
            stdout=sink,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        try:
            cli.create("task", "seen by the follower")
            deadline = time.monotonic() + 60
            rows: list[dict[str, object]] = []
            while time.monotonic() < deadline and not rows:
                assert follower.poll() is None, follower.stderr.read() if follower.stderr else ""
                rows = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
                time.sleep(0.2)
            assert [(r["title"], r["action"]) for r in rows] == [("seen by the follower", "created")]
        finally:
            follower.send_signal(signal.SIGINT)
            try:
                code = follower.wait(timeout=60)
            finally:
                if follower.poll() is None:
                    follower.kill()
    stderr = follower.stderr.read().decode() if follower.stderr else ""
    assert code == 0, stderr
    assert "Traceback" not in stderr
