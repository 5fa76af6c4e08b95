"""Bounded answers through a real stdio server on both backends: a work item's subtree comes back
as at most `descendants_limit` brief nodes with the total, lists honour `limit` up to 200 and
refuse more by name, and the report is read without writing and written by its own tool."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from tests.mcp.conftest import StdioServer
from tests.mcp.test_agent_tools import agents

__all__ = ["agents"]  # the module-scoped server per backend, shared with the agent tool tests

CHILDREN = 60


async def _project_with_children(server: StdioServer, count: int) -> tuple[str, list[dict[str, Any]]]:
    root = await server.call("create_work_item", item_type="project", title=f"p-{uuid.uuid4().hex[:6]}")
    children: list[dict[str, Any]] = []
    for start in range(0, count, 10):
        children += await asyncio.gather(
            *(
                server.call("create_work_item", item_type="task", title=f"task {n:03d}", parent_id=root["id"])
                for n in range(start, min(start + 10, count))
            )
        )
    return root["id"], children


def _count(nodes: list[dict[str, Any]]) -> int:
    return sum(1 + _count(node.get("children", [])) for node in nodes)


async def test_a_subtree_over_50_comes_back_as_50_brief_nodes_with_the_total(agents: StdioServer) -> None:
    root, children = await _project_with_children(agents, CHILDREN)
    await agents.call("create_work_item", item_type="task", title="grandchild", parent_id=children[0]["id"])

    result = await agents.session.call_tool("query_work_item", {"id": root})
    assert not result.is_error, result.content
    text = result.content[0].text
    answer = json.loads(text)

    assert _count(answer["children"]) == 50
    assert (answer["descendants_total"], answer["truncated"]) == (CHILDREN + 1, True)
    brief = {"id", "item_type", "title", "status", "priority", "depth", "children"}
    assert set(answer["children"][0]) <= brief, "brief nodes: no description, metadata or version"
    assert len(text.encode()) < 25_000
    children_only = await agents.call("query_work_item", id=root, max_depth=1, descendants_limit=200)
    assert [node["depth"] for node in children_only["children"]] == [1] * CHILDREN
    assert all(not node.get("children") for node in children_only["children"])
    assert (children_only["descendants_total"], children_only["truncated"]) == (CHILDREN, False)


async def test_list_work_items_honours_limit_and_refuses_more_than_200(agents: StdioServer) -> None:
    root, _children = await _project_with_children(agents, CHILDREN)

    page = await agents.call("list_work_items", parent_id=root, limit=CHILDREN)
    refused = await agents.fail("list_work_items", parent_id=root, limit=500)

    assert (len(page["items"]), page["total"]) == (CHILDREN, CHILDREN)
    assert "budget_truncated" not in page and "next_cursor" not in page
    assert refused["error"] == "ValidationError"
    [error] = refused["details"]["errors"]
    assert (error["field"], error["value"]) == ("limit", 500)
    assert "between 1 and 200" in refused["message"]


async def test_out_of_range_subtree_bounds_are_refused_by_name(agents: StdioServer) -> None:
    root, _children = await _project_with_children(agents, 1)

    for arguments, field in (
        ({"descendants_limit": 201}, "descendants_limit"),
        ({"max_depth": 0}, "max_depth"),
    ):
        body = await agents.fail("query_work_item", id=root, **arguments)
        assert body["error"] == "ValidationError"
        assert [entry["field"] for entry in body["details"]["errors"]] == [field]


async def test_the_report_is_read_bounded_and_written_by_its_own_tool(agents: StdioServer) -> None:
    await _project_with_children(agents, 1)

    read = await agents.call("generate_project_status")
    written = await agents.call("write_project_status", path="docs/bounded-status.md")

    assert read["truncated"] is False and read["bytes"] == len(read["markdown"].encode())
    assert read["path"].endswith(".project_status.md")
    target = agents.project / "docs" / "bounded-status.md"
    assert written["path"] == str(target.resolve())
    assert written["bytes"] == target.stat().st_size
