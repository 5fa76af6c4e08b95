"""Five years of history, bulk-inserted: the five-year load of `bench_scale.py`.

The reference load (bench_core's seed: 45 vendors, 1,200 work items, 50 deployments, 30
enhancements) goes through the service layer. On top of it this module adds, with
SQLAlchemy Core bulk INSERTs on `tracker.db` (seconds, not the hours 100,000 service calls
would take):

* **archivable history**: old projects, each a whole tree (project, sessions, tasks, research
  items, down to depth 5), every item completed or deleted (a deleted subtree is deleted whole,
  as a cascade leaves it) and last updated more than 365 days ago; plus old finished sessions
  under one long-running live project. Exactly `archivable` items qualify under DESIGN.md
  section 4's rule (completed or deleted, older than the threshold, whole subtree qualifies).
* **more live work**: that long-running project (created five years ago, active), recent
  sessions and tasks under it (active, blocked, and completed recently), and two near misses a
  correct archiver must leave alone: an old completed session holding one active task, and old
  completed tasks touched 300 days ago.
* **events**: a `created` event per item and a `completed` / `deleted` one per finished item,
  so the audit trail has the size five years of work leave behind.
* **dependencies** inside old projects (older item blocks newer: no cycle), and
  **deployments** spread over five years, linked to vendors and to work items (mostly old ones).

`expected_archivable` recomputes the rule from the generated rows, so the seed checks its own
count and the benchmark can compare the archive run's answer with it.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from bench_core import ACTOR, PlannedItem, _hex40, _metadata
from project_status.domain.enums import ItemType, WorkItemStatus
from project_status.store.database import Database
from project_status.store.tables import (
    Deployment,
    Event,
    Vendor,
    WorkItem,
    WorkItemDependency,
    deployment_vendors,
    deployment_work_items,
)

YEARS = 5
THRESHOLD_DAYS = 365
CHUNK = 5_000
"""Rows per INSERT executemany: big enough to amortise the statement, small enough for memory."""

# Children per parent at depth 0..4 (inclusive ranges): a project averages ~490 items.
OLD_FANOUT = ((4, 8), (3, 6), (2, 4), (1, 3), (0, 2))
DELETED_SUBTREE_SHARE = 0.08
"""Old subtrees removed by soft delete rather than finished (the whole subtree, as a cascade)."""
OLD_SESSIONS_SHARE = 0.03
"""Share of the archivable items that are finished sessions under the long-running live project."""


@dataclass
class HistoryInfo:
    archivable: int
    live_added: int
    events: int
    dependencies: int
    deployments: int
    long_running_id: str
    archivable_ids: set[uuid.UUID] = field(repr=False, default_factory=set)

    def describe(self) -> str:
        return (
            f"bulk history: {self.archivable:,} archivable + {self.live_added:,} more live work items, "
            f"{self.events:,} events, {self.dependencies:,} dependencies, {self.deployments:,} deployments"
        )


@dataclass
class _Item:
    id: uuid.UUID
    parent: _Item | None
    depth: int
    item_type: ItemType
    status: WorkItemStatus
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    children: list[_Item] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"{self.parent.path if self.parent else ''}/{self.id}"


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


class _History:
    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.start = now - timedelta(days=365 * YEARS)
        self.latest_old = now - timedelta(days=THRESHOLD_DAYS + 2)
        self.items: list[_Item] = []

    def add(
        self,
        parent: _Item | None,
        item_type: ItemType,
        status: WorkItemStatus,
        created_at: datetime,
        updated_at: datetime,
        deleted_at: datetime | None = None,
    ) -> _Item:
        item = _Item(
            _uuid(self.rng),
            parent,
            parent.depth + 1 if parent else 0,
            item_type,
            status,
            created_at,
            updated_at,
            deleted_at,
        )
        if parent is not None:
            parent.children.append(item)
        self.items.append(item)
        return item

    def _old_times(self, after: datetime) -> tuple[datetime, datetime]:
        created = min(after + timedelta(hours=self.rng.uniform(1, 24 * 20)), self.latest_old)
        updated = min(created + timedelta(hours=self.rng.uniform(1, 24 * 40)), self.latest_old)
        return created, updated

    def _child_type(self, depth: int) -> ItemType:
        if depth == 0:
            return ItemType.PROJECT
        if depth == 1:
            return ItemType.SESSION
        return ItemType.RESEARCH if self.rng.random() < 0.15 else ItemType.TASK

    def old_subtree(self, parent: _Item | None, depth: int, budget: int, born: datetime) -> int:
        """A finished subtree of at most `budget` items, or now and then one deleted whole (every
        item stamped with the same `deleted_at`, as the cascade leaves it); returns its size."""
        if budget <= 0:
            return 0
        first = len(self.items)
        made = self._old_node(parent, depth, budget, born)
        if self.rng.random() < DELETED_SUBTREE_SHARE:
            subtree = self.items[first:]
            stamp = min(
                max(item.updated_at for item in subtree) + timedelta(hours=self.rng.uniform(1, 72)),
                self.latest_old,
            )
            for item in subtree:
                item.deleted_at = item.updated_at = stamp
                item.status = self.rng.choice(
                    (WorkItemStatus.ACTIVE, WorkItemStatus.COMPLETED, WorkItemStatus.BLOCKED)
                )
        return made

    def _old_node(self, parent: _Item | None, depth: int, budget: int, born: datetime) -> int:
        created, updated = self._old_times(born)
        node = self.add(parent, self._child_type(depth), WorkItemStatus.COMPLETED, created, updated)
        made = 1
        if depth < len(OLD_FANOUT):
            low, high = OLD_FANOUT[depth]
            for _ in range(self.rng.randint(low, high)):
                if made >= budget:
                    break
                made += self._old_node(node, depth + 1, budget - made, created)
        return made

    def between(self, earliest: datetime) -> datetime:
        """A time between `earliest` and now."""
        return earliest + (self.now - earliest) * self.rng.random()

    def recent(self, days: float) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(0, days))


def plan_history(rng: random.Random, now: datetime, *, archivable: int, extra_live: int) -> _History:
    """Every item of the history, parents before children."""
    if extra_live < 4:
        raise ValueError("extra_live must be at least 4 (the long-running project and the near misses)")
    history = _History(rng, now)
    # The long-running live project: started five years ago, still active, touched last week.
    long_running = history.add(
        None, ItemType.PROJECT, WorkItemStatus.ACTIVE, history.start, now - timedelta(days=7)
    )
    # Near misses: an old completed session holding one active task (neither qualifies), and
    # an old completed task touched 300 days ago (too recent).
    old = history.start + timedelta(days=200)
    holder = history.add(long_running, ItemType.SESSION, WorkItemStatus.COMPLETED, old, old)
    history.add(holder, ItemType.TASK, WorkItemStatus.ACTIVE, old, old)
    touched = now - timedelta(days=300)
    history.add(holder, ItemType.TASK, WorkItemStatus.COMPLETED, old, touched)
    live = 4
    # Recent sessions with their tasks.
    while live < extra_live:
        opened = history.recent(200)
        session = history.add(
            long_running, ItemType.SESSION, WorkItemStatus.ACTIVE, opened, history.between(opened)
        )
        live += 1
        for _ in range(rng.randint(5, 25)):
            if live >= extra_live:
                break
            roll = rng.random()
            status = (
                WorkItemStatus.ACTIVE
                if roll < 0.55
                else WorkItemStatus.COMPLETED
                if roll < 0.9
                else WorkItemStatus.BLOCKED
            )
            created = history.between(opened)
            item_type = ItemType.RESEARCH if rng.random() < 0.15 else ItemType.TASK
            history.add(session, item_type, status, created, history.between(created))
            live += 1

    # Old finished sessions under the long-running project, then old projects until the count.
    made = 0
    under_live = int(archivable * OLD_SESSIONS_SHARE)
    while made < under_live:
        made += history.old_subtree(long_running, 1, under_live - made, history.start)
    while made < archivable:
        born = history.start + timedelta(days=rng.uniform(0, 365 * YEARS - THRESHOLD_DAYS - 60))
        made += history.old_subtree(None, 0, archivable - made, born)
    return history


def expected_archivable(items: Iterable[_Item], now: datetime, days: int = THRESHOLD_DAYS) -> set[uuid.UUID]:
    """The items DESIGN.md section 4's rule archives: finished or deleted, last updated before
    the threshold, and the same true of the whole subtree."""
    cutoff = now - timedelta(days=days)
    qualifies: dict[uuid.UUID, bool] = {}

    def check(item: _Item) -> bool:
        own = (item.status is WorkItemStatus.COMPLETED or item.deleted_at is not None) and (
            item.updated_at < cutoff
        )
        below = [check(child) for child in item.children]  # visit every child, no short cut
        qualifies[item.id] = own and all(below)
        return qualifies[item.id]

    for item in items:
        if item.parent is None:
            check(item)
    return {item_id for item_id, ok in qualifies.items() if ok}


_VERBS = ("parse", "validate", "export", "reconcile", "document", "migrate", "profile")
_NOUNS = ("invoices", "statements", "manifests", "schedules", "ledgers", "remittances")


def _item_row(item: _Item, n: int, rng: random.Random) -> dict[str, Any]:
    planned = PlannedItem(n, item.depth, None, item.item_type, item.status, rng.randint(1, 5))
    finished = item.status is WorkItemStatus.COMPLETED and item.item_type is ItemType.TASK
    return {
        "id": item.id,
        "item_type": item.item_type.value,
        "title": f"{item.item_type.value.capitalize()} h{n}: {rng.choice(_VERBS)} {rng.choice(_NOUNS)}",
        "description": None if rng.random() < 0.3 else f"Historical work item {n} at depth {item.depth}.",
        "status": item.status.value,
        "priority": planned.priority,
        "parent_id": item.parent.id if item.parent else None,
        "path": item.path,
        "depth": item.depth,
        "branch_name": f"feature/h{n}" if item.item_type is ItemType.SESSION else None,
        "commit_hash": _hex40(rng) if finished else None,
        "pr_number": rng.randint(1, 9000) if finished and rng.random() < 0.5 else None,
        "metadata": _metadata(planned, rng),
        "deleted_at": item.deleted_at,
        "version": 1 if item.updated_at == item.created_at else 3 if item.deleted_at else 2,
        "created_at": item.created_at,
        "created_by": ACTOR,
        "updated_at": item.updated_at,
        "updated_by": ACTOR,
    }


def _events(item: _Item, row: dict[str, Any]) -> list[dict[str, Any]]:
    entity = {"entity_type": "work_item", "entity_id": str(item.id), "actor": ACTOR}
    events = [
        {
            **entity,
            "action": "created",
            "occurred_at": item.created_at,
            "changes": {
                "title": {"old": None, "new": row["title"]},
                "status": {"old": None, "new": "active"},
            },
        }
    ]
    if item.deleted_at is not None:
        events.append(
            {
                **entity,
                "action": "deleted",
                "occurred_at": item.deleted_at,
                "changes": {"deleted_at": {"old": None, "new": item.deleted_at.isoformat()}},
            }
        )
    elif item.status is WorkItemStatus.COMPLETED and item.updated_at != item.created_at:
        events.append(
            {
                **entity,
                "action": "updated",
                "occurred_at": item.updated_at,
                "changes": {"status": {"old": "active", "new": "completed"}},
            }
        )
    return events


def _dependencies(history: _History, count: int) -> list[dict[str, Any]]:
    """`count` edges between tasks of the same old project: the older blocks the newer."""
    by_root: dict[uuid.UUID, list[_Item]] = {}
    for item in history.items:
        if item.depth >= 2 and item.deleted_at is None:
            root = item
            while root.parent is not None:
                root = root.parent
            by_root.setdefault(root.id, []).append(item)
    groups = [group for group in by_root.values() if len(group) >= 2]
    edges: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]] = {}
    attempts = 0
    while groups and len(edges) < count and attempts < count * 20:
        attempts += 1
        a, b = history.rng.sample(history.rng.choice(groups), 2)
        blocker, blocked = (a, b) if (a.created_at, a.id.int) < (b.created_at, b.id.int) else (b, a)
        if (blocker.id, blocked.id) in edges or (blocked.id, blocker.id) in edges:
            continue
        blocks = history.rng.random() < 0.5
        edges[(blocker.id, blocked.id)] = {
            "source_id": blocker.id if blocks else blocked.id,
            "target_id": blocked.id if blocks else blocker.id,
            "dependency_type": "blocks" if blocks else "depends_on",
            "created_at": blocked.created_at,
            "created_by": ACTOR,
        }
    return list(edges.values())


async def _insert(db: Database, tables: Sequence[tuple[Any, Sequence[dict[str, Any]]]]) -> None:
    """All in one write transaction. On SQLite with a page cache big enough for the indexes of
    random UUID keys (the default 2 MB makes the load disk-bound), put back before the end."""
    async with db.connection(transaction=True) as conn:
        if db.is_sqlite:
            default = (await conn.exec_driver_sql("PRAGMA cache_size")).scalar()
            await conn.exec_driver_sql("PRAGMA cache_size=-262144")
        try:
            for table, rows in tables:
                for start in range(0, len(rows), CHUNK):
                    await conn.execute(insert(table), list(rows[start : start + CHUNK]))
        finally:
            if db.is_sqlite:
                await conn.exec_driver_sql(f"PRAGMA cache_size={int(default or -2000)}")


async def seed_history(
    db: Database,
    *,
    archivable: int,
    extra_live: int,
    deployments: int,
    seed: int = 20260601,
    dependency_count: int | None = None,
) -> HistoryInfo:
    """Bulk-insert the history (see the module docstring) into a migrated database that already
    holds vendors. Returns what went in; raises if the plan's archivable count is not exact."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    history = plan_history(rng, now, archivable=archivable, extra_live=extra_live)
    qualifying = expected_archivable(history.items, now)
    if len(qualifying) != archivable:
        raise AssertionError(f"the plan has {len(qualifying)} archivable items, not {archivable}")

    rows = [_item_row(item, n, rng) for n, item in enumerate(history.items)]
    events = [event for item, row in zip(history.items, rows, strict=True) for event in _events(item, row)]
    edges = _dependencies(history, dependency_count if dependency_count is not None else archivable // 50)

    async with db.engine.connect() as conn:
        vendor_ids = list((await conn.execute(select(Vendor.id).order_by(Vendor.name))).scalars())
    if not vendor_ids:
        raise ValueError("seed vendors first: deployments link to them")
    deployment_rows, vendor_links, item_links = [], [], []
    span = (now - history.start).total_seconds()
    for n in range(deployments):
        deployment_id = _uuid(rng)
        deployed_at = history.start + timedelta(seconds=span * (n + rng.random()) / max(1, deployments))
        deployment_rows.append(
            {
                "id": deployment_id,
                "deployed_at": deployed_at,
                "commit_hash": _hex40(rng),
                "metadata": {
                    "pr_number": 10_000 + n,
                    "pr_title": f"Release h{n}: extractor fixes",
                    "test_summary": {"unit": rng.randint(200, 900), "integration": rng.randint(20, 120)},
                    "constitutional_compliance": rng.random() < 0.9,
                },
                "created_at": deployed_at,
                "created_by": ACTOR,
            }
        )
        for vendor_id in rng.sample(vendor_ids, min(len(vendor_ids), rng.randint(1, 4))):
            vendor_links.append({"deployment_id": deployment_id, "vendor_id": vendor_id})
        for item in rng.sample(history.items, min(len(history.items), rng.randint(1, 3))):
            item_links.append({"deployment_id": deployment_id, "work_item_id": item.id})

    tables: list[tuple[Any, Sequence[dict[str, Any]]]] = [
        (WorkItem.__table__, rows),
        (Event.__table__, events),
        (WorkItemDependency.__table__, edges),
        (Deployment.__table__, deployment_rows),
        (deployment_vendors, vendor_links),
        (deployment_work_items, item_links),
    ]
    await _insert(db, tables)

    return HistoryInfo(
        archivable=len(qualifying),
        live_added=len(rows) - len(qualifying),
        events=len(events),
        dependencies=len(edges),
        deployments=deployments,
        long_running_id=str(history.items[0].id),
        archivable_ids=qualifying,
    )
