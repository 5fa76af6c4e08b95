"""tools/list through the official SDK client over stdio: every tool, described, annotated, typed,
and the whole answer small enough that every AI session can afford it."""

from __future__ import annotations

import json

from mcp.types import Tool

from tests.mcp.conftest import StdioServer

EXPECTED_TOOLS = {
    "create_work_item",
    "update_work_item",
    "query_work_item",
    "list_work_items",
    "list_ready_work",
    "add_dependency",
    "remove_dependency",
    "claim_work_item",
    "release_work_item",
    "complete_work_item",
    "add_work_item_note",
    "list_work_item_notes",
    "list_changes",
    "get_history",
    "get_project_summary",
    "create_vendor",
    "query_vendor_status",
    "update_vendor_status",
    "record_deployment",
    "query_deployment",
    "list_deployments",
    "get_project_configuration",
    "update_project_configuration",
    "create_enhancement",
    "update_enhancement",
    "list_enhancements",
    "list_sync_conflicts",
    "resolve_sync_conflict",
    "query_archived_work_items",
    "restore_archived_work_item",
    "generate_project_status",
    "write_project_status",
}
READ_ONLY = {
    "query_work_item",
    "list_work_items",
    "list_ready_work",
    "list_work_item_notes",
    "list_changes",
    "get_history",
    "get_project_summary",
    "query_vendor_status",
    "query_deployment",
    "list_deployments",
    "get_project_configuration",
    "list_enhancements",
    "list_sync_conflicts",
    "query_archived_work_items",
    "generate_project_status",
}
TOOLS_LIST_BUDGET = 20_000
UNLISTED_ALIASES = {"get_work_item_history": "get_history"}
"""Older tool names still answered (clients prompted with them) but no longer listed."""

# The argument names of the issue's table (the contract AI clients are prompted with).
ARGUMENTS = {
    "create_work_item": {
        "item_type",
        "title",
        "parent_id",
        "description",
        "status",
        "priority",
        "metadata",
        "branch_name",
        "commit_hash",
        "pr_number",
        "assignee",
        "actor",
    },
    "update_work_item": {
        "id",
        "version",
        "title",
        "description",
        "status",
        "priority",
        "metadata",
        "parent_id",
        "branch_name",
        "commit_hash",
        "pr_number",
        "assignee",
        "deleted",
        "actor",
    },
    "query_work_item": {"id", "include_children", "include_dependencies", "descendants_limit", "max_depth"},
    "list_work_items": {"item_type", "status", "parent_id", "text", "include_deleted", "limit", "cursor"},
    "add_dependency": {"source_id", "target_id", "dependency_type", "actor"},
    "remove_dependency": {"source_id", "target_id", "dependency_type", "actor"},
    "claim_work_item": {"id", "item_type", "parent_id", "lease_minutes", "version", "actor"},
    "release_work_item": {"id", "note", "actor"},
    "complete_work_item": {"id", "note", "force", "actor"},
    "add_work_item_note": {"id", "text", "actor"},
    "list_work_item_notes": {"id", "cursor", "limit"},
    "list_changes": {"since", "limit", "entity_types"},
    "get_history": {"id", "limit"},
    "get_project_summary": set(),
    "create_vendor": {"name", "status", "extractor_version", "metadata", "actor"},
    "query_vendor_status": {"name", "only_broken"},
    "update_vendor_status": {"name", "version", "status", "extractor_version", "metadata", "actor"},
    "record_deployment": {"deployed_at", "commit_hash", "metadata", "vendor_names", "work_item_ids", "actor"},
    "query_deployment": {"id"},
    "list_deployments": {"since", "vendor_name", "limit", "cursor"},
    "get_project_configuration": set(),
    "update_project_configuration": {
        "version",
        "active_context_type",
        "current_session_id",
        "git_branch",
        "git_head_commit",
        "default_token_budget",
        "actor",
    },
    "create_enhancement": {
        "title",
        "description",
        "priority",
        "status",
        "target_quarter",
        "requires_constitutional_principles",
        "depends_on",
        "actor",
    },
    "update_enhancement": {
        "id",
        "version",
        "title",
        "description",
        "priority",
        "status",
        "target_quarter",
        "requires_constitutional_principles",
        "depends_on",
        "actor",
    },
    "list_enhancements": {"priority", "status", "target_quarter", "limit", "cursor"},
    "query_archived_work_items": {"text", "item_type", "archived_after", "limit", "cursor"},
    "restore_archived_work_item": {"id", "actor"},
    "generate_project_status": set(),
    "write_project_status": {"path"},
}


def wire(tool: Tool) -> str:
    return json.dumps(tool.model_dump(mode="json", by_alias=True, exclude_none=True), separators=(",", ":"))


async def list_all(server: StdioServer) -> list[Tool]:
    listing = await server.session.list_tools()
    assert listing.next_cursor is None, "all tools come in one page"
    return listing.tools


async def test_every_expected_tool_is_listed(server: StdioServer) -> None:
    names = [tool.name for tool in await list_all(server)]
    assert len(names) == len(set(names))
    missing = EXPECTED_TOOLS - set(names)
    assert not missing, f"missing tools: {sorted(missing)}"


async def test_every_tool_is_described_annotated_and_typed(server: StdioServer) -> None:
    for tool in await list_all(server):
        assert tool.description and tool.description.strip(), tool.name
        assert tool.annotations is not None, tool.name
        assert tool.annotations.read_only_hint is not None, tool.name
        assert tool.annotations.read_only_hint is (tool.name in READ_ONLY), tool.name
        if not tool.annotations.read_only_hint:
            assert tool.annotations.destructive_hint is not None, tool.name
            assert tool.annotations.idempotent_hint is not None, tool.name
        assert tool.input_schema.get("type") == "object", tool.name
        assert tool.output_schema is not None and tool.output_schema.get("type") == "object", tool.name
        assert tool.output_schema.get("properties"), f"{tool.name}: empty output schema"


async def test_creating_tools_are_not_destructive_and_removing_is(server: StdioServer) -> None:
    tools = {tool.name: tool for tool in await list_all(server)}
    for name in ("create_work_item", "create_vendor", "record_deployment", "create_enhancement"):
        assert tools[name].annotations is not None
        assert tools[name].annotations.destructive_hint is False, name
    remove = tools["remove_dependency"].annotations
    assert remove is not None and remove.destructive_hint is True
    restore = tools["restore_archived_work_item"].annotations
    assert restore is not None
    assert (restore.destructive_hint, restore.idempotent_hint) == (False, False)


async def test_tool_arguments_are_flat_with_the_contract_names(server: StdioServer) -> None:
    tools = {tool.name: tool for tool in await list_all(server)}
    for name, expected in ARGUMENTS.items():
        properties = set(tools[name].input_schema.get("properties", {}))
        assert properties == expected, f"{name}: {sorted(properties ^ expected)}"
    ready = set(tools["list_ready_work"].input_schema.get("properties", {}))
    assert {"item_type", "limit"} <= ready
    assert set(tools["create_work_item"].input_schema["required"]) == {"item_type", "title"}
    assert set(tools["update_work_item"].input_schema["required"]) == {"id", "version"}
    item_type = tools["create_work_item"].input_schema["properties"]["item_type"]
    assert set(item_type["enum"]) == {"project", "session", "task", "research"}
    # Array arguments are advertised as arrays (some clients mishandle anything else).
    assert "array" in str(tools["create_enhancement"].input_schema["properties"]["depends_on"]["type"])
    assert "array" in str(tools["record_deployment"].input_schema["properties"]["vendor_names"]["type"])


async def test_tools_list_answer_stays_under_20_000_bytes(server: StdioServer) -> None:
    tools = await list_all(server)
    sizes = {tool.name: len(wire(tool).encode()) for tool in tools}
    listing = await server.session.list_tools()
    whole = len(
        json.dumps(
            listing.model_dump(mode="json", by_alias=True, exclude_none=True), separators=(",", ":")
        ).encode()
    )
    total = sum(sizes.values())
    print(f"\ntools/list: {len(tools)} tools, {total} bytes of tools, {whole} bytes as a whole answer")
    for name, size in sorted(sizes.items(), key=lambda kv: -kv[1]):
        print(f"  {size:5d}  {name}")
    assert total < TOOLS_LIST_BUDGET
    assert whole < TOOLS_LIST_BUDGET


def _types_named(schema: object) -> list[object]:
    """Every `type` keyword's value anywhere in a schema."""
    if isinstance(schema, list):
        return [kind for item in schema for kind in _types_named(item)]
    if not isinstance(schema, dict):
        return []
    found: list[object] = [schema["type"]] if "type" in schema else []
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            found += [kind for sub in value.values() for kind in _types_named(sub)]
        elif isinstance(value, dict | list):
            found += _types_named(value)
    return found


async def test_input_schemas_name_one_type_per_schema(server: StdioServer) -> None:
    """Some clients accept one JSON type per schema: a null an update clears with is an anyOf branch."""
    tools = {tool.name: tool for tool in await list_all(server)}
    for name, tool in tools.items():
        arrays = [kind for kind in _types_named(tool.input_schema) if not isinstance(kind, str)]
        assert not arrays, f"{name}: type arrays {arrays}"
    update = tools["update_work_item"].input_schema["properties"]
    assert update["description"]["anyOf"] == [{"type": "string"}, {"type": "null"}]
    # A field that refuses null (or where null means "left out") advertises only its type.
    assert update["title"] == {"type": "string"}
    assert update["actor"] == {"type": "string"}
    assert update["status"]["type"] == "string" and "enum" in update["status"]


async def test_the_agent_tools_say_what_they_do_to_the_data(server: StdioServer) -> None:
    tools = {tool.name: tool.annotations for tool in await list_all(server)}
    hints = {
        name: (a.read_only_hint, a.destructive_hint, a.idempotent_hint)
        for name, a in tools.items()
        if a is not None
    }
    assert hints["claim_work_item"] == (False, False, False)
    assert hints["release_work_item"] == (False, True, False)
    assert hints["complete_work_item"] == (False, True, False)
    assert hints["add_work_item_note"] == (False, False, False)
    for name in ("list_work_item_notes", "list_changes", "get_history", "get_project_summary"):
        assert hints[name][0] is True, name


async def test_an_unlisted_alias_still_answers(server: StdioServer) -> None:
    names = {tool.name for tool in await list_all(server)}
    for alias, replacement in UNLISTED_ALIASES.items():
        assert alias not in names and replacement in names
    item = await server.call("create_work_item", item_type="task", title="aliased")
    old = await server.call("get_work_item_history", id=item["id"])
    new = await server.call("get_history", id=item["id"])
    assert [e["action"] for e in old["items"]] == [e["action"] for e in new["events"]] == ["created"]


async def test_server_identifies_itself(server: StdioServer) -> None:
    result = await server.session.initialize()  # the cached handshake result
    assert result.server_info.name == "project-status"
    assert result.capabilities.tools is not None
    assert result.instructions and "prefix" in result.instructions
