"""Statements and time per use case, as the MCP server runs them (issue 13, "where the time goes").

For each backend this seeds the reference load of `bench_core.py` plus one parent with 60
children, opens the tracker the way `project-status serve` does (on PostgreSQL with the local
SQLite mirror and the fallback router, so a write pays the write-through), and for each use case
the agent tools reach prints:

* `p50` / `p95` of the whole call at the service layer (the MCP round trip is not included);
* `stmts`: SQL statements sent to the primary database per call (a round trip each on
  PostgreSQL), counted with SQLAlchemy's `before_cursor_execute` hook and, for the reads that
  run on the driver's prepared statements past SQLAlchemy, asyncpg's query logger;
* `mirror`: statements sent to the mirror per call, and `mirror p50`, the time spent repeating the
  write on the mirror (`FallbackRouter._write_through`, or `Mirror._put_batch` for a row put).
  That runs after the answer, so it is not in `p50`: the benchmark waits for it
  (`Mirror.settled`) between calls, untimed.

Usage::

    .venv/bin/python benchmarks/bench_roundtrips.py [--backend sqlite|postgresql|both]
        [--iterations N] [--profile OPERATION]

`--profile` runs that operation under cProfile after the table and prints the top functions.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import pstats
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import DEFAULT_PG_ADMIN_URL, migrate, seed
from project_status.domain.enums import ItemType, WorkItemStatus
from project_status.domain.work_items import WorkItemCreate, WorkItemUpdate
from project_status.services.fallback.mirror import Mirror
from project_status.services.fallback.router import FallbackRouter
from project_status.services.tracker import Tracker
from project_status.settings import Settings, normalize_database_url
from project_status.store.database import Database

ACTOR = "bench-roundtrips"
CHILDREN = 60


@dataclass
class Counter:
    """Statements seen on one engine."""

    statements: int = 0
    texts: list[str] = field(default_factory=list)

    def hook(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements += 1
        self.texts.append(" ".join(statement.split())[:160])


@dataclass
class Row:
    operation: str
    times_ms: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    mirror_statements: list[int] = field(default_factory=list)
    mirror_ms: list[float] = field(default_factory=list)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered)) - 1))]


class WriteThroughClock:
    """Times the write's repetition on the mirror: `FallbackRouter._write_through` (a write
    repeated as its command) and `Mirror._put_batch` (the row puts gathered; one per call here,
    as the benchmark settles the mirror between calls)."""

    def __init__(self) -> None:
        self.spent_ms = 0.0
        for owner, name in ((FallbackRouter, "_write_through"), (Mirror, "_put_batch")):
            if hasattr(owner, name):  # an older checkout has no batches
                setattr(owner, name, self._timed(getattr(owner, name)))

    def _timed(self, original: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        async def timed(*args: Any, **kwargs: Any) -> None:
            started = time.perf_counter()
            try:
                await original(*args, **kwargs)
            finally:
                self.spent_ms += (time.perf_counter() - started) * 1000

        return timed


async def _operations(
    tracker: Tracker, vendor: str, leaf: str, parent: str
) -> dict[str, Callable[[], Awaitable[Any]]]:
    update_target = (
        await tracker.work_items.create(
            WorkItemCreate(item_type=ItemType.TASK, title="upd", parent_id=parent), ACTOR
        )
    ).id
    claim_target = (
        await tracker.work_items.create(
            WorkItemCreate(item_type=ItemType.TASK, title="claim", parent_id=parent), ACTOR
        )
    ).id
    state = {"version": (await tracker.work_items.get(update_target)).version, "n": 0}

    async def update() -> None:
        state["n"] += 1
        item = await tracker.work_items.update(
            update_target, state["version"], WorkItemUpdate(title=f"title {state['n']}"), ACTOR
        )
        state["version"] = item.version

    async def update_status() -> None:
        status = WorkItemStatus.BLOCKED if state["n"] % 2 == 0 else WorkItemStatus.ACTIVE
        state["n"] += 1
        item = await tracker.work_items.update(
            update_target, state["version"], WorkItemUpdate(status=status), ACTOR
        )
        state["version"] = item.version

    async def create() -> None:
        await tracker.work_items.create(
            WorkItemCreate(item_type=ItemType.TASK, title="new", parent_id=leaf), ACTOR
        )

    return {
        "vendor by name": lambda: tracker.vendors.query(vendor),
        "get leaf": lambda: tracker.work_items.get(leaf),
        "get parent (60)": lambda: tracker.work_items.get(parent),
        "ready work": lambda: tracker.work_items.ready(),
        "next item": lambda: tracker.work_items.ready(limit=1),
        "summary": lambda: tracker.changes.summary(),
        "update": update,
        "update status": update_status,
        "create": create,
        "claim (renew)": lambda: tracker.claims.claim(ACTOR, item=claim_target),
    }


def _count_driver_statements(db: Database, counter: Counter) -> None:
    """PostgreSQL's hot reads run on the asyncpg connection itself (`store.prepared`), past
    SQLAlchemy's hook: the driver's query logger counts them, on each pooled connection."""
    if db.is_sqlite:
        return

    def log(query: Any) -> None:
        counter.hook(None, None, query.query)

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if not record.info.get("bench_logged"):
            dbapi_connection.driver_connection.add_query_logger(log)
            record.info["bench_logged"] = True

    event.listen(db.engine.sync_engine, "checkout", checked_out)


async def _measure(
    tracker: Tracker,
    ops: dict[str, Callable[[], Awaitable[Any]]],
    iterations: int,
    clock: WriteThroughClock,
    show: bool,
) -> list[Row]:
    primary, mirror = Counter(), Counter()
    event.listen(tracker.db.engine.sync_engine, "before_cursor_execute", primary.hook)
    _count_driver_statements(tracker.db, primary)
    if tracker.mirror is not None:
        event.listen(tracker.mirror.db.engine.sync_engine, "before_cursor_execute", mirror.hook)
    rows = []
    for name, op in ops.items():
        for _ in range(max(10, iterations // 10)):
            await op()
        gc.collect()
        row = Row(name)
        for _ in range(iterations):
            primary.statements = mirror.statements = 0
            primary.texts, mirror.texts = [], []
            clock.spent_ms = 0.0
            started = time.perf_counter()
            await op()
            row.times_ms.append((time.perf_counter() - started) * 1000)
            if tracker.mirror is not None:
                await tracker.mirror.settled()
            row.statements.append(primary.statements)
            row.mirror_statements.append(mirror.statements)
            row.mirror_ms.append(clock.spent_ms)
        rows.append(row)
        if show:
            print(
                f"-- {name}: primary",
                *primary.texts,
                "-- mirror",
                *mirror.texts,
                sep="\n   ",
                file=sys.stderr,
            )
    return rows


def _print(backend: str, rows: list[Row]) -> None:
    print(f"\n{backend}")
    print("| operation | p50 ms | p95 ms | stmts | mirror stmts | mirror p50 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row.operation} | {statistics.median(row.times_ms):.3f} "
            f"| {_percentile(row.times_ms, 95):.3f} "
            f"| {statistics.median(row.statements):g} | {statistics.median(row.mirror_statements):g} "
            f"| {statistics.median(row.mirror_ms):.3f} |"
        )


async def _run(
    backend: str, url: str, folder: Path, args: argparse.Namespace, clock: WriteThroughClock
) -> None:
    await migrate(url)
    bare = await Tracker.open(url=url)
    try:
        info = await seed(bare, backend)
        parent = await bare.work_items.create(
            WorkItemCreate(item_type=ItemType.SESSION, title="parent"), ACTOR
        )
        for n in range(CHILDREN):
            await bare.work_items.create(
                WorkItemCreate(item_type=ItemType.TASK, title=f"child {n}", parent_id=parent.id), ACTOR
            )
        leaf = await bare.work_items.create(
            WorkItemCreate(item_type=ItemType.TASK, title="leaf", parent_id=parent.id), ACTOR
        )
        if not bare.db.is_sqlite:
            async with bare.db.engine.connect() as conn:
                await conn.execute(text("ANALYZE"))
                await conn.commit()
    finally:
        await bare.close()
    settings = Settings(
        database_url=None if backend == "sqlite" else url, data_dir=folder / ".project-status"
    )
    tracker = await Tracker.open(settings)
    try:
        if tracker.mirror is not None:
            await tracker.mirror.refresh()  # what a server's upkeep does first
        ops = await _operations(tracker, info.vendor_names[0], leaf.id, parent.id)
        rows = await _measure(tracker, ops, args.iterations, clock, args.statements)
        _print(backend, rows)
        if args.profile:
            profiler = cProfile.Profile()
            op = ops[args.profile]
            profiler.enable()
            for _ in range(args.iterations):
                await op()
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(args.profile_sort).print_stats(40)
            print(out.getvalue())
    finally:
        await tracker.close()


async def main_async(args: argparse.Namespace) -> None:
    clock = WriteThroughClock()
    if args.backend in ("sqlite", "both"):
        folder = Path(tempfile.mkdtemp(prefix="ps-rt-sqlite-"))
        try:
            data = folder / ".project-status"
            data.mkdir()
            await _run("sqlite", f"sqlite+aiosqlite:///{data / 'status.db'}", folder, args, clock)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    if args.backend in ("postgresql", "both"):
        admin = await asyncpg.connect(args.pg_admin_url, timeout=5)
        name = f"ps_bench_{uuid.uuid4().hex[:12]}"
        folder = Path(tempfile.mkdtemp(prefix="ps-rt-pg-"))
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
            url = normalize_database_url(f"{args.pg_admin_url.rsplit('/', 1)[0]}/{name}")
            await _run("postgresql", url, folder, args, clock)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
            shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--profile", default=None, help="an operation name from the table")
    parser.add_argument("--profile-sort", default="cumulative", help="pstats order, e.g. tottime")
    parser.add_argument("--statements", action="store_true", help="print each operation's SQL (stderr)")
    parser.add_argument("--pg-admin-url", default=DEFAULT_PG_ADMIN_URL)
    args = parser.parse_args()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
