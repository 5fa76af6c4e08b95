"""The agent workflow through a real stdio server on both backends: claim, renew, release,
complete (forced or not), notes, the change feed, history of any entity and the summary."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.mcp.conftest import CLIENT_NAME, StdioServer, server_env
from tests.mcp.test_postgresql import ADMIN_URL, admin_connect, db_upgrade


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def agents(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[StdioServer]:
    """A server per backend, shared by this module's tests (each works under its own project item)."""
    project = tmp_path_factory.mktemp(f"agents-{request.param}")
    if request.param == "sqlite":
        running = await StdioServer(project, server_env(project)).start()
        try:
            yield running
        finally:
            await running.stop()
        return
    name = f"ps_agents_test_{uuid.uuid4().hex[:12]}"
    conn = await admin_connect()
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        upgraded = await asyncio.to_thread(db_upgrade, project, url)
        assert upgraded.returncode == 0, upgraded.stderr
        running = await StdioServer(project, server_env(project, PROJECT_STATUS_DATABASE_URL=url)).start()
        try:
            yield running
        finally:
            await running.stop()
    finally:
        conn = await admin_connect()
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def _project_with_tasks(server: StdioServer, *priorities: int) -> tuple[str, list[dict[str, Any]]]:
    root = await server.call("create_work_item", item_type="project", title=f"p-{uuid.uuid4().hex[:6]}")
    tasks = [
        await server.call(
            "create_work_item", item_type="task", title=f"t{p}", priority=p, parent_id=root["id"]
        )
        for p in priorities
    ]
    return root["id"], tasks


async def test_claim_takes_the_top_ready_task_and_renews(agents: StdioServer) -> None:
    root, (low, high) = await _project_with_tasks(agents, 4, 1)
    claimed = await agents.call("claim_work_item", parent_id=root)
    assert claimed["id"] == high["id"]
    assert (claimed["status"], claimed["claimed_by"], claimed["version"]) == ("in_progress", CLIENT_NAME, 2)
    renewed = await agents.call("claim_work_item", id=high["id"], lease_minutes=90)
    assert renewed["version"] == 3 and renewed["claim_expires_at"] > claimed["claim_expires_at"]
    second = await agents.call("claim_work_item", parent_id=root)
    assert second["id"] == low["id"]
    nothing = await agents.fail("claim_work_item", parent_id=root)
    assert nothing["error"] == "NotFoundError"
    assert nothing["details"]["next_step"]["command"] == "list_ready_work"
    history = await agents.call("get_history", id=high["id"])
    assert [e["action"] for e in history["events"]][:2] == ["claim_renewed", "claimed"]


async def test_another_actors_live_claim_blocks_claim_and_complete_unless_forced(agents: StdioServer) -> None:
    _, (task,) = await _project_with_tasks(agents, 3)
    await agents.call("claim_work_item", id=task["id"], actor="agent-a")
    refused = await agents.fail("claim_work_item", id=task["id"], actor="agent-b")
    assert refused["error"] == "VersionConflictError"
    assert (refused["details"]["reason"], refused["details"]["claimed_by"]) == ("claimed", "agent-a")
    not_yours = await agents.fail("complete_work_item", id=task["id"], actor="agent-b")
    assert not_yours["details"]["next_step"] == {
        "command": "complete_work_item",
        "arguments": {"id": task["id"], "force": True},
    }
    assert "complete_work_item with" in not_yours["message"]
    release = await agents.fail("release_work_item", id=task["id"], actor="agent-b")
    assert release["error"] == "VersionConflictError"
    forced = await agents.call(
        "complete_work_item", id=task["id"], force=True, note="took over", actor="agent-b"
    )
    assert (forced["status"], forced.get("claimed_by")) == ("completed", None)
    events = (await agents.call("get_history", id=task["id"]))["events"]
    assert [e["action"] for e in events][:2] == ["note_added", "force_completed"]
    assert events[1]["changes"]["forced"] == {"old": False, "new": True}


async def test_release_gives_the_item_back_with_a_note(agents: StdioServer) -> None:
    _, (task,) = await _project_with_tasks(agents, 2)
    await agents.call("claim_work_item", id=task["id"])
    released = await agents.call("release_work_item", id=task["id"], note="blocked on the fixture")
    assert (released["status"], released.get("claimed_by")) == ("active", None)
    again = await agents.fail("release_work_item", id=task["id"])
    assert again["error"] == "ValidationError"
    notes = await agents.call("list_work_item_notes", id=task["id"])
    assert [n["text"] for n in notes["items"]] == ["blocked on the fixture"]


async def test_notes_are_appended_and_paged(agents: StdioServer) -> None:
    _, (task,) = await _project_with_tasks(agents, 3)
    for n in range(3):
        note = await agents.call("add_work_item_note", id=task["id"], text=f"note {n}")
        assert note["actor"] == CLIENT_NAME
    first = await agents.call("list_work_item_notes", id=task["id"], limit=2)
    assert [n["text"] for n in first["items"]] == ["note 0", "note 1"] and first["total"] == 3
    rest = await agents.call("list_work_item_notes", id=task["id"], cursor=first["next_cursor"])
    assert [n["text"] for n in rest["items"]] == ["note 2"]
    too_long = await agents.fail("add_work_item_note", id=task["id"], text="x" * (8 * 1024 + 1))
    assert too_long["error"] == "ValidationError"
    detail = await agents.call("query_work_item", id=task["id"])
    assert detail["notes_total"] == 3


async def test_the_change_feed_continues_from_its_cursor(agents: StdioServer) -> None:
    start = (await agents.call("list_changes", limit=1))["next_cursor"]
    _, (task,) = await _project_with_tasks(agents, 3)
    await agents.call(
        "create_vendor",
        name=f"v-{uuid.uuid4().hex[:6]}",
        status="operational",
        extractor_version="1",
        metadata={},
    )
    page = await agents.call("list_changes", since=start)
    kinds = [(row["entity_type"], row["action"]) for row in page["items"]]
    assert kinds[-3:] == [("work_item", "created"), ("work_item", "created"), ("vendor", "created")]
    assert page["items"][-2]["entity_id"] == task["id"] and page["items"][-2]["title"] == "t3"
    only_vendors = await agents.call("list_changes", since=start, entity_types=["vendor"])
    assert [row["entity_type"] for row in only_vendors["items"]] == ["vendor"]
    as_text = await agents.call("list_changes", since=start, entity_types=json.dumps(["vendor"]))
    assert as_text["items"] == only_vendors["items"]
    nothing_new = await agents.call("list_changes", since=page["next_cursor"])
    assert nothing_new["items"] == [] and nothing_new["next_cursor"] == page["next_cursor"]
    bad = await agents.fail("list_changes", entity_types=["planet"])
    assert bad["error"] == "ValidationError"


async def test_history_and_summary_of_any_entity(agents: StdioServer) -> None:
    name = f"hv-{uuid.uuid4().hex[:6]}"
    vendor = await agents.call(
        "create_vendor", name=name, status="broken", extractor_version="1", metadata={}
    )
    by_name = await agents.call("get_history", id=name)
    assert (by_name["entity_type"], by_name["entity_id"], by_name["total"]) == ("vendor", vendor["id"], 1)
    config = await agents.call("get_history", id="configuration")
    assert config["entity_type"] == "configuration"
    missing = await agents.fail("get_history", id="no-such-thing-anywhere")
    assert missing["error"] == "NotFoundError"
    summary = await agents.session.call_tool("get_project_summary", {})
    assert not summary.is_error
    text = summary.content[0].text  # type: ignore[union-attr]
    assert len(text.encode()) <= 4096
    body = json.loads(text)
    assert name in body["broken_vendors"] and body["counts"]["task"]


async def test_in_progress_items_can_be_listed_by_status(agents: StdioServer) -> None:
    """A claimed item is in_progress: the list filter takes that status too (it refused it)."""
    root, tasks = await _project_with_tasks(agents, 2)
    claimed = await agents.call("claim_work_item", id=tasks[0]["id"], actor="agent-a")
    listed = await agents.call("list_work_items", status="in_progress", parent_id=root)
    assert [row["id"] for row in listed["items"]] == [claimed["id"]]


async def test_an_assignee_is_set_shown_cleared_and_reported(agents: StdioServer) -> None:
    """Who is to do an item, as planned: the create, update and show tools carry it, the history
    records it, and the report shows it under the item."""
    root, (task,) = await _project_with_tasks(agents, 2)
    planned = await agents.call(
        "update_work_item", id=task["id"], version=task["version"], assignee="agent-b"
    )
    assert planned["assignee"] == "agent-b"
    assert (await agents.call("query_work_item", id=task["id"]))["assignee"] == "agent-b"
    report = (await agents.call("generate_project_status"))["markdown"]
    assert f"`{task['id'][:8]}`: active, priority 2," in report
    assert "\n    - **Assignee**: agent-b\n" in report
    cleared = await agents.call("update_work_item", id=task["id"], version=planned["version"], assignee=None)
    assert cleared.get("assignee") is None
    made = await agents.call(
        "create_work_item", item_type="task", title="planned", parent_id=root, assignee="agent-c"
    )
    assert made["assignee"] == "agent-c"
    events = (await agents.call("get_history", id=task["id"]))["events"]
    assert [e["changes"].get("assignee") for e in events[:2]] == [
        {"old": "agent-b", "new": None},
        {"old": None, "new": "agent-b"},
    ]
    refused = await agents.fail("create_work_item", item_type="task", title="x", assignee="a\nb")
    assert (refused["error"], refused["details"]["errors"][0]["field"]) == ("ValidationError", "assignee")
