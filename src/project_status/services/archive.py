"""Archiving: move old finished subtrees out of the live tables, search them, bring them back.

An item is archived when it is completed or deleted, was last updated before the threshold, and
its whole subtree qualifies too; the subtree moves with the dependencies touching it, and its
audit events stay where they are. A run plans with one read, then moves many whole subtrees per
transaction, each transaction re-reading and locking what it moves, so a run repeated, or two
servers running at once, archive each item exactly once.
"""

from __future__ import annotations

import builtins
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from project_status.domain.archive import (
    ArchivedWorkItemBrief,
    ArchivedWorkItemRead,
    ArchiveRunRead,
    ArchiveRunResult,
)
from project_status.domain.bounds import MAX_ARCHIVE_AFTER_DAYS, StoredDatetime
from project_status.domain.enums import MAX_DEPTH, EntityKind, ItemType
from project_status.domain.errors import NextStep, NotFoundError, ValidationError
from project_status.domain.ids import new_id
from project_status.domain.pages import Page
from project_status.domain.work_items import WorkItemRead
from project_status.services import command_forms, read_models
from project_status.services.change_sets import json_value
from project_status.services.checks import check_actor, check_aware, check_filters, check_limit, checked
from project_status.services.clock import now
from project_status.services.cursors import Listing, parse_datetime, parse_uuid
from project_status.services.routing import Routed, reads, writes
from project_status.settings import Settings
from project_status.store import archive as store
from project_status.store import events
from project_status.store.database import Database
from project_status.store.id_lookup import resolve_row
from project_status.store.tables import ArchivedWorkItem, ArchiveRun, WorkItem

_LIST = Listing(
    "archive", (("archived_at", parse_datetime), ("id", parse_uuid)), read_models.archived_work_item_brief
)

ENTITY = EntityKind.WORK_ITEM.value
BATCH_ITEMS = 2000
"""Items moved per transaction (whole subtrees, so a big one may go over): large enough to be
fast, small enough that other writers wait on the tree lock for a fraction of a second only."""

Progress = Callable[[int, int], None]
"""Called with (items done, items planned) before the first batch and after each one."""


class ArchiveService(Routed):
    def __init__(self, db: Database, *, batch_items: int = BATCH_ITEMS) -> None:
        self.db = db
        self.batch_items = batch_items
        self.after_run: Callable[[], Awaitable[None]] | None = None
        """Told when a run has moved items (the mirror then knows it is behind)."""

    # --- archiving -------------------------------------------------------------------------------

    async def run(
        self,
        *,
        actor: str,
        older_than_days: int | None = None,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> ArchiveRunResult:
        """Archive every subtree whose items are all completed or deleted and last updated more
        than `older_than_days` ago (default: the `PROJECT_STATUS_ARCHIVE_AFTER_DAYS` setting).

        A dry run plans and counts, and writes nothing.
        """
        actor = check_actor(actor)
        days = _check_days(older_than_days if older_than_days is not None else Settings().archive_after_days)
        clock = time.perf_counter()
        started = now()
        cutoff = started - timedelta(days=days)
        async with self.db.unit_of_work() as session:
            subtrees = _plan(await store.archivable(session, cutoff))
            dependencies = await store.count_archivable_dependencies(session, cutoff) if dry_run else 0
        total = sum(size for _, size in subtrees)
        if dry_run:
            return ArchiveRunResult(
                dry_run=True,
                older_than_days=days,
                cutoff=cutoff,
                items_archived=total,
                subtrees_archived=len(subtrees),
                dependencies_archived=dependencies,
                duration_seconds=time.perf_counter() - clock,
            )
        outcome = _Outcome()
        done = 0
        if progress is not None:
            progress(0, total)
        for batch in _batches(subtrees, self.batch_items):
            await self._archive_batch([root for root, _ in batch], cutoff, actor, outcome)
            done += sum(size for _, size in batch)
            if progress is not None:
                progress(done, total)
        async with self.db.unit_of_work(write=True) as session:
            session.add(
                ArchiveRun(
                    id=new_id(),
                    started_at=started,
                    finished_at=now(),
                    actor=actor,
                    older_than_days=days,
                    cutoff=cutoff,
                    items=outcome.items,
                    subtrees=outcome.subtrees,
                    dependencies=outcome.dependencies,
                )
            )
        if outcome.items and self.after_run is not None:
            await self.after_run()
        return ArchiveRunResult(
            dry_run=False,
            older_than_days=days,
            cutoff=cutoff,
            items_archived=outcome.items,
            subtrees_archived=outcome.subtrees,
            dependencies_archived=outcome.dependencies,
            subtrees_skipped=outcome.skipped,
            duration_seconds=time.perf_counter() - clock,
        )

    async def _archive_batch(
        self, roots: builtins.list[uuid.UUID], cutoff: datetime, actor: str, outcome: _Outcome
    ) -> None:
        """Move the planned subtrees that still qualify, in one transaction.

        The rows are locked and counted again after taking the archive and tree locks: a subtree
        another run archived meanwhile is simply gone, one that changed (an item reopened or a
        child added) stays live whole.
        """
        async with self.db.unit_of_work(write=True) as session:
            await self.db.lock_archive(session)
            await self.db.lock_structure(session)
            groups: dict[uuid.UUID, builtins.list[store.SubtreeRow]] = defaultdict(list)
            for row in await store.lock_subtrees(session, roots, cutoff):
                groups[row.root].append(row)
            moving = {root: rows for root, rows in groups.items() if all(row.qualifies for row in rows)}
            outcome.skipped += len(groups) - len(moving)
            if not moving:
                return
            by_depth: dict[int, set[uuid.UUID]] = defaultdict(set)
            for rows in moving.values():
                for row in rows:
                    by_depth[row.depth].add(row.id)
            stamp = now()
            change = {"archived_at": {"old": None, "new": json_value(stamp)}}
            edges = await store.move_out(
                session,
                [sorted(by_depth[depth]) for depth in sorted(by_depth)],
                skip_events=builtins.list(moving),
                stamp=stamp,
                actor=actor,
                change=change,
            )
            below = {root: len({row.id for row in rows}) - 1 for root, rows in moving.items()}
            changes = {
                str(root): {**change, "descendants": {"old": None, "new": count}} if count else change
                for root, count in below.items()
            }
            await events.record_many(
                session, entity_type=ENTITY, action="archived", actor=actor, at=stamp, changes=changes
            )
        outcome.items += sum(len(ids) for ids in by_depth.values())
        outcome.subtrees += len(moving)
        outcome.dependencies += edges

    async def last_run(self) -> ArchiveRunRead | None:
        """The latest finished run (dry runs are not recorded), or None before the first."""
        async with self.db.unit_of_work() as session:
            row = await store.last_run(session)
            if row is None:
                return None
            return read_models.from_row(ArchiveRunRead, row, id=str(row.id))

    async def seconds_until_due(self, interval_hours: float) -> float:
        """How long until a run `interval_hours` after the last one is due (0: due now)."""
        last = await self.last_run()
        if last is None:
            return 0.0
        due = last.finished_at + timedelta(hours=interval_hours)
        return max(0.0, (due - now()).total_seconds())

    # --- reading ---------------------------------------------------------------------------------

    @reads
    async def list(
        self,
        *,
        text: str | None = None,
        item_type: ItemType | None = None,
        archived_after: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
        max_bytes: int | None = None,
    ) -> Page[ArchivedWorkItemBrief]:
        """Archived items, newest archived first, filtered; `archived_after` includes that moment."""
        check_limit(limit)
        check_aware("archived_after", archived_after)
        check_filters(text=text, cursor=cursor)
        if archived_after is not None:
            checked(archived_after, StoredDatetime, "archived_after")
        resume = _LIST.resume(cursor)
        spec = store.ListFilter(
            text=text or None,
            item_type=item_type.value if item_type else None,
            archived_after=archived_after,
        )
        async with self.db.unit_of_work() as session:
            rows, total = await store.list_page(session, spec, limit + 1, resume)
        return _LIST.page(rows, limit=limit, total=total, max_bytes=max_bytes)

    @reads
    async def get(self, id: str) -> ArchivedWorkItemRead:
        async with self.db.unit_of_work() as session:
            row = await _resolve_archived(session, id)
            return read_models.archived_work_item(row)

    # --- restoring -------------------------------------------------------------------------------

    @writes(command_forms.renamed("restore_archived_work_item"))
    async def restore(self, id: str, actor: str) -> WorkItemRead:
        """Bring an archived item back with its archived subtree (and the dependencies whose both
        ends are live again), under its old parent, which must be live. Restoring counts as an
        update: the items are not archived again before the threshold has passed anew."""
        actor = check_actor(actor)
        async with self.db.unit_of_work(write=True) as session:
            await self.db.lock_archive(session)
            await self.db.lock_structure(session)
            root = await _resolve_archived(session, id)
            parent = await _live_parent(session, root, id)
            root_id, old_path, old_depth = root.id, root.path, root.depth
            root_path = f"{parent.path if parent else ''}/{root_id}"
            root_depth = parent.depth + 1 if parent else 0
            subtree = await store.archived_subtree(session, root_id)
            placed = _place(root_id, root_path, root_depth, subtree)
            deepest = max(depth for _, depth in placed.values())
            if deepest > MAX_DEPTH:
                raise ValidationError.for_field(
                    "id",
                    f"its parent {parent.id if parent else None} now sits so deep that the restored subtree "
                    f"would reach depth {deepest}, past the deepest allowed {MAX_DEPTH}; move the parent "
                    "higher first",
                    id,
                )
            by_depth: dict[int, list[uuid.UUID]] = defaultdict(list)
            for item_id, (_, depth) in placed.items():
                by_depth[depth].append(item_id)
            stamp = now()
            await store.move_back(
                session,
                [by_depth[depth] for depth in sorted(by_depth)],
                old_root_path=old_path,
                new_root_path=root_path,
                depth_delta=root_depth - old_depth,
                stamp=stamp,
                actor=actor,
            )
            # move_back rewrote each path under the root's old one; an ancestor moved after a
            # descendant was archived leaves that descendant's path stale: put those right
            stale = {
                row.id: placed[row.id]
                for row in subtree
                if (root_path + row.path[len(old_path) :], row.depth + root_depth - old_depth)
                != placed[row.id]
            }
            await store.set_paths(session, stale)
            changes: dict[str, dict[str, Any]] = {
                str(row.id): {"archived_at": {"old": json_value(row.archived_at), "new": None}}
                for row in subtree
            }
            if len(placed) > 1:
                changes[str(root_id)]["descendants"] = {"old": None, "new": len(placed) - 1}
            await events.record_many(
                session, entity_type=ENTITY, action="restored", actor=actor, at=stamp, changes=changes
            )
            live = await session.get(WorkItem, root_id)
            assert live is not None
            return read_models.work_item(live)


class _Outcome:
    """What the batches of one run moved."""

    def __init__(self) -> None:
        self.items = 0
        self.subtrees = 0
        self.dependencies = 0
        self.skipped = 0


def _check_days(days: int) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_ARCHIVE_AFTER_DAYS:
        raise ValidationError.for_field(
            "older_than_days", f"must be a whole number of days from 1 to {MAX_ARCHIVE_AFTER_DAYS}", days
        )
    return days


def _plan(rows: Sequence[Any]) -> builtins.list[tuple[uuid.UUID, int]]:
    """(root id, item count) of each maximal archivable subtree, from (id, parent_id) rows."""
    parent_of = {row.id: row.parent_id for row in rows}
    root_of: dict[Any, Any] = {}
    sizes: dict[Any, int] = defaultdict(int)
    for item_id in parent_of:
        path = [item_id]
        while path[-1] not in root_of:
            parent = parent_of[path[-1]]
            if parent is None or parent not in parent_of:
                root_of[path[-1]] = path[-1]
                break
            path.append(parent)
        root = root_of[path[-1]]
        for step in path:
            root_of[step] = root
        sizes[root] += 1
    return sorted(((store.key(root), size) for root, size in sizes.items()), key=lambda kv: str(kv[0]))


def _batches(
    subtrees: Sequence[tuple[uuid.UUID, int]], batch_items: int
) -> builtins.list[builtins.list[tuple[uuid.UUID, int]]]:
    """Whole subtrees grouped into batches of about `batch_items` items."""
    batches: builtins.list[builtins.list[tuple[uuid.UUID, int]]] = []
    current: builtins.list[tuple[uuid.UUID, int]] = []
    size = 0
    for subtree in subtrees:
        if current and size + subtree[1] > batch_items:
            batches.append(current)
            current, size = [], 0
        current.append(subtree)
        size += subtree[1]
    if current:
        batches.append(current)
    return batches


def _place(
    root_id: uuid.UUID, root_path: str, root_depth: int, subtree: Sequence[Any]
) -> dict[uuid.UUID, tuple[str, int]]:
    """Each restored item's path and depth under the root's place, from the parent links."""
    children: dict[uuid.UUID, builtins.list[uuid.UUID]] = defaultdict(list)
    for row in subtree:
        if row.id != root_id and row.parent_id is not None:
            children[row.parent_id].append(row.id)
    placed = {root_id: (root_path, root_depth)}
    frontier = [root_id]
    while frontier:
        following = []
        for parent in frontier:
            path, depth = placed[parent]
            for child in children[parent]:
                placed[child] = (f"{path}/{child}", depth + 1)
                following.append(child)
        frontier = following
    return placed


async def _resolve_archived(session: AsyncSession, value: str) -> ArchivedWorkItem:
    try:
        return await resolve_row(session, ArchivedWorkItem, value, field="id", what="archived work item")
    except NotFoundError:
        try:
            live = await resolve_row(session, WorkItem, value, field="id", what="work item")
        except (NotFoundError, ValidationError):
            live = None
        if live is not None:
            raise NotFoundError(
                f"Work item {live.id} is not archived: it is live; {{next_step}} shows it.",
                {"field": "id", "value": value, "live": True},
                next_step=NextStep("query_work_item", {"id": str(live.id)}),
            ) from None
        raise NotFoundError(
            f"No archived work item with id {value!r}; {{next_step}} searches the archive.",
            {"field": "id", "value": value, "entity": "archived work item"},
            next_step=NextStep("query_archived_work_items"),
        ) from None


async def _live_parent(session: AsyncSession, row: ArchivedWorkItem, value: str) -> WorkItem | None:
    """The live parent an archived item goes back under (None: it was top level)."""
    if row.parent_id is None:
        return None
    parent = await session.get(WorkItem, row.parent_id)
    if parent is not None and parent.deleted_at is None:
        return parent
    if parent is not None:
        raise ValidationError.for_field(
            "id",
            f"its parent {parent.id} is deleted; restore the parent first ({{next_step}}), then this item",
            value,
            next_step=NextStep("update_work_item", {"id": str(parent.id), "deleted": False}),
            parent_id=str(parent.id),
        )
    top = await session.get(ArchivedWorkItem, row.parent_id)
    if top is None:
        raise ValidationError.for_field(
            "id",
            f"its parent {row.parent_id} is neither live nor archived: it has nowhere to go back to",
            value,
        )
    while top.parent_id is not None and (above := await session.get(ArchivedWorkItem, top.parent_id)):
        top = above
    raise ValidationError.for_field(
        "id",
        f"its parent {row.parent_id} is archived too; restore {top.id} instead: that brings back "
        "its whole archived subtree, this item included",
        value,
        parent_id=str(row.parent_id),
        restore_id=str(top.id),
    )
