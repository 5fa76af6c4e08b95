"""Ids: a full UUID or a unique prefix of at least 8 hex characters; an ambiguous prefix lists candidates."""

from __future__ import annotations

import uuid

import pytest

from project_status.domain.errors import NotFoundError, ValidationError
from project_status.services.tracker import Tracker
from tests.helpers import create_item, depend, insert_work_item_with_id, only_error, unchanged, update_item

TWIN_A = uuid.UUID("abcdef01-2345-4000-8000-00000000000a")
TWIN_B = uuid.UUID("abcdef01-2345-4000-8000-00000000000b")


async def twins(tracker: Tracker) -> None:
    """Two items whose ids share their first 20 hex digits."""
    await insert_work_item_with_id(tracker, TWIN_A, "Twin A")
    await insert_work_item_with_id(tracker, TWIN_B, "Twin B")


async def test_full_id_finds_the_item(tracker: Tracker) -> None:
    item = await create_item(tracker, "Found")

    assert (await tracker.work_items.get(item.id)).title == "Found"


@pytest.mark.parametrize("form", ["upper", "no-dashes", "padded"])
async def test_full_id_is_accepted_in_any_spelling(tracker: Tracker, form: str) -> None:
    item = await create_item(tracker, "Found")
    spelled = {
        "upper": item.id.upper(),
        "no-dashes": item.id.replace("-", ""),
        "padded": f"  {item.id} ",
    }[form]

    assert (await tracker.work_items.get(spelled)).id == item.id


@pytest.mark.parametrize("length", [8, 13, 20])
async def test_unique_prefix_finds_the_item(tracker: Tracker, length: int) -> None:
    item = await create_item(tracker, "Found")

    assert (await tracker.work_items.get(item.id[:length])).id == item.id


async def test_prefix_shorter_than_8_hex_characters_is_rejected(tracker: Tracker) -> None:
    item = await create_item(tracker, "Found")

    with pytest.raises(ValidationError) as caught:
        await tracker.work_items.get(item.id[:7])

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("id", item.id[:7])
    assert "at least 8" in error["message"]


@pytest.mark.parametrize("value", ["not-an-id", "abcdefgh", "", "0" * 33])
async def test_malformed_id_is_rejected(tracker: Tracker, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        await tracker.work_items.get(value)

    assert only_error(caught.value)["field"] == "id"


async def test_unknown_prefix_is_not_found(tracker: Tracker) -> None:
    await twins(tracker)

    with pytest.raises(NotFoundError) as caught:
        await tracker.work_items.get("abcdef02")

    assert caught.value.details["value"] == "abcdef02"


async def test_ambiguous_prefix_is_an_error_listing_the_candidates(tracker: Tracker) -> None:
    await twins(tracker)

    with pytest.raises(ValidationError) as caught:
        await tracker.work_items.get("abcdef01")

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("id", "abcdef01")
    assert error["message"] == "ambiguous id prefix"
    assert error["candidates"] == [str(TWIN_A), str(TWIN_B)]


async def test_prefix_shared_up_to_the_last_digit_is_still_ambiguous(tracker: Tracker) -> None:
    await twins(tracker)

    with pytest.raises(ValidationError) as caught:
        await tracker.work_items.get(TWIN_A.hex[:31])

    assert only_error(caught.value)["candidates"] == [str(TWIN_A), str(TWIN_B)]


async def test_full_id_resolves_what_a_prefix_cannot(tracker: Tracker) -> None:
    await twins(tracker)

    assert (await tracker.work_items.get(str(TWIN_B))).title == "Twin B"
    assert (await tracker.work_items.get(TWIN_A.hex)).title == "Twin A"


async def test_ambiguous_prefix_on_update_changes_nothing(tracker: Tracker) -> None:
    await twins(tracker)

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await update_item(tracker, "abcdef01-2345", 1, title="Which one?")

    assert only_error(caught.value)["candidates"] == [str(TWIN_A), str(TWIN_B)]


async def test_ambiguous_parent_prefix_is_rejected(tracker: Tracker) -> None:
    await twins(tracker)

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await create_item(tracker, "Child", parent="abcdef01")

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("parent_id", "abcdef01")


async def test_ambiguous_dependency_end_is_rejected(tracker: Tracker) -> None:
    await twins(tracker)
    other = await create_item(tracker, "Other")

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await depend(tracker, other, "depends_on", "abcdef01")

    assert only_error(caught.value)["field"] == "target_id"
