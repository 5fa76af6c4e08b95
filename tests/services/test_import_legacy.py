"""Importing a legacy status file (issue 4, DESIGN.md section 7) on both backends: the sample's
exact counts, the reconciliation checks, dry runs, re-imports that add nothing, rollback of the
whole import when a check fails, unreadable entries, and report → import → report.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from project_status.domain.enums import ItemType
from project_status.domain.validation import validate
from project_status.domain.vendors import VendorCreate
from project_status.services.importing.legacy import parse
from project_status.services.importing.prompts import scan_folder
from project_status.services.tracker import Tracker
from tests.conftest import sqlite_url
from tests.helpers import create_item, unchanged
from tests.services.import_data import (
    ACTOR,
    ALL_CHECKS,
    LEGACY_CHECKS,
    PROMPTS,
    VENDORS,
    all_at_once,
    at,
    body,
    failed,
    import_fixture,
    import_text,
    legacy_text,
    replaced,
    rows,
)

ORIGINAL = legacy_text()
CREATED = {"vendors": 12, "work items": 5, "deployments": 3, "enhancements": 3}


@pytest.fixture
async def empty_sqlite(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Tracker]:
    """A second, empty database (a fresh SQLite file) beside the `tracker` under test."""
    path = tmp_path / "second.db"
    shutil.copyfile(sqlite_template, path)
    opened = await Tracker.open(url=sqlite_url(path))
    try:
        yield opened
    finally:
        await opened.close()


# --------------------------------------------------------------------------- the sample file


async def test_the_sample_imports_to_the_documented_counts(tracker: Tracker) -> None:
    report = await import_fixture(tracker)

    assert (report.committed, report.dry_run, report.passed) == (True, False, True)
    assert {check.name for check in report.checks} == LEGACY_CHECKS
    assert {c.name: (c.expected, c.found) for c in report.checks} == {
        "vendor count": (12, 12),
        "deployment count": (3, 3),
        "enhancement count": (3, 3),
        "work item count": (5, 5),
        "vendor metadata completeness": (12, 12),
        "entries outside any section": (0, 0),
    }
    assert (report.created, report.existing, report.warnings) == (CREATED, {}, [])

    vendors = await tracker.vendors.query()
    assert (vendors.total, vendors.operational) == (12, 10)
    assert sorted(v.name for v in vendors.items if v.status == "broken") == ["Insperity", "TriNet"]
    data = await rows(tracker)
    assert Counter(item_type for _, item_type in data["work_items"]) == {
        "project": 1,
        "session": 1,
        "task": 2,
        "research": 1,
    }
    assert len(data["deployments"]) == 3
    assert sorted(data["enhancements"]) == [
        "Multi-project workspaces",
        "Self-serve vendor manifest editor",
        "Statement anomaly alerts",
    ]


async def test_every_vendor_is_stored_with_version_tests_formats_and_manifest(tracker: Tracker) -> None:
    await import_fixture(tracker)

    stored = (await rows(tracker))["vendors"]

    assert {
        name: (
            status,
            version,
            tuple(meta["test_results"][k] for k in ("passing", "total", "skipped")),
            {f for f, on in meta["format_support"].items() if on},
            meta["manifest_compliant"],
        )
        for name, (status, version, meta) in stored.items()
    } == VENDORS
    assert stored["UKG Pro"] == (
        "operational",
        "5.0.0",
        {
            "format_support": {"excel": True, "csv": True, "pdf": True, "ocr": False},
            "test_results": {"passing": 52, "total": 55, "skipped": 3},
            "manifest_compliant": True,
        },
    )
    # no "N skipped" in the file: stored as 0
    assert stored["Rippling"][2]["test_results"] == {"passing": 33, "total": 33, "skipped": 0}


async def test_work_items_are_linked_to_their_parents_by_title(tracker: Tracker) -> None:
    await import_fixture(tracker)

    items = (await rows(tracker))["work_items"]

    assert {
        title: (item["parent"], item["depth"], item["status"], item["created_at"], item["branch_name"])
        for (title, _), item in items.items()
    } == {
        "Commission statement extraction": (None, 0, "active", at("2025-08-04 09:00:00"), None),
        "Vendor onboarding wave 3": (
            "Commission statement extraction",
            1,
            "active",
            at("2025-09-29 10:15:00"),
            "014-vendor-wave-3",
        ),
        "Fix TriNet OCR page rotation": (
            "Vendor onboarding wave 3",
            2,
            "blocked",
            at("2025-10-01 13:20:00"),
            None,
        ),
        "Insperity manifest migration": (
            "Vendor onboarding wave 3",
            2,
            "active",
            at("2025-10-02 08:05:00"),
            None,
        ),
        "Evaluate table extraction libraries": (
            "Commission statement extraction",
            1,
            "completed",
            at("2025-09-15 16:40:00"),
            None,
        ),
    }
    wave = (await tracker.work_items.list(item_type=ItemType.SESSION)).items
    assert [item.title for item in wave] == ["Vendor onboarding wave 3"]


async def test_deployments_are_linked_to_their_vendors_by_name(tracker: Tracker) -> None:
    await import_fixture(tracker)

    deployments = (await rows(tracker))["deployments"]

    assert {
        (when, commit): (meta["metadata"].get("pr_number"), meta["vendors"], meta["work_items"])
        for (when, commit), meta in deployments.items()
    } == {
        (at("2025-10-03 15:12:00"), "4f1c9a7e2b8d3c6f0a5e9b1d7c3f8a2e6b0d4c91"): (142, ["Paychex Flex"], []),
        (at("2025-09-26 11:03:00"), "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d"): (
            137,
            ["Gusto", "Justworks", "Rippling"],
            [],
        ),
        (at("2025-09-18 09:47:00"), "0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3"): (131, ["TriNet"], []),
    }
    compliance = {
        meta["metadata"]["pr_number"]: meta["metadata"]["constitutional_compliance"]
        for meta in deployments.values()
    }
    assert compliance == {142: True, 137: True, 131: False}  # ✓ ✓ ✗
    justworks = (await tracker.deployments.list(vendor_name="Justworks")).items
    assert [d.commit_hash for d in justworks] == ["9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d"]


async def test_enhancements_are_stored_with_priority_status_quarter_and_principles(tracker: Tracker) -> None:
    await import_fixture(tracker)

    enhancements = (await rows(tracker))["enhancements"]

    assert enhancements["Statement anomaly alerts"] == {
        "priority": 2,
        "status": "approved",
        "target_quarter": "2026-Q1",
        "description": "Flag month-over-month commission swings above a threshold.",
        "principles": ["V"],
        "depends_on": [],
    }
    assert enhancements["Self-serve vendor manifest editor"]["target_quarter"] is None
    assert enhancements["Self-serve vendor manifest editor"]["principles"] == ["II", "VIII"]


async def test_a_hand_written_variation_imports_the_same_rows(
    tracker: Tracker, empty_sqlite: Tracker
) -> None:
    variant = await import_text(tracker, all_at_once(ORIGINAL))
    original = await import_fixture(empty_sqlite)

    assert (variant.passed, variant.created, variant.warnings) == (True, original.created, [])
    assert await rows(tracker) == await rows(empty_sqlite)


# --------------------------------------------------------------------------- dry run and re-import


async def test_a_dry_run_reports_the_same_and_writes_nothing(tracker: Tracker) -> None:
    async with unchanged(tracker):
        dry = await import_fixture(tracker, prompts=True, dry_run=True)

    real = await import_fixture(tracker, prompts=True)

    assert (dry.dry_run, dry.committed, real.committed) == (True, False, True)
    assert dry.passed
    assert {check.name for check in dry.checks} == ALL_CHECKS
    assert (dry.checks, dry.created, dry.existing, dry.warnings) == (
        real.checks,
        real.created,
        real.existing,
        real.warnings,
    )


async def test_importing_twice_adds_nothing_the_second_time(tracker: Tracker) -> None:
    first = await import_fixture(tracker, prompts=True)

    async with unchanged(tracker):
        second = await import_fixture(tracker, prompts=True)

    assert first.created == {**CREATED, "sessions": 2}
    assert first.existing == {"sessions": 1}
    assert second.created == {}
    assert second.existing == {**CREATED, "sessions": 3}
    assert second.passed and second.checks == first.checks


async def test_a_dry_run_over_imported_data_reports_everything_as_existing(tracker: Tracker) -> None:
    await import_fixture(tracker)

    async with unchanged(tracker):
        dry = await import_fixture(tracker, dry_run=True)

    assert (dry.created, dry.existing, dry.passed, dry.committed) == ({}, CREATED, True, False)


# --------------------------------------------------------------------------- rollback


async def seed_other_data(tracker: Tracker) -> None:
    """Data the database held before the import: a failed import must leave it as it was."""
    await create_item(tracker, "Existing project", item_type="project")
    payload = {"name": "Zenefits", "status": "broken", "extractor_version": "0.1.0", "metadata": {}}
    await tracker.vendors.create(validate(VendorCreate, payload), ACTOR)


DUPLICATE_GUSTO = "- **Gusto**: operational\n  (1/1 tests) [csv]\n  version 9.9.9, manifest compliant\n"


def with_duplicate_vendor(header: str) -> str:
    text = replaced("## Operational Vendors (10/12)", header)
    return replaced("\n## Active Work Items", DUPLICATE_GUSTO + "\n## Active Work Items", text)


@pytest.mark.parametrize(
    ("text", "failures", "warning"),
    [
        pytest.param(
            with_duplicate_vendor("## Operational Vendors (11/13)"),
            {"vendor count": (13, 12)},
            "vendor 'Gusto' appears twice in the file; skipped",
            id="two-vendors-of-one-name",
        ),
        pytest.param(
            with_duplicate_vendor("## Operational Vendors"),
            {"vendor count": (13, 12)},
            "vendor 'Gusto' appears twice in the file; skipped",
            id="two-vendors-of-one-name-without-header-count",
        ),
        pytest.param(
            replaced("## Operational Vendors (10/12)", "## Operational Vendors (10/13)"),
            {"vendor count": (13, 12)},
            None,
            id="header-count-off-by-one",
        ),
        pytest.param(
            with_duplicate_vendor("## Operational Vendors (10/12)"),
            {"vendor count": (13, 12)},
            "vendor 'Gusto' appears twice in the file; skipped",
            id="two-vendors-of-one-name-header-unchanged",
        ),
        pytest.param(
            replaced("\n## Active Work Items", "- **Zenefits** broken\n\n## Active Work Items"),
            {"vendor count": (13, 12)},
            "vendor entry not of the form",
            id="unreadable-extra-vendor-header-unchanged",
        ),
    ],
)
async def test_a_failed_check_rolls_back_everything_and_leaves_the_file(
    tracker: Tracker, tmp_path: Path, text: str, failures: dict[str, tuple[int, int]], warning: str | None
) -> None:
    await seed_other_data(tracker)
    source = tmp_path / ".project_status.md"
    source.write_bytes(text.encode("utf-8"))
    before = source.read_bytes()

    async with unchanged(tracker):
        report = await tracker.imports.run(
            parse(source.read_text(encoding="utf-8")), scan_folder(PROMPTS), actor=ACTOR
        )

    assert (report.committed, report.passed) == (False, False)
    assert failed(report) == failures
    assert report.created["vendors"] == 12  # what would have been written, all of it rolled back
    assert {check.name for check in report.checks} == ALL_CHECKS
    if warning is not None:
        assert any(warning in w for w in report.warnings), report.warnings
    assert source.read_bytes() == before


async def test_a_rolled_back_import_can_be_run_again_once_fixed(tracker: Tracker) -> None:
    broken = replaced("## Operational Vendors (10/12)", "## Operational Vendors (10/13)")
    async with unchanged(tracker):
        assert not (await import_text(tracker, broken)).committed

    report = await import_fixture(tracker)

    assert (report.committed, report.created, report.existing) == (True, CREATED, {})


# --------------------------------------------------------------------------- unreadable entries


@pytest.mark.parametrize(
    ("old", "new", "at_line", "warning", "failures"),
    [
        pytest.param(
            "  (31/31 tests) [csv, pdf]\n",
            "",
            8,
            "vendor 'Ceridian Dayforce' lacks test counts, formats; skipped",
            {"vendor count": (12, 11), "vendor metadata completeness": (12, 11)},
            id="vendor-without-its-test-line",
        ),
        pytest.param(
            "### Insperity manifest migration (task)",
            "### Insperity manifest migration",
            59,
            "work item heading not of the form '### Title (type)'; skipped",
            {"work item count": (5, 4)},
            id="work-item-heading-without-type",
        ),
        pytest.param(
            "- **Insperity**: broken",
            "- **Insperity**: retired",
            14,
            "vendor 'Insperity': ",
            {"vendor count": (12, 11)},
            id="vendor-of-unknown-status",
        ),
        pytest.param(
            "(9/18 tests)",
            "(19/18 tests)",
            14,
            "vendor 'Insperity': ",
            {"vendor count": (12, 11)},
            id="vendor-passing-more-than-total",
        ),
        pytest.param(
            "- **Parent**: Commission statement extraction\n\n### Fix",
            "- **Parent**: No such project\n\n### Fix",
            48,
            "parent 'No such project' of 'Vendor onboarding wave 3' not found; skipped",
            # its two children cannot find their parent either
            {"work item count": (5, 2)},
            id="work-item-with-unknown-parent",
        ),
        pytest.param(
            "- **Vendors**: Gusto, Justworks, Rippling",
            "- **Vendors**: Gusto, Justworks, Rippling, Zenefits",
            78,
            "deployment: ",
            {"deployment count": (3, 2)},
            id="deployment-naming-an-unknown-vendor",
        ),
        pytest.param(
            "(priority 4, planned)",
            "(priority 9, planned)",
            98,
            "enhancement 'Self-serve vendor manifest editor': ",
            {"enhancement count": (3, 2)},
            id="enhancement-of-priority-out-of-range",
        ),
    ],
)
async def test_an_unreadable_entry_is_warned_about_and_fails_its_check(
    tracker: Tracker, old: str, new: str, at_line: int, warning: str, failures: dict[str, tuple[int, int]]
) -> None:
    async with unchanged(tracker):
        report = await import_text(tracker, replaced(old, new))

    assert (report.committed, failed(report)) == (False, failures)
    assert any(w.startswith(f"line {at_line}: ") and warning in w for w in report.warnings), report.warnings


# --------------------------------------------------------------------------- round trip


async def test_report_then_import_into_an_empty_database_gives_the_same_report_and_rows(
    tracker: Tracker, empty_sqlite: Tracker
) -> None:
    first = await import_fixture(tracker, prompts=True)
    report = await tracker.reports.render()

    second = await import_text(empty_sqlite, report)
    again = await empty_sqlite.reports.render()

    assert second.committed and second.passed and second.warnings == []
    assert body(again) == body(report)
    assert second.created == {
        "vendors": first.created["vendors"],
        "work items": first.created["work items"] + first.created["sessions"],  # 5 + 2 from prompts
        "deployments": first.created["deployments"],
        "enhancements": first.created["enhancements"],
    }
    assert second.created == {"vendors": 12, "work items": 7, "deployments": 3, "enhancements": 3}
    source, copy = await rows(tracker), await rows(empty_sqlite)
    assert copy == source


async def test_prompt_frontmatter_survives_the_round_trip(tracker: Tracker, empty_sqlite: Tracker) -> None:
    await import_fixture(tracker, prompts=True)

    await import_text(empty_sqlite, await tracker.reports.render())

    source, copy = await rows(tracker), await rows(empty_sqlite)
    key = ("Vendor onboarding wave 3", "session")
    assert copy["work_items"][key]["metadata"] == source["work_items"][key]["metadata"]


async def test_importing_the_report_back_into_its_own_database_adds_nothing(tracker: Tracker) -> None:
    await import_fixture(tracker, prompts=True)
    report = await tracker.reports.render()

    async with unchanged(tracker):
        again = await import_text(tracker, report)

    assert again.passed and again.created == {}
    assert again.existing == {"vendors": 12, "work items": 7, "deployments": 3, "enhancements": 3}
    assert await tracker.reports.render() == report


# --------------------------------------------------------------------------- other layouts, nothing read

UPSTREAM_TEXT = (Path(__file__).resolve().parents[1] / "fixtures" / "upstream-project-status.md").read_text(
    encoding="utf-8"
)


async def test_the_upstream_layout_imports_with_every_check_passing(tracker: Tracker) -> None:
    report = await import_text(tracker, UPSTREAM_TEXT)

    assert (report.committed, report.passed, report.warnings) == (True, True, []), report.checks
    assert {c.name: (c.expected, c.found) for c in report.checks} == {
        "vendor count": (3, 3),
        "deployment count": (2, 2),
        "enhancement count": (3, 3),
        "work item count": (0, 0),
        "vendor metadata completeness": (3, 3),
        "embedded session prompt count": (2, 2),
        "entries outside any section": (0, 0),
    }
    vendors = await tracker.vendors.query()
    assert (vendors.total, vendors.operational) == (3, 2)
    data = await rows(tracker)
    assert Counter(item_type for _, item_type in data["work_items"]) == {"session": 2}
    again = await import_text(tracker, UPSTREAM_TEXT)
    assert (again.committed, again.created) == (True, {}), "a second run adds nothing"


async def test_an_upstream_entry_that_does_not_import_rolls_everything_back(tracker: Tracker) -> None:
    text = UPSTREAM_TEXT.replace("- Work Items: OCR fallback for vendor_3", "- Work Items: No such session")

    async with unchanged(tracker):
        report = await import_text(tracker, text)

    assert (report.committed, failed(report)) == (False, {"deployment count": (2, 1)})


async def test_a_work_item_after_the_closing_line_fails_a_check_and_writes_nothing(tracker: Tracker) -> None:
    text = ORIGINAL + "\n### Forgotten task (task)\n- **Status**: active\n"

    async with unchanged(tracker):
        report = await import_text(tracker, text)

    assert (report.committed, failed(report)) == (False, {"entries outside any section": (0, 1)})
    assert any("Forgotten task" in w for w in report.warnings), report.warnings


@pytest.mark.parametrize(
    "text",
    [pytest.param("x" * 10_000_001, id="too-large"), pytest.param("\x00\x7f" * 1000, id="binary"), ""],
)
async def test_an_unread_or_empty_file_fails_and_writes_nothing(tracker: Tracker, text: str) -> None:
    async with unchanged(tracker):
        report = await import_text(tracker, text)

    assert (report.committed, report.passed, failed(report)) == (False, False, {"status file read": (1, 0)})
