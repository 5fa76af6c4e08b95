"""The report's work item layout read back: the nested hierarchy (parents by nesting, ids from
the hidden comments), the by-status views left aside, and a nested entry the parser cannot read
still counted, so the import's check fails rather than dropping it."""

from __future__ import annotations

from project_status.services.importing.legacy import parse

ROOT_ID = "5e6f0133-ad1d-5955-9c3d-378f05128e06"
CHILD_ID = "bb6ee405-fbdd-5ebb-8f16-105f61f0c06f"
TEXT = f"""## Work Items by Status

### Ready (1)

- **Rotate API keys** `bb6ee405` (task, priority 3)

## Work Item Hierarchy

- **Payroll** (project) `5e6f0133`: active, priority 4, created 2025-07-01 08:00:00 UTC <!-- id {ROOT_ID} -->
    - **Rotate API keys** (task) `bb6ee405`: active, priority 3 <!-- id {CHILD_ID} -->
        - **Commit**: `0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3`
        - **Waits for**: `5e6f0133` Payroll
- **Payroll** (project) `9a9a9a9a`: completed, priority 2, created 2025-07-03 08:00:00 UTC
"""


def test_the_nested_hierarchy_reads_back_with_parents_by_nesting_and_ids() -> None:
    status = parse(TEXT)

    assert [str(w) for w in status.warnings] == []
    assert status.work_item_entries == 3  # the by-status view is not counted
    root, child, other = status.work_items
    assert (root.id, root.parent_id, root.status, root.priority) == (ROOT_ID, None, "active", 4)
    assert (child.id, child.parent_id, child.parent) == (CHILD_ID, ROOT_ID, "Payroll")
    assert child.commit_hash == "0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3"
    assert child.waits_for == ["5e6f0133"]
    assert (other.id, other.parent, other.status) == (None, None, "completed")  # same title, top level


def test_a_nested_entry_the_parser_cannot_read_still_counts() -> None:
    broken = TEXT.replace(": active, priority 3 <", " - see notes <")

    status = parse(broken)

    assert status.work_item_entries == 3
    assert len(status.work_items) == 1 + 1  # the root and the other top-level item
    assert any("Rotate API keys" in str(w) for w in status.warnings)
