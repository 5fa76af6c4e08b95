"""Work item notes: appended, never edited; read newest few or paged oldest first."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Uuid, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from project_status.store.column_types import id_key, utc_second_text
from project_status.store.paging import after
from project_status.store.readers import Reader
from project_status.store.tables import WorkItem, WorkItemNote

NOTE_ORDER = ((WorkItemNote.created_at, False), (WorkItemNote.id, False))
NOTE_COLUMNS = (
    WorkItemNote.id.label("id"),
    WorkItemNote.work_item_id.label("work_item_id"),
    WorkItemNote.actor.label("actor"),
    WorkItemNote.created_at.label("created_at"),
    WorkItemNote.text.label("text"),
)

_ITEM = bindparam("item_id", type_=Uuid())
_LATEST = (
    select(*NOTE_COLUMNS, func.count().over().label("total"))
    .where(WorkItemNote.work_item_id == _ITEM)
    .order_by(WorkItemNote.created_at.desc(), WorkItemNote.id.desc())
    .limit(bindparam("limit"))
)


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
    ranked = (
        select(
            WorkItemNote.work_item_id,
            WorkItemNote.actor,
            WorkItemNote.created_at,
            func.substr(WorkItemNote.text, 1, REPORT_NOTE_CHARACTERS).label("text"),
            func.row_number()
            .over(
                partition_by=WorkItemNote.work_item_id,
                order_by=(WorkItemNote.created_at.desc(), WorkItemNote.id.desc()),
            )
            .label("newest"),
        )
        .join(WorkItem, WorkItem.id == WorkItemNote.work_item_id)
        .where(WorkItem.deleted_at.is_(None), WorkItem.status.in_(("active", "in_progress")))
        .subquery("ranked")
    )
    return select(
        id_key(ranked.c.work_item_id).label("work_item_id"),
        ranked.c.actor,
        utc_second_text(ranked.c.created_at).label("created"),
        ranked.c.text,
    ).where(ranked.c.newest == 1)


_LATEST_OF_OPEN_ITEMS = _latest_of_open_items()


async def latest_of_open_items(reader: Reader) -> Sequence[Row[Any]]:
    """The newest note of each live active or in-progress item, in one statement: (work item id
    as `id_key` text, actor, `YYYY-MM-DD HH:MM:SS` UTC, the text's first characters)."""
    return await reader.rows(_LATEST_OF_OPEN_ITEMS)
