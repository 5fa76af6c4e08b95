"""Claim latency at the service layer on both backends: p50/p95/p99 in milliseconds.

One client, 1,200 ready tasks (plus a project above them), on a fresh database of each backend:
- `claim next`: `tracker.claims.claim(actor)`, the best ready item nobody holds, each call a new one;
- `claim by id (renew)`: the same actor claiming an item it holds again;
- `complete`: `tracker.claims.complete(id, actor)` of a claimed item;
- `list_changes`: a page of 50 after a cursor; `summary`: `tracker.changes.summary()`.

    .venv/bin/python benchmarks/bench_claims.py [--backend sqlite|postgresql|both] [--iterations 300]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import insert

from bench_core import BenchSettings, Result, log, measure
from project_status.domain.ids import new_id
from project_status.services.clock import now
from project_status.services.tracker import Tracker
from project_status.store.migrate import upgrade
from project_status.store.tables import WorkItem

TASKS = 1_200
ACTOR = "bench-agent"


async def _seed(tracker: Tracker) -> None:
    stamp = now()
    root = new_id()
    rows: list[dict[str, Any]] = [
        {"id": root, "item_type": "project", "title": "bench project", "path": f"/{root}", "depth": 0}
    ]
    for n in range(TASKS):
        item_id = new_id()
        rows.append(
            {
                "id": item_id,
                "item_type": "task",
                "title": f"task {n}",
                "parent_id": root,
                "path": f"/{root}/{item_id}",
                "depth": 1,
                "priority": 1 + n % 5,
            }
        )
    common = {
        "version": 1,
        "status": "active",
        "metadata_": {},
        "created_at": stamp,
        "created_by": "bench",
        "updated_at": stamp,
        "updated_by": "bench",
    }
    async with tracker.db.unit_of_work(write=True) as session:
        await session.execute(insert(WorkItem), [{"priority": 3, **common, **row} for row in rows])


async def _bench(label: str, url: str, settings: BenchSettings) -> list[Result]:
    tracker = Tracker.create(url=url)
    await upgrade(tracker.db)
    await tracker.ensure_ready()
    try:
        await _seed(tracker)
        claimed: list[str] = []

        async def claim_next(_: int) -> None:
            claimed.append((await tracker.claims.claim(ACTOR)).id)

        async def renew(i: int) -> None:
            await tracker.claims.claim(ACTOR, claimed[abs(i) % len(claimed)])

        completing = iter(claimed)

        async def complete(_: int) -> None:
            await tracker.claims.complete(next(completing), ACTOR)

        start = ""

        async def changes(_: int) -> None:
            await tracker.changes.list_changes(since=start, limit=50)

        async def summary(_: int) -> None:
            await tracker.changes.summary()

        operations: list[tuple[str, Callable[[int], Awaitable[None]]]] = [
            ("claim next", claim_next),
            ("claim by id (renew)", renew),
        ]
        results = []
        for name, call in operations:
            results.append(Result(label, "service", name, await measure(f"{label} {name}", call, settings)))
        completing = iter(list(claimed))
        start = (await tracker.changes.list_changes(limit=200)).items[0].cursor
        for name, call in (("complete", complete), ("list_changes (50)", changes), ("summary", summary)):
            results.append(Result(label, "service", name, await measure(f"{label} {name}", call, settings)))
        return results
    finally:
        await tracker.close()


def _print(results: list[Result]) -> None:
    print(f"{'backend':<11} {'operation':<22} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for r in results:
        print(
            f"{r.backend:<11} {r.operation:<22} {len(r.samples_ns):>5} "
            f"{r.percentile(50):>8.2f} {r.percentile(95):>8.2f} {r.percentile(99):>8.2f}"
        )


async def main_async(args: argparse.Namespace) -> int:
    settings = BenchSettings(
        iterations=args.iterations, warmup=max(10, args.iterations // 10), budget_s=args.budget
    )
    results: list[Result] = []
    if args.backend in ("sqlite", "both"):
        folder = Path(tempfile.mkdtemp(prefix="ps-bench-claims-"))
        try:
            results += await _bench("sqlite", f"sqlite+aiosqlite:///{folder / 'status.db'}", settings)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    if args.backend in ("postgresql", "both"):
        try:
            admin = await asyncpg.connect(args.pg_admin_url, timeout=5)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            log(f"note: PostgreSQL skipped, unreachable: {type(exc).__name__}: {exc}")
        else:
            name = f"ps_bench_{uuid.uuid4().hex[:12]}"
            try:
                await admin.execute(f'CREATE DATABASE "{name}"')
                base = args.pg_admin_url.rsplit("/", 1)[0]
                url = f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://", 1)
                results += await _bench("postgresql", url, settings)
            finally:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await admin.close()
    _print(results)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--budget", type=float, default=12.0)
    parser.add_argument("--pg-admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
