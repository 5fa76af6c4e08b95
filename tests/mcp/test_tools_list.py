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
    "get_work_item_history",
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
    "query_archived_work_items",
    "restore_archived_work_item",
}
READ_ONLY = {
    "query_work_item",
    "list_work_items",
    "list_ready_work",
    "get_work_item_history",
    "query_vendor_status",
    "query_deployment",
    "list_deployments",
    "get_project_configuration",
    "list_enhancements",
    "query_archived_work_items",
}
TOOLS_LIST_BUDGET = 16 * 1024

# The argument names of the table (the contract AI clients are prompted with).
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
        "deleted",
        "actor",
    },
    "query_work_item": {"id", "include_children", "include_dependencies"},
    "list_work_items": {"item_type", "status", "parent_id", "text", "include_deleted", "limit", "cursor"},
    "add_dependency": {"source_id", "target_id", "dependency_type", "actor"},
    "remove_dependency": {"source_id", "target_id", "dependency_type", "actor"},
    "get_work_item_history": {"id", "limit"},
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


async def test_tools_list_answer_stays_under_16_kb(server: StdioServer) -> None:
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


async def test_server_identifies_itself(server: StdioServer) -> None:
    result = await server.session.initialize()  # the cached handshake result
    assert result.server_info.name == "project-status"
    assert result.capabilities.tools is not None
    assert result.instructions and "prefix" in result.instructions
