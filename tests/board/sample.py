"""A small, readable project for the board's browser tests and its screenshots: a few projects
with sessions, tasks and research, a blocking dependency, vendors (one broken), deployments and
enhancements, all made through the service layer as a client would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from project_status.domain.deployments import DeploymentCreate
from project_status.domain.enhancements import EnhancementCreate
from project_status.domain.enums import DependencyType
from project_status.domain.validation import validate
from project_status.domain.vendors import VendorCreate
from project_status.domain.work_items import WorkItemCreate
from project_status.services.tracker import Tracker

ACTOR = "seed"


@dataclass(frozen=True)
class Sample:
    project: str
    task: str
    blocked: str
    blocker: str


async def _item(
    tracker: Tracker, title: str, item_type: str, parent: str | None = None, **extra: object
) -> str:
    payload: dict[str, object] = {"item_type": item_type, "title": title, **extra}
    if parent is not None:
        payload["parent_id"] = parent
    return (await tracker.work_items.create(validate(WorkItemCreate, payload), ACTOR)).id


async def seed_sample(tracker: Tracker) -> Sample:
    payments = await _item(tracker, "Payments platform", "project", priority=1)
    session = await _item(tracker, "Session: refunds API", "session", payments)
    refunds = await _item(tracker, "Refund endpoint", "task", session, priority=2)
    ledger = await _item(tracker, "Ledger migration", "task", session, priority=1)
    await _item(tracker, "Idempotency keys for refunds", "task", refunds, priority=2)
    await _item(tracker, "Chargeback research", "research", session, priority=3)
    await _item(tracker, "Retire the old gateway", "task", payments, status="completed", priority=4)
    stuck = await _item(
        tracker,
        "Settlement report",
        "task",
        session,
        priority=2,
        metadata={"blocked_reason": "waits for the ledger"},
    )
    await tracker.dependencies.add(stuck, ledger, DependencyType.DEPENDS_ON, ACTOR)
    docs = await _item(tracker, "Extractor docs", "project", priority=3)
    await _item(tracker, "Write the vendor guide", "task", docs)
    for index, (name, status, passing) in enumerate(
        [("acme-bank", "operational", 42), ("globex-pdf", "broken", 17), ("initech-csv", "operational", 30)]
    ):
        await tracker.vendors.create(
            validate(
                VendorCreate,
                {
                    "name": name,
                    "status": status,
                    "extractor_version": f"1.{index}.0",
                    "metadata": {
                        "format_support": {"excel": index != 1, "csv": True, "pdf": index == 1, "ocr": False},
                        "test_results": {"passing": passing, "total": 42, "skipped": 0},
                        "manifest_compliant": status == "operational",
                    },
                },
            ),
            ACTOR,
        )
    now = datetime.now(UTC)
    for days, number, title, vendors in [
        (9, 101, "Refunds behind a flag", ["acme-bank"]),
        (2, 108, "PDF extractor fix attempt", ["globex-pdf", "initech-csv"]),
    ]:
        await tracker.deployments.record(
            validate(
                DeploymentCreate,
                {
                    "deployed_at": (now - timedelta(days=days)).isoformat(),
                    "commit_hash": f"{number:040x}",
                    "metadata": {
                        "pr_number": number,
                        "pr_title": title,
                        "test_summary": {"unit": 120 + number, "integration": 12},
                        "constitutional_compliance": number != 108,
                    },
                    "vendor_names": vendors,
                    "work_item_ids": [refunds],
                },
            ),
            ACTOR,
        )
    for title, priority, quarter, status in [
        ("Multi-currency ledger", 1, "2027-Q1", "approved"),
        ("OCR for scanned statements", 2, "2027-Q2", "planned"),
        ("Vendor health alerts", 2, "2027-Q1", "implementing"),
        ("Dark mode for the board", 4, None, "planned"),
    ]:
        await tracker.enhancements.create(
            validate(
                EnhancementCreate,
                {
                    "title": title,
                    "description": f"{title}.",
                    "priority": priority,
                    "target_quarter": quarter,
                    "status": status,
                },
            ),
            ACTOR,
        )
    return Sample(project=payments, task=refunds, blocked=stuck, blocker=ledger)
