"""The report tests' fixed data, built through the services with every clock pinned.

The services stamp rows and events with the wall clock; `pin_clock` then sets every
clock-dependent column to a fixed value with UPDATE statements, so the rendered report depends
on nothing but the data, on either backend.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from project_status.domain.configuration import ConfigurationUpdate
from project_status.domain.deployments import DeploymentCreate
from project_status.domain.enhancements import EnhancementCreate
from project_status.domain.enums import DependencyType
from project_status.domain.operation import Operation, running
from project_status.domain.validation import validate
from project_status.domain.vendors import VendorCreate
from project_status.services.tracker import Tracker
from project_status.store.tables import (
    Deployment,
    Enhancement,
    Event,
    ProjectConfiguration,
    Vendor,
    WorkItem,
    WorkItemNote,
)
from tests.helpers import ACTOR, create_item, update_item

# Every event happens at the same pinned instant: the report's header shows the newest one.
AS_OF = datetime(2025, 10, 6, 17, 42, 10, tzinfo=UTC)
CONFIGURED_AT = datetime(2025, 10, 6, 9, 0, 0, tzinfo=UTC)
ROW_STAMP = datetime(2025, 10, 1, 0, 0, 0, tzinfo=UTC)
HEAD = "4f1c9a7e2b8d3c6f0a5e9b1d7c3f8a2e6b0d4c91"
LEASE_END = datetime(2025, 10, 6, 18, 12, 10, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def add_vendor(
    tracker: Tracker,
    name: str,
    status: str = "operational",
    version: str = "1.0.0",
    *,
    formats: tuple[str, ...] = (),
    tests: tuple[int, int, int] | None = None,
    compliant: bool = False,
) -> None:
    metadata: dict[str, Any] = {
        "format_support": {name: True for name in formats},
        "manifest_compliant": compliant,
    }
    if tests is not None:
        passing, total, skipped = tests
        metadata["test_results"] = {"passing": passing, "total": total, "skipped": skipped}
    payload = {"name": name, "status": status, "extractor_version": version, "metadata": metadata}
    await tracker.vendors.create(validate(VendorCreate, payload), ACTOR)


async def deploy(
    tracker: Tracker,
    deployed_at: datetime,
    commit: str,
    *,
    vendors: tuple[str, ...] = (),
    items: tuple[str, ...] = (),
    **metadata: Any,
) -> None:
    payload = {
        "deployed_at": deployed_at,
        "commit_hash": commit,
        "metadata": metadata,
        "vendor_names": list(vendors),
        "work_item_ids": list(items),
    }
    await tracker.deployments.record(validate(DeploymentCreate, payload), ACTOR)


async def add_enhancement(tracker: Tracker, title: str, priority: int, **fields: Any) -> str:
    payload = {"title": title, "description": "", "priority": priority, **fields}
    return (await tracker.enhancements.create(validate(EnhancementCreate, payload), ACTOR)).id


async def pin_clock(tracker: Tracker, created: dict[str, datetime]) -> None:
    """Put every clock-dependent column at a fixed value: `created` maps work item titles to
    their creation time; every other row and every event gets a pinned constant."""
    async with tracker.db.unit_of_work(write=True) as session:
        for title, when in created.items():
            await session.execute(
                update(WorkItem).where(WorkItem.title == title).values(created_at=when, updated_at=when)
            )
        await session.execute(
            update(WorkItem).where(WorkItem.deleted_at.is_not(None)).values(deleted_at=ROW_STAMP)
        )
        await session.execute(
            update(WorkItem).where(WorkItem.claimed_by.is_not(None)).values(claim_expires_at=LEASE_END)
        )
        for table in (Vendor, Enhancement):
            await session.execute(update(table).values(created_at=ROW_STAMP, updated_at=ROW_STAMP))
        await session.execute(update(Deployment).values(created_at=ROW_STAMP))
        await session.execute(
            update(ProjectConfiguration).values(created_at=ROW_STAMP, updated_at=CONFIGURED_AT)
        )
        await session.execute(update(Event).values(occurred_at=AS_OF))


# Creation times of the fixed work items; the services create them in another order on purpose.
CREATED = {
    "Payroll platform upkeep": at("2025-07-01 08:00:00"),
    "Rotate API keys": at("2025-07-02 10:30:00"),
    "Commission statement extraction": at("2025-08-04 09:00:00"),
    "Evaluate table extraction libraries": at("2025-09-15 16:40:00"),
    "Vendor onboarding wave 3": at("2025-09-29 10:15:00"),
    "Fix TriNet OCR page rotation": at("2025-10-01 13:20:00"),
    "Insperity manifest migration": at("2025-10-02 08:05:00"),
    "Drop the legacy PDF parser": at("2025-10-02 09:00:00"),
    "Remove parser fixtures": at("2025-10-02 09:30:00"),
    "Publish wave 3 release notes": at("2025-10-03 11:00:00"),
    "Gusto CSV header fix": at("2025-10-04 09:30:00"),
}


@dataclass
class FixedData:
    deleted_titles: tuple[str, ...]
    completed_enhancement: str


FIXED_IDS = uuid.UUID("00000000-0000-4000-8000-000000000001")
"""The golden data's ids come from this operation (uuid5 of it and a counter): the report
shows ids, and the same data must render the same bytes on every run and backend."""


def fixed_ids() -> AbstractContextManager[Operation]:
    """Inside, the services issue the same ids on every run (pin the clock afterwards)."""
    return running(Operation(op_id=FIXED_IDS, at=ROW_STAMP))


async def build_fixed_data(tracker: Tracker, *, completed_dependency: bool = True) -> FixedData:
    """The golden data set, every feature of the report at least once, with fixed ids."""
    with fixed_ids():
        return await _build_fixed_data(tracker, completed_dependency=completed_dependency)


async def _build_fixed_data(tracker: Tracker, *, completed_dependency: bool = True) -> FixedData:
    """The golden data set, every feature of the report at least once.

    `completed_dependency`: a pending enhancement also depends on the completed one, which the
    report leaves out (see test_report_roundtrip.py for what that does to an import).
    """
    # Vendors, created out of name order; one with no metadata at all.
    await add_vendor(
        tracker, "TriNet", "broken", "1.0.1", formats=("pdf", "ocr"), tests=(4, 12, 1), compliant=False
    )
    await add_vendor(
        tracker,
        "Paychex Flex",
        "operational",
        "4.1.0",
        formats=("ocr", "pdf", "csv", "excel"),
        tests=(40, 44, 4),
        compliant=True,
    )
    await add_vendor(
        tracker,
        "ADP Workforce",
        "operational",
        "2.3.1",
        formats=("excel", "csv", "pdf"),
        tests=(48, 50, 2),
        compliant=True,
    )
    await add_vendor(
        tracker, "Gusto", "operational", "3.0.2", formats=("csv",), tests=(24, 24, 0), compliant=True
    )
    await add_vendor(tracker, "Zenefits", "broken", "0.1.0")

    # Work items: two projects, a session under the first with three tasks (one blocked, one
    # deleted with a child), a completed research item, and a completed task under the second.
    extraction = await create_item(
        tracker,
        "Commission statement extraction",
        item_type="project",
        priority=2,
        description="Extract commission statements\nfrom every   payroll vendor.",
    )
    wave = await create_item(
        tracker,
        "Vendor onboarding wave 3",
        item_type="session",
        parent=extraction,
        branch_name="014-vendor-wave-3",
        metadata={
            "token_budget": 150_000,
            "prompts_count": 12,
            "yaml_frontmatter": {"schema_version": "1.1", "model": "claude", "mode": "feature"},
        },
    )
    insperity = await create_item(
        tracker,
        "Insperity manifest migration",
        parent=wave,
        priority=1,
        description="Move Insperity to the v2 manifest.",
    )
    trinet = await create_item(
        tracker,
        "Fix TriNet OCR page rotation",
        parent=wave,
        status="blocked",
        metadata={"blocked_reason": "Waiting on TriNet's\nrotated sample files.", "estimated_hours": 6},
    )
    dropped = await create_item(tracker, "Drop the legacy PDF parser", parent=wave)
    await create_item(tracker, "Remove parser fixtures", parent=dropped)
    await create_item(
        tracker,
        "Evaluate table extraction libraries",
        item_type="research",
        parent=extraction,
        status="completed",
        commit_hash="9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d",
        pr_number=120,
        metadata={"findings_summary": "camelot wins on ruled tables."},
    )
    upkeep = await create_item(tracker, "Payroll platform upkeep", item_type="project", priority=4)
    rotate = await create_item(
        tracker,
        "Rotate API keys",
        parent=upkeep,
        status="completed",
        commit_hash="0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3",
    )
    await update_item(tracker, dropped, dropped.version, deleted=True)
    # A task waiting for an unfinished one (blocked, not ready) and for a completed one (history).
    notes = await create_item(tracker, "Publish wave 3 release notes", parent=wave, priority=2)
    await tracker.dependencies.add(notes.id, insperity.id, DependencyType.DEPENDS_ON, ACTOR)
    await tracker.dependencies.add(rotate.id, notes.id, DependencyType.BLOCKS, ACTOR)
    # A task an agent holds (in progress, under a lease).
    gusto = await create_item(tracker, "Gusto CSV header fix", parent=wave)
    await tracker.claims.claim("claude-code", gusto.id)

    # Deployments, recorded out of time order; one without PR, title, tests or vendors.
    await deploy(
        tracker,
        at("2025-09-18 09:47:00"),
        "0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3",
        items=(rotate.id,),
        test_summary={},
        constitutional_compliance=False,
    )
    await deploy(
        tracker,
        at("2025-10-03 15:12:00"),
        HEAD,
        vendors=("Paychex Flex",),
        items=(insperity.id, trinet.id),
        pr_number=142,
        pr_title="Paychex Flex OCR fallback for scanned statements",
        test_summary={"unit": 412, "integration": 37, "e2e": 6},
        constitutional_compliance=True,
    )
    await deploy(
        tracker,
        at("2025-09-26 11:03:00"),
        "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d",
        vendors=("TriNet", "Gusto", "ADP Workforce"),
        pr_number=137,
        pr_title="Shared CSV dialect sniffing for payroll exports",
        test_summary={"unit": 398, "skipped": 4, "integration": 35},
        constitutional_compliance=True,
    )

    # Enhancements: by priority then title; a completed one stays out (but names a dependency).
    legacy = await add_enhancement(
        tracker, "Legacy CSV export", 1, status="completed", description="Done in 2025-Q3."
    )
    workspaces = await add_enhancement(
        tracker,
        "Multi-project workspaces",
        1,
        status="planned",
        target_quarter="2026-Q1",
        description="Keep each client's vendors and work items apart.",
        requires_constitutional_principles=["I", "IV"],
    )
    await add_enhancement(
        tracker,
        "Statement anomaly alerts",
        2,
        status="approved",
        target_quarter="2026-Q1",
        description="Flag month-over-month commission swings\nabove a threshold.",
        requires_constitutional_principles=["V"],
        depends_on=[workspaces, legacy] if completed_dependency else [workspaces],
    )
    await add_enhancement(
        tracker,
        "Bulk re-extraction",
        2,
        status="implementing",
        description="Re-run every extractor over a date range.",
    )
    await add_enhancement(
        tracker,
        "Self-serve vendor manifest editor",
        4,
        requires_constitutional_principles=["II", "VIII"],
    )

    config = await tracker.configuration.get()
    await tracker.configuration.update(
        config.version,
        ConfigurationUpdate(
            active_context_type="feature",
            current_session_id=wave.id,
            git_branch="main",
            git_head_commit=HEAD,
            default_token_budget=180_000,
        ),
        ACTOR,
    )
    await pin_clock(tracker, CREATED)
    return FixedData(("Drop the legacy PDF parser", "Remove parser fixtures"), "Legacy CSV export")


async def space_out(tracker: Tracker, first: datetime = datetime(2025, 9, 1, tzinfo=UTC)) -> None:
    """Give the work items whole-second creation times a minute apart, in creation order (the
    report shows seconds: items created within one second would tie)."""
    async with tracker.db.unit_of_work(write=True) as session:
        rows = (await session.execute(select(WorkItem.id).order_by(WorkItem.created_at, WorkItem.id))).all()
        for n, (item_id,) in enumerate(rows):
            when = first + timedelta(minutes=n)
            await session.execute(
                update(WorkItem).where(WorkItem.id == item_id).values(created_at=when, updated_at=when)
            )


LONG_NOTE = (
    "Mapped 14 of the 16 Insperity manifest fields to the new schema; the two left are the pay "
    "group code and the cost centre, which the vendor exports differently per client. Next: ask "
    "their support which field wins."
)
NOTES = (
    # (item title, actor, text, written at): the newest of each open item is in the report.
    ("Gusto CSV header fix", "claude-code", "Started on the header mapping.", at("2025-10-05 08:00:00")),
    (
        "Gusto CSV header fix",
        "claude-code",
        "Header row fixed;\n  the    quoted-comma case still fails.",
        at("2025-10-06 17:40:00"),
    ),
    ("Insperity manifest migration", "alice", LONG_NOTE, at("2025-10-06 12:00:00")),
    ("Rotate API keys", "bob", "Keys rotated; nothing left to do.", at("2025-10-06 17:41:00")),
    ("Fix TriNet OCR page rotation", "bob", "Still waiting on samples.", at("2025-10-06 17:42:00")),
)
"""An in-progress item with two notes, an active one with a note longer than its line, a
completed one and a blocked one (neither open: their notes stay out of the report)."""


async def add_notes(tracker: Tracker) -> None:
    """The fixed notes on the fixed data (after `build_fixed_data`), their times pinned."""
    page = await tracker.work_items.list(limit=200)
    ids = {item.title: item.id for item in page.items}
    with fixed_ids():
        added = [
            (await tracker.notes.add(ids[title], text, actor), when) for title, actor, text, when in NOTES
        ]
    async with tracker.db.unit_of_work(write=True) as session:
        for note, when in added:
            await session.execute(
                update(WorkItemNote).where(WorkItemNote.id == uuid.UUID(note.id)).values(created_at=when)
            )
        await session.execute(update(Event).values(occurred_at=AS_OF))
