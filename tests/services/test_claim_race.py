"""The race: 16 separate processes claim until nothing is left; every task is claimed exactly once.

The processes are forked from the test (separate interpreters, connections and transactions;
no import cost each), get ready, then start claiming at one signal.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
import time
import traceback
from collections import Counter
from multiprocessing.synchronize import Event as EventType
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from project_status.domain.errors import NotFoundError
from project_status.domain.ids import new_id
from project_status.services.clock import now
from project_status.services.tracker import Tracker
from project_status.store.tables import Event, WorkItem
from tests.conftest import Backend

pytestmark = pytest.mark.heavy
"""Started first; the 16-way claim races run one after another on one worker (tests/conftest.py)."""

PROCESSES = 16
TASKS = 200
DEADLINE_SECONDS = 300
PATIENT_TIMEOUTS = {
    "PROJECT_STATUS_ANSWER_TIMEOUT_SECONDS": "60",
    "PROJECT_STATUS_CONNECT_TIMEOUT_SECONDS": "60",
    "PROJECT_STATUS_SQLITE_BUSY_SECONDS": "120",
}
"""The environment of racing server and CLI processes: a busy machine may stall a call past the
usual answer limit, which would send the claim to the offline journal, not what a race is about;
and 16 SQLite writers on two loaded cores may queue past the 10 s lock wait ("database is locked")."""


async def _claim_all(url: str, actor: str, start: EventType, messages: Any) -> list[str]:
    tracker = Tracker.create(url=url)
    # A busy machine may stall a call past the 1.5 s a client is given: not what this test is about.
    tracker.db.answer_timeout = 60
    try:
        await tracker.ensure_ready()
        messages.put(("ready", actor, None))
        start.wait(DEADLINE_SECONDS)
        taken: list[str] = []
        while True:
            try:
                item = await tracker.claims.claim(actor)
            except NotFoundError:
                return taken
            taken.append(item.id)
    finally:
        await tracker.close()


def _claimer(url: str, actor: str, start: EventType, messages: Any) -> None:
    """A child process: claim until nothing is left, then report what it took."""
    try:
        messages.put(("done", actor, asyncio.run(_claim_all(url, actor, start, messages))))
    except BaseException:
        messages.put(("error", actor, traceback.format_exc()))


def _race(url: str) -> dict[str, list[str]]:
    context = multiprocessing.get_context("fork")
    start = context.Event()
    messages = context.Queue()
    processes = [
        context.Process(target=_claimer, args=(url, f"claimer-{n}", start, messages), daemon=True)
        for n in range(PROCESSES)
    ]
    results: dict[str, list[str]] = {}
    try:
        for process in processes:
            process.start()
        ready = 0
        deadline = time.monotonic() + DEADLINE_SECONDS
        while len(results) < PROCESSES:
            try:
                kind, actor, value = messages.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"claimers still running after {DEADLINE_SECONDS} s") from None
            if kind == "error":
                raise AssertionError(f"{actor} failed:\n{value}")
            if kind == "ready":
                ready += 1
                if ready == PROCESSES:
                    began = time.perf_counter()
                    start.set()
            else:
                results[actor] = value
        print(f"\n{PROCESSES} processes claimed {TASKS} tasks in {time.perf_counter() - began:.1f} s")
        for process in processes:
            process.join(DEADLINE_SECONDS)
        return results
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()


async def _add_tasks(tracker: Tracker, count: int) -> set[str]:
    stamp = now()
    rows = []
    for number in range(count):
        item_id = new_id()
        rows.append(
            {
                "id": item_id,
                "version": 1,
                "item_type": "task",
                "title": f"task {number}",
                "status": "active",
                "priority": 1 + number % 5,
                "path": f"/{item_id}",
                "depth": 0,
                "metadata_": {},
                "created_at": stamp,
                "created_by": "race-test",
                "updated_at": stamp,
                "updated_by": "race-test",
            }
        )
    async with tracker.db.unit_of_work(write=True) as session:
        await session.execute(insert(WorkItem), rows)
    return {str(row["id"]) for row in rows}


async def test_sixteen_processes_claim_every_task_exactly_once(tracker: Tracker, backend: Backend) -> None:
    tasks = await _add_tasks(tracker, TASKS)

    results = await asyncio.to_thread(_race, backend.url)

    claims = Counter(item for taken in results.values() for item in taken)
    assert set(claims) == tasks
    assert set(claims.values()) == {1}
    async with tracker.db.unit_of_work() as session:
        held = (
            await session.execute(
                select(WorkItem.claimed_by, func.count())
                .where(WorkItem.status == "in_progress")
                .group_by(WorkItem.claimed_by)
            )
        ).all()
        claimed_events = (
            await session.execute(select(func.count()).select_from(Event).where(Event.action == "claimed"))
        ).scalar_one()
    assert dict(held) == {actor: len(taken) for actor, taken in results.items() if taken}
    assert claimed_events == TASKS
