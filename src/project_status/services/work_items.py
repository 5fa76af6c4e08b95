"""Work item use cases: create, update (also move, delete, restore), show, list, ready work, history."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from project_status.domain.enums import (
    ACTIONABLE_TYPES,
    MAX_DEPTH,
    EntityKind,
    ItemType,
    WorkItemStatus,
)
from project_status.domain.errors import NextStep, NotFoundError, ValidationError
from project_status.domain.events import EventRead
from project_status.domain.ids import new_id, parse_id
from project_status.domain.pages import Page
from project_status.domain.types import ItemRef
from project_status.domain.work_items import (
    DESCENDANTS_LIMIT,
    LATEST_NOTES,
    DependencyRead,
    ReadyItem,
    WorkItemBrief,
    WorkItemCreate,
    WorkItemDetail,
    WorkItemRead,
    WorkItemUpdate,
    merge_metadata,
    validate_work_item_metadata,
)
from project_status.services import command_forms, leases, locking, read_models
from project_status.services.change_sets import created, diff, json_value
from project_status.services.checks import check_actor, check_filters, check_limit, checked
from project_status.services.clock import now
from project_status.services.cursors import Listing, parse_datetime, parse_uuid
from project_status.services.routing import Routed, reads, writes
from project_status.store import events, one_statement
from project_status.store import notes as notes_store
from project_status.store import ready as ready_store
from project_status.store import work_items as store
from project_status.store.id_lookup import resolve_row
from project_status.store.notes import NoteRow
from project_status.store.readers import Reader
from project_status.store.tables import ArchivedWorkItem, Event, WorkItem

_WORK_ITEMS = Listing(
    "work_items", (("created_at", parse_datetime), ("id", parse_uuid)), read_models.work_item_brief
)

_READY = Listing(
    "ready", (("priority", int), ("created_at", parse_datetime), ("id", parse_uuid)), read_models.ready_item
)

ENTITY = EntityKind.WORK_ITEM.value
_NOT_TRACKED = frozenset(
    {"id", "version", "item_type", "created_at", "created_by", "updated_at", "updated_by"}
)
_TRACKED = tuple(name for name in WorkItemRead.model_fields if name not in _NOT_TRACKED)
"""What an item's audit events record: its fields but identity and the audit columns."""
_CREATE_COPIED = tuple(
    name
    for name in WorkItemCreate.model_fields
    if name not in ("item_type", "status", "parent_id", "metadata")
)
_UPDATE_COPIED = tuple(
    name for name in WorkItemUpdate.model_fields if name not in ("status", "metadata", "parent_id", "deleted")
)
"""The fields a create or an update stores as given, in the column of their name: a new one needs
nothing here (status, parent and metadata are checked and converted; deleted is a state)."""
_NOT_NULL = ("title", "status", "priority")


def _snapshot(row: WorkItem) -> dict[str, Any]:
    values = {field: getattr(row, field) for field in _TRACKED if field != "metadata"}
    values["metadata"] = dict(row.metadata_ or {})
    return values


def _check_depth(depth: int, parent_ref: str | None) -> None:
    if depth > MAX_DEPTH:
        raise ValidationError.for_field(
            "parent_id",
            f"the item would sit at depth {depth}; the deepest allowed is {MAX_DEPTH}",
            parent_ref,
        )


def _new_row(
    data: WorkItemCreate, parent: WorkItem | None, metadata: dict[str, Any], item_id: uuid.UUID, actor: str
) -> WorkItem:
    return WorkItem(**_new_values(data, parent, metadata, item_id, actor))


def _new_values(
    data: WorkItemCreate, parent: WorkItem | None, metadata: dict[str, Any], item_id: uuid.UUID, actor: str
) -> dict[str, Any]:
    """The columns of a new item (by attribute name), for either path of a create."""
    stamp = now()
    return dict(
        id=item_id,
        item_type=data.item_type.value,
        status=data.status.value,
        parent_id=parent.id if parent else None,
        path=f"{parent.path if parent else ''}/{item_id}",
        depth=parent.depth + 1 if parent else 0,
        metadata_=metadata,
        created_at=stamp,
        created_by=actor,
        updated_at=stamp,
        updated_by=actor,
        **{name: getattr(data, name) for name in _CREATE_COPIED},
    )


def _set_fields(row: WorkItem, changes: WorkItemUpdate, fields: set[str]) -> None:
    """Apply the plain fields of an update to `row` (a move and a delete are written apart)."""
    for field in _UPDATE_COPIED:
        if field in fields:
            setattr(row, field, getattr(changes, field))
    if "status" in fields and changes.status is not None:
        row.status = changes.status.value
        if row.status != WorkItemStatus.IN_PROGRESS.value:
            # Leaving in progress by hand ends the claim with it (release and complete do so too).
            row.claimed_by = None
            row.claim_expires_at = None
    if "metadata" in fields:
        merged = merge_metadata(row.metadata_ or {}, changes.metadata)
        row.metadata_ = validate_work_item_metadata(ItemType(row.item_type), merged)


def _end_claim(row: WorkItem, changed: dict[str, Any]) -> None:
    """A claim whose lease ran out before this write ends with it, as its own event (written
    by the caller), not as a change the writer made."""
    row.claimed_by = None
    row.claim_expires_at = None
    for field in ("claimed_by", "claim_expires_at"):
        changed.pop(field, None)


async def resolve_item(session: AsyncSession, value: str, field: str = "id") -> WorkItem:
    try:
        return await resolve_row(session, WorkItem, value, field=field, what="work item")
    except NotFoundError as missing:
        archived = await _archived(session, value, field)
        if archived is None:
            raise
        raise NotFoundError(
            f"Work item {archived.id} is archived (since {archived.archived_at.isoformat()}); "
            "{next_step} brings it back.",
            {**missing.details, "archived": True, "id": str(archived.id)},
            next_step=NextStep("restore_archived_work_item", {"id": str(archived.id)}),
        ) from None


async def _archived(session: AsyncSession, value: str, field: str) -> ArchivedWorkItem | None:
    """The archived item `value` names, if any (only asked once the live table has none)."""
    try:
        return await resolve_row(session, ArchivedWorkItem, value, field=field, what="archived work item")
    except (NotFoundError, ValidationError):
        return None


async def item_id_even_archived(session: AsyncSession, value: str) -> uuid.UUID:
    """The id of the item `value` names, live or archived (what it left behind stays readable)."""
    try:
        return (await resolve_item(session, value)).id
    except NotFoundError as missing:
        if not missing.details.get("archived"):
            raise
        return uuid.UUID(missing.details["id"])


async def _live_parent(session: AsyncSession, value: str) -> WorkItem:
    parent = await resolve_item(session, value, "parent_id")
    if parent.deleted_at is not None:
        raise ValidationError.for_field(
            "parent_id", "the parent work item is deleted; restore it first or choose another parent", value
        )
    return parent


class WorkItemService(Routed):
    @writes(command_forms.created("create_work_item"))
    async def create(self, data: WorkItemCreate, actor: str) -> WorkItemRead:
        actor = check_actor(actor)
        metadata = validate_work_item_metadata(data.item_type, data.metadata)
        item_id = new_id()  # once: the path a create takes does not change the id it mints
        parent_id = parse_id(data.parent_id, "parent_id").exact if data.parent_id else None
        if parent_id is not None or not data.parent_id:
            async with one_statement.writer(self.db) as writer:
                if writer is None:
                    done = None
                elif parent_id is None:
                    done = await self._create_at_once(writer, data, None, metadata, item_id, actor)
                else:
                    done = await writer.attempt(
                        store.READ_BY_ID,
                        {"id": parent_id},
                        lambda found: self._create_at_once(writer, data, found, metadata, item_id, actor),
                    )
            if done is not None:
                return done
        async with self.db.unit_of_work(write=True) as session:
            if data.parent_id:
                await self.db.lock_structure(session)
            parent = await _live_parent(session, data.parent_id) if data.parent_id else None
            _check_depth(parent.depth + 1 if parent else 0, data.parent_id)
            row = _new_row(data, parent, metadata, item_id, actor)
            values = {"item_type": row.item_type, **_snapshot(row)}
            await locking.record_created(session, row, values, kind=ENTITY, actor=actor)
            return read_models.work_item(row)

    async def _create_at_once(
        self,
        writer: one_statement.Writer,
        data: WorkItemCreate,
        found: Row[Any] | None,
        metadata: dict[str, Any],
        item_id: uuid.UUID,
        actor: str,
    ) -> WorkItemRead | None:
        """A create as one statement (`store.one_statement`), under the parent row `found`
        (`READ_BY_ID`) when it names one: the same row and event as the transactional create.
        None: that path answers (no live parent by that id, or it moved or went between the
        read and the write)."""
        parent = None
        if data.parent_id:
            if found is None or found.deleted_at is not None:
                return None
            parent = one_statement.draft(found)
            _check_depth(parent.depth + 1, data.parent_id)
        row = one_statement.draft(_new_values(data, parent, metadata, item_id, actor))
        values = {"item_type": row.item_type, **_snapshot(row)}
        event = one_statement.Event("created", actor, row.updated_at, created(values))
        columns = {key: getattr(row, key) for key in one_statement.ATTRIBUTES} | {"version": 1}
        new = await writer.insert_item(columns, [event], parent)
        return None if new is None else read_models.work_item(new)

    @writes(command_forms.updated("update_work_item", "item"))
    async def update(self, item: str, version: int, changes: WorkItemUpdate, actor: str) -> WorkItemRead:
        """Apply the fields set in `changes`; `parent_id` moves the subtree, `deleted` deletes/restores."""
        actor = check_actor(actor)
        locking.check_version_argument(version)
        fields = set(changes.model_fields_set)
        if not fields:
            raise ValidationError.for_field("changes", "give at least one field to change", None)
        for field in _NOT_NULL:
            if field in fields and getattr(changes, field) is None:
                raise ValidationError.for_field(field, "cannot be null", None)
        if "deleted" in fields and changes.deleted is None:
            raise ValidationError.for_field("deleted", "must be true (delete) or false (restore)", None)
        exact = parse_id(item).exact
        if exact is not None and not fields & {"parent_id", "deleted"}:
            done = await one_statement.attempt(
                self.db,
                store.READ_BY_ID,
                {"id": exact},
                lambda writer, found: self._update_at_once(writer, found, version, changes, fields, actor),
            )
            if done is not None:
                return done
        return await locking.versioned_update(
            self.db,
            entity="work item",
            version=version,
            load=lambda session: resolve_item(session, item),
            ident=lambda row: str(row.id),
            change=lambda session, row: self._apply(session, row, changes, fields, actor),
            missing=lambda: NotFoundError(f"No work item with id {item!r}.", {"field": "id", "value": item}),
            lock_structure=bool(fields & {"parent_id", "deleted"}),
        )

    async def _update_at_once(
        self,
        writer: one_statement.Writer,
        found: Row[Any] | None,
        version: int,
        changes: WorkItemUpdate,
        fields: set[str],
        actor: str,
    ) -> WorkItemRead | None:
        """An update that moves and deletes nothing, as one statement (`store.one_statement`)
        on the row `found` (`READ_BY_ID`): the same checks, row and events as `_apply`. None:
        the transactional path answers (no live row by that id, or it moved on between the
        read and the write)."""
        if found is None:
            return None
        read = found._asdict()
        row = one_statement.draft(read)  # a place to apply the changes
        locking.check("work item", str(row.id), version, row)
        before = _snapshot(row)
        stamp = now()
        lease_ran_out = leases.ran_out(row, stamp)
        _set_fields(row, changes, fields)
        changed = diff(before, _snapshot(row))
        if not changed:  # nothing to write: the answer is the row, if it is PostgreSQL's
            return None if writer.guessing else read_models.work_item(row)
        written = []
        if lease_ran_out:
            written.append(
                one_statement.Event(
                    "claim_expired",
                    actor,
                    stamp,
                    leases.expiry(before["claimed_by"], before["claim_expires_at"]),
                )
            )
            _end_claim(row, changed)
        row.updated_at = stamp
        row.updated_by = actor
        written.append(one_statement.Event("updated", actor, stamp, changed))
        values = {key: getattr(row, key) for key, old in read.items() if getattr(row, key) != old}
        new = await writer.update_item(row.id, version, values, written)
        return None if new is None else read_models.work_item(new)

    async def _apply(
        self, session: AsyncSession, row: WorkItem, changes: WorkItemUpdate, fields: set[str], actor: str
    ) -> WorkItemRead:
        before = _snapshot(row)
        stamp = now()
        lease_ran_out = leases.ran_out(row, stamp)
        _set_fields(row, changes, fields)
        old_path, old_depth = row.path, row.depth
        moved = "parent_id" in fields and await self._move(session, row, changes.parent_id)
        cascade: list[uuid.UUID] = []
        if "deleted" in fields:
            cascade = await self._set_deleted(session, row, bool(changes.deleted), stamp)
        changed = diff(before, _snapshot(row))
        if not changed:
            return read_models.work_item(row)
        if lease_ran_out:
            # The claim ended before this write: its own event, not a change the writer made.
            holder, ended = before["claimed_by"], before["claim_expires_at"]
            leases.record_expiry(session, row.id, holder, ended, actor, stamp)
            _end_claim(row, changed)
        row.updated_at = stamp
        row.updated_by = actor
        await locking.flush(session)
        if moved:
            await self._move_descendants(session, row, old_path, old_depth, stamp, actor)
        action = "updated"
        if "deleted_at" in changed:
            action = "deleted" if row.deleted_at else "restored"
        elif moved:
            action = "moved"
        if cascade:
            changed["descendants"] = {"old": None, "new": len(cascade)}
        events.record_work_item(session, row.id, action, actor, stamp, changed)
        if cascade:
            await self._cascade(session, cascade, before["deleted_at"], row.deleted_at, stamp, actor, action)
        return read_models.work_item(row)

    async def _move(self, session: AsyncSession, row: WorkItem, parent_ref: str | None) -> bool:
        """Point `row` at its new parent (None: top level) after checking depth and cycles."""
        parent = await _live_parent(session, parent_ref) if parent_ref else None
        if (parent.id if parent else None) == row.parent_id:
            return False
        if parent is not None and (parent.id == row.id or f"/{row.id}/" in f"{parent.path}/"):
            raise ValidationError.for_field(
                "parent_id",
                f"work item {row.id} cannot move under {parent.id}: an item cannot become its own ancestor",
                parent_ref,
            )
        new_depth = parent.depth + 1 if parent else 0
        height = await store.subtree_height(session, row)
        if new_depth + height > MAX_DEPTH:
            raise ValidationError.for_field(
                "parent_id",
                f"moving here puts its subtree {height} level(s) below depth {new_depth}, "
                f"past the deepest allowed depth {MAX_DEPTH}",
                parent_ref,
            )
        row.parent_id = parent.id if parent else None
        row.path = f"{parent.path if parent else ''}/{row.id}"
        row.depth = new_depth
        return True

    async def _set_deleted(
        self, session: AsyncSession, row: WorkItem, deleted: bool, stamp: datetime
    ) -> list[uuid.UUID]:
        """Soft delete (with the live subtree) or restore (with what was deleted alongside)."""
        if deleted == (row.deleted_at is not None):
            return []
        if deleted:
            below = await store.descendants(session, row.id, max_levels=MAX_DEPTH)
            row.deleted_at = stamp
            return [child.id for child in below]
        if row.parent_id is not None:
            parent = await session.get(WorkItem, row.parent_id)
            if parent is None or parent.deleted_at is not None:
                raise ValidationError.for_field(
                    "deleted", "the parent work item is deleted; restore the parent first", False
                )
        deleted_at = row.deleted_at
        below = await store.descendants(session, row.id, max_levels=MAX_DEPTH, include_deleted=True)
        row.deleted_at = None
        return [child.id for child in below if child.deleted_at == deleted_at]

    async def _cascade(
        self,
        session: AsyncSession,
        ids: list[uuid.UUID],
        previous: datetime | None,
        deleted_at: datetime | None,
        stamp: datetime,
        actor: str,
        action: str,
    ) -> None:
        """Delete or restore descendants together with their ancestor, each with its own event.

        Cascaded descendants had the ancestor's `previous` deleted_at (live, or deleted with it).
        """
        await session.execute(
            update(WorkItem)
            .where(WorkItem.id.in_(ids))
            .values(deleted_at=deleted_at, version=WorkItem.version + 1, updated_at=stamp, updated_by=actor)
            .execution_options(synchronize_session=False)
        )
        change = {"deleted_at": {"old": json_value(previous), "new": json_value(deleted_at)}}
        await _record_many(session, {item_id: change for item_id in ids}, action, actor, stamp)

    async def _move_descendants(
        self, session: AsyncSession, row: WorkItem, old_path: str, old_depth: int, stamp: datetime, actor: str
    ) -> None:
        """Rewrite the subtree's paths and depths, with an event on each descendant.

        Paths and depths are derived from the parent, so descendants keep their version: a
        client holding one is not made to re-read an item whose own fields did not change.
        """
        below = await store.descendants(session, row.id, max_levels=MAX_DEPTH, include_deleted=True)
        before = {child.id: (child.path, child.depth) for child in below}
        delta = row.depth - old_depth
        await store.move_subtree(session, row.id, old_path, row.path, delta)
        changes = {
            child_id: {
                "path": {"old": path, "new": row.path + path[len(old_path) :]},
                "depth": {"old": depth, "new": depth + delta},
            }
            for child_id, (path, depth) in before.items()
        }
        await _record_many(session, changes, "moved_with_ancestor", actor, stamp)

    @reads
    async def get(
        self,
        item: str,
        *,
        include_children: bool = True,
        include_dependencies: bool = True,
        descendants_limit: int | None = DESCENDANTS_LIMIT,
        max_depth: int = MAX_DEPTH,
    ) -> WorkItemDetail:
        """One item with its ancestors, dependencies, newest notes and the live items below it.

        The items below come as a nested tree of brief nodes down `max_depth` levels, parents
        first and at most `descendants_limit` of them (None: all, for a person's tree view), so
        the answer does not grow with the subtree; `descendants_total` and `truncated` say what
        was left out.
        """
        if descendants_limit is not None:
            check_limit(descendants_limit, "descendants_limit")
        if not 1 <= max_depth <= MAX_DEPTH:
            raise ValidationError.for_field(
                "max_depth", f"must be between 1 (children only) and {MAX_DEPTH}", max_depth
            )
        exact = parse_id(item).exact
        async with self.db.reader() as reader:
            found = await notes_store.item_with_latest(reader, exact, LATEST_NOTES) if exact else None
            if found is None:  # a prefix, or no live item: the answer names what there is
                row = await self._read_item(reader, item)
                latest, notes_total = await notes_store.latest(reader, row.id, LATEST_NOTES)
                note_rows: Sequence[NoteRow | Row[Any]] = latest
            else:
                row, note_rows, notes_total = found
            rows = await store.read_surroundings(
                reader,
                row.id,
                row.path,
                children=include_children,
                dependencies=include_dependencies,
                separately=self.db.is_sqlite,
                max_levels=max_depth,
                descendants_limit=descendants_limit,
            )
        ancestors: list[WorkItemBrief] = []
        dependencies: list[DependencyRead] = []
        first_node = last_node = descendants_total = 0
        for index, (part, item_id, parent_id, item_type, title, status, priority, depth, total) in enumerate(
            rows
        ):
            if part == store.DESCENDANT:
                if not last_node:
                    first_node = index
                    descendants_total = int(total)
                last_node = index + 1
            elif part == store.ANCESTOR:
                ancestors.append(read_models.ancestor(item_id, item_type, title, status, priority, depth))
            else:  # an edge: source, target, type
                dependencies.append(read_models.edge(item_id, parent_id, item_type))
        return read_models.work_item_detail(
            row,
            ancestors=ancestors,
            children=read_models.nested_children(rows[first_node:last_node]),
            descendants_total=descendants_total,
            truncated=descendants_total > last_node - first_node,
            dependencies=dependencies,
            notes=[read_models.note(note) for note in note_rows],
            notes_total=notes_total,
        )

    async def _read_item(self, reader: Reader, value: str, field: str = "id") -> Row[Any]:
        """The row `value` names; when there is none, `resolve_item` gives the answer (and the
        message) a write would, from a unit of work of its own."""
        try:
            return await store.read_item(reader, value, field)
        except NotFoundError:
            async with self.db.unit_of_work() as session:
                await resolve_item(session, value, field)
            raise

    @reads
    async def list(
        self,
        *,
        item_type: ItemType | None = None,
        status: WorkItemStatus | None = None,
        parent_id: str | None = None,
        text: str | None = None,
        include_deleted: bool = False,
        limit: int = 50,
        cursor: str | None = None,
        max_bytes: int | None = None,
    ) -> Page[WorkItemBrief]:
        check_limit(limit)
        check_filters(text=text, cursor=cursor)
        if parent_id is not None:
            checked(parent_id, ItemRef, "parent_id")
        resume = _WORK_ITEMS.resume(cursor)
        async with self.db.reader() as reader:
            parent = await self._read_item(reader, parent_id, "parent_id") if parent_id else None
            spec = store.ListFilter(
                item_type=item_type.value if item_type else None,
                status=status.value if status else None,
                parent_id=parent.id if parent else None,
                text=text or None,
                include_deleted=include_deleted,
            )
            rows, total = await store.list_page(reader, spec, limit + 1, resume)
        return _WORK_ITEMS.page(rows, limit=limit, total=total, max_bytes=max_bytes)

    @reads
    async def ready(
        self,
        *,
        item_type: ItemType | None = None,
        actor: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
        max_bytes: int | None = None,
    ) -> Page[ReadyItem]:
        """Work that can start now, highest priority first, then oldest.

        Ready: not deleted, active or in progress, every blocker completed or deleted, and no live
        lease of another actor (`actor`'s own claims are listed, with their lease; without an
        actor, every live lease hides its item). Only actionable items (task, research) unless
        `item_type` names another type. Each row carries the version an update or claim needs.
        """
        check_limit(limit)
        check_filters(cursor=cursor)
        if actor is not None:
            actor = check_actor(actor)
        resume = _READY.resume(cursor)
        types = [item_type.value] if item_type else [t.value for t in ACTIONABLE_TYPES]
        moment = now()
        async with self.db.reader() as reader:
            rows, total = await ready_store.page_and_count(
                reader, types, moment, actor, limit + 1, resume, separately=self.db.is_sqlite
            )
        return _READY.page(rows, limit=limit, total=total, max_bytes=max_bytes)

    @reads
    async def history(self, item: str, limit: int = 50) -> builtins.list[EventRead]:
        check_limit(limit)
        async with self.db.unit_of_work() as session:
            item_id = await item_id_even_archived(session, item)  # its events stay readable
            return [
                read_models.event(e) for e in await events.for_entity(session, ENTITY, str(item_id), limit)
            ]


async def _record_many(
    session: AsyncSession, changes: dict[uuid.UUID, dict[str, Any]], action: str, actor: str, stamp: datetime
) -> None:
    """One audit event per item, in one statement."""
    if not changes:
        return
    rows = [
        {
            "entity_type": ENTITY,
            "entity_id": str(item_id),
            "action": action,
            "actor": actor,
            "occurred_at": stamp,
            "changes": change,
        }
        for item_id, change in changes.items()
    ]
    await session.execute(insert(Event), rows)
