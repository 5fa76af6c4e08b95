"""The generated `.project_status.md` follows the store: rewritten after a change once the
store has been quiet, only when its bytes change, never over a hand-kept file."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest

from project_status.domain.enums import ItemType
from project_status.domain.work_items import WorkItemCreate
from project_status.services.live_report import LiveReport, Outcome, is_hand_kept
from project_status.services.reports import GENERATED_MARK, REPORT_FILE
from project_status.services.tracker import Tracker

DELAY = 0.2
DEADLINE = 30.0


def live(tracker: Tracker, root: Path, delay: float = DELAY) -> LiveReport:
    return LiveReport(tracker.db, tracker.reports, root, delay_seconds=delay)


async def rounds_until(report: LiveReport, wanted: Outcome) -> Outcome:
    """Poll like the server's job does, with a generous deadline for a busy machine."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        outcome = await report.round()
        if outcome is wanted:
            return outcome
        await asyncio.sleep(report.poll_seconds)
    raise AssertionError(f"no {wanted} within {DEADLINE} s")


async def test_a_change_reaches_the_file_after_the_quiet_delay(tracker: Tracker, tmp_path: Path) -> None:
    report = live(tracker, tmp_path)
    await rounds_until(report, Outcome.WRITTEN)  # the first look makes the file current
    target = tmp_path / REPORT_FILE
    assert target.read_text().startswith(GENERATED_MARK)

    await tracker.work_items.create(
        WorkItemCreate(item_type=ItemType.TASK, title="Retry the webhooks"), actor="agent-a"
    )
    assert await report.round() is None  # changed just now: waits for the store to be quiet
    await rounds_until(report, Outcome.WRITTEN)
    assert "Retry the webhooks" in target.read_text()


async def test_unchanged_bytes_are_not_written_again(tracker: Tracker, tmp_path: Path) -> None:
    report = live(tracker, tmp_path)
    await rounds_until(report, Outcome.WRITTEN)
    target = tmp_path / REPORT_FILE
    before = target.stat()

    assert await report.refresh(create=True) is Outcome.UNCHANGED
    after = target.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


async def test_a_change_by_another_process_is_seen_through_the_store(
    tracker: Tracker, tmp_path: Path
) -> None:
    """Another tracker on the same database stands in for another process (CLI, server)."""
    report = live(tracker, tmp_path)
    await rounds_until(report, Outcome.WRITTEN)
    other = await Tracker.open(url=tracker.db.url)
    try:
        await other.work_items.create(
            WorkItemCreate(item_type=ItemType.PROJECT, title="Made elsewhere"), actor="agent-b"
        )
    finally:
        await other.close()
    await rounds_until(report, Outcome.WRITTEN)
    assert "Made elsewhere" in (tmp_path / REPORT_FILE).read_text()


async def test_a_hand_kept_file_is_never_overwritten_and_the_switch_is_told_once(
    tracker: Tracker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = tmp_path / REPORT_FILE
    hand_kept = "# Project Status\n\nkept by hand\n"
    target.write_text(hand_kept)
    assert is_hand_kept(target)
    report = live(tracker, tmp_path)
    with caplog.at_level(logging.WARNING, logger="project_status.services.live_report"):
        await rounds_until(report, Outcome.HAND_KEPT)
        await tracker.work_items.create(
            WorkItemCreate(item_type=ItemType.TASK, title="Not for that file"), actor="agent-a"
        )
        await rounds_until(report, Outcome.HAND_KEPT)
    assert target.read_text() == hand_kept
    told = [record.getMessage() for record in caplog.records if "kept by hand" in record.getMessage()]
    assert len(told) == 1, told
    assert "project-status status --write" in told[0]


async def test_refresh_without_create_leaves_a_missing_file_missing(tracker: Tracker, tmp_path: Path) -> None:
    report = live(tracker, tmp_path)
    assert await report.refresh(create=False) is Outcome.ABSENT
    assert not (tmp_path / REPORT_FILE).exists()


async def test_a_zero_delay_turns_the_living_file_off(tracker: Tracker, tmp_path: Path) -> None:
    located = Tracker(tracker.db, project_root=tmp_path)
    assert located.live_report(0) is None
    assert located.live_report(DELAY) is not None
    assert tracker.live_report(DELAY) is None  # opened on a bare URL: no project folder


async def test_an_unreachable_database_skips_the_round(tmp_path: Path) -> None:
    down = await Tracker.open(url=f"sqlite+aiosqlite:///{tmp_path / 'status.db'}")
    await down.close()
    unreachable = Tracker.create(url="postgresql+asyncpg://nobody@127.0.0.1:9/none")
    try:
        report = live(unreachable, tmp_path)
        assert await report.change_marker() is None
        assert await report.round() is None
        assert not (tmp_path / REPORT_FILE).exists()
    finally:
        await unreachable.close()


async def test_rounds_wait_for_a_ready_database(tracker: Tracker, tmp_path: Path) -> None:
    """A schema that is behind (or a database still starting) is not an error to log every round."""

    async def not_ready() -> bool:
        return False

    report = LiveReport(tracker.db, tracker.reports, tmp_path, delay_seconds=DELAY, ready=not_ready)
    assert await report.round() is None
    assert not (tmp_path / REPORT_FILE).exists()


async def test_a_report_file_linked_out_of_the_project_is_left_alone(
    tracker: Tracker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root, outside = tmp_path / "project", tmp_path / "elsewhere.md"
    root.mkdir()
    outside.write_text(f"{GENERATED_MARK} -->\nsomeone else's file\n")
    (root / REPORT_FILE).symlink_to(outside)
    report = live(tracker, root)
    with caplog.at_level(logging.WARNING, logger="project_status.services.live_report"):
        assert await report.refresh(create=True) is Outcome.HAND_KEPT
    assert (root / REPORT_FILE).is_symlink()
    assert outside.read_text() == f"{GENERATED_MARK} -->\nsomeone else's file\n"
    assert sorted(p.name for p in root.iterdir()) == [REPORT_FILE], "nothing copied into the project"
    assert any("outside the project folder" in record.getMessage() for record in caplog.records)
