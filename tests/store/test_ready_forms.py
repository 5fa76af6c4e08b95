"""Ready work and the summary's counts each have two forms: PostgreSQL's one statement (blockers
probed by primary key, the ready count taken in the summary's pass over the live items) and
SQLite's (blockers joined, the ready count by subtraction). On both backends both forms read the
same rows in the same order, whatever blocks, leases and deletions there are."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

from sqlalchemy import update

from project_status.services.clock import now
from project_status.services.tracker import Tracker
from project_status.store import ready, summary
from project_status.store.tables import WorkItem
from tests.helpers import create_item, depend, update_item

ACTOR = "test"
TYPES = (("task", "research"), ("task",), ("research", "session"))


async def _mixed_store(tracker: Tracker) -> None:
    """Items of every type and status, blocked and freed in each way an edge can, some leased."""
    project = await create_item(tracker, "project", item_type="project")
    items = [
        await create_item(
            tracker,
            f"item {n}",
            item_type=("task", "research", "session")[n % 3],
            parent=project,
            priority=1 + n % 5,
        )
        for n in range(24)
    ]
    for n, item in enumerate(items[:8]):
        status = ("in_progress", "completed", "blocked", "active")[n % 4]
        await update_item(tracker, item, item.version, status=status)
    await depend(tracker, items[9], "depends_on", items[10])  # open blocker
    await depend(tracker, items[11], "blocks", items[12])  # open blocker, the other way
    await depend(tracker, items[13], "depends_on", items[1])  # completed blocker: frees it
    await depend(tracker, items[5], "blocks", items[14])  # completed blocker, the other way
    await depend(tracker, items[15], "depends_on", items[16])
    await depend(tracker, items[17], "depends_on", items[16])  # one blocker, two blocked
    await depend(tracker, items[18], "depends_on", items[19])
    await tracker.claims.claim(ACTOR, item=items[20].id)
    await tracker.claims.claim("someone else", item=items[21].id)
    deleted = [items[19], items[22]]  # a deleted blocker frees what it blocked
    async with tracker.db.unit_of_work(write=True) as session:
        for item in deleted:
            await session.execute(
                update(WorkItem).where(WorkItem.id == uuid.UUID(item.id)).values(deleted_at=now())
            )


async def test_ready_pages_and_counts_are_the_same_in_both_forms(tracker: Tracker) -> None:
    await _mixed_store(tracker)
    moments = (now(), now() + timedelta(days=2))  # leases live, then expired
    checked = 0
    async with tracker.db.reader() as reader:
        for types, moment, actor, limit in itertools.product(TYPES, moments, (None, ACTOR), (1, 3, 50)):
            resume = None
            for _page in range(3):
                forms = [
                    await ready.page_and_count(
                        reader, types, moment, actor, limit, resume, separately=separately
                    )
                    for separately in (False, True)
                ]
                (rows, total), (other_rows, other_total) = forms
                fields = [f"{column.key}" for column in ready.READY_COLUMNS]
                assert total == other_total, (types, actor, limit)
                assert [[getattr(r, f) for f in fields] for r in rows] == [
                    [getattr(r, f) for f in fields] for r in other_rows
                ], (types, actor, limit)
                checked += len(rows)
                if not rows:
                    break
                last = rows[-1]
                resume = (last.priority, last.created_at, last.id)
    assert checked


async def test_summary_rows_are_the_same_in_both_forms(tracker: Tracker) -> None:
    await _mixed_store(tracker)
    for moment in (now(), now() + timedelta(days=2)):
        async with tracker.db.reader() as reader:
            one_pass = await summary.read(reader, moment, 5, 10, subtract_blocked=False)
            apart = await summary.read(reader, moment, 5, 10, subtract_blocked=True)
        assert one_pass == apart
        assert one_pass.ready > 0
        assert [(kind, list(by_status.items())) for kind, by_status in one_pass.counts.items()] == [
            (kind, list(by_status.items())) for kind, by_status in apart.counts.items()
        ]
