"""PostgreSQL write use cases at the service layer, round-robin, for before/after comparisons.

Opens the tracker as `project-status serve` does (PostgreSQL with the local mirror and the
fallback router) on a throw-away database, and times a status change, a create under a parent,
a claim renewal and, as a control whose code the write work does not touch, the read of one
leaf. The operations take turns call by call, so that each sees the same moments of a shared
machine's load; the mirror's write-through is awaited (untimed) after every call, as a client's
next call usually finds it done. Prints each operation's p50 and p95, or `--json` samples.

Compare two checkouts in one sitting, alternating several runs of each::

    git archive <rev> src | tar -x -C /tmp/base
    PYTHONPATH=/tmp/base/src .venv/bin/python benchmarks/bench_pg_writes.py
    .venv/bin/python benchmarks/bench_pg_writes.py
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import DEFAULT_PG_ADMIN_URL, migrate
from project_status.domain.enums import ItemType, WorkItemStatus
from project_status.domain.work_items import WorkItemCreate, WorkItemUpdate
from project_status.services.tracker import Tracker
from project_status.settings import Settings, normalize_database_url

ACTOR = "bench-pg-writes"
CHILDREN = 60
WARM_UP = 20


async def _operations(tracker: Tracker) -> dict[str, Callable[[], Awaitable[Any]]]:
    session = WorkItemCreate(item_type=ItemType.SESSION, title="parent")
    parent = await tracker.work_items.create(session, ACTOR)
    for n in range(CHILDREN):
        await tracker.work_items.create(
            WorkItemCreate(item_type=ItemType.TASK, title=f"child {n}", parent_id=parent.id), ACTOR
        )
    made = [
        await tracker.work_items.create(
            WorkItemCreate(item_type=ItemType.TASK, title=title, parent_id=parent.id), ACTOR
        )
        for title in ("updated", "claimed", "leaf")
    ]
    updated, claimed, leaf = (item.id for item in made)
    state = {"version": made[0].version, "n": 0}

    async def update_status() -> None:
        status = WorkItemStatus.BLOCKED if state["n"] % 2 == 0 else WorkItemStatus.ACTIVE
        state["n"] += 1
        change = WorkItemUpdate(status=status)
        item = await tracker.work_items.update(updated, state["version"], change, ACTOR)
        state["version"] = item.version

    async def create() -> None:
        await tracker.work_items.create(
            WorkItemCreate(item_type=ItemType.TASK, title="new", parent_id=leaf), ACTOR
        )

    return {
        "update status": update_status,
        "create under a parent": create,
        "claim (renew)": lambda: tracker.claims.claim(ACTOR, item=claimed),
        "get leaf (control)": lambda: tracker.work_items.get(leaf),
    }


async def _measure(url: str, folder: Path, iterations: int) -> dict[str, list[float]]:
    await migrate(url)
    tracker = await Tracker.open(Settings(database_url=url, data_dir=folder / ".project-status"))
    try:
        assert tracker.router is not None and tracker.mirror is not None
        tracker.router.regenerate_report = False
        await tracker.mirror.refresh()
        ops = await _operations(tracker)
        for op in ops.values():
            for _ in range(WARM_UP):
                await op()
                await tracker.mirror.settled()
        gc.collect()
        samples: dict[str, list[float]] = {name: [] for name in ops}
        for _ in range(iterations):
            for name, op in ops.items():
                started = time.perf_counter()
                await op()
                samples[name].append((time.perf_counter() - started) * 1000)
                await tracker.mirror.settled()
        return samples
    finally:
        await tracker.close()


async def main_async(args: argparse.Namespace) -> None:
    admin = await asyncpg.connect(args.pg_admin_url, timeout=5)
    name = f"ps_bench_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = normalize_database_url(f"{args.pg_admin_url.rsplit('/', 1)[0]}/{name}")
        with tempfile.TemporaryDirectory(prefix="ps-pg-writes-") as folder:
            samples = await _measure(url, Path(folder), args.iterations)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    if args.json:
        print(json.dumps(samples))
        return
    print("| operation | p50 ms | p95 ms |\n|---|---:|---:|")
    for op, times in samples.items():
        ordered = sorted(times)
        print(f"| {op} | {statistics.median(times):.3f} | {ordered[int(0.95 * (len(ordered) - 1))]:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--iterations", type=int, default=100, help="rounds of every operation")
    parser.add_argument("--json", action="store_true", help="print every sample, as JSON")
    parser.add_argument("--pg-admin-url", default=DEFAULT_PG_ADMIN_URL)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
