"""A list answer is bounded whatever the store holds: at most `limit` rows (up to 200) and at most
LIST_BUDGET bytes of rows, a page the budget cut short says so, and its cursor walks the whole
listing: every item exactly once. Long titles make the rows as big as the contract allows."""

from __future__ import annotations

import asyncio
import json

from project_status.services.commands.registry import LIST_BUDGET
from tests.mcp.conftest import StdioServer

ITEMS = 210
ENVELOPE = 512
"""Bytes of an answer besides its rows: the total, the cursor, the flag."""
DEFAULT_ANSWER_BUDGET = 50 * 1024
"""A default page (50 rows) of the longest titles stays well under the 25k-token tool output."""


def long_title(n: int) -> str:
    head = f"item {n:03d} "
    return head + "é" * 100 + "x" * (200 - len(head) - 100)  # 200 characters, 300 bytes


async def test_default_list_answer_is_bounded_and_the_cursor_sees_everything(server: StdioServer) -> None:
    project = await server.call("create_work_item", item_type="project", title=long_title(0))
    created = {project["id"]}
    batch = 10
    for start in range(1, ITEMS, batch):
        results = await asyncio.gather(
            *(
                server.call(
                    "create_work_item",
                    item_type="task",
                    title=long_title(n),
                    description="d" * 2000,
                    parent_id=project["id"],
                    metadata={"blocked_reason": "r" * 500},
                )
                for n in range(start, min(start + batch, ITEMS))
            )
        )
        created |= {item["id"] for item in results}
    assert len(created) == ITEMS

    seen: list[str] = []
    sizes: list[int] = []
    cursor: str | None = None
    while True:
        arguments = {"cursor": cursor} if cursor else {}
        result = await server.session.call_tool("list_work_items", arguments)
        assert not result.is_error, result.content
        text = result.content[0].text
        sizes.append(len(text.encode()))
        page = json.loads(text)
        assert page == result.structured_content
        assert page["total"] == ITEMS
        assert page["items"], "a page with a cursor before it is never empty"
        assert "budget_truncated" not in page, "50 rows of the longest titles fit the budget"
        for row in page["items"]:
            assert len(row["title"]) == 200  # brief rows keep whole titles...
            assert "description" not in row and "metadata" not in row  # ...but nothing bulky
        seen += [row["id"] for row in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
        assert len(sizes) < ITEMS, "the cursor does not advance"

    print(
        f"\nlist_work_items over {ITEMS} items with 200-character titles: {len(sizes)} pages, "
        f"first {sizes[0]} bytes, largest {max(sizes)} bytes (budget {DEFAULT_ANSWER_BUDGET})"
    )
    assert max(sizes) < DEFAULT_ANSWER_BUDGET
    assert len(seen) == len(set(seen)) == ITEMS, "each item exactly once"
    assert set(seen) == created
    assert len(sizes) == 5, "the default page is 50 rows"


async def test_a_limit_of_200_long_rows_is_cut_by_the_size_budget_and_says_so(server: StdioServer) -> None:
    result = await server.session.call_tool("list_work_items", {"limit": 200})
    text = result.content[0].text
    assert not result.is_error, text
    page = json.loads(text)

    assert page["budget_truncated"] is True
    assert page["next_cursor"] and 100 < len(page["items"]) < 200
    assert len(text.encode()) < LIST_BUDGET + ENVELOPE
    rest = await server.call("list_work_items", limit=200, cursor=page["next_cursor"])
    assert len(page["items"]) + len(rest["items"]) == ITEMS
    assert "budget_truncated" not in rest and "next_cursor" not in rest


async def test_a_limit_over_200_is_refused_naming_the_field_and_the_range(server: StdioServer) -> None:
    body = await server.fail("list_work_items", limit=500)

    assert body["error"] == "ValidationError"
    [error] = body["details"]["errors"]
    assert (error["field"], error["value"]) == ("limit", 500)
    assert "between 1 and 200" in body["message"]


async def test_ready_work_answer_is_small_too(server: StdioServer) -> None:
    result = await server.session.call_tool("list_ready_work", {})
    text = result.content[0].text
    assert not result.is_error, text
    assert len(text.encode()) < DEFAULT_ANSWER_BUDGET
    assert json.loads(text)["items"]


async def test_a_garbled_cursor_is_a_validation_error(server: StdioServer) -> None:
    body = await server.fail("list_work_items", cursor="not-a-cursor")
    assert body["error"] == "ValidationError"
    assert any(entry["field"] == "cursor" for entry in body["details"]["errors"])
