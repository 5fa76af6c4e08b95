"""Work item queries: hierarchy by materialized path (ancestors) and recursive CTE (descendants)."""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    String,
    Text,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from project_status.domain.enums import MAX_DEPTH, DependencyType, ItemType, WorkItemStatus
from project_status.store.column_types import UTCDateTime, id_key, utc_second_text
from project_status.store.id_lookup import read_row
from project_status.store.paging import after
from project_status.store.readers import AnyRow, Reader, hot, row_columns
from project_status.store.tables import WorkItem, WorkItemDependency
from project_status.store.text_search import mentions


@dataclass(frozen=True)
class ListFilter:
    item_type: str | None = None
    status: str | None = None
    parent_id: uuid.UUID | None = None
    text: str | None = None
    include_deleted: bool = False


LIST_ORDER = ((WorkItem.created_at, False), (WorkItem.id, False))
READY_ORDER = ((WorkItem.priority, False), (WorkItem.created_at, False), (WorkItem.id, False))


def path_ids(path: str) -> list[uuid.UUID]:
    return [uuid.UUID(part) for part in path.strip("/").split("/") if part]


ITEM_COLUMNS = row_columns(WorkItem)
BRIEF_COLUMNS = tuple(
    column.label(column.key)
    for column in (
        WorkItem.id,
        WorkItem.item_type,
        WorkItem.title,
        WorkItem.status,
        WorkItem.priority,
        WorkItem.depth,
    )
)
READ_BY_ID = hot(select(*ITEM_COLUMNS).where(WorkItem.id == bindparam("id", type_=Uuid())))
_READ_BY_RANGE = hot(
    select(*ITEM_COLUMNS)
    .where(WorkItem.id.between(bindparam("low", type_=Uuid()), bindparam("high", type_=Uuid())))
    .order_by(WorkItem.id)
    .limit(6)
)


async def read_item(reader: Reader, value: str, field: str = "id") -> Row[Any]:
    """The item row (`ITEM_COLUMNS`) that a UUID or unique prefix names."""
    return await read_row(reader, READ_BY_ID, _READ_BY_RANGE, value, field=field, what="work item")


async def read_descendant_nodes(
    reader: Reader, root_id: uuid.UUID, *, max_levels: int = 5
) -> Sequence[Row[Any]]:
    """Live brief rows (`NODE_COLUMNS`) below `root_id`, parents first: the read side of a tree."""
    return await reader.rows(_descendants_statement(max_levels, False, NODE_COLUMNS), {ROOT_ID: root_id})


ROOT_ID = "root_id"
"""Bind parameter of the cached descendant statements."""

TREE_COLUMNS = (
    WorkItem.id,
    WorkItem.parent_id,
    WorkItem.item_type,
    WorkItem.title,
    WorkItem.status,
    WorkItem.priority,
    WorkItem.depth,
    WorkItem.path,
    WorkItem.deleted_at,
)
"""What a tree row carries: enough for brief nodes, cascades and moves, without ORM objects."""


@functools.cache
def _descendants_cte(max_levels: int, include_deleted: bool) -> Any:
    """Recursive CTE of (id, level) below the `root_id` parameter; level 0 is the direct children.

    Built once per shape: constructing the expression costs more than running it.
    """
    live_only = not include_deleted
    root = bindparam(ROOT_ID, type_=Uuid())
    anchor = select(WorkItem.id, literal(0).label("level")).where(WorkItem.parent_id == root)
    if live_only:
        anchor = anchor.where(WorkItem.deleted_at.is_(None))
    tree = anchor.cte("descendants", recursive=True)
    child = aliased(WorkItem)
    step = (
        select(child.id, (tree.c.level + 1).label("level"))
        .join(tree, child.parent_id == tree.c.id)
        .where(tree.c.level < max_levels - 1)
    )
    if live_only:
        step = step.where(child.deleted_at.is_(None))
    return tree.union_all(step)


NODE_COLUMNS = (
    type_coerce(WorkItem.id, String).label("id"),
    type_coerce(WorkItem.parent_id, String).label("parent_id"),
    WorkItem.item_type,
    WorkItem.title,
    WorkItem.status,
    WorkItem.priority,
    WorkItem.depth,
)
"""A brief node, ids as the driver gives them (no UUID objects made for hundreds of rows)."""


@functools.cache
def _descendants_statement(
    max_levels: int, include_deleted: bool, columns: tuple[Any, ...] = TREE_COLUMNS
) -> Any:
    tree = _descendants_cte(max_levels, include_deleted)
    return (
        select(*columns)
        .join(tree, WorkItem.id == tree.c.id)
        .order_by(WorkItem.depth, WorkItem.priority, WorkItem.created_at, WorkItem.id)
    )


ANCESTOR, DESCENDANT, DEPENDENCY = 0, 1, 2
"""The parts of `read_surroundings`' rows (its first column)."""
DESCENDANTS_LIMIT = "descendants_limit"
"""Bind parameter: how many descendant rows `read_surroundings` returns at most."""
NO_LIMIT = 2**31 - 1
"""A descendants limit that never cuts (a whole tree): one statement serves both."""


def _no_total() -> Any:
    return type_coerce(null(), Integer).label("total")


@functools.cache
def _descendant_part(max_levels: int) -> Any:
    """The live descendants down `max_levels` levels, parents first, at most `:descendants_limit`
    of them, each row carrying how many there are in all (the window count is taken before the
    limit): rows `(part, *NODE_COLUMNS, total)` and the sort keys after them."""
    tree = _descendants_cte(max_levels, False)
    return (
        select(
            literal(DESCENDANT).label("part"),
            *NODE_COLUMNS,
            func.count().over().label("total"),
            *_sort_keys(),
        )
        .join(tree, WorkItem.id == tree.c.id)
        .order_by(WorkItem.depth, WorkItem.priority, WorkItem.created_at, WorkItem.id)
        .limit(bindparam(DESCENDANTS_LIMIT, type_=Integer()))
    )


@functools.cache
def _subtree_rows_cte(max_levels: int) -> Any:
    """The live items below `root_id`, down `max_levels` levels, with their node columns: what
    `_descendant_part` reads, for the one-statement surroundings (PostgreSQL).

    Anchored on the root itself (level -1, by its primary key) rather than on its children (by
    `parent_id`): the estimate of a primary key lookup does not depend on the value, so
    PostgreSQL keeps one generic plan of the statement instead of planning it again at every
    call, which took it longer than running it. The columns ride along in the recursion, which
    reads each row anyway, so the rows need no second pass over `work_items`.
    """
    columns = ("id", "parent_id", "item_type", "title", "status", "priority", "depth", "created_at")
    anchor = select(*(getattr(WorkItem, name) for name in columns), literal(-1).label("level")).where(
        WorkItem.id == bindparam(ROOT_ID, type_=Uuid())
    )
    tree = anchor.cte("subtree", recursive=True)
    child = aliased(WorkItem)
    step = (
        select(*(getattr(child, name) for name in columns), (tree.c.level + 1).label("level"))
        .join(tree, child.parent_id == tree.c.id)
        .where(tree.c.level < max_levels - 1, child.deleted_at.is_(None))
    )
    return tree.union_all(step)


@functools.cache
def _subtree_part(max_levels: int) -> Any:
    """`_descendant_part`'s rows, read from `_subtree_rows_cte`."""
    tree = _subtree_rows_cte(max_levels)
    c = tree.c
    return (
        select(
            literal(DESCENDANT).label("part"),
            type_coerce(c.id, String).label("id"),
            type_coerce(c.parent_id, String).label("parent_id"),
            c.item_type.label("item_type"),
            c.title.label("title"),
            c.status.label("status"),
            c.priority.label("priority"),
            c.depth.label("depth"),
            func.count().over().label("total"),
            c.depth.label("d"),
            c.priority.label("p"),
            c.created_at.label("c"),
        )
        .where(c.level >= 0)
        .order_by(c.depth, c.priority, c.created_at, c.id)
        .limit(bindparam(DESCENDANTS_LIMIT, type_=Integer()))
    )


def _sort_keys() -> tuple[Any, ...]:
    return (WorkItem.depth.label("d"), WorkItem.priority.label("p"), WorkItem.created_at.label("c"))


@functools.cache
def _surroundings_parts(
    children: bool, dependencies: bool, max_levels: int, one_statement: bool = False
) -> tuple[Any, ...]:
    """The parts of `read_surroundings`, each a statement of rows `(part, *NODE_COLUMNS, total)`
    and the sort keys after them (hidden by `_surroundings_statement`). `one_statement`: the
    descendants as `_subtree_part` (the same rows), for `_surroundings_statement`."""
    parts = [
        select(literal(ANCESTOR).label("part"), *NODE_COLUMNS, _no_total(), *_sort_keys()).where(
            WorkItem.id.in_(bindparam("ancestor_ids", expanding=True, type_=Uuid()))
        )
    ]
    if children:
        parts.append(_subtree_part(max_levels) if one_statement else _descendant_part(max_levels))
    if dependencies:
        item = bindparam(ROOT_ID, type_=Uuid())
        no_values = (type_coerce(null(), column.type).label(column.key) for column in NODE_COLUMNS[3:])
        parts.append(
            select(
                literal(DEPENDENCY).label("part"),
                type_coerce(WorkItemDependency.source_id, String).label("id"),
                type_coerce(WorkItemDependency.target_id, String).label("parent_id"),
                WorkItemDependency.dependency_type.label("item_type"),
                *no_values,
                _no_total(),
                type_coerce(null(), Integer).label("d"),
                type_coerce(null(), Integer).label("p"),
                WorkItemDependency.created_at.label("c"),
            ).where(or_(WorkItemDependency.source_id == item, WorkItemDependency.target_id == item))
        )
    return tuple(parts)


_VISIBLE = 2 + len(NODE_COLUMNS)
"""part, the node columns, total."""


def _ordered(rows: Any) -> Any:
    """Rows of a part or of all parts, visible columns only, in `read_surroundings`' order."""
    c = rows.c
    return select(*list(c)[:_VISIBLE]).order_by(c.part, c.d, c.p, c.c, c.id)


@functools.cache
def _surroundings_statement(children: bool, dependencies: bool, max_levels: int) -> Any:
    """What surrounds an item in one statement: its ancestors (the ids on its materialized path,
    `:ancestor_ids`), its live descendants (the recursive CTE below `:root_id`, at most
    `:descendants_limit`) and its dependency edges, as rows of `(part, *NODE_COLUMNS, total)`.
    An edge row carries (source_id, target_id, dependency_type) in the id, parent_id and
    item_type columns; `total` is set on descendant rows only. Ordered by part, then ancestors
    root first, descendants parents first as `read_descendant_nodes`, edges oldest first.
    """
    parts = [
        part.subquery().select() if n == 1 and children else part  # a limited part: a subquery
        for n, part in enumerate(_surroundings_parts(children, dependencies, max_levels, True))
    ]
    return hot(_ordered(union_all(*parts).subquery("surroundings")))


@functools.cache
def _surroundings_statements(children: bool, dependencies: bool, max_levels: int) -> tuple[Any, ...]:
    """The same, a statement per part, each sorted on its own table's columns."""
    parts = _surroundings_parts(children, dependencies, max_levels)
    statements = []
    for n, part in enumerate(parts):
        visible = part.with_only_columns(*part.selected_columns[:_VISIBLE])
        if n == 1 and children:  # sorted (and limited) already
            statements.append(visible)
        elif n == len(parts) - 1 and dependencies:
            statements.append(visible.order_by(WorkItemDependency.created_at, WorkItemDependency.source_id))
        else:
            statements.append(
                visible.order_by(WorkItem.depth, WorkItem.priority, WorkItem.created_at, WorkItem.id)
            )
    return tuple(hot(statement) for statement in statements)


async def read_surroundings(
    reader: Reader,
    item_id: uuid.UUID,
    path: str,
    *,
    children: bool = True,
    dependencies: bool = True,
    separately: bool = False,
    max_levels: int = MAX_DEPTH,
    descendants_limit: int | None = None,
) -> Sequence[AnyRow]:
    """The rows of `_surroundings_statement` for the item `item_id` at `path`: descendants down
    `max_levels` levels, at most `descendants_limit` of them (None: all).

    In one statement, as a round trip costs (PostgreSQL); `separately`, a statement per part,
    the same rows, for SQLite: there a statement costs microseconds, and sorting the parts apart
    is cheaper than sorting their union.
    """
    params = {
        "ancestor_ids": path_ids(path)[:-1],
        ROOT_ID: item_id,
        DESCENDANTS_LIMIT: NO_LIMIT if descendants_limit is None else descendants_limit,
    }
    if not separately:
        return await reader.rows(_surroundings_statement(children, dependencies, max_levels), params)
    rows: list[AnyRow] = []
    for statement in _surroundings_statements(children, dependencies, max_levels):
        rows.extend(await reader.rows(statement, params))
    return rows


@functools.cache
def _height_statement() -> Any:
    tree = _descendants_cte(SUBTREE_SCAN_LEVELS, True)
    return select(func.max(tree.c.level))


SUBTREE_SCAN_LEVELS = 10
"""Deeper than any valid tree, so a subtree is always read whole."""


async def descendants(
    session: AsyncSession, root_id: uuid.UUID, *, max_levels: int = 5, include_deleted: bool = False
) -> Sequence[Row[Any]]:
    """Tree rows (`TREE_COLUMNS`) below `root_id`, at most `max_levels` down, parents first."""
    statement = _descendants_statement(max_levels, include_deleted)
    return (await session.execute(statement, {ROOT_ID: root_id})).all()


async def subtree_height(session: AsyncSession, root: WorkItem) -> int:
    """Levels below `root` (0 for a leaf), deleted items included: they move with the subtree."""
    deepest = (await session.execute(_height_statement(), {ROOT_ID: root.id})).scalar()
    return 0 if deepest is None else int(deepest) + 1


async def move_subtree(
    session: AsyncSession, root_id: uuid.UUID, old_path: str, new_path: str, depth_delta: int
) -> int:
    """Rewrite paths and depths below `root_id` after it moved; returns how many rows changed."""
    tree = _descendants_cte(SUBTREE_SCAN_LEVELS, True)
    statement = (
        update(WorkItem)
        .where(WorkItem.id.in_(select(tree.c.id).scalar_subquery()))
        .values(
            path=literal(new_path) + func.substr(WorkItem.path, len(old_path) + 1),
            depth=WorkItem.depth + depth_delta,
        )
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(statement, {ROOT_ID: root_id})
    return int(getattr(result, "rowcount", 0) or 0)


def _filters(spec: ListFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if not spec.include_deleted:
        where.append(WorkItem.deleted_at.is_(None))
    if spec.item_type:
        where.append(WorkItem.item_type == spec.item_type)
    if spec.status:
        where.append(WorkItem.status == spec.status)
    if spec.parent_id:
        where.append(WorkItem.parent_id == spec.parent_id)
    if spec.text:
        where.append(mentions(spec.text, WorkItem.title, WorkItem.description))
    return where


PAGE_COLUMNS = (*BRIEF_COLUMNS, WorkItem.created_at.label("created_at"))
"""A list row: the brief shape and the keys pages are ordered by."""


async def _count(reader: Reader, where: Sequence[ColumnElement[bool]]) -> int:
    row = await reader.first(select(func.count()).select_from(WorkItem).where(*where))
    return int(row[0]) if row is not None else 0


async def list_page(
    reader: Reader, spec: ListFilter, limit: int, resume: Sequence[Any] | None
) -> tuple[Sequence[Row[Any]], int]:
    """One page of rows (`PAGE_COLUMNS`) in creation order and the total that matches the filter."""
    where = _filters(spec)
    total = await _count(reader, where)
    query = select(*PAGE_COLUMNS).where(*where)
    if resume is not None:
        query = query.where(after(LIST_ORDER, resume))
    query = query.order_by(*(column for column, _ in LIST_ORDER)).limit(limit)
    return await reader.rows(query), total


@functools.cache
def blocked_by_open_item() -> ColumnElement[bool]:
    """An unfinished, live blocker exists (`X depends_on B` or `B blocks X`)."""
    dep = aliased(WorkItemDependency)
    blocker = aliased(WorkItem)
    open_blocker = and_(blocker.status != WorkItemStatus.COMPLETED.value, blocker.deleted_at.is_(None))
    via_depends_on = exists().where(
        dep.source_id == WorkItem.id,
        dep.dependency_type == DependencyType.DEPENDS_ON.value,
        blocker.id == dep.target_id,
        open_blocker,
    )
    dep2 = aliased(WorkItemDependency)
    blocker2 = aliased(WorkItem)
    via_blocks = exists().where(
        dep2.target_id == WorkItem.id,
        dep2.dependency_type == DependencyType.BLOCKS.value,
        blocker2.id == dep2.source_id,
        blocker2.status != WorkItemStatus.COMPLETED.value,
        blocker2.deleted_at.is_(None),
    )
    return or_(via_depends_on, via_blocks)


_REPORT_EXPRESSIONS: dict[str, Any] = {
    "id": id_key(WorkItem.id),  # ids as text: no UUID objects, ties broken by the text
    "parent_id": id_key(WorkItem.parent_id),
    # The report shows a few metadata keys: the database picks them out, so only the sessions'
    # documents (a few in a thousand rows) are decoded in Python, not every item's. As JSON text:
    # no result processing per row (the report decodes the sessions' own).
    "session_metadata": case(
        (WorkItem.item_type == ItemType.SESSION.value, cast(WorkItem.metadata_, Text)), else_=None
    ),
    "blocked_reason": WorkItem.metadata_["blocked_reason"].as_string(),
    # The second the report shows and orders by, and the last change, as the report shows it.
    "created": utc_second_text(WorkItem.created_at),
    "updated": utc_second_text(WorkItem.updated_at),
    "claim_expires": utc_second_text(WorkItem.claim_expires_at),
}
"""The report's fields that are not a work item column of their own name."""


def _report_column(name: str) -> Any:
    """What the store selects for a `ReportRow` field, labelled with its name: its expression,
    or the column of that name (a timestamp as text to the second: no datetime object per row)."""
    expression = _REPORT_EXPRESSIONS.get(name)
    if expression is None:
        column = WorkItem.__table__.c[name]
        expression = utc_second_text(column) if isinstance(column.type, UTCDateTime) else column
    return expression.label(name)


@functools.cache
def report_columns() -> tuple[Any, ...]:
    """A report row: a column per field of `ReportRow`, under its name.

    Built on the first report, not at import: a work-item command needs no report (issue 13)."""
    from project_status.domain.report import ReportRow

    return tuple(_report_column(item.name) for item in dataclasses.fields(ReportRow))


@functools.cache
def _live_rows() -> tuple[Any, Any]:
    """The live rows' query and the named tuple a row becomes."""
    columns = report_columns()
    query = hot(select(*columns).where(WorkItem.deleted_at.is_(None)))
    return query, namedtuple("LiveRow", [column.name for column in columns])


LiveRow: TypeAlias = Any
"""A live row: a plain named tuple with `ReportRow`'s fields (built from them, so typed as Any).
The report reads every field of a thousand rows several times, and a tuple's field is read
several times faster than a `Row`'s attribute (the report's render took twice as long)."""


async def live_rows(reader: Reader) -> list[LiveRow]:
    """Every live item (`LiveRow`: the fields of `ReportRow`), in no particular order: the report
    orders its tree itself (by the second it shows, then title), so the database is spared a sort."""
    query, row = _live_rows()
    rows = await reader.rows(query)
    if rows and isinstance(rows[0], tuple) and rows[0]._fields == row._fields:
        return list(rows)  # a hot plan's rows (`compiled_plans.row_maker`): named tuples already
    return list(map(row._make, rows))
