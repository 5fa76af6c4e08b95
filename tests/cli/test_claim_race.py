"""The race through the command line: 16 threads, each running `project-status items claim` as
a real process again and again until nothing is left, over 16 ready tasks. Every task is claimed
exactly once, by the claimer its process told it won, on both backends (the race of
tests/mcp/test_claim_race.py, with one process per claim instead of one server per claimer)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from project_status.services.tracker import Tracker
from project_status.store.tables import Event
from tests.cli.test_console_script import CONSOLE_SCRIPT
from tests.conftest import Backend
from tests.mcp.conftest import server_env
from tests.services.test_claim_race import PATIENT_TIMEOUTS, _add_tasks

pytestmark = pytest.mark.heavy
"""Started first; the 16-way claim races run one after another on one worker (tests/conftest.py)."""

THREADS = 16
TASKS = 16
"""One per thread: the 16 processes of the first round race for all of them, and every thread ends
on a run that must be told nothing is left. Each claim starts a whole CLI (most of its CPU is the
start) and the runs number tasks + threads: more tasks make the suite longer, not the race harder."""
DEADLINE_SECONDS = 600.0
NOTHING_LEFT = 4
"""The exit code of a claim that found nothing ready (not found)."""


def _claim_until_none_left(env: dict[str, str], actor: str, start: threading.Barrier) -> list[str]:
    """One claimer: a fresh `items claim` process per claim, until one exits 4."""
    start.wait(DEADLINE_SECONDS)
    taken: list[str] = []
    while True:
        claim = subprocess.run(
            [str(CONSOLE_SCRIPT), "items", "claim", "--json", "--actor", actor],
            env=env,
            capture_output=True,
            text=True,
            timeout=DEADLINE_SECONDS,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        body = json.loads(claim.stdout) if claim.stdout.strip() else {}
        if claim.returncode == NOTHING_LEFT:
            assert body.get("error") == "NotFoundError", (claim.stdout, claim.stderr)
            return taken
        assert claim.returncode == 0, f"{actor}: exit {claim.returncode}\n{claim.stdout}\n{claim.stderr}"
        assert body["claimed_by"] == actor and body["status"] == "in_progress", body
        taken.append(body["id"])


async def test_sixteen_threads_calling_the_cli_claim_every_task_exactly_once(
    tracker: Tracker, backend: Backend, tmp_path: Path
) -> None:
    tasks = await _add_tasks(tracker, TASKS)
    envs = []
    for n in range(THREADS):
        project = tmp_path / f"claimer-{n}"  # each agent in its own checkout, with its own mirror
        project.mkdir()
        envs.append(server_env(project, PROJECT_STATUS_DATABASE_URL=backend.url, **PATIENT_TIMEOUTS))
    start = threading.Barrier(THREADS)

    def race() -> dict[str, list[str]]:
        with ThreadPoolExecutor(THREADS) as pool:
            running = {
                f"claimer-{n}": pool.submit(_claim_until_none_left, envs[n], f"claimer-{n}", start)
                for n in range(THREADS)
            }
            return {actor: future.result(DEADLINE_SECONDS) for actor, future in running.items()}

    began = time.perf_counter()
    results = await asyncio.to_thread(race)
    print(f"\n{THREADS} threads claimed {TASKS} tasks through the CLI in {time.perf_counter() - began:.1f} s")

    claims = Counter(item for taken in results.values() for item in taken)
    assert set(claims) == tasks
    assert set(claims.values()) == {1}
    async with tracker.db.unit_of_work() as session:
        claimed_events = (
            await session.execute(select(func.count()).select_from(Event).where(Event.action == "claimed"))
        ).scalar_one()
    assert claimed_events == TASKS
