"""Ready work as few, cheap statements: a page of it, and how much there is.

The conditions are `store.claims.ready_conditions`, shared with claims. What this module adds is
how the statements run:

* Each statement is built once per shape (item types, with or without an actor or a cursor),
  its moment, actor and cursor bound as parameters: building and hashing a statement of this
  size costs more than SQLite takes to run it.
* The page walks `READY_ORDER_INDEX` (live items in ready order) and stops once it has a page;
  each item it passes is checked for open blockers by two index probes. SQLite is told to use
  that index (its planner, without statistics, would sort every open item instead).
* The count, on SQLite, is the open items minus those of them with an open blocker, found from
  the dependency edges (few) rather than by probing every open item for blockers. PostgreSQL
  counts the open items not in that blocked set (hashed once), and plans the subtraction worse.
* On PostgreSQL the count and the page are one statement (`page_and_count`): one round trip,
  the blocked set found once for both.
  SQLite runs them in process, where a second statement costs no trip.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Row, String, Uuid, and_, bindparam, case, func, select, true

from project_status.domain.enums import DependencyType, WorkItemStatus
from project_status.store.claims import Scope, ready_but_blockers, ready_conditions
from project_status.store.column_types import UTCDateTime
from project_status.store.paging import after
from project_status.store.readers import Reader, hot
from project_status.store.tables import READY_ORDER_INDEX, WorkItem, WorkItemDependency
from project_status.store.work_items import PAGE_COLUMNS, READY_ORDER

READY_COLUMNS = (
    *PAGE_COLUMNS,
    WorkItem.version.label("version"),
    WorkItem.claimed_by.label("claimed_by"),
    WorkItem.claim_expires_at.label("claim_expires_at"),
)
"""A ready row: a list row plus what a claim or an update needs next."""

_MOMENT = bindparam("moment", type_=UTCDateTime())
_ACTOR = bindparam("actor", type_=String())
_LIMIT = bindparam("limit", type_=Integer())
_RESUME = (
    bindparam("after_priority", type_=Integer()),
    bindparam("after_created_at", type_=UTCDateTime()),
    bindparam("after_id", type_=Uuid()),
)


def _conditions(item_types: tuple[str, ...], by_actor: bool) -> list[Any]:
    return ready_conditions(Scope(item_types), _MOMENT, _ACTOR if by_actor else None)


def _candidates(item_types: tuple[str, ...], by_actor: bool) -> list[Any]:
    return ready_but_blockers(Scope(item_types), _MOMENT, _ACTOR if by_actor else None)


def _page(conditions: Sequence[Any], resuming: bool, limit: Any = _LIMIT) -> Any:
    query = select(*READY_COLUMNS).where(*conditions)
    if resuming:
        query = query.where(after(READY_ORDER, _RESUME))
    return query.order_by(*(column for column, _ in READY_ORDER)).limit(limit)


_OPAQUE_LIMIT = select(_LIMIT).scalar_subquery()
"""The limit as PostgreSQL's planner cannot read it, so that it costs a generic plan as a plan for
the value given: else a small limit (the next item's) looked cheaper planned afresh, and
PostgreSQL planned that statement again at every call, which took longer than running it."""


@functools.cache
def _page_statement(item_types: tuple[str, ...], by_actor: bool, resuming: bool) -> Any:
    return hot(
        _page(_conditions(item_types, by_actor), resuming).with_hint(
            WorkItem, f"INDEXED BY {READY_ORDER_INDEX}", "sqlite"
        )
    )


def _open_blocked(probe: bool = False) -> Any:
    """Ids of live items with an unfinished, live blocker, from the dependency edges: each edge
    names its blocked item and its blocker by its type (`A depends_on B`, `B blocks A`), so the
    blockers are looked up in one join.

    `probe` (PostgreSQL): each edge's blocker read by its primary key (a subquery per edge, and
    edges are few) instead of the join, which PostgreSQL ran as a hash of every live item."""
    edges = WorkItemDependency
    blocker = WorkItem.__table__.alias("blocker")
    depends_on = edges.dependency_type == DependencyType.DEPENDS_ON.value
    blocked_id = case((depends_on, edges.source_id), else_=edges.target_id)
    blocker_id = case((depends_on, edges.target_id), else_=edges.source_id)
    typed = edges.dependency_type.in_([DependencyType.DEPENDS_ON.value, DependencyType.BLOCKS.value])
    unfinished = and_(blocker.c.status != WorkItemStatus.COMPLETED.value, blocker.c.deleted_at.is_(None))
    if probe:
        # No blocker row: the subquery is NULL, and the edge blocks nothing, as with the join.
        open_blocker = select(unfinished).where(blocker.c.id == blocker_id).scalar_subquery()
        return select(blocked_id.label("id")).distinct().where(typed, open_blocker)
    return (
        select(blocked_id.label("id"))
        .distinct()
        .join(blocker, blocker.c.id == blocker_id)
        .where(typed, unfinished)
    )


def _ready_now(item_types: tuple[str, ...], by_actor: bool, blocked: Any = None) -> list[Any]:
    """`ready_conditions` with the blocked items read from `blocked` (by default a subquery of
    `_open_blocked`): PostgreSQL finds them in one join, where the two `EXISTS` of
    `ready_conditions` make it hash each blocker set apart."""
    if blocked is None:
        blocked = _open_blocked(probe=True).subquery("blocked")
    return [*_candidates(item_types, by_actor), WorkItem.id.not_in(select(blocked.c.id))]


def ready_now(item_types: tuple[str, ...]) -> list[Any]:
    """The conditions of ready work for anyone at the `moment` parameter (PostgreSQL's form)."""
    return _ready_now(item_types, False)


@functools.cache
def count_statement(item_types: tuple[str, ...], *, by_actor: bool, subtract: bool) -> Any:
    """The count of ready items (`count`), its moment (and actor) bound as `moment` (`actor`)."""
    if not subtract:
        return hot(select(func.count()).select_from(WorkItem).where(*_ready_now(item_types, by_actor)))
    candidates = _candidates(item_types, by_actor)
    blocked = _open_blocked().subquery("blocked")
    open_count = select(func.count()).select_from(WorkItem).where(*candidates).scalar_subquery()
    blocked_count = (
        select(func.count())
        .select_from(blocked)
        .join(WorkItem, WorkItem.id == blocked.c.id)
        .where(*candidates)
        .scalar_subquery()
    )
    return hot(select((open_count - blocked_count).label("ready_total")))


TOTAL = "ready_total"


@functools.cache
def _counted_page_statement(item_types: tuple[str, ...], by_actor: bool, resuming: bool) -> Any:
    """The page's rows, each with the count (`TOTAL`); with an empty page, one row of the count
    alone (its other columns NULL).

    The count and the page share the blocked items, found once (a CTE)."""
    ready_now = _ready_now(item_types, by_actor, _open_blocked(probe=True).cte("blocked"))
    total = select(func.count().label(TOTAL)).select_from(WorkItem).where(*ready_now).subquery("total")
    rows = _page(ready_now, resuming, _OPAQUE_LIMIT).subquery("page")
    return hot(
        select(total.c[TOTAL], *rows.c)
        .select_from(total.outerjoin(rows, true()))
        .order_by(*(rows.c[column.key] for column, _ in READY_ORDER))
    )


def _params(moment: datetime, actor: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"moment": moment}
    if actor is not None:
        params["actor"] = actor
    return params


async def count(
    reader: Reader, item_types: Sequence[str], moment: datetime, actor: str | None, *, subtract: bool
) -> int:
    """How many items are ready at `moment` for `actor` (None: every live lease hides its item).

    `subtract`: count as open items minus the blocked ones among them (SQLite, see above).
    """
    statement = count_statement(tuple(item_types), by_actor=actor is not None, subtract=subtract)
    row = await reader.first(statement, _params(moment, actor))
    return int(row[0] or 0) if row is not None else 0


def _page_params(
    moment: datetime, actor: str | None, limit: int, resume: Sequence[Any] | None
) -> dict[str, Any]:
    params = _params(moment, actor) | {"limit": limit}
    if resume is not None:
        params |= {"after_priority": resume[0], "after_created_at": resume[1], "after_id": resume[2]}
    return params


async def page_and_count(
    reader: Reader,
    item_types: Sequence[str],
    moment: datetime,
    actor: str | None,
    limit: int,
    resume: Sequence[Any] | None,
    *,
    separately: bool,
) -> tuple[Sequence[Row[Any]], int]:
    """Up to `limit` ready rows (`READY_COLUMNS`), highest priority first, then oldest, after
    `resume` (the (priority, created_at, id) of the last row of the previous page) when given;
    and how many there are (`count`). `separately` (SQLite): as two statements, the count by
    subtraction; else (PostgreSQL) as one."""
    shape = (tuple(item_types), actor is not None, resume is not None)
    params = _page_params(moment, actor, limit, resume)
    if separately:
        total = await count(reader, item_types, moment, actor, subtract=True)
        return await reader.rows(_page_statement(*shape), params), total
    found = await reader.rows(_counted_page_statement(*shape), params)
    total = int(found[0][0]) if found else 0
    return [row for row in found if row.id is not None], total
