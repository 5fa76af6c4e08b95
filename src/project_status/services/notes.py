"""Work item notes: append-only handoff text (who, when, what), read newest few or paged."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from project_status.domain.enums import EntityKind
from project_status.domain.errors import ValidationError
from project_status.domain.ids import new_id
from project_status.domain.pages import Page
from project_status.domain.work_items import MAX_NOTE_BYTES, NoteRead
from project_status.services import command_forms, read_models
from project_status.services.checks import check_actor, check_filters, check_limit
from project_status.services.clock import now
from project_status.services.cursors import Listing, parse_datetime, parse_uuid
from project_status.services.routing import Routed, reads, writes
from project_status.services.work_items import item_id_even_archived, resolve_item
from project_status.store import events
from project_status.store import notes as store
from project_status.store.database import Database
from project_status.store.tables import WorkItemNote

_LIST = Listing("notes", (("created_at", parse_datetime), ("id", parse_uuid)), read_models.note)

ENTITY = EntityKind.WORK_ITEM.value
_ALLOWED_CONTROLS = {"\n", "\t"}


def check_note_text(text: str) -> str:
    """A note's text as stored: not blank, at most `MAX_NOTE_BYTES` of UTF-8, no control
    characters but line breaks and tabs (a note is shown in terminals and reports)."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError.for_field("text", "must not be empty", text)
    text = text.replace("\r\n", "\n")
    size = len(text.encode("utf-8"))
    if size > MAX_NOTE_BYTES:
        raise ValidationError.for_field(
            "text",
            f"is {size} bytes; a note holds at most {MAX_NOTE_BYTES} bytes (8 KiB) of UTF-8: shorten it "
            "or split it into several notes",
            f"{text[:40]}...",
            max_bytes=MAX_NOTE_BYTES,
            size=size,
        )
    bad = sorted({c for c in text if (ord(c) < 32 or ord(c) == 127) and c not in _ALLOWED_CONTROLS})
    if bad:
        codes = ", ".join(f"U+{ord(c):04X}" for c in bad)
        raise ValidationError.for_field(
            "text", f"holds control character(s) {codes}; only line breaks and tabs are allowed", text[:40]
        )
    return text


def append_note(session: AsyncSession, item_id: uuid.UUID, text: str, actor: str, at: datetime) -> NoteRead:
    """Add a checked note to `item_id` with its audit event, in the caller's transaction."""
    note = WorkItemNote(id=new_id(), work_item_id=item_id, actor=actor, created_at=at, text=text)
    store.add(session, note)
    events.record(
        session,
        entity_type=ENTITY,
        entity_id=str(item_id),
        action="note_added",
        actor=actor,
        at=at,
        changes={"note": {"old": None, "new": str(note.id)}},
    )
    return read_models.note(note)


class NoteService(Routed):
    """Append and read work item notes; a note is never edited, and stays with an archived item."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @writes(command_forms.renamed("add_work_item_note", item="id"))
    async def add(self, item: str, text: str, actor: str) -> NoteRead:
        """Append a note (at most 8 KiB) to a live work item; answers the note with its id and time.

        The item's version does not change: a note is not an edit of the item.
        """
        actor = check_actor(actor)
        text = check_note_text(text)
        async with self.db.unit_of_work(write=True) as session:
            row = await resolve_item(session, item)
            return append_note(session, row.id, text, actor, now())

    @reads
    async def list(self, item: str, cursor: str | None = None, limit: int = 50) -> Page[NoteRead]:
        """A work item's notes, oldest first, a page at a time (also of an archived item)."""
        check_limit(limit)
        check_filters(cursor=cursor)
        resume = _LIST.resume(cursor)
        async with self.db.unit_of_work() as session:
            item_id = await item_id_even_archived(session, item)  # its notes stay readable
        async with self.db.reader() as reader:
            rows, total = await store.page(reader, item_id, limit + 1, resume)
        return _LIST.page(rows, limit=limit, total=total)
