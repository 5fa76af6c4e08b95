"""Write-throughs of one row are gathered while writes keep coming and put in the mirror in one
transaction (issue 13): nothing PostgreSQL acknowledged is missing from the mirror when it then
goes down, a batch that does not apply marks the mirror stale as a single write-through did,
and closing the tracker puts what is gathered without waiting for a quiet spell.

The gathering is held open (a long quiet spell) so that the writes are still queued, whatever
the machine's speed, when PostgreSQL stops or the tracker closes."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

from project_status.domain.work_items import WorkItemCreate, WorkItemUpdate
from project_status.services import notices
from project_status.services.fallback import mirror as mirror_module
from project_status.services.tracker import Tracker
from tests.resilience.conftest import PrivatePostgres
from tests.resilience.test_offline import stop

ME = "batching-client"
HELD = 600.0
"""Seconds the gathering waits for a quiet spell in these tests: only settling ends it."""


@pytest.fixture
def held_open(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mirror_module, "GATHER_QUIET", HELD)
    monkeypatch.setattr(mirror_module, "GATHER_LONGEST", HELD)


def project(title: str) -> WorkItemCreate:
    return WorkItemCreate(item_type="project", title=title)


def mirrored_rows(tracker: Tracker) -> dict[str, tuple[str, int]]:
    assert tracker.mirror is not None
    with sqlite3.connect(tracker.mirror.path) as conn:
        rows = conn.execute("SELECT id, title, version FROM work_items").fetchall()
    return {str(row[0]).replace("-", ""): (row[1], row[2]) for row in rows}


def key(item_id: str) -> str:
    return item_id.replace("-", "")


async def test_writes_gathered_when_postgresql_stops_are_all_answered_by_the_mirror(
    pg: PrivatePostgres, client: Callable[[str], Any], held_open: None
) -> None:
    me: Tracker = await client("me")
    assert me.mirror is not None and me.router is not None
    me.router.regenerate_report = False
    await me.mirror.refresh()
    made = [await me.work_items.create(project(f"Project {n}"), ME) for n in range(4)]
    for item in made:
        await me.work_items.update(item.id, 1, WorkItemUpdate(title=f"{item.title} v2"), ME)
    await me.claims.claim(ME, item=made[0].id)
    assert not set(map(key, (item.id for item in made))) & set(mirrored_rows(me))  # still gathered

    await stop(pg, "immediate")
    with notices.collecting() as warnings:
        shown = [await me.work_items.get(item.id) for item in made]
    assert [(item.title, item.version) for item in shown] == [
        ("Project 0 v2", 3),
        ("Project 1 v2", 2),
        ("Project 2 v2", 2),
        ("Project 3 v2", 2),
    ]
    assert shown[0].claimed_by == ME
    assert all("this answer comes from the local mirror" in warning for warning in warnings), warnings
    history = await me.work_items.history(made[0].id)
    assert [event.action for event in history] == ["claimed", "updated", "created"]
    edited = await me.work_items.update(made[1].id, 2, WorkItemUpdate(priority=1), ME)  # offline
    assert (edited.title, edited.version) == ("Project 1 v2", 3)
    assert not (await me.mirror.state()).needs_refresh


async def test_a_batch_with_a_row_the_mirror_lacks_puts_the_others_and_marks_the_mirror_stale(
    pg: PrivatePostgres, client: Callable[[str], Any], held_open: None
) -> None:
    me: Tracker = await client("me")
    assert me.mirror is not None
    moved, kept = [await me.work_items.create(project(title), ME) for title in ("Moved", "Kept")]
    await me.mirror.refresh()
    with sqlite3.connect(me.mirror.path) as conn:  # the mirror's copy of one row moved on alone
        conn.execute("UPDATE work_items SET version = 7, title = 'Elsewhere' WHERE title = 'Moved'")
    await me.work_items.update(moved.id, 1, WorkItemUpdate(title="Moved v2"), ME)
    await me.work_items.update(kept.id, 1, WorkItemUpdate(title="Kept v2"), ME)
    await me.mirror.settled()

    rows = mirrored_rows(me)
    assert (rows[key(moved.id)], rows[key(kept.id)]) == (("Elsewhere", 7), ("Kept v2", 2))
    with sqlite3.connect(me.mirror.path) as conn:
        updated = conn.execute("SELECT entity_id FROM events WHERE action = 'updated'").fetchall()
    assert [key(str(row[0])) for row in updated] == [key(kept.id)]  # none of the missing row's
    assert (await me.mirror.state()).needs_refresh


async def test_a_batch_that_fails_is_put_one_by_one_and_only_the_refused_write_is_missing(
    pg: PrivatePostgres, client: Callable[[str], Any], held_open: None
) -> None:
    me: Tracker = await client("me")
    assert me.mirror is not None
    first, refused, last = [await me.work_items.create(project(title), ME) for title in ("A", "B", "C")]
    await me.mirror.refresh()
    with sqlite3.connect(me.mirror.path) as conn:  # the mirror refuses one of the batch's rows
        conn.execute(
            "CREATE TRIGGER refuse BEFORE UPDATE ON work_items WHEN NEW.title = 'refused' "
            "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )
    for item, title in ((first, "A v2"), (refused, "refused"), (last, "C v2")):
        await me.work_items.update(item.id, 1, WorkItemUpdate(title=title), ME)
    made = await me.work_items.create(project("D"), ME)
    await me.mirror.settled()

    rows = mirrored_rows(me)
    assert [rows[key(item.id)] for item in (first, refused, last, made)] == [
        ("A v2", 2),
        ("B", 1),
        ("C v2", 2),
        ("D", 1),
    ]
    assert (await me.mirror.state()).needs_refresh


async def test_closing_the_tracker_puts_the_gathered_writes_without_waiting_for_a_quiet_spell(
    pg: PrivatePostgres, client: Callable[[str], Any], held_open: None
) -> None:
    me: Tracker = await client("me")
    assert me.mirror is not None
    await me.mirror.refresh()
    made = await me.work_items.create(project("Written just before exit"), ME)
    await me.work_items.update(made.id, 1, WorkItemUpdate(title="Edited just before exit"), ME)
    await asyncio.wait_for(me.close(), HELD / 10)  # far less than the quiet spell it would wait for
    assert mirrored_rows(me) == {key(made.id): ("Edited just before exit", 2)}


async def test_a_release_is_gathered_without_a_handoff_note_and_repeated_with_one(
    pg: PrivatePostgres, client: Callable[[str], Any], held_open: None
) -> None:
    """A release writes one row, unless it leaves a handoff note: that note is a row of its own,
    which a gathered put of the item's row would never bring to the mirror."""
    me: Tracker = await client("me")
    assert me.mirror is not None and me.router is not None
    me.router.regenerate_report = False
    plain, noted = [await me.work_items.create(project(title), ME) for title in ("Plain", "Noted")]
    await me.mirror.refresh()
    for item in (plain, noted):
        await me.claims.claim(ME, item=item.id)
    await me.claims.release(plain.id, ME)
    queued = list(me.mirror._queued)  # the claims and the release: all gathered as row puts
    assert [(str(entry.put.item_id), entry.put.from_version) for entry in queued if entry.put] == [
        (plain.id, 1),
        (noted.id, 1),
        (plain.id, 2),
    ]
    assert len(queued) == 3 and mirrored_rows(me)[key(plain.id)] == ("Plain", 1)

    await me.claims.release(noted.id, ME, note="Half done: the parser is left")
    deadline = asyncio.get_running_loop().time() + 60
    while mirrored_rows(me)[key(noted.id)] != ("Noted", 3):  # repeated soon, not gathered
        assert asyncio.get_running_loop().time() < deadline, mirrored_rows(me)
        await asyncio.sleep(0.02)
    assert mirrored_rows(me)[key(plain.id)] == ("Plain", 3)  # what was gathered went first
    with sqlite3.connect(me.mirror.path) as conn:
        notes = conn.execute("SELECT work_item_id, text FROM work_item_notes").fetchall()
        released = conn.execute("SELECT entity_id FROM events WHERE action = 'released'").fetchall()
    assert [(key(str(row[0])), row[1]) for row in notes] == [(key(noted.id), "Half done: the parser is left")]
    assert sorted(key(str(row[0])) for row in released) == sorted([key(plain.id), key(noted.id)])

    await stop(pg, "immediate")
    with notices.collecting():
        shown = await me.work_items.get(plain.id)
    assert (shown.claimed_by, shown.version) == (None, 3)
