"""The legacy status file parser (services/importing/legacy.py), no database: what it reads from
the sample file, the hand-written variations it must read the same, and how it reports an
entry it cannot read (a warning naming the line, and an entry count the reconciliation uses).
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from project_status.services.importing.legacy import LegacyStatus, parse
from tests.services.import_data import (
    FIXTURES,
    VENDORS,
    all_at_once,
    asterisk_bullets,
    at,
    crlf,
    emoji_check_marks,
    extra_blank_lines,
    legacy_text,
    replaced,
    sections_reversed,
    tab_indented_continuations,
    trailing_spaces,
)

SHARED_FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"

ORIGINAL = legacy_text()


def content(status: LegacyStatus) -> dict[str, Any]:
    """Everything read, without the line numbers (a variation may move the lines)."""
    read = dataclasses.asdict(status)
    for kind in ("vendors", "work_items", "deployments", "enhancements"):
        for entry in read[kind]:
            del entry["line"]
    return read


def line_of(text: str, fragment: str) -> int:
    """1-based number of the first line holding `fragment`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if fragment in line:
            return number
    raise AssertionError(f"{fragment!r} not in the text")


BASE = content(parse(ORIGINAL))


# --------------------------------------------------------------------------- the sample file


def test_the_copied_fixtures_match_the_shared_ones() -> None:
    if not SHARED_FIXTURES.is_dir():
        pytest.skip(f"no shared fixtures beside the repository at {SHARED_FIXTURES}")
    originals = sorted(p.relative_to(SHARED_FIXTURES) for p in SHARED_FIXTURES.rglob("*") if p.is_file())
    copies = sorted(p.relative_to(FIXTURES) for p in FIXTURES.rglob("*") if p.is_file())

    assert set(originals) <= set(copies), "every shared fixture has its copy (tests may add their own)"
    assert all((FIXTURES / p).read_bytes() == (SHARED_FIXTURES / p).read_bytes() for p in originals)


def test_the_sample_is_read_without_a_warning() -> None:
    status = parse(ORIGINAL)

    assert status.warnings == []
    assert status.incomplete_vendors == []
    assert (
        status.vendor_total_declared,
        status.vendor_entries,
        status.work_item_entries,
        status.deployment_entries,
        status.enhancement_entries,
    ) == (12, 12, 5, 3, 3)
    assert status.configuration is None  # the hand-kept file has no Configuration section


def test_every_vendor_is_read_with_version_tests_formats_and_manifest() -> None:
    vendors = parse(ORIGINAL).vendors

    read = {
        v.name: (
            v.status,
            v.extractor_version,
            tuple(v.metadata["test_results"][k] for k in ("passing", "total", "skipped")),
            {name for name, on in v.metadata["format_support"].items() if on},
            v.metadata["manifest_compliant"],
        )
        for v in vendors
    }
    assert read == VENDORS
    assert [v.name for v in vendors] == list(VENDORS)  # file order
    assert sum(v.status == "operational" for v in vendors) == 10
    assert sorted(v.name for v in vendors if v.status == "broken") == ["Insperity", "TriNet"]


def test_a_vendor_in_detail_with_and_without_a_skipped_count() -> None:
    vendors = {v.name: v for v in parse(ORIGINAL).vendors}

    assert vendors["ADP Workforce"].line == 5
    assert vendors["ADP Workforce"].metadata == {
        "format_support": {"excel": True, "csv": True, "pdf": True, "ocr": False},
        "test_results": {"passing": 48, "total": 50, "skipped": 2},
        "manifest_compliant": True,
    }
    # "(31/31 tests)" without "N skipped": skipped is 0, not missing
    assert vendors["Ceridian Dayforce"].metadata["test_results"] == {"passing": 31, "total": 31, "skipped": 0}
    assert vendors["Insperity"].metadata == {
        "format_support": {"excel": False, "csv": False, "pdf": True, "ocr": True},
        "test_results": {"passing": 9, "total": 18, "skipped": 0},
        "manifest_compliant": False,
    }


def test_work_items_are_read_with_their_parents_by_title() -> None:
    items = parse(ORIGINAL).work_items

    assert [(i.title, i.item_type, i.status, i.created_at, i.parent, i.branch_name) for i in items] == [
        ("Commission statement extraction", "project", "active", at("2025-08-04 09:00:00"), None, None),
        (
            "Vendor onboarding wave 3",
            "session",
            "active",
            at("2025-09-29 10:15:00"),
            "Commission statement extraction",
            "014-vendor-wave-3",
        ),
        (
            "Fix TriNet OCR page rotation",
            "task",
            "blocked",
            at("2025-10-01 13:20:00"),
            "Vendor onboarding wave 3",
            None,
        ),
        (
            "Insperity manifest migration",
            "task",
            "active",
            at("2025-10-02 08:05:00"),
            "Vendor onboarding wave 3",
            None,
        ),
        (
            "Evaluate table extraction libraries",
            "research",
            "completed",
            at("2025-09-15 16:40:00"),
            "Commission statement extraction",
            None,
        ),
    ]
    assert all(i.priority == 3 and i.metadata == {} for i in items)  # neither is in the file


def test_deployments_are_read_with_their_vendors_by_name_and_both_check_marks() -> None:
    deployments = parse(ORIGINAL).deployments

    assert [(d.deployed_at, d.commit_hash, d.vendor_names, d.work_item_titles) for d in deployments] == [
        (at("2025-10-03 15:12:00"), "4f1c9a7e2b8d3c6f0a5e9b1d7c3f8a2e6b0d4c91", ["Paychex Flex"], []),
        (
            at("2025-09-26 11:03:00"),
            "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d",
            ["Gusto", "Justworks", "Rippling"],
            [],
        ),
        (at("2025-09-18 09:47:00"), "0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3", ["TriNet"], []),
    ]
    assert [d.metadata for d in deployments] == [
        {
            "pr_number": 142,
            "pr_title": "Paychex Flex OCR fallback for scanned statements",
            "test_summary": {"unit": 412, "integration": 37, "e2e": 6},
            "constitutional_compliance": True,  # ✓
        },
        {
            "pr_number": 137,
            "pr_title": "Shared CSV dialect sniffing for payroll exports",
            "test_summary": {"unit": 398, "integration": 35},
            "constitutional_compliance": True,
        },
        {
            "pr_number": 131,
            "pr_title": "TriNet extractor v1.0.1 hotfix",
            "test_summary": {"unit": 380, "integration": 33, "skipped": 4},
            "constitutional_compliance": False,  # ✗
        },
    ]


def test_enhancements_are_read_with_priority_status_quarter_and_principles() -> None:
    enhancements = parse(ORIGINAL).enhancements

    assert [
        (e.title, e.priority, e.status, e.target_quarter, e.description, e.principles, e.depends_on)
        for e in enhancements
    ] == [
        (
            "Multi-project workspaces",
            1,
            "planned",
            "2026-Q1",
            "Keep each client's vendors and work items apart.",
            ["I", "IV"],
            [],
        ),
        (
            "Statement anomaly alerts",
            2,
            "approved",
            "2026-Q1",
            "Flag month-over-month commission swings above a threshold.",
            ["V"],
            [],
        ),
        ("Self-serve vendor manifest editor", 4, "planned", None, "", ["II", "VIII"], []),
    ]


# --------------------------------------------------------------------------- hand-written variations


@pytest.mark.parametrize(
    "variation",
    [
        crlf,
        trailing_spaces,
        extra_blank_lines,
        sections_reversed,
        emoji_check_marks,
        asterisk_bullets,
        tab_indented_continuations,
        all_at_once,
    ],
)
def test_a_hand_written_variation_reads_the_same(variation: Callable[[str], str]) -> None:
    text = variation(ORIGINAL)
    assert text != ORIGINAL

    status = parse(text)

    assert status.warnings == []
    assert content(status) == BASE


def test_sections_in_another_order_still_link_parents_and_vendors() -> None:
    status = parse(sections_reversed(ORIGINAL))

    assert line_of(sections_reversed(ORIGINAL), "## Future Enhancements") < line_of(
        sections_reversed(ORIGINAL), "## Operational Vendors"
    )
    assert {i.title: i.parent for i in status.work_items}["Fix TriNet OCR page rotation"] == (
        "Vendor onboarding wave 3"
    )
    assert status.deployments[1].vendor_names == ["Gusto", "Justworks", "Rippling"]


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(read: dict[str, Any]) -> None:
        target: Any = read
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return apply


def _drop(path: tuple[Any, ...]) -> Callable[[dict[str, Any]], None]:
    def apply(read: dict[str, Any]) -> None:
        target: Any = read
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return apply


@pytest.mark.parametrize(
    ("old", "new", "change"),
    [
        pytest.param(
            "- **Branch**: 014-vendor-wave-3\n",
            "",
            _set(("work_items", 1, "branch_name"), None),
            id="no-branch",
        ),
        pytest.param(
            "(48/50 tests, 2 skipped)",
            "(48/50 tests)",
            _set(("vendors", 0, "metadata", "test_results", "skipped"), 0),
            id="no-skipped-count",
        ),
        pytest.param(
            "- **Created**: 2025-08-04 09:00:00 UTC\n",
            "",
            _set(("work_items", 0, "created_at"), None),
            id="no-created",
        ),
        pytest.param(
            "- **Parent**: Commission statement extraction\n\n### Fix",
            "\n### Fix",
            _set(("work_items", 1, "parent"), None),
            id="no-parent",
        ),
        pytest.param(
            "- **Title**: TriNet extractor v1.0.1 hotfix\n",
            "",
            _drop(("deployments", 2, "metadata", "pr_title")),
            id="no-deployment-title",
        ),
        pytest.param(
            "### 2025-09-18 09:47:00 UTC - PR #131",
            "### 2025-09-18 09:47:00 UTC",
            _drop(("deployments", 2, "metadata", "pr_number")),
            id="no-pr-number",
        ),
        pytest.param(
            "- **Tests**: unit: 380, integration: 33, skipped: 4\n",
            "",
            _set(("deployments", 2, "metadata", "test_summary"), {}),
            id="no-tests-line",
        ),
        pytest.param(
            "- **Vendors**: TriNet\n", "", _set(("deployments", 2, "vendor_names"), []), id="no-vendors-line"
        ),
        pytest.param(
            "2025-10-03 15:12:00 UTC - PR #142",
            "2025-10-03 15:12 UTC - PR #142",
            lambda read: None,
            id="time-without-seconds",
        ),
        pytest.param(
            "## Operational Vendors (10/12)",
            "## Operational Vendors",
            _set(("vendor_total_declared",), None),
            id="no-header-count",
        ),
        pytest.param(
            "(priority 4, planned)\n  Principles: II, VIII",
            "(priority 4, planned)",
            _set(("enhancements", 2, "principles"), []),
            id="no-enhancement-body",
        ),
    ],
)
def test_a_missing_optional_line_changes_only_its_own_field(
    old: str, new: str, change: Callable[[dict[str, Any]], None]
) -> None:
    status = parse(replaced(old, new))

    expected = content(parse(ORIGINAL))
    change(expected)
    assert status.warnings == []
    assert content(status) == expected


# --------------------------------------------------------------------------- unreadable entries


@pytest.mark.parametrize(
    ("old", "new", "at_line", "message", "kind", "entries"),
    [
        pytest.param(
            "  (31/31 tests) [csv, pdf]\n",
            "",
            "- **Ceridian Dayforce**",
            "vendor 'Ceridian Dayforce' lacks test counts, formats; skipped",
            "vendors",
            "vendor_entries",
            id="vendor-without-its-test-line",
        ),
        pytest.param(
            "version 2.0.0, manifest compliant",
            "manifest compliant",
            "- **Paycom**",
            "vendor 'Paycom' lacks version; skipped",
            "vendors",
            "vendor_entries",
            id="vendor-without-version",
        ),
        pytest.param(
            "- **Gusto**: operational",
            "- **Gusto** operational",
            "- **Gusto**",
            "vendor entry not of the form",
            "vendors",
            "vendor_entries",
            id="vendor-head-without-colon",
        ),
        pytest.param(
            "### Insperity manifest migration (task)",
            "### Insperity manifest migration",
            "### Insperity manifest migration",
            "work item heading not of the form",
            "work_items",
            "work_item_entries",
            id="work-item-without-type",
        ),
        pytest.param(
            "### Insperity manifest migration (task)",
            "### Insperity manifest migration (epic)",
            "### Insperity manifest migration",
            "work item heading not of the form",
            "work_items",
            "work_item_entries",
            id="work-item-of-unknown-type",
        ),
        pytest.param(
            "- **Created**: 2025-10-02 08:05:00 UTC",
            "- **Created**: last Thursday",
            "### Insperity manifest migration",
            "unreadable Created time 'last Thursday'; skipped",
            "work_items",
            "work_item_entries",
            id="work-item-with-unreadable-time",
        ),
        pytest.param(
            "### 2025-09-26 11:03:00 UTC - PR #137",
            "### Last Friday - PR #137",
            "### Last Friday",
            "deployment heading not of the form",
            "deployments",
            "deployment_entries",
            id="deployment-heading-without-time",
        ),
        pytest.param(
            "- **Commit**: `9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d`\n",
            "",
            "### 2025-09-26 11:03:00 UTC",
            "deployment without a Commit line; skipped",
            "deployments",
            "deployment_entries",
            id="deployment-without-commit",
        ),
        pytest.param(
            "- **Constitutional Compliance**: ✗",
            "- **Constitutional Compliance**: maybe",
            "- **Constitutional Compliance**: maybe",
            "compliance mark 'maybe' not one of ✓ ✗ ✅ ❌; skipped",
            "deployments",
            "deployment_entries",
            id="deployment-with-unknown-check-mark",
        ),
        pytest.param(
            "- **Tests**: unit: 398, integration: 35",
            "- **Tests**: all green",
            "### 2025-09-26 11:03:00 UTC",
            "deployment tests unreadable",
            "deployments",
            "deployment_entries",
            id="deployment-with-unreadable-tests",
        ),
        pytest.param(
            "- **Statement anomaly alerts** (priority 2, approved, 2026-Q1)",
            "- **Statement anomaly alerts** (priority soon, approved)",
            "- **Statement anomaly alerts**",
            "priority 'soon' is neither a number 1-5 nor one of",
            "enhancements",
            "enhancement_entries",
            id="enhancement-with-an-unknown-priority-word",
        ),
    ],
)
def test_an_unreadable_entry_is_skipped_with_a_warning_naming_its_line(
    old: str, new: str, at_line: str, message: str, kind: str, entries: str
) -> None:
    text = replaced(old, new)

    status = parse(text)

    assert [(w.line, message in w.message) for w in status.warnings] == [(line_of(text, at_line), True)]
    assert str(status.warnings[0]).startswith(f"line {line_of(text, at_line)}: ")
    # skipped, but still counted as an entry: the reconciliation sees the mismatch
    assert len(getattr(status, kind)) == len(BASE[kind]) - 1
    assert getattr(status, entries) == len(BASE[kind])


def test_a_vendor_lacking_metadata_is_listed_as_incomplete() -> None:
    status = parse(replaced("  (31/31 tests) [csv, pdf]\n", ""))

    assert status.incomplete_vendors == ["Ceridian Dayforce"]
    assert "Ceridian Dayforce" not in {v.name for v in status.vendors}


def test_an_unknown_format_is_warned_about_and_ignored() -> None:
    text = replaced("(27/27 tests) [pdf]", "(27/27 tests) [pdf, xml]")

    status = parse(text)

    assert [str(w) for w in status.warnings] == [
        f"line {line_of(text, '**Paycom**')}: vendor 'Paycom': unknown format(s) xml ignored"
    ]
    paycom = next(v for v in status.vendors if v.name == "Paycom")
    assert paycom.metadata["format_support"] == {"excel": False, "csv": False, "pdf": True, "ocr": False}


def test_an_unknown_section_is_warned_about_and_skipped() -> None:
    text = replaced("## Recent Deployments", "## Notes\n\n- **Remember**: the milk\n\n## Recent Deployments")

    status = parse(text)

    assert [str(w) for w in status.warnings] == [
        f"line {line_of(text, '## Notes')}: unknown section 'Notes' skipped"
    ]
    assert {**content(status), "warnings": []} == BASE


def test_the_header_count_is_read_as_declared_not_as_found() -> None:
    status = parse(replaced("## Operational Vendors (10/12)", "## Operational Vendors (10/13)"))

    assert (status.vendor_total_declared, status.vendor_entries, len(status.vendors)) == (13, 12, 12)


@pytest.mark.parametrize(
    "text", ["", "\n\n", "just some prose\n", "# Project Status\n\n---\n*Generated at x*\n"]
)
def test_text_without_sections_reads_nothing_and_says_the_file_is_unreadable(text: str) -> None:
    status = parse(text)

    assert status.unreadable is not None and "no section of a status file" in status.unreadable
    assert (1, status.unreadable) in [(w.line, w.message) for w in status.warnings]
    assert content(status) | {"unreadable": None, "warnings": []} == content(LegacyStatus())


def test_a_section_kind_that_appears_twice_is_read_in_full() -> None:
    completed = (
        "## Completed Work Items\n\n"
        "### Rotate API keys (task)\n- **Status**: completed\n"
        "- **Parent**: Commission statement extraction\n\n"
    )
    text = replaced("## Recent Deployments", completed + "## Recent Deployments")

    status = parse(text)

    # every entry counted (read, or counted as a mismatch for the reconciliation)
    assert status.work_item_entries == 6


def test_text_before_the_first_entry_of_a_section_is_not_dropped_silently() -> None:
    bullet = "- **2025-10-05 08:00:00 UTC**: PR #150 - Rippling hotfix\n\n"
    text = replaced("### 2025-10-03 15:12:00 UTC - PR #142", bullet + "### 2025-10-03 15:12:00 UTC - PR #142")

    status = parse(text)

    assert [w.line for w in status.warnings] == [line_of(text, "PR #150")]
    assert status.deployment_entries == 4


PATHOLOGICAL_PARSE = """
import sys
from project_status.services.importing.legacy import parse
parse(sys.stdin.read())
"""


def test_a_line_with_a_long_run_of_spaces_does_not_hang_the_parser() -> None:
    text = "## Active Work Items\n\n### a" + " " * 100_000 + "b (task)\n- **Status**: active\n"

    try:
        subprocess.run(
            [sys.executable, "-c", PATHOLOGICAL_PARSE], input=text, text=True, timeout=2, check=True
        )
    except subprocess.TimeoutExpired:
        pytest.fail("parse() took more than 2 s over a 100 kB line")
