"""ORM rows, or Core rows labelled like them (`store.readers.row_columns`), to the read shapes."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Row

from project_status.domain.enums import (
    ContextType,
    DependencyType,
    EnhancementStatus,
    ItemType,
    VendorStatus,
    WorkItemStatus,
)
from project_status.domain.events import EventRead
from project_status.domain.ids import canonical_text
from project_status.domain.work_items import (
    DependencyRead,
    NoteRead,
    ReadyItem,
    WorkItemBrief,
    WorkItemDetail,
    WorkItemNode,
    WorkItemRead,
)
from project_status.store.notes import NoteRow
from project_status.store.tables import (
    ArchivedWorkItem,
    Enhancement,
    Event,
    ProjectConfiguration,
    SyncConflict,
    Vendor,
    WorkItem,
    WorkItemNote,
)

if TYPE_CHECKING:  # imported where they are made: a work-item command needs none of them (issue 13)
    from project_status.domain.archive import ArchivedWorkItemBrief, ArchivedWorkItemRead
    from project_status.domain.configuration import ConfigurationRead
    from project_status.domain.enhancements import EnhancementBrief, EnhancementRead
    from project_status.domain.sync import SyncConflictRead
    from project_status.domain.vendors import VendorRead

M = TypeVar("M", bound=BaseModel)
_ITEM_TYPES: dict[str, ItemType] = {member.value: member for member in ItemType}
_STATUSES: dict[str, WorkItemStatus] = {member.value: member for member in WorkItemStatus}


@cache
def _same_named(model: type[BaseModel], converted: frozenset[str]) -> tuple[str, ...]:
    return tuple(name for name in model.model_fields if name not in converted)


def from_row(model: type[M], row: Any, **converted: Any) -> M:
    """`model` from a row whose columns carry its field names: each field taken as stored, except
    the `converted` ones (ids as text, enums, JSON copies, values from elsewhere). A new column
    with a read field of its name needs nothing here."""
    names = _same_named(model, frozenset(converted))
    return model(**{name: getattr(row, name) for name in names}, **converted)


def work_item(row: WorkItem | ArchivedWorkItem | Row[Any]) -> WorkItemRead:
    return WorkItemRead(**_work_item_fields(row))


_CONVERTED = frozenset({"id", "item_type", "status", "parent_id", "metadata"})
_COPIED = _same_named(WorkItemRead, _CONVERTED)
"""The read model's fields that are columns of the same name, taken as stored: a new column
with a read field of its name needs nothing here."""


def _item_type(value: str) -> ItemType:
    """The member for a stored value: a dict lookup, where `ItemType(value)` costs four calls."""
    return _ITEM_TYPES.get(value) or ItemType(value)


def _status(value: str) -> WorkItemStatus:
    return _STATUSES.get(value) or WorkItemStatus(value)


def _work_item_fields(row: WorkItem | ArchivedWorkItem | Row[Any]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _COPIED} | dict(
        id=str(row.id),
        item_type=_item_type(row.item_type),
        status=_status(row.status),
        parent_id=str(row.parent_id) if row.parent_id else None,
        metadata=dict(row.metadata_ or {}),
    )


def work_item_detail(
    row: WorkItem | Row[Any],
    *,
    ancestors: list[WorkItemBrief],
    children: list[WorkItemNode],
    descendants_total: int = 0,
    truncated: bool = False,
    dependencies: list[DependencyRead],
    notes: list[NoteRead] | None = None,
    notes_total: int = 0,
) -> WorkItemDetail:
    """`work_item` with its hierarchy, dependencies and newest notes, built in one go."""
    return WorkItemDetail(
        **_work_item_fields(row),
        ancestors=ancestors,
        children=children,
        descendants_total=descendants_total,
        truncated=truncated,
        dependencies=dependencies,
        notes=notes or [],
        notes_total=notes_total,
    )


def _brief_fields(row: WorkItem | ArchivedWorkItem | Row[Any]) -> dict[str, Any]:
    return {
        "id": str(row.id),
        # Inline dict lookups: this runs once per row of every list and ready page.
        "item_type": _ITEM_TYPES[kind] if (kind := row.item_type) in _ITEM_TYPES else ItemType(kind),
        "title": row.title,
        "status": _STATUSES[state] if (state := row.status) in _STATUSES else WorkItemStatus(state),
        "priority": row.priority,
        "depth": row.depth,
    }


def work_item_brief(row: WorkItem | ArchivedWorkItem | Row[Any]) -> WorkItemBrief:
    return WorkItemBrief(**_brief_fields(row))


def ready_item(row: Row[Any]) -> ReadyItem:
    return ReadyItem(
        **_brief_fields(row),
        version=row.version,
        claimed_by=row.claimed_by,
        claim_expires_at=row.claim_expires_at,
    )


def vendor(row: Vendor | Row[Any]) -> VendorRead:
    from project_status.domain.vendors import VendorRead

    return from_row(
        VendorRead, row, id=str(row.id), status=VendorStatus(row.status), metadata=dict(row.metadata_ or {})
    )


def enhancement(row: Enhancement, depends_on: list[str]) -> EnhancementRead:
    from project_status.domain.enhancements import EnhancementRead

    return from_row(
        EnhancementRead,
        row,
        id=str(row.id),
        status=EnhancementStatus(row.status),
        requires_constitutional_principles=list(row.requires_constitutional_principles or []),
        depends_on=sorted(depends_on),
    )


def enhancement_brief(row: Enhancement) -> EnhancementBrief:
    from project_status.domain.enhancements import EnhancementBrief

    return from_row(EnhancementBrief, row, id=str(row.id), status=EnhancementStatus(row.status))


def event(row: Event) -> EventRead:
    return from_row(EventRead, row, changes=dict(row.changes or {}))


def configuration(row: ProjectConfiguration) -> ConfigurationRead:
    from project_status.domain.configuration import ConfigurationRead

    return from_row(
        ConfigurationRead,
        row,
        active_context_type=ContextType(row.active_context_type) if row.active_context_type else None,
        current_session_id=str(row.current_session_id) if row.current_session_id else None,
    )


def archived_work_item_brief(row: ArchivedWorkItem) -> ArchivedWorkItemBrief:
    from project_status.domain.archive import ArchivedWorkItemBrief

    return ArchivedWorkItemBrief(**work_item_brief(row).model_dump(), archived_at=row.archived_at)


def note(row: WorkItemNote | NoteRow | Row[Any]) -> NoteRead:
    return from_row(NoteRead, row, id=str(row.id), work_item_id=str(row.work_item_id))


def sync_conflict(row: SyncConflict) -> SyncConflictRead:
    from project_status.domain.sync import SyncConflictRead

    return SyncConflictRead.model_validate(
        {**{c.key: getattr(row, c.key) for c in SyncConflict.__table__.columns}, "id": str(row.id)}
    )


_NODE_FIELDS = frozenset(WorkItemNode.model_fields)


_new_node = WorkItemNode.__new__
_set = object.__setattr__


def _node(values: dict[str, Any]) -> WorkItemNode:
    """A node from trusted column values, without validation: what `model_construct` does,
    minus its per-field default handling, which dominates a tree of hundreds of nodes."""
    node = _new_node(WorkItemNode)
    _set(node, "__dict__", values)
    _set(node, "__pydantic_fields_set__", set(_NODE_FIELDS))
    _set(node, "__pydantic_extra__", None)
    _set(node, "__pydantic_private__", None)
    return node


def nested_children(rows: Sequence[Sequence[Any]]) -> list[WorkItemNode]:
    """Nested children from parents-first tree rows (`read_surroundings`' descendant rows: the
    part, `NODE_COLUMNS`, the total; the hot path of `query_work_item`).

    The rows come from the descendants CTE ordered by depth, so a parent always comes before its
    children, and only the direct children of the root have a parent that is not among them.
    Nodes are keyed by the id as the driver gives it: only their own id is formatted.
    """
    children_of: dict[Any, list[WorkItemNode]] = {}
    top: list[WorkItemNode] = []
    for _part, item_id, parent_id, item_type, title, status, priority, depth, _total in rows:
        children: list[WorkItemNode] = []
        node = _node(
            {
                "id": canonical_text(item_id),
                "item_type": _ITEM_TYPES[item_type],
                "title": title,
                "status": _STATUSES[status],
                "priority": priority,
                "depth": depth,
                "children": children,
            }
        )
        children_of[item_id] = children
        siblings = children_of.get(parent_id)
        (top if siblings is None else siblings).append(node)
    return top


def ancestor(
    item_id: Any, item_type: str, title: str, status: str, priority: int, depth: int
) -> WorkItemBrief:
    """An ancestor row of `read_surroundings` (`NODE_COLUMNS`) as a brief."""
    return WorkItemBrief(
        id=canonical_text(item_id),
        item_type=_ITEM_TYPES[item_type],
        title=title,
        status=_STATUSES[status],
        priority=priority,
        depth=depth,
    )


def edge(source: Any, target: Any, dependency_type: str) -> DependencyRead:
    """A dependency row of `read_surroundings` (source, target, type)."""
    return DependencyRead(
        source_id=canonical_text(source),
        target_id=canonical_text(target),
        dependency_type=DependencyType(dependency_type),
    )


def archived_work_item(row: ArchivedWorkItem) -> ArchivedWorkItemRead:
    from project_status.domain.archive import ArchivedWorkItemRead

    return ArchivedWorkItemRead(**work_item(row).model_dump(), archived_at=row.archived_at)
