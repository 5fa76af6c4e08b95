"""The status report (DESIGN.md section 7): golden files on fixed data, byte-for-byte stable on
both backends, stable ordering, placeholders, the atomic write with its hand-kept backup, and
where a report may be written.

The fixed data set (report_data.py) is built through the services, then every clock-dependent
column is pinned with UPDATE statements, so the rendered report depends on nothing but the data.
The same golden file must match on SQLite and PostgreSQL. To regenerate the golden files after an
intended change of the template, run with `PROJECT_STATUS_UPDATE_GOLDEN=1` and review the diff.
"""

from __future__ import annotations

import os
import random
import stat
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import update

from project_status.domain.errors import ValidationError
from project_status.services.reports import (
    GENERATED_MARK,
    RECENT_DEPLOYMENTS,
    REPORT_FILE,
    backup_hand_kept,
    lay_out,
    report_path,
    write_atomically,
)
from project_status.services.tracker import Tracker
from project_status.store.database import Database
from project_status.store.migrate import upgrade
from project_status.store.tables import Event, WorkItemNote
from tests.conftest import CONNECT_TIMEOUT, PostgresServer, require_postgres, sqlite_url
from tests.helpers import ACTOR, create_item, only_error, update_item
from tests.services.report_data import (
    AS_OF,
    HEAD,
    add_enhancement,
    add_notes,
    add_vendor,
    at,
    build_fixed_data,
    deploy,
    fixed_ids,
    pin_clock,
)

GOLDEN = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("PROJECT_STATUS_UPDATE_GOLDEN", "") == "1"


def assert_matches_golden(name: str, text: str) -> None:
    """Compare bytes with tests/services/golden/<name> (or rewrite it under UPDATE_GOLDEN)."""
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    expected = path.read_bytes()
    actual = text.encode("utf-8")
    assert actual == expected, (
        f"the report differs from {path.name}; if the change is intended, rerun with "
        f"PROJECT_STATUS_UPDATE_GOLDEN=1 and review the diff.\n--- rendered ---\n{text}"
    )


# --------------------------------------------------------------------------- golden files


async def test_fixed_data_renders_the_golden_report(tracker: Tracker) -> None:
    await build_fixed_data(tracker)
    await add_notes(tracker)

    assert_matches_golden("project_status.md", await tracker.reports.render())


async def test_the_hot_plans_render_what_sqlalchemys_own_execution_renders(tracker: Tracker) -> None:
    """The report's reads run as hot plans (the driver's own cursor or prepared statement); inside
    a shared transaction the same statements go through SQLAlchemy's execution and result
    processing, as they did before: both give the same bytes."""
    await build_fixed_data(tracker)
    await add_notes(tracker)

    hot = await tracker.reports.render()
    async with tracker.db.transaction():
        through_sqlalchemy = await tracker.reports.render()

    assert hot == through_sqlalchemy
    assert_matches_golden("project_status.md", hot)


async def test_empty_database_renders_the_placeholders(tracker: Tracker) -> None:
    await pin_clock(tracker, {})

    text = await tracker.reports.render()

    assert_matches_golden("empty.md", text)
    for placeholder in (
        "_No vendors._",
        "_No work items._",
        "_No deployments._",
        "_No pending enhancements._",
    ):
        assert text.count(placeholder) == 1, placeholder
    assert "## Operational Vendors (0/0)" in text
    assert "- **Current Session**: none" in text


async def test_the_header_time_is_the_newest_change_not_the_wall_clock(tracker: Tracker) -> None:
    await build_fixed_data(tracker)
    text = await tracker.reports.render()
    assert text.splitlines()[1] == f"# Project Status - {AS_OF:%Y-%m-%dT%H:%M:%SZ}"
    assert text.endswith(f"\n---\n*Generated at {AS_OF:%Y-%m-%dT%H:%M:%SZ}*\n")

    # A later change moves the header; the rest of the report follows the data.
    await add_vendor(tracker, "Justworks", "operational", "1.2.0")
    later = AS_OF + timedelta(days=1)
    async with tracker.db.unit_of_work(write=True) as session:
        await session.execute(update(Event).where(Event.entity_type == "vendor").values(occurred_at=later))
    changed = await tracker.reports.render()
    assert changed.splitlines()[1] == f"# Project Status - {later:%Y-%m-%dT%H:%M:%SZ}"
    assert "## Operational Vendors (4/6)" in changed


async def test_rendering_twice_gives_identical_bytes(tracker: Tracker) -> None:
    await build_fixed_data(tracker)

    first = await tracker.reports.render()
    second = await tracker.reports.render()

    assert first.encode() == second.encode()
    assert await tracker.reports.collect() == await tracker.reports.collect()


async def test_deleted_items_and_completed_enhancements_stay_out(tracker: Tracker) -> None:
    data = await build_fixed_data(tracker)

    report = await tracker.reports.collect()
    text = await tracker.reports.render()

    titles = [item.title for item in report.work_items]
    for deleted in data.deleted_titles:
        assert deleted not in titles
        assert deleted not in text
    assert data.completed_enhancement not in [e.title for e in report.enhancements]
    assert f"**{data.completed_enhancement}**" not in text
    # Completed work items are live: they stay in the hierarchy with their status.
    assert ("Rotate API keys", "completed") in [(i.title, i.status) for i in report.work_items]


async def test_render_lays_out_what_collect_gathers(tracker: Tracker) -> None:
    """`render` formats the work items straight from their rows; the collected report laid out
    by `lay_out` gives the same bytes, notes included."""
    await build_fixed_data(tracker)
    await add_notes(tracker)

    text = await tracker.reports.render()
    assert lay_out(await tracker.reports.collect()) == text
    assert "### Latest Notes (2)" in text


async def test_of_notes_written_in_the_same_instant_the_one_with_the_greater_id_is_the_latest(
    tracker: Tracker,
) -> None:
    item = await create_item(tracker, "Two notes at once")
    notes = [await tracker.notes.add(item.id, f"note {n}", ACTOR) for n in range(3)]
    async with tracker.db.unit_of_work(write=True) as session:
        await session.execute(update(WorkItemNote).values(created_at=notes[0].created_at))

    text = await tracker.reports.render()

    latest = max(notes, key=lambda note: uuid.UUID(note.id))
    assert "### Latest Notes (1)" in text
    assert f"- **Two notes at once** `{item.id[:8]}` (active): {latest.text} ({ACTOR}, " in text
    assert all(note.text not in text for note in notes if note is not latest)


# --------------------------------------------------------------------------- ordering


async def test_work_items_are_depth_first_with_siblings_oldest_first(tracker: Tracker) -> None:
    await build_fixed_data(tracker)

    report = await tracker.reports.collect()

    assert [(item.depth, item.title, item.parent) for item in report.work_items] == [
        (0, "Payroll platform upkeep", None),
        (1, "Rotate API keys", "Payroll platform upkeep"),
        (0, "Commission statement extraction", None),
        (1, "Evaluate table extraction libraries", "Commission statement extraction"),
        (1, "Vendor onboarding wave 3", "Commission statement extraction"),
        (2, "Fix TriNet OCR page rotation", "Vendor onboarding wave 3"),
        (2, "Insperity manifest migration", "Vendor onboarding wave 3"),
        (2, "Publish wave 3 release notes", "Vendor onboarding wave 3"),
        (2, "Gusto CSV header fix", "Vendor onboarding wave 3"),
    ]


async def test_sibling_order_follows_creation_time_whatever_the_insertion_order(tracker: Tracker) -> None:
    root = await create_item(tracker, "root", item_type="project")
    titles = [f"child {n:02d}" for n in range(12)]
    shuffled = titles[:]
    random.Random(7).shuffle(shuffled)
    for title in shuffled:
        child = await create_item(tracker, title, parent=root)
        await create_item(tracker, f"{title} / grandchild", parent=child)
    # created_at: child 00 oldest; every grandchild is newer than every child.
    created = {title: at("2025-01-01 00:00:00") + timedelta(minutes=n) for n, title in enumerate(titles)}
    created |= {
        f"{t} / grandchild": at("2025-02-01 00:00:00") + timedelta(minutes=n) for n, t in enumerate(titles)
    }
    await pin_clock(tracker, created)

    report = await tracker.reports.collect()

    expected = ["root"]
    for title in titles:
        expected += [title, f"{title} / grandchild"]
    assert [item.title for item in report.work_items] == expected


async def test_vendors_are_ordered_by_name(tracker: Tracker) -> None:
    names = ["Workday Payroll", "ADP Workforce", "Rippling", "Gusto", "Ceridian Dayforce", "Paycom"]
    for name in names:
        await add_vendor(tracker, name)

    report = await tracker.reports.collect()
    text = await tracker.reports.render()

    assert [vendor.name for vendor in report.vendors] == sorted(names)
    positions = [text.index(f"- **{name}**:") for name in sorted(names)]
    assert positions == sorted(positions)


async def test_recent_deployments_are_the_ten_newest_newest_first(tracker: Tracker) -> None:
    days = list(range(14))
    random.Random(3).shuffle(days)
    for day in days:
        await deploy(
            tracker,
            at("2025-09-01 12:00:00") + timedelta(days=day),
            f"{day:040x}",
            pr_number=100 + day,
            test_summary={"unit": day},
        )

    report = await tracker.reports.collect()
    text = await tracker.reports.render()

    assert len(report.deployments) == RECENT_DEPLOYMENTS == 10
    assert [d.pr_number for d in report.deployments] == [113 - n for n in range(10)]
    headings = [line.split(" <!-- id ")[0] for line in text.splitlines() if line.startswith("### 2025-")]
    assert headings == [f"### 2025-09-{14 - n:02d} 12:00:00 UTC - PR #{113 - n}" for n in range(10)]
    for old in (100, 101, 102, 103):
        assert f"PR #{old}" not in text


async def test_enhancements_are_ordered_by_priority_then_title(tracker: Tracker) -> None:
    for title, priority in [("Zeta", 1), ("Gamma", 3), ("Alpha", 3), ("Beta", 1), ("Delta", 5), ("Eta", 2)]:
        await add_enhancement(tracker, title, priority, description=f"{title} things.")

    report = await tracker.reports.collect()
    text = await tracker.reports.render()

    expected = [("Beta", 1), ("Zeta", 1), ("Eta", 2), ("Alpha", 3), ("Gamma", 3), ("Delta", 5)]
    assert [(e.title, e.priority) for e in report.enhancements] == expected
    positions = [text.index(f"- **{title}** (priority {p},") for title, p in expected]
    assert positions == sorted(positions)


async def test_test_summary_categories_are_sorted(tracker: Tracker) -> None:
    summary = {"unit": 5, "e2e": 1, "smoke": 2, "contract": 3, "integration": 4}
    await deploy(tracker, at("2025-09-01 12:00:00"), HEAD, test_summary=summary)

    report = await tracker.reports.collect()
    text = await tracker.reports.render()

    assert report.deployments[0].tests == sorted(summary.items())
    assert "- **Tests**: contract: 3, e2e: 1, integration: 4, smoke: 2, unit: 5\n" in text


async def test_deployment_vendors_and_work_items_are_sorted(tracker: Tracker) -> None:
    for name in ("Rippling", "ADP Workforce", "Gusto"):
        await add_vendor(tracker, name)
    items = [await create_item(tracker, title) for title in ("Zip exports", "Add OCR", "Merge CSV")]
    await deploy(
        tracker,
        at("2025-09-01 12:00:00"),
        HEAD,
        vendors=("Rippling", "ADP Workforce", "Gusto"),
        items=tuple(item.id for item in items),
    )

    text = await tracker.reports.render()

    assert "- **Vendors**: ADP Workforce, Gusto, Rippling\n" in text
    assert "- **Work Items**: Add OCR, Merge CSV, Zip exports\n" in text


async def test_same_data_same_report_on_a_postgresql_database_with_a_language_collation(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    require_postgres(postgres_server)
    name = f"ps_test_icu_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_server.admin_dsn, timeout=CONNECT_TIMEOUT)
    try:
        await admin.execute(
            f'CREATE DATABASE "{name}" TEMPLATE template0 '
            "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
        )
    except asyncpg.PostgresError as exc:
        pytest.skip(f"this PostgreSQL cannot create an ICU-collated database: {exc}")
    finally:
        await admin.close()
    reports: list[str] = []
    try:
        icu_url = postgres_server.url(name)
        db = Database(icu_url)
        try:
            await upgrade(db)
        finally:
            await db.dispose()
        for url in (sqlite_url(tmp_path / "collation.db"), icu_url):
            tracker = await Tracker.open(url=url)
            try:
                with fixed_ids():
                    for vendor in ("Gusto", "iSolved", "Zenefits"):
                        await add_vendor(tracker, vendor)
                    await deploy(
                        tracker, at("2025-09-01 12:00:00"), HEAD, vendors=("Gusto", "iSolved", "Zenefits")
                    )
                    for title in ("iCIMS sync", "Greenhouse sync", "Workday sync"):
                        await add_enhancement(tracker, title, 1)
                await pin_clock(tracker, {})
                reports.append(await tracker.reports.render())
            finally:
                await tracker.close()
    finally:
        await postgres_server.drop_database(name)

    sqlite_report, icu_report = reports
    assert "- **Vendors**: Gusto, Zenefits, iSolved\n" in sqlite_report  # code point order
    assert icu_report == sqlite_report


async def test_a_deployment_names_only_its_live_work_items(tracker: Tracker) -> None:
    kept, dropped = [await create_item(tracker, title) for title in ("Keep OCR", "Drop PDF")]
    await deploy(tracker, at("2025-09-01 12:00:00"), HEAD, items=(kept.id, dropped.id))
    await update_item(tracker, dropped, dropped.version, deleted=True)

    report = await tracker.reports.collect()
    text = await tracker.reports.render()

    assert report.deployments[0].work_items == ["Keep OCR"]
    assert "- **Work Items**: Keep OCR\n" in text and "Drop PDF" not in text


async def test_a_deleted_current_session_is_no_longer_named(tracker: Tracker) -> None:
    await build_fixed_data(tracker)
    config = await tracker.configuration.get()
    session = await tracker.work_items.get(str(config.current_session_id))
    assert (await tracker.reports.collect()).configuration.current_session == session.title

    await update_item(tracker, session, session.version, deleted=True)

    assert (await tracker.reports.collect()).configuration.current_session is None
    assert "- **Current Session**: none\n" in await tracker.reports.render()


async def test_an_enhancement_names_only_pending_ones_it_depends_on(tracker: Tracker) -> None:
    done = await add_enhancement(tracker, "Done first", 1, status="completed")
    ahead = await add_enhancement(tracker, "Planned first", 2)
    await add_enhancement(tracker, "Then this", 3, depends_on=[done, ahead])

    report = await tracker.reports.collect()

    assert [(e.title, e.depends_on) for e in report.enhancements] == [
        ("Planned first", []),
        ("Then this", ["Planned first"]),
    ]


# --------------------------------------------------------------------------- writing


@contextmanager
def umask(value: int) -> Iterator[None]:
    previous = os.umask(value)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An empty folder of its own (the SQLite backend keeps its database file in tmp_path)."""
    path = tmp_path / "project"
    path.mkdir()
    return path


async def test_write_is_atomic_and_leaves_an_ordinary_file(tracker: Tracker, folder: Path) -> None:
    await build_fixed_data(tracker)
    target = folder / REPORT_FILE

    with umask(0o022):
        written = await tracker.reports.write(target)

    assert written == target
    assert target.read_bytes() == (await tracker.reports.render()).encode()
    assert listing(folder) == [REPORT_FILE], "a temporary file was left behind"
    assert mode(target) == 0o644, f"mode {oct(mode(target))}: not an ordinary file (mkstemp's 0600?)"


async def test_a_new_report_follows_the_umask(tracker: Tracker, folder: Path) -> None:
    target = folder / "status.md"

    with umask(0o027):
        await tracker.reports.write(target)

    assert mode(target) == 0o640


async def test_rewriting_keeps_the_existing_mode(tracker: Tracker, folder: Path) -> None:
    target = folder / "status.md"
    await tracker.reports.write(target)
    target.chmod(0o600)

    await add_vendor(tracker, "Gusto")
    await tracker.reports.write(target)

    assert mode(target) == 0o600
    assert "**Gusto**" in target.read_text()


async def test_write_defaults_to_the_report_file_in_the_working_folder(
    tracker: Tracker, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(folder)

    written = await tracker.reports.write()

    assert written == folder / REPORT_FILE
    assert written.read_text().splitlines()[1].startswith("# Project Status - ")


async def test_write_creates_missing_folders(tracker: Tracker, folder: Path) -> None:
    target = folder / "docs" / "status" / "report.md"

    await tracker.reports.write(target)

    assert target.read_text().endswith("*\n")


async def test_overwriting_a_generated_report_keeps_no_backup(tracker: Tracker, folder: Path) -> None:
    target = folder / REPORT_FILE
    await tracker.reports.write(target)
    first = target.read_text()
    await add_vendor(tracker, "Gusto")

    await tracker.reports.write(target)

    assert listing(folder) == [REPORT_FILE]
    assert target.read_text() != first
    assert "**Gusto**" in target.read_text()


async def test_a_hand_kept_report_is_backed_up_before_it_is_replaced(tracker: Tracker, folder: Path) -> None:
    target = folder / REPORT_FILE
    hand = ["# Notes kept by hand\n\n- first\n", "# Notes, second edition\n", "# Third\n"]
    backups = [f"{REPORT_FILE}.hand-kept", f"{REPORT_FILE}.hand-kept.2", f"{REPORT_FILE}.hand-kept.3"]

    for n, text in enumerate(hand):
        target.write_text(text)
        await tracker.reports.write(target)
        assert GENERATED_MARK in target.read_text()
        for kept, name in zip(hand[: n + 1], backups, strict=False):  # earlier backups untouched
            assert (folder / name).read_text() == kept

    assert listing(folder) == sorted([REPORT_FILE, *backups])


async def test_a_report_file_linked_out_of_the_project_is_refused_and_nothing_copied_in(
    tracker: Tracker, folder: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere" / "notes.md"
    outside.parent.mkdir()
    outside.write_text("private notes, kept by hand\n")
    link = folder / REPORT_FILE
    link.symlink_to(outside)

    with pytest.raises(ValidationError) as caught:
        await tracker.reports.write(link, project_root=folder)

    assert only_error(caught.value)["field"] == "path"
    assert str(outside) in caught.value.message
    assert listing(folder) == [REPORT_FILE], "nothing copied into the project"
    assert link.is_symlink() and outside.read_text() == "private notes, kept by hand\n"


async def test_a_report_file_linked_inside_the_project_is_still_written(
    tracker: Tracker, folder: Path
) -> None:
    (folder / "docs").mkdir()
    (folder / "docs" / "status.md").write_text("<!-- generated by project-status -->\n")
    (folder / REPORT_FILE).symlink_to(folder / "docs" / "status.md")

    written = await tracker.reports.write(folder / REPORT_FILE, project_root=folder)

    assert written.read_text().splitlines()[1].startswith("# Project Status - ")


# The hand-kept legacy file: first produced by the seed's template, so it too ends with the
# generated mark, then kept by hand.
LEGACY_HAND_KEPT = Path(__file__).parents[1] / "fixtures" / "legacy-project-status.md"


async def test_the_hand_kept_legacy_file_is_backed_up_before_it_is_replaced(
    tracker: Tracker, folder: Path
) -> None:
    hand_kept = LEGACY_HAND_KEPT.read_bytes()
    assert b"*Generated at" in hand_kept  # it copies the report's footer, yet it was kept by hand
    target = folder / REPORT_FILE
    target.write_bytes(hand_kept)

    await tracker.reports.write(target)

    assert listing(folder) == [REPORT_FILE, f"{REPORT_FILE}.hand-kept"]
    assert (folder / f"{REPORT_FILE}.hand-kept").read_bytes() == hand_kept


def test_backup_hand_kept_skips_missing_and_generated_files(tmp_path: Path) -> None:
    target = tmp_path / REPORT_FILE
    assert backup_hand_kept(target) is None

    target.write_text(f"{GENERATED_MARK}: ... -->\n# Project Status - 2025-10-06T17:42:10Z\n")
    assert backup_hand_kept(target) is None

    # The legacy layout and footer alone do not make a file generated: the marker line does.
    target.write_text("# Project Status - 2025-10-06T17:42:10Z\n\n---\n*Generated at 2025-10-06T17:42:10Z*\n")
    assert backup_hand_kept(target) == tmp_path / f"{REPORT_FILE}.hand-kept"
    (tmp_path / f"{REPORT_FILE}.hand-kept").unlink()

    target.write_text("by hand\n")
    backup = backup_hand_kept(target)
    assert backup == tmp_path / f"{REPORT_FILE}.hand-kept"
    assert backup.read_text() == "by hand\n"
    assert target.read_text() == "by hand\n", "the backup is a copy: the original stays until replaced"


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / REPORT_FILE
    write_atomically(target, f"{GENERATED_MARK} -->\nold report\n")
    before = target.read_bytes()

    with pytest.raises(UnicodeEncodeError):
        write_atomically(target, "half a report \ud800 that cannot be encoded")

    assert target.read_bytes() == before
    assert listing(tmp_path) == [REPORT_FILE]


# --------------------------------------------------------------------------- report_path


def test_report_path_defaults_to_the_report_file_in_the_root(tmp_path: Path) -> None:
    assert report_path(None, tmp_path, confine=True) == (tmp_path / REPORT_FILE).resolve()
    assert report_path("docs/status.md", tmp_path, confine=True) == (tmp_path / "docs/status.md").resolve()
    assert report_path("STATUS.MD", tmp_path, confine=True).name == "STATUS.MD"


@pytest.mark.parametrize("path", ["../x.md", "docs/../../x.md", "/tmp/elsewhere.md"])
def test_confined_report_path_rejects_paths_outside_the_project(tmp_path: Path, path: str) -> None:
    root = tmp_path / "project"
    root.mkdir()

    with pytest.raises(ValidationError) as caught:
        report_path(path, root, confine=True)

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("path", path)
    assert "inside the project folder" in error["message"]


def test_confined_report_path_rejects_a_symlink_out_of_the_project(tmp_path: Path) -> None:
    root, outside = tmp_path / "project", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "docs").symlink_to(outside, target_is_directory=True)

    with pytest.raises(ValidationError) as caught:
        report_path("docs/status.md", root, confine=True)

    assert only_error(caught.value)["field"] == "path"


def test_the_default_report_file_linked_out_of_the_project_names_that_file_not_path(tmp_path: Path) -> None:
    root, outside = tmp_path / "project", tmp_path / "outside.md"
    root.mkdir()
    outside.write_text("private notes\n")
    (root / REPORT_FILE).symlink_to(outside)

    with pytest.raises(ValidationError) as caught:
        report_path(None, root, confine=True)

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == (REPORT_FILE, None), error
    assert str(outside) in error["message"] and "Remove the link" in error["message"]


@pytest.mark.parametrize("path", ["notes.txt", "status", ".project_status.md.bak"])
def test_confined_report_path_needs_a_markdown_file(tmp_path: Path, path: str) -> None:
    with pytest.raises(ValidationError) as caught:
        report_path(path, tmp_path, confine=True)

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("path", path)
    assert ".md" in error["message"]


@pytest.mark.parametrize("path", ["../x.md", "notes.txt", "/tmp/elsewhere.md"])
def test_unconfined_report_path_allows_what_the_local_user_asks(tmp_path: Path, path: str) -> None:
    root = tmp_path / "project"
    root.mkdir()

    assert report_path(path, root, confine=False) == (root / path).resolve()


@pytest.mark.parametrize("confine", [True, False])
def test_report_path_rejects_a_folder(tmp_path: Path, confine: bool) -> None:
    (tmp_path / "reports.md").mkdir()

    with pytest.raises(ValidationError) as caught:
        report_path("reports.md", tmp_path, confine=confine)

    assert "folder" in only_error(caught.value)["message"]
