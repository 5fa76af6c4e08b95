"""What the import tests share: the sample inputs and a plain view of the rows an import wrote.

The samples are copies of `../shared/fixtures/` kept in `tests/fixtures/` (CI clones this
repository alone; test_import_parser.py checks that the copies still match the originals when
those are beside the repository).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from project_status.services.importing.importer import ImportReport
from project_status.services.importing.legacy import parse
from project_status.services.importing.prompts import scan_folder
from project_status.services.tracker import Tracker
from project_status.store.tables import (
    Deployment,
    Enhancement,
    EnhancementDependency,
    Vendor,
    WorkItem,
    deployment_vendors,
    deployment_work_items,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LEGACY = FIXTURES / "legacy-project-status.md"
PROMPTS = FIXTURES / "session-prompts"
ACTOR = "importer"

LEGACY_CHECKS = {
    "vendor count",
    "deployment count",
    "enhancement count",
    "work item count",
    "vendor metadata completeness",
}
ALL_CHECKS = LEGACY_CHECKS | {"session prompt count"}

# name: (status, version, (passing, total, skipped), formats, manifest compliant)
VENDORS = {
    "ADP Workforce": ("operational", "2.3.1", (48, 50, 2), {"excel", "csv", "pdf"}, True),
    "Ceridian Dayforce": ("operational", "1.8.0", (31, 31, 0), {"csv", "pdf"}, True),
    "Gusto": ("operational", "3.0.2", (22, 24, 1), {"csv"}, True),
    "Insperity": ("broken", "0.9.4", (9, 18, 0), {"pdf", "ocr"}, False),
    "Justworks": ("operational", "1.2.0", (15, 15, 0), {"excel", "csv"}, True),
    "Paychex Flex": ("operational", "4.1.0", (40, 44, 4), {"excel", "csv", "pdf", "ocr"}, True),
    "Paycom": ("operational", "2.0.0", (27, 27, 0), {"pdf"}, True),
    "Paylocity": ("operational", "1.5.3", (19, 21, 2), {"excel", "pdf"}, True),
    "Rippling": ("operational", "2.2.0", (33, 33, 0), {"csv"}, True),
    "TriNet": ("broken", "1.0.1", (4, 12, 1), {"pdf", "ocr"}, False),
    "UKG Pro": ("operational", "5.0.0", (52, 55, 3), {"excel", "csv", "pdf"}, True),
    "Workday Payroll": ("operational", "1.0.0", (12, 12, 0), {"excel"}, True),
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def legacy_text() -> str:
    return LEGACY.read_text(encoding="utf-8")


def replaced(old: str, new: str, text: str | None = None) -> str:
    """The sample file (or `text`) with its one occurrence of `old` replaced by `new`."""
    text = legacy_text() if text is None else text
    assert text.count(old) == 1, f"{old!r} must occur once"
    return text.replace(old, new)


async def import_text(
    tracker: Tracker, text: str, *, prompts: Path | None = None, dry_run: bool = False
) -> ImportReport:
    scan = scan_folder(prompts) if prompts is not None else None
    return await tracker.imports.run(parse(text), scan, actor=ACTOR, dry_run=dry_run)


async def import_fixture(tracker: Tracker, *, prompts: bool = False, dry_run: bool = False) -> ImportReport:
    return await import_text(tracker, legacy_text(), prompts=PROMPTS if prompts else None, dry_run=dry_run)


def failed(report: ImportReport) -> dict[str, tuple[int, int]]:
    """The failed checks as name → (expected, found)."""
    return {check.name: (check.expected, check.found) for check in report.checks if not check.passed}


def body(report_text: str) -> list[str]:
    """A rendered report without its two time lines (header and footer)."""
    lines = report_text.splitlines()
    assert lines[0].startswith("# Project Status - "), lines[0]
    assert lines[-1].startswith("*Generated at "), lines[-1]
    return lines[1:-1]


# Hand-written variations of a status file, each of which must read the same as the original.


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def trailing_spaces(text: str) -> str:
    return "\n".join(line + " \t " for line in text.split("\n"))


def extra_blank_lines(text: str) -> str:
    return text.replace("\n", "\n\n\n")


def sections_reversed(text: str) -> str:
    head, *sections = re.split(r"\n(?=## )", text)
    last, footer = sections[-1].split("\n---\n")
    sections[-1] = last.rstrip("\n") + "\n"
    return "\n".join([head, *reversed([s.rstrip("\n") + "\n" for s in sections])]) + "\n---\n" + footer


def emoji_check_marks(text: str) -> str:
    return text.replace("✓", "✅").replace("✗", "❌")


def asterisk_bullets(text: str) -> str:
    return re.sub(r"^(\s*)- ", r"\1* ", text, flags=re.MULTILINE)


def tab_indented_continuations(text: str) -> str:
    return text.replace("\n  ", "\n\t")


def all_at_once(text: str) -> str:
    for variation in (sections_reversed, emoji_check_marks, extra_blank_lines, trailing_spaces, crlf):
        text = variation(text)
    return text


async def rows(tracker: Tracker) -> dict[str, Any]:
    """Every live row an import writes, by name instead of id (two databases compare equal when
    they hold the same data). Creation times are cut to the second: the report shows seconds."""
    async with tracker.db.unit_of_work() as session:
        vendors = (await session.execute(select(Vendor))).scalars().all()
        vendor_names = {v.id: v.name for v in vendors}
        items = (await session.execute(select(WorkItem).where(WorkItem.deleted_at.is_(None)))).scalars().all()
        titles = {i.id: i.title for i in items}
        deployments = (await session.execute(select(Deployment))).scalars().all()
        linked_vendors = (await session.execute(select(deployment_vendors))).all()
        linked_items = (await session.execute(select(deployment_work_items))).all()
        enhancements = (await session.execute(select(Enhancement))).scalars().all()
        enhancement_titles = {e.id: e.title for e in enhancements}
        depends = (await session.execute(select(EnhancementDependency))).scalars().all()
    return {
        "vendors": {v.name: (v.status, v.extractor_version, v.metadata_) for v in vendors},
        "work_items": {
            (i.title, i.item_type): {
                "status": i.status,
                "priority": i.priority,
                "created_at": i.created_at.replace(microsecond=0),
                "parent": titles.get(i.parent_id) if i.parent_id else None,
                "depth": i.depth,
                "branch_name": i.branch_name,
                "commit_hash": i.commit_hash,
                "pr_number": i.pr_number,
                "description": i.description,
                "metadata": i.metadata_,
            }
            for i in items
        },
        "deployments": {
            (d.deployed_at, d.commit_hash): {
                "metadata": d.metadata_,
                "vendors": sorted(vendor_names[v] for dep, v in linked_vendors if dep == d.id),
                "work_items": sorted(titles[w] for dep, w in linked_items if dep == d.id),
            }
            for d in deployments
        },
        "enhancements": {
            e.title: {
                "priority": e.priority,
                "status": e.status,
                "target_quarter": e.target_quarter,
                "description": e.description,
                "principles": e.requires_constitutional_principles,
                "depends_on": sorted(
                    enhancement_titles[d.depends_on_id] for d in depends if d.enhancement_id == e.id
                ),
            }
            for e in enhancements
        },
    }
