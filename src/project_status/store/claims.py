"""Claim queries: which items are free to take, taking one atomically, and why none was free.

Ready work and claims share one definition (`ready_conditions`): not deleted, status active or
in progress, no open blocker, and no live lease of another actor. A lease is live while
`claim_expires_at` is in the future; the time is passed in (the operation's clock), never the
database's, so a replayed claim judges leases as of when it was first made.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Uuid, and_, bindparam, func, literal, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from project_status.domain.enums import DependencyType, WorkItemStatus
from project_status.store.column_types import UTCDateTime
from project_status.store.readers import hot
from project_status.store.tables import READY_ORDER_INDEX, WorkItem, WorkItemDependency
from project_status.store.work_items import ITEM_COLUMNS, READY_ORDER, blocked_by_open_item

CLAIMABLE_STATUSES = (WorkItemStatus.ACTIVE.value, WorkItemStatus.IN_PROGRESS.value)


@dataclass(frozen=True)
class Scope:
    """What a claim without an id may take: item types and, optionally, a subtree."""

    item_types: Sequence[str] | None
    under_path: str | None = None
    """The materialized path of an item: only its descendants (any depth) qualify."""


def _at(moment: datetime | ColumnElement[Any]) -> Any:
    """The moment as SQL: a bound parameter as given (statements built once, `store.ready`)."""
    return moment if isinstance(moment, ColumnElement) else literal(moment, UTCDateTime())


def lease_free(
    moment: datetime | ColumnElement[Any], actor: str | ColumnElement[Any] | None = None
) -> ColumnElement[bool]:
    """No live lease on the item, or (with `actor`) a lease that actor holds."""
    free = or_(WorkItem.claimed_by.is_(None), WorkItem.claim_expires_at <= _at(moment))
    return free if actor is None else or_(free, WorkItem.claimed_by == actor)


def scope_conditions(scope: Scope) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if scope.item_types:
        where.append(WorkItem.item_type.in_(list(scope.item_types)))
    if scope.under_path is not None:
        where.append(WorkItem.path.startswith(scope.under_path + "/", autoescape=True))
    return where


def _open(scope: Scope) -> list[ColumnElement[bool]]:
    """Live, not finished and not set blocked by hand, within `scope`."""
    return [
        WorkItem.deleted_at.is_(None),
        WorkItem.status.in_(CLAIMABLE_STATUSES),
        *scope_conditions(scope),
    ]


def ready_conditions(
    scope: Scope, moment: datetime | ColumnElement[Any], actor: str | ColumnElement[Any] | None
) -> list[ColumnElement[bool]]:
    """Ready work: open, no open blocker, and no live lease but the `actor`'s own."""
    return [*ready_but_blockers(scope, moment, actor), ~blocked_by_open_item()]


def ready_but_blockers(
    scope: Scope, moment: datetime | ColumnElement[Any], actor: str | ColumnElement[Any] | None
) -> list[ColumnElement[bool]]:
    """Ready work but for the blockers: open and no live lease but the `actor`'s own."""
    return [*_open(scope), lease_free(moment, actor)]


async def take_next(session: AsyncSession, scope: Scope, moment: datetime) -> WorkItem | None:
    """The best ready item nobody holds, locked for this transaction.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent claimers each lock a different row, and a
    row another claimer changed meanwhile is checked again against the conditions before it is
    returned. SQLite: writers take turns (BEGIN IMMEDIATE), and the clause is left out.
    """
    query = (
        select(WorkItem)
        .where(*ready_conditions(scope, moment, None))
        .order_by(*(column for column, _ in READY_ORDER))
        .limit(1)
        .with_hint(WorkItem, f"INDEXED BY {READY_ORDER_INDEX}", "sqlite")
        .with_for_update(skip_locked=True, of=WorkItem)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalars().first()


@functools.cache
def _locking(blocked: bool = False) -> Any:
    """The item row by `:item_id`, locked (and, `blocked`, whether an open blocker holds it
    back), built once."""
    also = (blocked_by_open_item().label("blocked"),) if blocked else ()
    return (
        select(WorkItem, *also)
        .where(WorkItem.id == bindparam("item_id", type_=Uuid()))
        .with_for_update(of=WorkItem)
        .execution_options(populate_existing=True)
    )


READ_TO_CLAIM = hot(
    select(*ITEM_COLUMNS, blocked_by_open_item().label("blocked")).where(
        WorkItem.id == bindparam("item_id", type_=Uuid())
    )
)
"""The item row (`ITEM_COLUMNS`) and whether an open blocker holds it back, unlocked: a claim
made as one statement (`store.one_statement`) checks the blocker again as it writes."""


async def lock_if_live(session: AsyncSession, item_id: uuid.UUID) -> WorkItem | None:
    """The item's current row in the live table, locked until the transaction ends (PostgreSQL);
    None when there is none."""
    return (await session.execute(_locking(), {"item_id": item_id})).scalars().first()


async def lock_to_claim(session: AsyncSession, item_id: uuid.UUID) -> tuple[WorkItem, bool] | None:
    """As `lock_if_live`, and whether an open blocker holds the item back, in the same statement
    (a round trip saved; `open_blockers` names them when there are)."""
    found = (await session.execute(_locking(blocked=True), {"item_id": item_id})).first()
    return None if found is None else (found[0], bool(found[1]))


async def open_blockers(session: AsyncSession, item_id: uuid.UUID) -> Sequence[Any]:
    """(id, title, status) of each live, unfinished item that blocks `item_id`."""
    edges = WorkItemDependency
    blocker_ids = union(
        select(edges.target_id).where(
            edges.source_id == item_id, edges.dependency_type == DependencyType.DEPENDS_ON.value
        ),
        select(edges.source_id).where(
            edges.target_id == item_id, edges.dependency_type == DependencyType.BLOCKS.value
        ),
    )
    query = (
        select(WorkItem.id, WorkItem.title, WorkItem.status)
        .where(
            WorkItem.id.in_(blocker_ids),
            WorkItem.status != WorkItemStatus.COMPLETED.value,
            WorkItem.deleted_at.is_(None),
        )
        .order_by(WorkItem.created_at, WorkItem.id)
    )
    return (await session.execute(query)).all()


@dataclass(frozen=True)
class Unready:
    """Why a claim without an id found nothing: open items under others' live leases, under the
    claimer's own, and open items free but blocked."""

    claimed_by_others: int
    claimed_by_you: int
    blocked: int


async def count_unready(session: AsyncSession, scope: Scope, moment: datetime, actor: str) -> Unready:
    held = ~lease_free(moment)
    mine = and_(held, WorkItem.claimed_by == actor)
    blocked = blocked_by_open_item()
    query = select(
        func.count().filter(and_(held, WorkItem.claimed_by != actor)),
        func.count().filter(mine),
        func.count().filter(and_(~held, blocked)),
    ).where(*_open(scope))
    row = (await session.execute(query)).one()
    return Unready(
        claimed_by_others=int(row[0] or 0), claimed_by_you=int(row[1] or 0), blocked=int(row[2] or 0)
    )
