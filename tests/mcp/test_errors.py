"""Every error type through the real client: an `is_error` result whose text is exactly the JSON
`{"error", "message", "details"}` (checked in `failure`), naming the field and the value, with no
traceback, SQL or driver text, and nothing written."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import pytest

from tests.mcp.conftest import CLIENT_NAME, StdioServer, error_fields

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def only_error(body: dict[str, Any], kind: str, field: str) -> dict[str, Any]:
    """The single field error of a ValidationError body, checked to name `field`."""
    assert body["error"] == kind, body
    assert field in error_fields(body), body
    [entry] = [e for e in body["details"]["errors"] if e["field"] == field]
    assert entry["message"], body
    assert "value" in entry, body
    return entry


async def assert_unchanged(server: StdioServer, item: dict[str, Any]) -> None:
    now = await server.call("query_work_item", id=item["id"], include_children=False)
    for key in ("version", "title", "status", "priority", "parent_id", "path", "depth", "metadata"):
        assert now.get(key) == item.get(key), key


# --- ValidationError ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "field", "value"),
    [
        ({"item_type": "epic", "title": "x"}, "item_type", "epic"),
        ({"item_type": "task", "title": "t" * 201}, "title", None),
        ({"item_type": "task", "title": ""}, "title", ""),
        ({"item_type": "task", "title": "x", "status": "done"}, "status", "done"),
        ({"item_type": "task", "title": "x", "priority": 6}, "priority", 6),
        ({"item_type": "task", "title": "x", "priority": "high"}, "priority", "high"),
        ({"item_type": "task", "title": "x", "commit_hash": "abc123"}, "commit_hash", "abc123"),
        ({"item_type": "task", "title": "x", "commit_hash": COMMIT.upper()}, "commit_hash", COMMIT.upper()),
        ({"item_type": "task", "title": "x", "pr_number": 0}, "pr_number", 0),
        (
            {"item_type": "task", "title": "x", "metadata": {"estimated_hours": 1001}},
            "metadata.estimated_hours",
            1001,
        ),
        (
            {"item_type": "task", "title": "x", "metadata": {"estimated_hour": 1}},
            "metadata.estimated_hour",
            1,
        ),
        (
            {"item_type": "session", "title": "x", "metadata": {"token_budget": 999}},
            "metadata.token_budget",
            999,
        ),
        (
            {"item_type": "session", "title": "x", "metadata": {"token_budget": "lots"}},
            "metadata.token_budget",
            "lots",
        ),
        ({"item_type": "task", "title": "x", "metadata": "{not json"}, "metadata", "{not json"),
        ({"item_type": "task", "title": "x", "parent_id": "abc"}, "parent_id", "abc"),
        (
            {"item_type": "task", "title": "x", "parent_id": "not-an-id-at-all"},
            "parent_id",
            "not-an-id-at-all",
        ),
        ({"item_type": "task"}, "title", None),
    ],
    ids=[
        "bad-item-type",
        "title-201",
        "title-empty",
        "bad-status",
        "priority-6",
        "priority-high",
        "short-commit",
        "uppercase-commit",
        "pr-number-0",
        "hours-out-of-range",
        "unknown-metadata-key",
        "token-budget-low",
        "token-budget-wrong-type",
        "metadata-broken-json",
        "short-id-prefix",
        "not-an-id",
        "missing-title",
    ],
)
async def test_bad_work_item_input(
    server: StdioServer, arguments: dict[str, Any], field: str, value: Any
) -> None:
    before = (await server.call("list_work_items", include_deleted=True))["total"]
    body = await server.fail("create_work_item", **arguments)
    entry = only_error(body, "ValidationError", field)
    if value is not None:
        assert entry["value"] == value
    assert field in body["message"]
    assert (await server.call("list_work_items", include_deleted=True))["total"] == before


async def test_title_error_echoes_a_shortened_value(server: StdioServer) -> None:
    body = await server.fail("create_work_item", item_type="task", title="t" * 201)
    entry = only_error(body, "ValidationError", "title")
    assert "201" in str(entry["value"]) and len(str(entry["value"])) < 201


async def test_depth_six_is_rejected(server: StdioServer) -> None:
    parent: dict[str, Any] | None = None
    for depth in range(6):
        args: dict[str, Any] = {"item_type": "task", "title": f"level {depth}"}
        if parent:
            args["parent_id"] = parent["id"]
        parent = await server.call("create_work_item", **args)
        assert parent["depth"] == depth
    assert parent is not None
    body = await server.fail("create_work_item", item_type="task", title="level 6", parent_id=parent["id"])
    entry = only_error(body, "ValidationError", "parent_id")
    assert entry["value"] == parent["id"] and "5" in entry["message"]

    # Moving a two-level subtree under depth 4 would put its leaf at depth 6.
    root = await server.call("create_work_item", item_type="project", title="subtree")
    leaf = await server.call("create_work_item", item_type="task", title="leaf", parent_id=root["id"])
    level4 = await server.call("query_work_item", id=parent["id"])
    fourth = level4["ancestors"][-1]
    body = await server.fail("update_work_item", id=root["id"], version=1, parent_id=fourth["id"])
    assert body["error"] == "ValidationError"
    await assert_unchanged(server, root)
    await assert_unchanged(server, leaf)


async def test_item_cannot_become_its_own_ancestor(server: StdioServer) -> None:
    top = await server.call("create_work_item", item_type="project", title="top")
    child = await server.call("create_work_item", item_type="session", title="child", parent_id=top["id"])
    body = await server.fail("update_work_item", id=top["id"], version=1, parent_id=child["id"])
    only_error(body, "ValidationError", "parent_id")
    body = await server.fail("update_work_item", id=top["id"], version=1, parent_id=top["id"])
    only_error(body, "ValidationError", "parent_id")
    await assert_unchanged(server, top)


async def test_deleted_parent_is_rejected(server: StdioServer) -> None:
    gone = await server.call("create_work_item", item_type="project", title="gone")
    await server.call("update_work_item", id=gone["id"], version=1, deleted=True)
    body = await server.fail("create_work_item", item_type="task", title="orphan", parent_id=gone["id"])
    entry = only_error(body, "ValidationError", "parent_id")
    assert "deleted" in entry["message"]


async def test_dependency_rules(server: StdioServer) -> None:
    a, b, c = [await server.call("create_work_item", item_type="task", title=name) for name in "abc"]
    body = await server.fail("add_dependency", source_id=a["id"], target_id=a["id"], dependency_type="blocks")
    only_error(body, "ValidationError", "target_id")

    await server.call("add_dependency", source_id=a["id"], target_id=b["id"], dependency_type="blocks")
    await server.call("add_dependency", source_id=b["id"], target_id=c["id"], dependency_type="blocks")
    # The same edge in its other form is a duplicate.
    body = await server.fail(
        "add_dependency", source_id=b["id"], target_id=a["id"], dependency_type="depends_on"
    )
    only_error(body, "ValidationError", "target_id")
    # c blocks a would close a -> b -> c -> a; so would a depends_on c.
    for source, target, kind in ((c, a, "blocks"), (a, c, "depends_on")):
        body = await server.fail(
            "add_dependency", source_id=source["id"], target_id=target["id"], dependency_type=kind
        )
        entry = only_error(body, "ValidationError", "target_id")
        assert set(entry["cycle"]) == {a["id"], b["id"], c["id"]}
        assert "cycle" in body["message"]
    body = await server.fail("add_dependency", source_id=a["id"], target_id=b["id"], dependency_type="needs")
    only_error(body, "ValidationError", "dependency_type")
    detail = await server.call("query_work_item", id=a["id"])
    assert len(detail["dependencies"]) == 1


async def test_vendor_test_counts_must_add_up(server: StdioServer) -> None:
    body = await server.fail(
        "create_vendor",
        name="overcounted",
        status="operational",
        extractor_version="1",
        metadata={"test_results": {"passing": 10, "skipped": 3, "total": 12}},
    )
    entry = only_error(body, "ValidationError", "metadata.test_results")
    assert "total" in entry["message"]
    assert all(v["name"] != "overcounted" for v in (await server.call("query_vendor_status"))["items"])
    body = await server.fail("create_vendor", name="v", status="sleeping", extractor_version="1", metadata={})
    only_error(body, "ValidationError", "status")


async def test_other_entities_reject_bad_input(server: StdioServer) -> None:
    body = await server.fail(
        "record_deployment", deployed_at="2026-01-01T00:00:00Z", commit_hash="HEAD", metadata={}
    )
    only_error(body, "ValidationError", "commit_hash")
    body = await server.fail(
        "record_deployment", deployed_at="2026-01-01T00:00:00", commit_hash=COMMIT, metadata={}
    )
    only_error(body, "ValidationError", "deployed_at")
    body = await server.fail(
        "record_deployment",
        deployed_at="2026-01-01T00:00:00Z",
        commit_hash=COMMIT,
        metadata={"test_summary": {"unit": -1}},
    )
    assert any(f.startswith("metadata.test_summary") for f in error_fields(body)), body
    body = await server.fail(
        "create_enhancement", title="e", description="d", priority=1, target_quarter="Q3"
    )
    only_error(body, "ValidationError", "target_quarter")
    body = await server.fail("create_enhancement", title="e", description="d", priority=1, depends_on="abc")
    assert body["error"] == "ValidationError"
    config = await server.call("get_project_configuration")
    body = await server.fail(
        "update_project_configuration", version=config["version"], default_token_budget=10
    )
    only_error(body, "ValidationError", "default_token_budget")
    task = await server.call("create_work_item", item_type="task", title="not a session")
    body = await server.fail(
        "update_project_configuration", version=config["version"], current_session_id=task["id"]
    )
    only_error(body, "ValidationError", "current_session_id")
    assert await server.call("get_project_configuration") == config


async def test_ambiguous_id_prefix_lists_the_candidates(server: StdioServer) -> None:
    """Two real rows whose ids share 8 hex characters: random UUIDs never do, so the test gives two
    freshly created top-level items such ids in the SQLite file the server is using."""
    first = await server.call("create_work_item", item_type="task", title="twin one")
    second = await server.call("create_work_item", item_type="task", title="twin two")
    prefix = "abcdef01"
    new_ids = [uuid.UUID(prefix + uuid.uuid4().hex[8:]) for _ in range(2)]
    with sqlite3.connect(server.database) as conn:
        for item, new in zip((first, second), new_ids, strict=True):
            cursor = conn.execute(
                "UPDATE work_items SET id = ?, path = ? WHERE id = ?",
                (new.hex, f"/{new}", uuid.UUID(item["id"]).hex),
            )
            assert cursor.rowcount == 1
    conn.close()
    assert (await server.call("query_work_item", id=str(new_ids[0])))["title"] == "twin one"

    body = await server.fail("query_work_item", id=prefix)
    entry = only_error(body, "ValidationError", "id")
    assert sorted(entry["candidates"]) == sorted(str(i) for i in new_ids)
    assert entry["value"] == prefix
    body = await server.fail("update_work_item", id=prefix, version=1, title="which one?")
    only_error(body, "ValidationError", "id")
    # One character more is unique again.
    longer = str(new_ids[0])[:13]
    assert (await server.call("query_work_item", id=longer))["id"] == str(new_ids[0])


async def test_empty_update_is_rejected(server: StdioServer) -> None:
    item = await server.call("create_work_item", item_type="task", title="untouched")
    body = await server.fail("update_work_item", id=item["id"], version=1)
    assert body["error"] == "ValidationError"
    body = await server.fail("update_work_item", id=item["id"], version=1, title=None)
    only_error(body, "ValidationError", "title")
    await assert_unchanged(server, item)


# --- NotFoundError ------------------------------------------------------------------------------


async def test_unknown_ids_and_names(server: StdioServer) -> None:
    missing = str(uuid.uuid4())
    for tool, arguments in (
        ("query_work_item", {"id": missing}),
        ("get_work_item_history", {"id": missing}),
        ("update_work_item", {"id": missing, "version": 1, "title": "x"}),
        ("create_work_item", {"item_type": "task", "title": "x", "parent_id": missing}),
        ("add_dependency", {"source_id": missing, "target_id": missing, "dependency_type": "blocks"}),
        ("query_deployment", {"id": missing}),
        ("update_enhancement", {"id": missing, "version": 1, "title": "x"}),
        ("query_vendor_status", {"name": "no-such-vendor"}),
        ("update_vendor_status", {"name": "no-such-vendor", "version": 1, "status": "broken"}),
    ):
        body = await server.fail(tool, **arguments)
        assert body["error"] == "NotFoundError", (tool, body)
        assert missing in body["message"] or "no-such-vendor" in body["message"], (tool, body)
    body = await server.fail("query_work_item", id=missing[:8])
    assert body["error"] == "NotFoundError"
    # An unknown vendor in a deployment is a bad argument, named with its value.
    body = await server.fail(
        "record_deployment",
        deployed_at="2026-01-01T00:00:00Z",
        commit_hash=COMMIT,
        metadata={},
        vendor_names=["no-such-vendor"],
    )
    entry = only_error(body, "ValidationError", "vendor_names")
    assert entry["value"] == ["no-such-vendor"]
    assert (await server.call("list_deployments"))["total"] == 0


async def test_remove_missing_dependency(server: StdioServer) -> None:
    a = await server.call("create_work_item", item_type="task", title="lonely a")
    b = await server.call("create_work_item", item_type="task", title="lonely b")
    body = await server.fail(
        "remove_dependency", source_id=a["id"], target_id=b["id"], dependency_type="blocks"
    )
    assert body["error"] == "NotFoundError"


# --- VersionConflictError -----------------------------------------------------------------------


async def test_stale_work_item_version(server: StdioServer) -> None:
    item = await server.call("create_work_item", item_type="task", title="contended")
    moved_on = await server.call("update_work_item", id=item["id"], version=1, status="blocked", actor="bob")
    body = await server.fail("update_work_item", id=item["id"], version=1, title="lost update")
    assert body["error"] == "VersionConflictError"
    details = body["details"]
    assert details["expected_version"] == 1
    assert details["current_version"] == 2
    assert details["updated_by"] == "bob"
    assert "bob" in body["message"] and "2" in body["message"]
    await assert_unchanged(server, moved_on)
    history = (await server.call("get_work_item_history", id=item["id"]))["items"]
    assert [event["actor"] for event in history] == ["bob", CLIENT_NAME]
    body = await server.fail("update_work_item", id=item["id"], version=0, title="x")
    only_error(body, "ValidationError", "version")


async def test_stale_versions_of_other_entities(server: StdioServer) -> None:
    await server.call("create_vendor", name="racy", status="operational", extractor_version="1", metadata={})
    await server.call("update_vendor_status", name="racy", version=1, extractor_version="2")
    body = await server.fail("update_vendor_status", name="racy", version=1, status="broken")
    assert body["error"] == "VersionConflictError"
    assert (body["details"]["expected_version"], body["details"]["current_version"]) == (1, 2)
    assert body["details"]["updated_by"] == CLIENT_NAME

    enhancement = await server.call("create_enhancement", title="racy", description="d", priority=3)
    await server.call("update_enhancement", id=enhancement["id"], version=1, priority=2, actor="carol")
    body = await server.fail("update_enhancement", id=enhancement["id"], version=1, priority=1)
    assert body["error"] == "VersionConflictError" and body["details"]["updated_by"] == "carol"

    config = await server.call("get_project_configuration")
    await server.call("update_project_configuration", version=config["version"], git_branch="a")
    body = await server.fail("update_project_configuration", version=config["version"], git_branch="b")
    assert body["error"] == "VersionConflictError"
    assert body["details"]["current_version"] == config["version"] + 1
    assert (await server.call("get_project_configuration"))["git_branch"] == "a"


async def test_unknown_tool_is_an_error_without_internals(server: StdioServer) -> None:
    """Not a tracker error (the MCP spec makes it a protocol-level one): plain text, nothing leaked."""
    result = await server.session.call_tool("drop_all_tables", {})
    assert result.is_error
    text = result.content[0].text
    assert "drop_all_tables" in text
    assert "Traceback" not in text and "sqlalchemy" not in text


async def test_server_survives_all_errors(server: StdioServer) -> None:
    """Runs last: the server still answers, and logged no unexpected exception."""
    assert (await server.call("get_project_configuration"))["version"] >= 1
    assert "Traceback" not in server.stderr(), server.stderr()


# --- arguments the tool does not take -----------------------------------------------------------


async def test_unknown_argument_is_rejected_with_the_arguments_the_tool_takes(server: StdioServer) -> None:
    before = await server.call("list_work_items")

    body = await server.fail("create_work_item", item_type="task", title="x", estimated_hours=3)

    entry = only_error(body, "ValidationError", "estimated_hours")
    assert entry["value"] == 3 and entry["message"] == "unknown argument"
    assert "item_type" in body["message"] and "metadata" in body["message"]
    assert (await server.call("list_work_items"))["total"] == before["total"]


async def test_item_type_cannot_be_changed_by_update(server: StdioServer) -> None:
    item = await server.call("create_work_item", item_type="task", title="Typed")

    body = await server.fail("update_work_item", id=item["id"], version=1, item_type="research")

    only_error(body, "ValidationError", "item_type")
    await assert_unchanged(server, item)


async def test_boolean_version_is_not_taken_for_1(server: StdioServer) -> None:
    item = await server.call("create_work_item", item_type="task", title="Strict version")

    body = await server.fail("update_work_item", id=item["id"], version=True, title="changed")

    only_error(body, "ValidationError", "version")
    await assert_unchanged(server, item)
