"""A default list answer stays under 4 KB whatever the store holds, and its cursor walks the whole
listing: every item exactly once. Long titles make the rows as big as the contract allows."""

from __future__ import annotations

import asyncio
import json

from tests.mcp.conftest import StdioServer

ITEMS = 120
LIST_ANSWER_BUDGET = 4 * 1024


def long_title(n: int) -> str:
    head = f"item {n:03d} "
    return head + "é" * 20 + "x" * (200 - len(head) - 20)  # 200 characters, some multi-byte


async def test_default_list_answer_is_small_and_the_cursor_sees_everything(server: StdioServer) -> None:
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
        f"first {sizes[0]} bytes, largest {max(sizes)} bytes (budget {LIST_ANSWER_BUDGET})"
    )
    assert max(sizes) < LIST_ANSWER_BUDGET
    assert len(seen) == len(set(seen)) == ITEMS, "each item exactly once"
    assert set(seen) == created
    assert len(sizes) > 1, "120 long rows cannot fit one 4 KB answer"


async def test_an_explicit_large_limit_is_still_capped(server: StdioServer) -> None:
    result = await server.session.call_tool("list_work_items", {"limit": 200})
    text = result.content[0].text
    assert not result.is_error, text
    assert len(text.encode()) < LIST_ANSWER_BUDGET
    page = json.loads(text)
    assert page["next_cursor"] and len(page["items"]) < page["total"]


async def test_ready_work_answer_is_small_too(server: StdioServer) -> None:
    result = await server.session.call_tool("list_ready_work", {})
    text = result.content[0].text
    assert not result.is_error, text
    assert len(text.encode()) < LIST_ANSWER_BUDGET
    assert json.loads(text)["items"]


async def test_a_garbled_cursor_is_a_validation_error(server: StdioServer) -> None:
    body = await server.fail("list_work_items", cursor="not-a-cursor")
    assert body["error"] == "ValidationError"
    assert any(entry["field"] == "cursor" for entry in body["details"]["errors"])
