"""Work item notes: appended with actor and time, never edited, newest five in the detail, paged."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from project_status.domain.errors import NotFoundError, ValidationError
from project_status.domain.work_items import MAX_NOTE_BYTES
from project_status.services.tracker import Tracker
from project_status.store.tables import WorkItem
from tests.helpers import ACTOR, create_item, unchanged


async def test_a_note_is_appended_with_actor_and_time_and_leaves_the_version(tracker: Tracker) -> None:
    item = await create_item(tracker, "Noted")

    note = await tracker.notes.add(item.id[:8], "Tried X; Y is next.\n\tSee the log.", "agent-a")

    assert (note.work_item_id, note.actor, note.text) == (
        item.id,
        "agent-a",
        "Tried X; Y is next.\n\tSee the log.",
    )
    assert note.created_at.tzinfo is not None
    detail = await tracker.work_items.get(item.id)
    assert detail.version == item.version
    assert detail.notes_total == 1 and detail.notes[0].id == note.id
    last = (await tracker.work_items.history(item.id))[0]
    assert (last.action, last.actor, last.changes["note"]["new"]) == ("note_added", "agent-a", note.id)


async def test_the_detail_shows_the_newest_five_notes_and_the_total(tracker: Tracker) -> None:
    item = await create_item(tracker, "Busy")
    for n in range(7):
        await tracker.notes.add(item.id, f"note {n}", ACTOR)

    detail = await tracker.work_items.get(item.id)

    assert detail.notes_total == 7
    assert [n.text for n in detail.notes] == [f"note {n}" for n in range(2, 7)]


async def test_notes_page_oldest_first_with_a_cursor(tracker: Tracker) -> None:
    item = await create_item(tracker, "Paged")
    for n in range(5):
        await tracker.notes.add(item.id, f"note {n}", ACTOR)

    first = await tracker.notes.list(item.id, limit=3)
    second = await tracker.notes.list(item.id, cursor=first.next_cursor, limit=3)

    assert [n.text for n in first.items] == ["note 0", "note 1", "note 2"]
    assert [n.text for n in second.items] == ["note 3", "note 4"]
    assert (first.total, second.next_cursor) == (5, None)


@pytest.mark.parametrize(
    "text", ["", "   \n ", "x" * (MAX_NOTE_BYTES + 1), "é" * (MAX_NOTE_BYTES // 2 + 1), "bell\x07"]
)
async def test_empty_oversized_or_control_character_notes_are_refused(tracker: Tracker, text: str) -> None:
    item = await create_item(tracker, "Strict")

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as refused:
            await tracker.notes.add(item.id, text, ACTOR)

    error = refused.value.details["errors"][0]
    assert error["field"] == "text"
    if len(text.encode()) > MAX_NOTE_BYTES:
        assert error["max_bytes"] == MAX_NOTE_BYTES and "8 KiB" in error["message"]


async def test_a_note_of_exactly_8_kib_is_kept(tracker: Tracker) -> None:
    item = await create_item(tracker, "Full")

    note = await tracker.notes.add(item.id, "x" * MAX_NOTE_BYTES, ACTOR)

    assert len(note.text) == MAX_NOTE_BYTES


async def test_a_note_on_an_unknown_item_is_not_found(tracker: Tracker) -> None:
    with pytest.raises(NotFoundError):
        await tracker.notes.add(str(uuid.uuid4()), "hello", ACTOR)


async def test_notes_of_an_archived_item_stay_readable(tracker: Tracker) -> None:
    item = await create_item(tracker, "Old", status="completed")
    await tracker.notes.add(item.id, "why it was done this way", ACTOR)
    async with tracker.db.unit_of_work(write=True) as session:
        await session.execute(
            update(WorkItem)
            .where(WorkItem.id == uuid.UUID(item.id))
            .values(updated_at=datetime.now(UTC) - timedelta(days=400))
        )
    await tracker.archive.run(actor=ACTOR)

    page = await tracker.notes.list(item.id)

    assert [n.text for n in page.items] == ["why it was done this way"]
    with pytest.raises(NotFoundError) as archived:
        await tracker.notes.add(item.id, "more", ACTOR)
    assert archived.value.details["archived"] is True
