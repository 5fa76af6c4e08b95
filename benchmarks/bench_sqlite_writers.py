"""Several processes writing one SQLite file at once: latency tails, lock errors, lost writes.

Each AI client starts its own server, so one project's SQLite file often has several writer
processes. This starts N worker processes on one fresh file; each does M mixed operations
through the service layer (creates, updates with the version it read, point reads, ready
work) as fast as it can, and reports every operation's latency and every failure. Afterwards
every acknowledged create must be in the file and every acknowledged update must show.

Where a write's time goes is reported too: `lock wait` is the time spent getting the write lock
(its turn in `sqlite_driver.WriterQueue`, then `BEGIN IMMEDIATE`), `lock held` the time from
getting it to the end of COMMIT or ROLLBACK, each write transaction measured in its own process.
Each process's first operation, which also loads that use case's code, has a row of its own, and
`later writes` are the writes after it.

Usage::

    .venv/bin/python benchmarks/bench_sqlite_writers.py [--processes 8] [--operations 200]

Progress goes to stderr, the result table to stdout; the exit code is 1 when a write was lost
or "database is locked" reached a caller.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from project_status.domain.enums import ItemType
from project_status.domain.errors import TrackerError, VersionConflictError
from project_status.domain.work_items import WorkItemCreate, WorkItemUpdate
from project_status.services.tracker import Tracker
from project_status.store import sqlite_driver

MIX = (("create", 0.4), ("update", 0.3), ("get", 0.2), ("ready", 0.1))
WRITES = ("create", "update")
LOCK_ROWS = ("lock wait", "lock held")
EXTRA_ROWS = ("first operation", "later writes")
"""Each process's first operation, which loads code, and the writes after it."""


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class LockClock:
    """Times, in one process, the wait for the write lock and how long it is then held."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.holds: list[float] = []
        self._acquired: float | None = None
        connection = sqlite_driver.OneTripConnection
        begin, commit, rollback = connection.begin_write, connection.commit, connection.rollback

        async def timed_begin(adapter: Any) -> None:
            started = time.perf_counter()
            await begin(adapter)
            self._acquired = time.perf_counter()
            self.waits.append(self._acquired - started)

        def ended(end: Any) -> Any:
            def timed(adapter: Any) -> None:
                end(adapter)
                if self._acquired is not None:
                    self.holds.append(time.perf_counter() - self._acquired)
                    self._acquired = None

            return timed

        connection.begin_write = timed_begin  # type: ignore[method-assign]
        connection.commit = ended(commit)  # type: ignore[method-assign]
        connection.rollback = ended(rollback)  # type: ignore[method-assign]


async def _work(url: str, worker: int, operations: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    clock = LockClock()
    tracker = await Tracker.open(url=url)
    timings: dict[str, list[float]] = {name: [] for name in [*(name for name, _ in MIX), *EXTRA_ROWS]}
    failures: list[str] = []
    mine: dict[str, int] = {}
    titles: dict[str, str] = {}
    try:
        for number in range(operations):
            kind = rng.choices([name for name, _ in MIX], [weight for _, weight in MIX])[0]
            if kind != "create" and not mine:
                kind = "create"
            started = time.perf_counter()
            try:
                if kind == "create":
                    item = await tracker.work_items.create(
                        WorkItemCreate(item_type=ItemType.TASK, title=f"w{worker} n{number}"),
                        actor=f"worker-{worker}",
                    )
                    mine[item.id] = item.version
                    titles[item.id] = item.title
                elif kind == "update":
                    item_id = rng.choice(list(mine))
                    title = f"w{worker} n{number} updated"
                    item = await tracker.work_items.update(
                        item_id, mine[item_id], WorkItemUpdate(title=title), actor=f"worker-{worker}"
                    )
                    mine[item_id] = item.version
                    titles[item_id] = title
                elif kind == "get":
                    await tracker.work_items.get(rng.choice(list(mine)))
                else:
                    await tracker.work_items.ready(limit=5)
            except VersionConflictError as conflict:
                failures.append(f"{kind}: version conflict on an item only this worker writes: {conflict}")
            except TrackerError as error:
                failures.append(f"{kind}: {type(error).__name__}: {error.message}")
            timings[kind].append(time.perf_counter() - started)
            if number == 0:  # also loads that use case's code: a start-up cost
                timings["first operation"].append(timings[kind][-1])
            elif kind in WRITES:
                timings["later writes"].append(timings[kind][-1])
    finally:
        await tracker.close()
    timings["lock wait"], timings["lock held"] = clock.waits, clock.holds
    return {"timings": timings, "failures": failures, "titles": titles}


def _worker(url: str, worker: int, operations: int, start_at: float, out: Any) -> None:
    time.sleep(max(0.0, start_at - time.time()))  # all workers start writing together
    result = asyncio.run(_work(url, worker, operations, seed=worker))
    out.put(json.dumps(result))


async def _check(url: str, acknowledged: dict[str, str]) -> list[str]:
    tracker = await Tracker.open(url=url)
    lost = []
    try:
        for item_id, title in acknowledged.items():
            item = await tracker.work_items.get(item_id, include_children=False, include_dependencies=False)
            if item.title != title:
                lost.append(f"{item_id}: title {item.title!r}, acknowledged {title!r}")
    finally:
        await tracker.close()
    return lost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=8, help="writer processes (default 8)")
    parser.add_argument("--operations", type=int, default=200, help="operations per process (default 200)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sqlite-writers-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'status.db'}"
        asyncio.run(_close(url))  # create and migrate once, before the race
        context = multiprocessing.get_context("spawn")
        out = context.Queue()
        start_at = time.time() + 3.0
        workers = [
            context.Process(target=_worker, args=(url, number, args.operations, start_at, out))
            for number in range(args.processes)
        ]
        print(f"{args.processes} processes x {args.operations} operations on one file", file=sys.stderr)
        for process in workers:
            process.start()
        results = [json.loads(out.get(timeout=600)) for _ in workers]
        for process in workers:
            process.join(timeout=60)
        rows = [*(name for name, _ in MIX), *EXTRA_ROWS, *LOCK_ROWS]
        timings: dict[str, list[float]] = {name: [] for name in rows}
        failures: list[str] = []
        acknowledged: dict[str, str] = {}
        for result in results:
            for name, values in result["timings"].items():
                timings[name].extend(values)
            failures.extend(result["failures"])
            acknowledged.update(result["titles"])
        lost = asyncio.run(_check(url, acknowledged))
    writes = [value for name in WRITES for value in timings[name]]
    print(f"{'operation':<15} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    operations = [(name, timings[name]) for name, _ in MIX]
    extra = [(name, timings[name]) for name in [*EXTRA_ROWS, *LOCK_ROWS]]
    for name, values in [*operations, ("all writes", writes), *extra]:
        row = [percentile(values, share) * 1000 for share in (0.5, 0.95, 0.99, 1.0)]
        print(f"{name:<15} {len(values):>6} " + " ".join(f"{value:>8.2f}" for value in row))
    locked = [failure for failure in failures if "locked" in failure]
    print(f"failures: {len(failures)} (database is locked: {len(locked)}); lost writes: {len(lost)}")
    for line in (failures + lost)[:10]:
        print(f"  {line}")
    return 1 if lost or locked else 0


async def _close(url: str) -> None:
    tracker = await Tracker.open(url=url)
    await tracker.close()


if __name__ == "__main__":
    sys.exit(main())
