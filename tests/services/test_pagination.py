"""Lists are capped pages with the total and a cursor; `max_bytes` caps a page's size as well."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from project_status.domain.errors import ValidationError
from project_status.domain.pages import Page
from project_status.services.tracker import Tracker
from tests.helpers import create_item, only_error, update_item

Lister = Callable[..., Awaitable[Page[Any]]]


async def walk(list_page: Lister, **kwargs: Any) -> list[Page[Any]]:
    """Every page of a list, following next_cursor until it runs out."""
    pages = [await list_page(**kwargs)]
    while pages[-1].next_cursor is not None:
        assert len(pages) < 100, "the cursor never ran out"
        pages.append(await list_page(**kwargs, cursor=pages[-1].next_cursor))
    return pages


def ids(pages: list[Page[Any]]) -> list[str]:
    return [item.id for page in pages for item in page.items]


async def test_cursor_walks_the_whole_list_once_with_the_right_total(tracker: Tracker) -> None:
    created = {(await create_item(tracker, f"item {i}")).id for i in range(7)}

    pages = await walk(tracker.work_items.list, limit=3)

    assert [len(page.items) for page in pages] == [3, 3, 1]
    assert all(page.total == 7 for page in pages)
    walked = ids(pages)
    assert len(walked) == len(set(walked)) == 7
    assert set(walked) == created
    assert walked == ids([await tracker.work_items.list(limit=200)])


async def test_page_that_holds_the_rest_has_no_cursor(tracker: Tracker) -> None:
    for i in range(3):
        await create_item(tracker, f"item {i}")

    exact = await tracker.work_items.list(limit=3)
    roomy = await tracker.work_items.list(limit=50)

    assert (len(exact.items), exact.next_cursor) == (3, None)
    assert (len(roomy.items), roomy.next_cursor) == (3, None)


async def test_total_counts_the_filter_not_the_page(tracker: Tracker) -> None:
    for i in range(5):
        await create_item(tracker, f"task {i}")
    for i in range(2):
        await create_item(tracker, f"study {i}", item_type="research")

    page = await tracker.work_items.list(text="task", limit=2)

    assert (len(page.items), page.total) == (2, 5)
    assert len(ids(await walk(tracker.work_items.list, text="task", limit=2))) == 5


async def test_empty_list_has_no_items_total_or_cursor(tracker: Tracker) -> None:
    page = await tracker.work_items.list()

    assert (page.items, page.total, page.next_cursor) == ([], 0, None)


async def test_max_bytes_cuts_the_page_and_the_cursor_goes_on(tracker: Tracker) -> None:
    created = [await create_item(tracker, f"{i} " + "x" * 190) for i in range(6)]
    one_row = len((await tracker.work_items.list(limit=1)).items[0].model_dump_json(exclude_none=True)) + 1
    budget = one_row * 2 + one_row // 2

    pages = await walk(tracker.work_items.list, limit=50, max_bytes=budget)

    assert [len(page.items) for page in pages] == [2, 2, 2]
    for page in pages:
        assert page.total == 6
        assert sum(len(item.model_dump_json(exclude_none=True)) + 1 for item in page.items) <= budget
    assert sorted(ids(pages)) == sorted(item.id for item in created)


async def test_a_page_cut_by_the_size_budget_says_so_and_one_cut_by_the_limit_does_not(
    tracker: Tracker,
) -> None:
    for i in range(4):
        await create_item(tracker, f"{i} " + "x" * 190)
    one_row = len((await tracker.work_items.list(limit=1)).items[0].model_dump_json(exclude_none=True)) + 1

    by_budget = await tracker.work_items.list(limit=3, max_bytes=one_row * 2)
    by_limit = await tracker.work_items.list(limit=2, max_bytes=one_row * 10)
    last = await tracker.work_items.list(limit=3, max_bytes=one_row * 10, cursor=by_limit.next_cursor)

    assert (len(by_budget.items), by_budget.budget_truncated) == (2, True)
    assert by_budget.next_cursor is not None
    assert (len(by_limit.items), by_limit.budget_truncated) == (2, None)
    assert by_limit.next_cursor is not None
    assert (len(last.items), last.budget_truncated, last.next_cursor) == (2, None, None)


@pytest.mark.parametrize("limit", [0, 201, 500])
async def test_a_limit_out_of_range_is_refused_with_the_range_not_cut_silently(
    tracker: Tracker, limit: int
) -> None:
    with pytest.raises(ValidationError) as caught:
        await tracker.work_items.list(limit=limit)

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("limit", limit)
    assert "between 1 and 200" in error["message"]


async def test_max_bytes_smaller_than_one_row_still_serves_one_row(tracker: Tracker) -> None:
    for i in range(2):
        await create_item(tracker, f"item {i} " + "y" * 150)

    pages = await walk(tracker.work_items.list, max_bytes=10)

    assert [len(page.items) for page in pages] == [1, 1]


async def test_cursor_of_another_list_is_rejected(tracker: Tracker) -> None:
    for i in range(3):
        await create_item(tracker, f"item {i}")
    cursor = (await tracker.work_items.ready(limit=1)).next_cursor
    assert cursor is not None

    with pytest.raises(ValidationError) as caught:
        await tracker.work_items.list(cursor=cursor)

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("cursor", cursor)


@pytest.mark.parametrize("cursor", ["garbage", "eyJ4IjoxfQ"])
async def test_malformed_cursor_is_rejected(tracker: Tracker, cursor: str) -> None:
    with pytest.raises(ValidationError) as caught:
        await tracker.work_items.list(cursor=cursor)

    assert only_error(caught.value)["field"] == "cursor"


async def test_ready_work_pages_in_priority_order(tracker: Tracker) -> None:
    for i, priority in enumerate([5, 1, 3, 2, 4, 1]):
        await create_item(tracker, f"p{priority} #{i}", priority=priority)

    pages = await walk(tracker.work_items.ready, limit=4)

    assert [len(page.items) for page in pages] == [4, 2]
    assert all(page.total == 6 for page in pages)
    priorities = [item.priority for page in pages for item in page.items]
    assert priorities == [1, 1, 2, 3, 4, 5]


async def test_ready_work_honours_max_bytes(tracker: Tracker) -> None:
    for i in range(4):
        await create_item(tracker, f"{i} " + "z" * 180)

    pages = await walk(tracker.work_items.ready, max_bytes=300)

    assert [len(page.items) for page in pages] == [1, 1, 1, 1]


async def test_cursor_keeps_its_place_when_rows_change_behind_it(tracker: Tracker) -> None:
    items = [await create_item(tracker, f"item {i}") for i in range(4)]
    first = await tracker.work_items.list(limit=2)
    await update_item(tracker, items[0], 1, deleted=True)

    second = await tracker.work_items.list(limit=2, cursor=first.next_cursor)

    assert [item.id for item in first.items + second.items] == [item.id for item in items]
    assert second.total == 3
