"""The write-through of a write whose whole effect is one work item row and its events.

Every write is repeated on the mirror as its command, which runs the whole use case again there.
Creating, updating, claiming and releasing (without a handoff note) a work item change one row,
and their answer holds every column of it: the mirror takes that row and the events the
primary's transaction wrote (`store.events.capture`) as they are, in one short transaction, which
costs a fraction of the use case. The row must be the one the write started from (the version
before the answer's, or none for a create): else the mirror's copy differs, and it is marked
stale as when a repeated command fails. A move or a delete that took a subtree along, a release
with a handoff note, or a write that changed nothing, is repeated as its command.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table

from project_status.domain.enums import EntityKind
from project_status.domain.work_items import WorkItemRead
from project_status.store import sync as store
from project_status.store.database import Database
from project_status.store.tables import WorkItem

ONE_ROW = frozenset({"create_work_item", "update_work_item", "claim_work_item"})
"""Commands that write one work item row (theirs: a move or delete of a subtree writes events of
other items too, and is repeated as its command)."""
ONE_ROW_UNLESS = {"release_work_item": "note"}
"""Commands that write one work item row unless given this argument: a release's handoff note is
a row of its own (its `note_added` event is the item's, so the events alone can't tell)."""
CREATES = "create_work_item"
ANSWER_HOLDS_THE_ROW = set(WorkItemRead.model_fields) == set(cast(Table, WorkItem.__table__).c.keys())
"""A column the answer lacks would be lost: then every write is repeated as its command."""
_ENTITY = EntityKind.WORK_ITEM.value


class MirrorDiffers(Exception):
    """The mirror has no row at the version the write started from."""


def row_of(answer: WorkItemRead) -> dict[str, Any]:
    """The work item row an answer shows, as column values."""
    values = answer.model_dump()
    values.update(
        id=uuid.UUID(answer.id),
        parent_id=uuid.UUID(answer.parent_id) if answer.parent_id else None,
        item_type=answer.item_type.value,
        status=answer.status.value,
    )
    return values


@dataclass(frozen=True)
class RowPut:
    """One write's whole effect, ready for the mirror: its work item row and its events."""

    item_id: uuid.UUID
    row: dict[str, Any]
    from_version: int | None
    """The version the write started from (None: it created the row)."""
    written: list[dict[str, Any]]


def row_put(
    command: str,
    answer: Any,
    written: list[dict[str, Any]],
    arguments: Callable[[], Mapping[str, Any]] | None = None,
) -> RowPut | None:
    """The write's row and events, if it writes one row and its events only (None: repeat it as
    its command). `arguments`: the call's arguments by name, asked for only by the commands of
    `ONE_ROW_UNLESS` (without them, those are repeated as their command)."""
    if not (ANSWER_HOLDS_THE_ROW and isinstance(answer, WorkItemRead) and written):
        return None
    if command in ONE_ROW_UNLESS:
        if arguments is None or arguments().get(ONE_ROW_UNLESS[command]) is not None:
            return None
    elif command not in ONE_ROW:
        return None
    if any(event["entity_type"] != _ENTITY or event["entity_id"] != answer.id for event in written):
        return None
    row = row_of(answer)
    return RowPut(row["id"], row, None if command == CREATES else answer.version - 1, written)


async def put(mirror: Database, found: RowPut) -> None:
    """Put one write's row and events (`row_put`) in the mirror on their own. Raises
    `MirrorDiffers` (see the module)."""
    missed = await put_all(mirror, [found])
    if missed:
        raise MirrorDiffers(describe_missed(missed))


async def put_all(mirror: Database, puts: Sequence[RowPut]) -> list[RowPut]:
    """Put `puts` in the mirror in order, in one short transaction; those it had no row for at
    the version they started from (nothing of theirs is put: the mirror is then stale)."""
    async with mirror.unit_of_work(write=True) as session:
        missed = await store.put_work_items(
            session, [(put.row, put.from_version, put.written) for put in puts]
        )
    return [puts[index] for index in missed]


def describe_missed(missed: Sequence[RowPut]) -> str:
    return "; ".join(
        f"work item {put.item_id} is not at version {put.from_version} in the mirror" for put in missed
    )
