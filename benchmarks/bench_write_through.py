"""What the mirror's write-through adds to back-to-back PostgreSQL writes (issue 13).

A write through the fallback router (as `project-status serve` opens the tracker on PostgreSQL)
is answered before its write-through to the local mirror runs; with calls back to back, that
write-through runs on the event loop while the next call is under way, and lands on it. For each
write (update, create, claim) this times, in interleaved rounds:

* `settled wall`, `service cpu`: the call alone, the mirror settled before it;
* `write-through cpu`: then waiting for its write-through (`Mirror.settled`);
* `back-to-back`: `--batch` calls one after another, then the mirror settled: wall p50 of a
  call (the write-throughs landing where they land) and CPU per write of the whole block;
* the mirror's transactions per write, back to back.

CPU is this process's (`time.process_time`, all threads: the mirror's driver runs in one), which
a busy machine's preemption barely moves, unlike wall times.

Usage (another checkout: `PYTHONPATH=/tmp/base/src` in front)::

    .venv/bin/python benchmarks/bench_write_through.py [--rounds N] [--gap-ms G]

`--gap-ms`: the client's pause between a back-to-back call's answer and the next call (what an
MCP client spends reading the answer and sending the next request), 0 by default.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import DEFAULT_PG_ADMIN_URL, migrate
from bench_report import throwaway_postgres
from project_status.domain.enums import ItemType
from project_status.domain.work_items import WorkItemCreate, WorkItemUpdate
from project_status.services.tracker import Tracker
from project_status.settings import Settings

ACTOR = "bench-write-through"


async def _writes(tracker: Tracker) -> dict[str, Callable[[], Awaitable[object]]]:
    parent = await tracker.work_items.create(
        WorkItemCreate(item_type=ItemType.PROJECT, title="parent"), ACTOR
    )
    edited = await tracker.work_items.create(WorkItemCreate(item_type=ItemType.TASK, title="u"), ACTOR)
    claimed = await tracker.work_items.create(WorkItemCreate(item_type=ItemType.TASK, title="c"), ACTOR)
    version = {"update": edited.version, "calls": 0}

    async def update() -> object:  # a change each time: a write that changes nothing has no event
        version["calls"] += 1
        changes = WorkItemUpdate(priority=1 + version["calls"] % 3)
        done = await tracker.work_items.update(edited.id, version["update"], changes, ACTOR)
        version["update"] = done.version
        return done

    async def create() -> object:
        made = WorkItemCreate(item_type=ItemType.TASK, title="new", parent_id=parent.id)
        return await tracker.work_items.create(made, ACTOR)

    async def claim() -> object:
        return await tracker.claims.claim(ACTOR, item=claimed.id)  # a renewal after the first

    return {"update": update, "create": create, "claim": claim}


async def _run(url: str, rounds: int, gap: float, batch: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ps-bench-wt-"))
    tracker = await Tracker.open(Settings(database_url=url, data_dir=folder / ".project-status"))
    try:
        assert tracker.mirror is not None and tracker.router is not None
        mirror = tracker.mirror
        tracker.router.regenerate_report = False
        await mirror.refresh()
        writes = await _writes(tracker)
        commits = [0]

        def committed(*_: object) -> None:
            commits[0] += 1

        event.listen(mirror.db.engine.sync_engine, "commit", committed)
        found: dict[str, dict[str, list[float]]] = {
            name: {column: [] for column in COLUMNS} for name in writes
        }
        for round_no in range(rounds + rounds // 10):
            timed = round_no >= rounds // 10
            for name, write in writes.items():
                await mirror.settled()
                started, cpu = time.perf_counter(), time.process_time()
                await write()
                alone, alone_cpu = time.perf_counter() - started, time.process_time() - cpu
                cpu = time.process_time()
                await mirror.settled()
                through_cpu = time.process_time() - cpu
                before, cpu, calls = commits[0], time.process_time(), []
                for _ in range(batch):  # back to back: each write-through lands where it lands
                    started = time.perf_counter()
                    await write()
                    calls.append(time.perf_counter() - started)
                    await asyncio.sleep(gap)
                await mirror.settled()
                if timed:
                    row = found[name]
                    row["settled wall"].append(alone)
                    row["service cpu"].append(alone_cpu)
                    row["write-through cpu"].append(through_cpu)
                    row["back-to-back wall"].extend(calls)
                    row["back-to-back cpu/write"].append((time.process_time() - cpu) / batch)
                    row["mirror commits/write"].append((commits[0] - before) / batch)
        print(f"{'write':<8}" + "".join(f"{column:>24}" for column in COLUMNS))
        for name, row in found.items():
            cells = [
                statistics.median(row[column]) * (1 if column.startswith("mirror") else 1000)
                if "wall" in column
                else statistics.fmean(row[column]) * (1 if column.startswith("mirror") else 1000)
                for column in COLUMNS
            ]
            print(f"{name:<8}" + "".join(f"{cell:>24.3f}" for cell in cells))
        print("ms; wall columns are p50, cpu columns means (this process, all threads)")
    finally:
        await tracker.close()
        shutil.rmtree(folder, ignore_errors=True)


COLUMNS = (
    "settled wall",
    "service cpu",
    "write-through cpu",
    "back-to-back wall",
    "back-to-back cpu/write",
    "mirror commits/write",
)


async def main_async(args: argparse.Namespace) -> None:
    async with throwaway_postgres(args.admin_url) as url:
        if url is None:
            raise SystemExit("PostgreSQL is not reachable at " + args.admin_url)
        await migrate(url)
        await _run(url, args.rounds, args.gap_ms / 1000, args.batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--gap-ms", type=float, default=0.0)
    parser.add_argument("--batch", type=int, default=10, help="back-to-back calls of a write per round")
    parser.add_argument("--admin-url", default=DEFAULT_PG_ADMIN_URL)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
