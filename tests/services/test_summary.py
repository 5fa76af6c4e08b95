"""The project summary: the state at a glance in at most 4 KB, at any store size."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert

from project_status.domain.ids import new_id
from project_status.services.changes import SUMMARY_MAX_BYTES
from project_status.services.clock import now
from project_status.services.tracker import Tracker
from project_status.store.tables import WorkItem
from tests.helpers import create_item, depend
from tests.services.report_data import add_enhancement, add_vendor, deploy

COMMIT = "0123456789abcdef0123456789abcdef01234567"


async def test_summary_counts_holders_ready_vendors_deployments_and_enhancements(tracker: Tracker) -> None:
    await create_item(tracker, "Project", item_type="project")
    blocker = await create_item(tracker, "Blocker")
    waiting = await create_item(tracker, "Waiting")
    await depend(tracker, waiting, "depends_on", blocker)
    await create_item(tracker, "Done", status="completed")
    held = await tracker.claims.claim("agent-a", blocker.id)
    await add_vendor(tracker, "acme")
    await add_vendor(tracker, "zeta", status="broken")
    for day in range(1, 8):
        await deploy(tracker, datetime(2026, 1, day, tzinfo=UTC), COMMIT, pr_number=day)
    for priority in (5, 1, 3, 2, 4, 1):
        await add_enhancement(tracker, f"Enhancement p{priority}", priority)

    summary = await tracker.changes.summary()

    assert summary.counts == {
        "project": {"active": 1},
        "task": {"in_progress": 1, "active": 1, "completed": 1},
    }
    assert [(h.id, h.claimed_by) for h in summary.in_progress] == [(held.id, "agent-a")]
    assert summary.in_progress_total == 1
    assert summary.ready == 0  # the blocker is held, the waiting task waits on it
    assert (summary.vendors_operational, summary.vendors_total, summary.broken_vendors) == (1, 2, ["zeta"])
    assert [d.pr_number for d in summary.deployments] == [7, 6, 5, 4, 3]
    assert [e.priority for e in summary.enhancements] == [1, 1, 2, 3, 4]


async def test_summary_stays_within_4_kb_at_a_thousand_items_with_long_titles(tracker: Tracker) -> None:
    stamp = now()
    rows = []
    for n in range(1_200):
        item_id = new_id()
        rows.append(
            {
                "id": item_id,
                "version": 2,
                "item_type": ("task", "research", "session", "project")[n % 4],
                "title": (f"{n} " + "a very long title " * 12)[:200],
                "status": ("active", "in_progress", "completed", "blocked")[n % 4],
                "claimed_by": ("agent-" + "x" * 150) if n % 4 == 1 else None,
                "claim_expires_at": stamp if n % 4 == 1 else None,
                "priority": 1 + n % 5,
                "path": f"/{item_id}",
                "depth": 0,
                "metadata_": {},
                "created_at": stamp,
                "created_by": "bulk",
                "updated_at": stamp,
                "updated_by": "bulk",
            }
        )
    async with tracker.db.unit_of_work(write=True) as session:
        await session.execute(insert(WorkItem), rows)
    for n in range(30):
        await add_vendor(tracker, f"vendor-{n:02d}-" + "v" * 80, status="broken")
    for n in range(8):
        await add_enhancement(tracker, "e" * 199 + str(n), 1)

    summary = await tracker.changes.summary()
    size = len(summary.model_dump_json().encode())

    assert size <= SUMMARY_MAX_BYTES, size
    assert summary.in_progress_total == 300
    assert summary.broken_vendors_total == 30
    assert 0 < len(summary.in_progress) <= 5
    assert sum(sum(by_status.values()) for by_status in summary.counts.values()) == 1_200
