"""Work item notes: appended, never edited; read newest few or paged oldest first."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Row, Uuid, and_, bindparam, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from project_status.store.column_types import id_key, utc_second_text
from project_status.store.paging import after
from project_status.store.readers import Reader, hot
from project_status.store.tables import WorkItem, WorkItemNote
from project_status.store.work_items import ITEM_COLUMNS

NOTE_ORDER = ((WorkItemNote.created_at, False), (WorkItemNote.id, False))
NOTE_COLUMNS = (
    WorkItemNote.id.label("id"),
    WorkItemNote.work_item_id.label("work_item_id"),
    WorkItemNote.actor.label("actor"),
    WorkItemNote.created_at.label("created_at"),
    WorkItemNote.text.label("text"),
)

_ITEM = bindparam("item_id", type_=Uuid())
_LATEST = hot(
    select(*NOTE_COLUMNS, func.count().over().label("total"))
    .where(WorkItemNote.work_item_id == _ITEM)
    .order_by(WorkItemNote.created_at.desc(), WorkItemNote.id.desc())
    .limit(bindparam("limit", type_=Integer()))
)


_NOTE_FIELDS = ("id", "work_item_id", "actor", "created_at", "text")
_ID = bindparam("id", type_=Uuid())
_NEWEST = (
    select(
        *(getattr(WorkItemNote, name).label(f"note_{name}") for name in _NOTE_FIELDS),
        func.count().over().label("note_total"),
    )
    .where(WorkItemNote.work_item_id == _ID)
    .order_by(WorkItemNote.created_at.desc(), WorkItemNote.id.desc())
    .limit(bindparam("limit", type_=Integer()))
    .subquery("newest_notes")
)
_ITEM_WITH_NOTES = hot(
    select(*ITEM_COLUMNS, *_NEWEST.c)
    .select_from(WorkItem)
    .outerjoin(_NEWEST, true())
    .where(WorkItem.id == _ID)
    .order_by(_NEWEST.c.note_created_at, _NEWEST.c.note_id)
)


@dataclass(frozen=True)
class NoteRow:
    id: uuid.UUID
    work_item_id: uuid.UUID
    actor: str
    created_at: datetime
    text: str


async def item_with_latest(
    reader: Reader, item_id: uuid.UUID, limit: int
) -> tuple[Row[Any], list[NoteRow], int] | None:
    """The live item row (`ITEM_COLUMNS`) with its newest `limit` notes (oldest of them first)
    and how many it has, in one statement: one round trip where `read_item` and `latest` take
    two. None when the live table has no such item."""
    rows = await reader.rows(_ITEM_WITH_NOTES, {"id": item_id, "limit": limit})
    if not rows:
        return None
    notes = [
        NoteRow(*(getattr(row, f"note_{name}") for name in _NOTE_FIELDS))
        for row in rows
        if row.note_id is not None
    ]
    return rows[0], notes, int(rows[0].note_total or 0)


def add(session: AsyncSession, note: WorkItemNote) -> None:
    session.add(note)


async def latest(reader: Reader, item_id: uuid.UUID, limit: int) -> tuple[list[Row[Any]], int]:
    """The newest `limit` notes, oldest of them first, and how many the item has, in one statement
    (the window count is taken before the limit)."""
    rows = list(await reader.rows(_LATEST, {"item_id": item_id, "limit": limit}))
    total = int(rows[0].total) if rows else 0
    rows.reverse()
    return rows, total


async def page(
    reader: Reader, item_id: uuid.UUID, limit: int, resume: Sequence[Any] | None
) -> tuple[Sequence[Row[Any]], int]:
    """Notes oldest first, after `resume`, and the item's total."""
    count = await reader.first(
        select(func.count()).select_from(WorkItemNote).where(WorkItemNote.work_item_id == item_id)
    )
    query = select(*NOTE_COLUMNS).where(WorkItemNote.work_item_id == item_id)
    if resume is not None:
        query = query.where(after(NOTE_ORDER, resume))
    query = query.order_by(*(column for column, _ in NOTE_ORDER)).limit(limit)
    return await reader.rows(query), int(count[0]) if count is not None else 0


REPORT_NOTE_CHARACTERS = 600
"""Of each note the report shows the start only: this many characters are read, more than its
one line holds even once runs of blanks are folded."""


def _latest_of_open_items() -> Any:
    """Each open item's note that has no newer one (by time, then id) on the same item, found by
    the index on (work item, time, id): no window over all the open items' notes, which SQLite
    sorted in full in a temporary B-tree to keep one row per item."""
    later = WorkItemNote.__table__.alias("later")
    newer = (
        select(later.c.id)
        .where(
            later.c.work_item_id == WorkItemNote.work_item_id,
            or_(
                later.c.created_at > WorkItemNote.created_at,
                and_(later.c.created_at == WorkItemNote.created_at, later.c.id > WorkItemNote.id),
            ),
        )
        .exists()
    )
    return (
        select(
            id_key(WorkItemNote.work_item_id).label("work_item_id"),
            WorkItemNote.actor,
            utc_second_text(WorkItemNote.created_at).label("created"),
            func.substr(WorkItemNote.text, 1, REPORT_NOTE_CHARACTERS).label("text"),
        )
        .join(WorkItem, WorkItem.id == WorkItemNote.work_item_id)
        .where(WorkItem.deleted_at.is_(None), WorkItem.status.in_(("active", "in_progress")), ~newer)
    )


_LATEST_OF_OPEN_ITEMS = hot(_latest_of_open_items())


async def latest_of_open_items(reader: Reader) -> Sequence[Row[Any]]:
    """The newest note of each live active or in-progress item, in one statement: (work item id
    as `id_key` text, actor, `YYYY-MM-DD HH:MM:SS` UTC, the text's first characters)."""
    return await reader.rows(_LATEST_OF_OPEN_ITEMS)
