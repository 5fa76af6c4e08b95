"""What the mirror's write-through adds to back-to-back PostgreSQL writes (issue 13).

A write through the fallback router (as `project-status serve` opens the tracker on PostgreSQL)
is answered before its write-through to the local mirror runs; with calls back to back, that
write-through runs on the event loop while the next call is under way, and lands on it. For each
write (update, create, claim) this times, in interleaved rounds:

* `settled`: the call alone, the mirror settled between calls (untimed): the service time;
* `back to back`: the calls one after another, the write-throughs landing where they land;

each as wall p50 and as this process's CPU time per call (`time.process_time`, which a busy
machine's preemption barely moves), and the mirror's transactions per write.

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
    version = {"update": edited.version}

    async def update() -> object:
        done = await tracker.work_items.update(
            edited.id, version["update"], WorkItemUpdate(priority=1), ACTOR
        )
        version["update"] = done.version
        return done

    async def create() -> object:
        made = WorkItemCreate(item_type=ItemType.TASK, title="new", parent_id=parent.id)
        return await tracker.work_items.create(made, ACTOR)

    async def claim() -> object:
        return await tracker.claims.claim(ACTOR, item=claimed.id)  # a renewal after the first

    return {"update": update, "create": create, "claim": claim}


async def _run(url: str, rounds: int, gap: float) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ps-bench-wt-"))
    tracker = await Tracker.open(Settings(database_url=url, data_dir=folder / ".project-status"))
    try:
        assert tracker.mirror is not None and tracker.router is not None
        tracker.router.regenerate_report = False
        await tracker.mirror.refresh()
        writes = await _writes(tracker)
        mirror_commits = [0]
        event.listen(
            tracker.mirror.db.engine.sync_engine,
            "commit",
            lambda *_: mirror_commits.__setitem__(0, mirror_commits[0] + 1),
        )
        walls: dict[str, list[float]] = {
            f"{name} {how}": [] for name in writes for how in ("settled", "back to back")
        }
        cpus: dict[str, list[float]] = {key: [] for key in walls}
        commits: dict[str, int] = {key: 0 for key in walls}
        for round_no in range(rounds + rounds // 10):
            timed = round_no >= rounds // 10
            for name, write in writes.items():
                key = f"{name} settled"
                await tracker.mirror.settled()
                before = mirror_commits[0]
                wall, cpu = time.perf_counter(), time.process_time()
                await write()
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                await tracker.mirror.settled()
                if timed:
                    walls[key].append(wall)
                    cpus[key].append(cpu)
                    commits[key] += mirror_commits[0] - before
            await tracker.mirror.settled()
            for name, write in writes.items():  # the same writes back to back, 5 of each
                key = f"{name} back to back"
                before = mirror_commits[0]
                for _ in range(5):
                    wall, cpu = time.perf_counter(), time.process_time()
                    await write()
                    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                    if timed:
                        walls[key].append(wall)
                        cpus[key].append(cpu)
                    await asyncio.sleep(gap)
                await tracker.mirror.settled()
                if timed:
                    commits[key] += mirror_commits[0] - before
        print(f"{'write':<24}{'wall p50 ms':>12}{'cpu mean ms':>12}{'mirror commits/write':>22}")
        for key in walls:
            n = len(walls[key])
            print(
                f"{key:<24}{statistics.median(walls[key]) * 1000:>12.3f}"
                f"{statistics.fmean(cpus[key]) * 1000:>12.3f}{commits[key] / n:>22.2f}"
            )
    finally:
        await tracker.close()
        shutil.rmtree(folder, ignore_errors=True)


async def main_async(args: argparse.Namespace) -> None:
    async with throwaway_postgres(args.admin_url) as url:
        if url is None:
            raise SystemExit("PostgreSQL is not reachable at " + args.admin_url)
        await migrate(url)
        await _run(url, args.rounds, args.gap_ms / 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--gap-ms", type=float, default=0.0)
    parser.add_argument("--admin-url", default=DEFAULT_PG_ADMIN_URL)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
