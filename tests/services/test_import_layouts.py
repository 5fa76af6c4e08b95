"""The one tolerant legacy parser, no database: the upstream quickstart's layout
(`tests/fixtures/upstream-project-status.md`, written from its description: one-line vendor
entries, `### YYYY-MM-DD - PR #N` deployment blocks with plain labels, `(Priority: High, Q1 2026)`
enhancements, session prompts embedded with a frontmatter block), our own layout with entries
joined on one line or wrapped at other points, and mixtures; and the independent entry count
that catches what the parser drops (a file it cannot read, an entry after the closing `---`).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from project_status.services.importing.legacy import LegacyStatus, parse
from tests.services.import_data import FIXTURES, legacy_text, replaced

UPSTREAM = FIXTURES / "upstream-project-status.md"


def counts(status: LegacyStatus) -> tuple[int, int, int, int, int, int]:
    return (
        status.vendor_entries,
        status.work_item_entries,
        status.deployment_entries,
        status.enhancement_entries,
        status.prompt_entries,
        status.stray_entries,
    )


def test_the_upstream_layout_is_read_whole_without_a_warning() -> None:
    status = parse(UPSTREAM.read_text(encoding="utf-8"))

    assert status.warnings == [] and status.unreadable is None
    assert counts(status) == (3, 0, 2, 3, 2, 0)
    vendor = status.vendors[0]
    assert (vendor.name, vendor.status, vendor.extractor_version) == ("vendor_1", "operational", "1.2.3")
    assert vendor.metadata == {
        "format_support": {"excel": True, "csv": True, "pdf": False, "ocr": False},
        "test_results": {"passing": 10, "total": 12, "skipped": 2},
    }
    assert [v.status for v in status.vendors] == ["operational", "operational", "broken"]
    first = status.deployments[0]
    assert first.deployed_at == datetime(2025, 10, 1, tzinfo=UTC)
    assert first.commit_hash == "4f1c9a7e2b8d3c6f0a5e9b1d7c3f8a2e6b0d4c91"
    assert first.metadata == {
        "pr_number": 100,
        "test_summary": {"passed": 45, "failed": 0},
        "constitutional_compliance": True,
    }
    assert (first.vendor_names, first.work_item_titles) == (
        ["vendor_1", "vendor_3"],
        ["OCR fallback for vendor_3"],
    )
    assert status.deployments[1].metadata["constitutional_compliance"] is False
    assert [(e.title, e.priority, e.status, e.target_quarter) for e in status.enhancements] == [
        ("Enhancement A", 2, "planned", "2026-Q1"),
        ("Enhancement B", 3, "planned", "2026-Q2"),
        ("Enhancement C", 4, "planned", None),
    ]
    assert [(p.session, p.token_budget, p.prompts_count) for p in status.prompts] == [
        ("OCR fallback for vendor_3", 150000, 4),
        ("Ship PR 100", 100000, None),
    ]


# --------------------------------------------------------------------------- each entry kind, reshaped

ADP = (
    "- **ADP Workforce**: operational\n  (48/50 tests, 2 skipped) [excel, csv, pdf]\n"
    "  version 2.3.1, manifest compliant\n"
)
GUSTO_DEPLOYMENT_VENDORS = "- **Vendors**: Gusto, Justworks, Rippling\n"
ANOMALY = (
    "- **Statement anomaly alerts** (priority 2, approved, 2026-Q1)\n"
    "  Flag month-over-month commission swings above a threshold. Principles: V\n"
)
WAVE = (
    "### Vendor onboarding wave 3 (session)\n- **Status**: active\n- **Created**: 2025-09-29 10:15:00 UTC\n"
    "- **Branch**: 014-vendor-wave-3\n- **Parent**: Commission statement extraction\n"
)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param(
            ADP,
            "- **ADP Workforce**: operational (48/50 tests, 2 skipped) [excel, csv, pdf] version 2.3.1, "
            "manifest compliant\n",
            id="vendor-on-one-line",
        ),
        pytest.param(
            ADP,
            "- **ADP Workforce**: operational (48/50\n  tests, 2 skipped) [excel, csv,\n  pdf] version\n"
            "  2.3.1, manifest\n  compliant\n",
            id="vendor-wrapped-elsewhere",
        ),
        pytest.param(
            ADP,
            "- **ADP Workforce**:\n  OPERATIONAL (48/50 Tests"
            ", 2 skipped)\n  [Excel, CSV, PDF] Version 2.3.1, "
            "Manifest Compliant\n",
            id="vendor-wrapped-after-its-name-in-other-case",
        ),
        pytest.param(
            GUSTO_DEPLOYMENT_VENDORS,
            "- **Vendors**: Gusto,\n  Justworks, Rippling\n",
            id="deployment-field-wrapped",
        ),
        pytest.param(
            "- **Commit**: `9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a"
            "2f1e0d`\n- **Tests**: unit: 398, integration: 35\n",
            "- **Commit**: `9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3"
            "a2f1e0d`; **Tests**: unit: 398, integration: 35\n",
            id="deployment-fields-on-one-line",
        ),
        pytest.param(
            "- **Constitutional Compliance**: ✓\n- **Vendors**: Gusto",
            "- constitutional compliance: ✓\n- vendors: Gusto",
            id="deployment-plain-lower-case-labels",
        ),
        pytest.param(
            ANOMALY,
            "- **Statement anomaly alerts** (priority 2, approved, 2026-Q1) Flag month-over-month commission "
            "swings above a threshold. Principles: V\n",
            id="enhancement-on-one-line",
        ),
        pytest.param(
            ANOMALY,
            "- **Statement anomaly alerts**\n  (priority 2, approved,\n  2026-Q1)\n"
            "  Flag month-over-month commission swings above a threshold. Principles: V\n",
            id="enhancement-head-wrapped",
        ),
        pytest.param(
            ANOMALY,
            "- **Statement anomaly alerts** (Priority: High, Approved, Q1 2026)\n"
            "  Flag month-over-month commission swings above a threshold. Principles: V\n",
            id="enhancement-upstream-terms",
        ),
        pytest.param(
            WAVE,
            "### Vendor onboarding wave 3 (Session)\n- **Status"
            "**: active; **Created**: 2025-09-29 10:15:00 UTC; "
            "**Branch**: 014-vendor-wave-3; **Parent**: Commission statement extraction\n",
            id="work-item-fields-on-one-line",
        ),
        pytest.param(
            WAVE,
            "### Vendor onboarding wave 3 (session)\n- status"
            ": active\n- created: 2025-09-29\n  10:15:00 UTC\n"
            "- Branch: 014-vendor-wave-3\n- Parent: Commission\n  statement extraction\n",
            id="work-item-plain-labels-wrapped",
        ),
    ],
)
def test_a_reshaped_entry_reads_the_same(old: str, new: str) -> None:
    original = parse(legacy_text())
    status = parse(replaced(old, new))

    assert status.warnings == []
    assert counts(status) == counts(original)
    for kind in ("vendors", "work_items", "deployments", "enhancements"):
        read = [{**vars(entry), "line": 0} for entry in getattr(status, kind)]
        expected = [{**vars(entry), "line": 0} for entry in getattr(original, kind)]
        if kind == "enhancements" and "High" in new:
            expected = [
                {**e, "priority": 2} if e["title"] == "Statement anomaly alerts" else e for e in expected
            ]
        assert read == expected, kind


def test_upstream_entries_on_two_lines_read_the_same_as_on_one() -> None:
    text = UPSTREAM.read_text(encoding="utf-8")
    wrapped = text.replace(
        "- vendor_1: operational (10/12 tests passed, 2 skipped) [Excel, CSV] v1.2.3",
        "- vendor_1: operational (10/12 tests passed,\n  2 skipped) [Excel, CSV] v1.2.3",
    ).replace("- Enhancement A (Priority: High, Q1 2026)", "- Enhancement A (Priority: High,\n  Q1 2026)")
    assert wrapped != text

    one, two = parse(text), parse(wrapped)

    assert two.warnings == []
    assert counts(two) == counts(one)
    assert [v.metadata for v in two.vendors] == [v.metadata for v in one.vendors]
    assert [(e.title, e.priority, e.target_quarter) for e in two.enhancements] == [
        (e.title, e.priority, e.target_quarter) for e in one.enhancements
    ]


def test_a_mixture_of_both_layouts_is_read_whole() -> None:
    upstream = UPSTREAM.read_text(encoding="utf-8")
    vendor_lines = [line for line in upstream.splitlines() if line.startswith("- vendor_")]
    sessions = upstream[upstream.index("## Session Prompts") :]
    text = replaced(ADP, ADP + "\n".join(vendor_lines) + "\n")
    text = replaced(
        "## Future Enhancements\n", "## Future Enhancements\n\n- Enhancement A (Priority: Low)\n", text
    )
    text = replaced(
        "### 2025-09-18 09:47:00 UTC - PR #131",
        "### 2025-10-01 - PR #100\n- Commit: 1111111111111111111111111111111111111111\n"
        "- Tests: 45 passed, 0 failed\n- Constitutional Com"
        "pliance: ✓\n\n### 2025-09-18 09:47:00 UTC - PR #131",
        text,
    )
    text = text.replace("\n---\n*Generated", "\n" + sessions + "\n---\n*Generated")

    status = parse(text)

    assert status.warnings == []
    assert counts(status) == (15, 5, 4, 4, 2, 0)
    assert len(status.vendors) == 15 and len(status.deployments) == 4 and len(status.enhancements) == 4
    assert [p.session for p in status.prompts] == ["OCR fallback for vendor_3", "Ship PR 100"]


@pytest.mark.parametrize(
    ("word", "number"), [("High", 2), ("medium", 3), ("LOW", 4), ("critical", 1), ("5", 5)]
)
def test_a_work_item_priority_may_be_a_word_or_a_number(word: str, number: int) -> None:
    text = replaced(
        "- **Created**: 2025-08-04 09:00:00 UTC\n",
        f"- **Created**: 2025-08-04 09:00:00 UTC\n- **Priority**: {word}\n",
    )

    item = parse(text).work_items[0]

    assert (item.title, item.priority) == ("Commission statement extraction", number)


# --------------------------------------------------------------------------- what the parser drops is seen


def test_a_work_item_after_the_closing_line_is_counted_and_reported() -> None:
    text = legacy_text() + "\n### Forgotten task (task)\n- **Status**: active\n"
    line = len(legacy_text().splitlines()) + 2

    status = parse(text)

    assert status.stray_entries == 1, "the independent count sees the entry nobody reads"
    assert len(status.work_items) == 5
    assert [w.line for w in status.warnings] == [line, line + 1]
    assert all("outside any section" in w.message for w in status.warnings)


def test_an_unknown_line_inside_an_entry_is_reported_with_its_number() -> None:
    text = replaced(
        "- **Branch**: 014-vendor-wave-3\n", "- **Branch**: 014-vendor-wave-3\n- **Mood**: cheerful\n"
    )

    status = parse(text)

    assert [(w.line, w.message) for w in status.warnings] == [
        (text.splitlines().index("- **Mood**: cheerful") + 1, "unknown label 'mood' ignored")
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        pytest.param("x" * 10_000_001, "larger than 10000000 bytes", id="too-large"),
        pytest.param("## Vendors\n\x00\x01\x02" * 10, "not UTF-8 text", id="binary-with-nul"),
        pytest.param("\ufffd" * 5000, "not UTF-8 text", id="binary-decoded-with-replacements"),
        pytest.param("", "no section of a status file", id="empty"),
        pytest.param("plain notes, no sections\n", "no section of a status file", id="no-section"),
    ],
)
def test_an_unread_or_empty_file_is_marked_unreadable(text: str, says: str) -> None:
    status = parse(text)

    assert status.unreadable is not None and says in status.unreadable
    assert (status.vendors, status.work_items, status.deployments, status.enhancements) == ([], [], [], [])
