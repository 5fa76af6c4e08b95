"""A work item's assignee, on both backends: who is to do it, as planned. Set on create, changed
and cleared by an update (each change in the audit trail), kept by the archive, shown in the
report's hierarchy and read back by an import of the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from project_status.domain.errors import ValidationError
from project_status.services.importing.legacy import parse
from project_status.services.tracker import Tracker
from tests.conftest import sqlite_url
from tests.helpers import ACTOR, create_item, events_of, only_error, update_item
from tests.services.report_data import pin_clock
from tests.services.test_archive import age


async def test_an_assignee_is_set_changed_cleared_and_audited(tracker: Tracker) -> None:
    item = await create_item(tracker, "Parse the Paychex PDF", assignee="  claude-code ")
    assert item.assignee == "claude-code"

    moved = await update_item(tracker, item, item.version, assignee="codex")
    cleared = await update_item(tracker, moved, moved.version, assignee=None)

    assert (moved.assignee, cleared.assignee) == ("codex", None)
    assert (await tracker.work_items.get(item.id)).assignee is None
    history = [(e.action, e.changes.get("assignee")) for e in await events_of(tracker, "work_item", item.id)]
    assert history == [
        ("created", {"old": None, "new": "claude-code"}),
        ("updated", {"old": "claude-code", "new": "codex"}),
        ("updated", {"old": "codex", "new": None}),
    ]


async def test_an_assignee_is_one_line_of_at_most_200_characters(tracker: Tracker) -> None:
    for bad in ("", "two\nlines", "x" * 201):
        with pytest.raises(ValidationError) as refused:
            await create_item(tracker, "Parse the Paychex PDF", assignee=bad)
        assert only_error(refused.value)["field"] == "assignee"
    assert (await tracker.work_items.list()).total == 0


async def test_the_archive_keeps_the_assignee_and_a_restore_brings_it_back(tracker: Tracker) -> None:
    item = await create_item(tracker, "Old extraction fix", status="completed", assignee="claude-code")
    await age(tracker, item)
    await tracker.archive.run(actor=ACTOR)

    assert (await tracker.archive.get(item.id)).assignee == "claude-code"
    assert (await tracker.archive.restore(item.id, ACTOR)).assignee == "claude-code"


async def test_the_report_shows_the_assignee_and_an_import_reads_it_back(
    tracker: Tracker, tmp_path: Path
) -> None:
    project = await create_item(tracker, "Vendor onboarding", item_type="project")
    await create_item(tracker, "Parse the Paychex PDF", parent=project, assignee="claude-code", pr_number=7)
    await create_item(tracker, "Nobody's yet", parent=project)
    await pin_clock(tracker, {})

    text = await tracker.reports.render()

    assert "`: active, priority 3, created " in text
    assert "\n    - **Assignee**: claude-code\n    - **PR**: #7\n" in text  # after a claim, before git
    assert text.count("**Assignee**") == 1
    legacy = parse(text)
    assert legacy.warnings == []
    lines = {item.title: item.lines for item in legacy.work_items}
    assert lines["Parse the Paychex PDF"] == {"assignee": "claude-code"}
    target = await Tracker.open(url=sqlite_url(tmp_path / "reimported.db"))
    try:
        outcome = await target.imports.run(legacy, None, actor="importer")
        await pin_clock(target, {})
        again = await target.reports.render()
    finally:
        await target.close()
    assert outcome.committed and outcome.passed
    assert again == text
