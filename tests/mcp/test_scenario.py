"""A full working session through the official SDK client over stdio against the real server:
projects, sessions and tasks, dependencies, ready work, versions, moves, soft delete, history and
actors; vendors, deployments, the configuration and enhancements (array arguments included)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tests.mcp.conftest import CLIENT_NAME, StdioServer

COMMIT = "0123456789abcdef0123456789abcdef01234567"
OTHER_COMMIT = "fedcba9876543210fedcba9876543210fedcba98"
VENDOR_METADATA = {
    "format_support": {"excel": True, "csv": True, "pdf": False, "ocr": False},
    "test_results": {"passing": 10, "total": 12, "skipped": 1},
    "manifest_compliant": True,
}


def at(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None, f"naive timestamp {text!r}"
    return value


async def ready_ids(server: StdioServer) -> set[str]:
    page = await server.call("list_ready_work", limit=100)
    assert page["total"] <= 100
    return {row["id"] for row in page["items"]}


async def test_work_item_hierarchy_dependencies_and_ready_work(server: StdioServer) -> None:
    project = await server.call(
        "create_work_item",
        item_type="project",
        title="Invoice extraction",
        metadata={"target_quarter": "2026-Q4", "constitutional_principles": ["tests first"]},
    )
    assert project["version"] == 1 and project["depth"] == 0
    assert project["path"] == f"/{project['id']}"
    assert project["created_by"] == CLIENT_NAME and project["updated_by"] == CLIENT_NAME
    assert project["metadata"]["target_quarter"] == "2026-Q4"

    # Some clients send object arguments as a JSON string: it is parsed, then validated.
    session = await server.call(
        "create_work_item",
        item_type="session",
        title="Monday session",
        parent_id=project["id"][:8],  # a unique 8-character prefix stands for the id
        metadata=json.dumps({"token_budget": 50_000, "prompts_count": 2}),
    )
    assert session["parent_id"] == project["id"] and session["depth"] == 1
    assert session["metadata"] == {"token_budget": 50_000, "prompts_count": 2}

    first, second, third = [
        await server.call(
            "create_work_item",
            item_type="task",
            title=f"task {n}",
            parent_id=session["id"],
            priority=n,
            metadata={"estimated_hours": 2.5},
            branch_name=f"feature/task-{n}",
        )
        for n in (1, 2, 3)
    ]
    assert first["path"] == f"/{project['id']}/{session['id']}/{first['id']}" and first["depth"] == 2

    # second depends_on first (first blocks second); first blocks third.
    edge = await server.call(
        "add_dependency", source_id=second["id"], target_id=first["id"], dependency_type="depends_on"
    )
    assert edge == {"source_id": second["id"], "target_id": first["id"], "dependency_type": "depends_on"}
    await server.call(
        "add_dependency", source_id=first["id"][:8], target_id=third["id"], dependency_type="blocks"
    )

    ready = await ready_ids(server)
    assert first["id"] in ready
    assert second["id"] not in ready and third["id"] not in ready

    detail = await server.call("query_work_item", id=second["id"][:10])
    assert detail["id"] == second["id"]
    assert [a["id"] for a in detail["ancestors"]] == [project["id"], session["id"]]
    assert {"source_id": second["id"], "target_id": first["id"], "dependency_type": "depends_on"} in detail[
        "dependencies"
    ]

    tree = await server.call("query_work_item", id=project["id"])
    assert tree["ancestors"] == []
    [child] = tree["children"]
    assert child["id"] == session["id"]
    assert {c["id"] for c in child["children"]} == {first["id"], second["id"], third["id"]}
    lean = await server.call("query_work_item", id=project["id"], include_children=False)
    assert not lean.get("children")

    # Completing the blocker makes both blocked tasks ready.
    done = await server.call("update_work_item", id=first["id"], version=1, status="completed")
    assert done["version"] == 2 and done["status"] == "completed" and done["updated_by"] == CLIENT_NAME
    ready = await ready_ids(server)
    assert {second["id"], third["id"]} <= ready and first["id"] not in ready

    # Highest priority first among the ready tasks.
    page = await server.call("list_ready_work", item_type="task", limit=100)
    priorities = [row["priority"] for row in page["items"]]
    assert priorities == sorted(priorities)
    assert {row["item_type"] for row in page["items"]} == {"task"}

    # Either equivalent form removes the edge.
    await server.call(
        "remove_dependency", source_id=first["id"], target_id=second["id"], dependency_type="blocks"
    )
    assert (await server.call("query_work_item", id=second["id"]))["dependencies"] == []

    listed = await server.call("list_work_items", parent_id=session["id"])
    assert listed["total"] == 3 and {row["id"] for row in listed["items"]} == {
        first["id"],
        second["id"],
        third["id"],
    }
    found = await server.call("list_work_items", text="Monday")
    assert [row["id"] for row in found["items"]] == [session["id"]]
    tasks_done = await server.call("list_work_items", item_type="task", status="completed")
    assert first["id"] in {row["id"] for row in tasks_done["items"]}
    assert all(row["status"] == "completed" for row in tasks_done["items"])


async def test_update_move_soft_delete_restore_and_history(server: StdioServer) -> None:
    home = await server.call("create_work_item", item_type="project", title="Home")
    away = await server.call("create_work_item", item_type="project", title="Away")
    task = await server.call("create_work_item", item_type="task", title="Movable", parent_id=home["id"])
    research = await server.call(
        "create_work_item",
        item_type="research",
        title="Findings",
        parent_id=task["id"],
        metadata={"research_questions": ["why?"], "findings_summary": "none yet"},
    )
    assert research["depth"] == 2

    # Partial update: only what is sent changes; null clears.
    task = await server.call(
        "update_work_item", id=task["id"], version=task["version"], description="to clear", pr_number=7
    )
    assert task["version"] == 2 and task["description"] == "to clear" and task["pr_number"] == 7
    task = await server.call("update_work_item", id=task["id"], version=2, description=None)
    assert task["version"] == 3 and "description" not in task and task["pr_number"] == 7
    assert task["title"] == "Movable"

    # Moving the task moves its subtree.
    task = await server.call("update_work_item", id=task["id"], version=3, parent_id=away["id"])
    assert task["parent_id"] == away["id"] and task["path"] == f"/{away['id']}/{task['id']}"
    moved = await server.call("query_work_item", id=research["id"])
    assert moved["depth"] == 2 and moved["path"] == f"/{away['id']}/{task['id']}/{research['id']}"
    assert [a["id"] for a in moved["ancestors"]] == [away["id"], task["id"]]
    assert (await server.call("list_work_items", parent_id=home["id"]))["total"] == 0

    # To the top level and back under a parent.
    task = await server.call("update_work_item", id=task["id"], version=4, parent_id=None)
    assert task["depth"] == 0 and "parent_id" not in task
    assert (await server.call("query_work_item", id=research["id"]))["depth"] == 1
    task = await server.call("update_work_item", id=task["id"], version=5, parent_id=home["id"])
    assert task["depth"] == 1

    # Soft delete hides the item; include_deleted shows it; restore brings it back.
    deleted = await server.call(
        "update_work_item", id=research["id"], version=research["version"], deleted=True
    )
    assert deleted["deleted_at"]
    visible = await server.call("list_work_items", parent_id=task["id"])
    assert visible["total"] == 0
    everything = await server.call("list_work_items", parent_id=task["id"], include_deleted=True)
    assert [row["id"] for row in everything["items"]] == [research["id"]]
    restored = await server.call(
        "update_work_item", id=research["id"], version=deleted["version"], deleted=False
    )
    assert "deleted_at" not in restored
    assert (await server.call("list_work_items", parent_id=task["id"]))["total"] == 1

    # An explicit actor overrides the client's name, for that call only.
    renamed = await server.call(
        "update_work_item", id=task["id"], version=task["version"], title="Moved", actor="alice"
    )
    assert renamed["updated_by"] == "alice" and renamed["created_by"] == CLIENT_NAME
    again = await server.call("update_work_item", id=task["id"], version=renamed["version"], priority=1)
    assert again["updated_by"] == CLIENT_NAME

    history = (await server.call("get_work_item_history", id=task["id"]))["items"]
    assert [event["action"] for event in history] == [
        "updated",  # priority, by the client
        "updated",  # title, by alice
        "moved",
        "moved",
        "moved",
        "updated",  # description cleared
        "updated",  # description and pr_number set
        "created",
    ]
    assert history[0]["actor"] == CLIENT_NAME
    assert history[0]["changes"] == {"priority": {"old": 3, "new": 1}}
    assert history[1]["actor"] == "alice"
    assert history[1]["changes"] == {"title": {"old": "Movable", "new": "Moved"}}
    assert history[2]["changes"]["parent_id"] == {"old": None, "new": home["id"]}
    assert history[-1]["actor"] == CLIENT_NAME and history[-1]["action"] == "created"
    assert {event["entity_id"] for event in history} == {task["id"]}
    times = [event["occurred_at"] for event in history]
    assert times == sorted(times, reverse=True)
    assert len((await server.call("get_work_item_history", id=task["id"], limit=2))["items"]) == 2

    research_history = (await server.call("get_work_item_history", id=research["id"]))["items"]
    assert [event["action"] for event in research_history] == [
        "restored",
        "deleted",
        *["moved_with_ancestor"] * 3,  # its parent moved three times above
        "created",
    ]
    assert all(event["actor"] == CLIENT_NAME for event in research_history)


async def test_vendors(server: StdioServer) -> None:
    acme = await server.call(
        "create_vendor",
        name="acme",
        status="operational",
        extractor_version="1.0.0",
        metadata=VENDOR_METADATA,
    )
    assert acme["version"] == 1 and acme["created_by"] == CLIENT_NAME
    assert acme["metadata"]["test_results"] == {"passing": 10, "total": 12, "skipped": 1}
    globex = await server.call(
        "create_vendor",
        name="globex",
        status="broken",
        extractor_version="0.9",
        metadata=json.dumps({"manifest_compliant": False}),  # a JSON-string object argument
        actor="ci-bot",
    )
    assert globex["created_by"] == "ci-bot" and globex["metadata"]["manifest_compliant"] is False

    one = await server.call("query_vendor_status", name="acme")
    assert [v["name"] for v in one["items"]] == ["acme"] and one["items"][0]["id"] == acme["id"]

    broken = await server.call("query_vendor_status", only_broken=True)
    assert [v["name"] for v in broken["items"]] == ["globex"]

    updated = await server.call(
        "update_vendor_status",
        name="acme",
        version=1,
        status="broken",
        metadata={"test_results": {"passing": 5, "total": 12, "skipped": 0}},
    )
    assert updated["version"] == 2 and updated["status"] == "broken"
    assert updated["metadata"]["test_results"]["passing"] == 5
    assert updated["metadata"]["manifest_compliant"] is True  # merged, not replaced
    assert updated["extractor_version"] == "1.0.0"

    broken = await server.call("query_vendor_status", only_broken=True)
    assert {v["name"] for v in broken["items"]} == {"acme", "globex"}
    everyone = await server.call("query_vendor_status")
    assert everyone["total"] >= 2 and everyone["operational"] == everyone["total"] - len(
        [v for v in everyone["items"] if v["status"] == "broken"]
    )


async def test_deployments_with_array_arguments_and_cursor(server: StdioServer) -> None:
    await server.call(
        "create_vendor", name="initech", status="operational", extractor_version="2", metadata=VENDOR_METADATA
    )
    await server.call(
        "create_vendor",
        name="umbrella",
        status="operational",
        extractor_version="2",
        metadata=VENDOR_METADATA,
    )
    item = await server.call("create_work_item", item_type="task", title="Ship it")
    recorded: list[dict[str, Any]] = []
    for day in (1, 2, 3):
        recorded.append(
            await server.call(
                "record_deployment",
                deployed_at=f"2026-03-0{day}T12:00:00+02:00",
                commit_hash=COMMIT if day != 2 else OTHER_COMMIT,
                metadata={
                    "pr_number": 40 + day,
                    "pr_title": f"Release {day}",
                    "test_summary": {"unit": 100 + day, "e2e": day},
                    "constitutional_compliance": True,
                },
                vendor_names=["initech", "umbrella"] if day != 3 else ["umbrella"],
                work_item_ids=[item["id"]] if day == 1 else [],
            )
        )
    first = recorded[0]
    assert at(first["deployed_at"]) == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert sorted(first["vendor_names"]) == ["initech", "umbrella"]
    assert first["work_item_ids"] == [item["id"]]
    assert first["created_by"] == CLIENT_NAME

    shown = await server.call("query_deployment", id=first["id"][:8])
    assert at(shown["deployed_at"]) == datetime(2026, 3, 1, 10, tzinfo=UTC)
    print("record_deployment deployed_at:", first["deployed_at"], "query_deployment:", shown["deployed_at"])
    assert shown["id"] == first["id"] and shown["metadata"]["test_summary"] == {"unit": 101, "e2e": 1}
    assert shown["work_item_ids"] == [item["id"]] and sorted(shown["vendor_names"]) == ["initech", "umbrella"]

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        args: dict[str, Any] = {"limit": 2, "since": "2026-01-01T00:00:00Z"}
        if cursor:
            args["cursor"] = cursor
        page = await server.call("list_deployments", **args)
        pages += 1
        assert page["total"] == 3 and len(page["items"]) <= 2
        seen += [row["id"] for row in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert pages == 2
    assert seen == [d["id"] for d in reversed(recorded)]  # newest first, each once

    by_vendor = await server.call("list_deployments", vendor_name="initech")
    assert {row["id"] for row in by_vendor["items"]} == {recorded[0]["id"], recorded[1]["id"]}
    brief = by_vendor["items"][0]
    assert brief["pr_title"] == "Release 2" and brief["vendor_count"] == 2


async def test_project_configuration(server: StdioServer) -> None:
    config = await server.call("get_project_configuration")
    assert config["default_token_budget"] == 200_000
    version = config["version"]
    session = await server.call("create_work_item", item_type="session", title="Config session")

    updated = await server.call(
        "update_project_configuration",
        version=version,
        active_context_type="feature",
        current_session_id=session["id"][:8],
        git_branch="main",
        git_head_commit=COMMIT,
        default_token_budget=150_000,
    )
    assert updated["version"] == version + 1 and updated["updated_by"] == CLIENT_NAME
    assert updated["current_session_id"] == session["id"]
    assert updated["active_context_type"] == "feature" and updated["git_head_commit"] == COMMIT
    assert updated["default_token_budget"] == 150_000

    cleared = await server.call(
        "update_project_configuration", version=version + 1, git_branch=None, actor="release-bot"
    )
    assert "git_branch" not in cleared and cleared["git_head_commit"] == COMMIT
    assert cleared["updated_by"] == "release-bot"
    assert await server.call("get_project_configuration") == cleared


async def test_enhancements_with_depends_on(server: StdioServer) -> None:
    base = await server.call(
        "create_enhancement",
        title="Offline journal",
        description="Write while PostgreSQL is down",
        priority=1,
        target_quarter="2027-Q1",
        requires_constitutional_principles=["no data loss", "tests first"],
    )
    assert base["version"] == 1 and base["status"] == "planned" and base["depends_on"] == []
    assert base["requires_constitutional_principles"] == ["no data loss", "tests first"]
    follow = await server.call(
        "create_enhancement",
        title="Replay journal",
        description="Replay with version checks",
        priority=2,
        status="approved",
        depends_on=[base["id"][:8]],
    )
    assert follow["depends_on"] == [base["id"]] and follow["status"] == "approved"

    other = await server.call("create_enhancement", title="Docs", description="Write docs", priority=4)
    changed = await server.call(
        "update_enhancement",
        id=follow["id"],
        version=1,
        depends_on=[base["id"], other["id"]],
        status="implementing",
    )
    assert changed["version"] == 2 and sorted(changed["depends_on"]) == sorted([base["id"], other["id"]])
    assert changed["status"] == "implementing" and changed["title"] == "Replay journal"
    emptied = await server.call("update_enhancement", id=follow["id"], version=2, depends_on=[])
    assert emptied["depends_on"] == []

    listed = await server.call("list_enhancements")
    assert listed["total"] == 3
    assert [row["priority"] for row in listed["items"]] == [1, 2, 4]
    planned = await server.call("list_enhancements", status="planned")
    assert {row["id"] for row in planned["items"]} == {base["id"], other["id"]}
    quarter = await server.call("list_enhancements", target_quarter="2027-Q1")
    assert [row["id"] for row in quarter["items"]] == [base["id"]]
    paged = await server.call("list_enhancements", limit=2)
    assert len(paged["items"]) == 2 and paged["next_cursor"]
    rest = await server.call("list_enhancements", limit=2, cursor=paged["next_cursor"])
    assert [row["id"] for row in rest["items"]] == [other["id"]] and not rest.get("next_cursor")


async def test_record_deployment_answers_in_utc(server: StdioServer) -> None:
    recorded = await server.call(
        "record_deployment", deployed_at="2026-05-01T12:00:00+02:00", commit_hash=COMMIT, metadata={}
    )
    shown = await server.call("query_deployment", id=recorded["id"])
    assert recorded["deployed_at"] == shown["deployed_at"]


async def test_server_stderr_has_no_traceback(server: StdioServer) -> None:
    """Runs last in the module: nothing above made the server log an unexpected exception."""
    await server.call("get_project_configuration")
    assert "Traceback" not in server.stderr(), server.stderr()
