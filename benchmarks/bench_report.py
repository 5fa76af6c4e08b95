"""Status report benchmark (issue 3, "Benchmark"; DESIGN.md sections 7 and 9).

For each backend (SQLite in a temp file, PostgreSQL in a throw-away database on
127.0.0.1:5432, dropped at the end) this migrates a fresh database, seeds the reference load
with bench_core's seed (45 vendors, 1,200 work items over depths 0-5, ~100 dependencies,
50 deployments, 30 enhancements), then measures p50/p95/p99 of

* ``tracker.reports.collect()``: the database reads and the shaping into report rows,
* the Jinja2 template alone, on one collected report,
* ``tracker.reports.render()``: the whole report (collect + template), judged against the seed
  floor (p95 < 100 ms) and the aim (< 10 ms),
* ``tracker.reports.write(path)``: render plus the atomic write (temp file, fsync, rename).

``--profile N`` then runs ``render()`` N times under cProfile and prints where the time goes.

Usage::

    .venv/bin/python benchmarks/bench_report.py [--backend sqlite|postgresql|both]
        [--iterations N] [--profile N]

Progress goes to stderr, the result table to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import os
import pstats
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import text

from bench_core import DEFAULT_PG_ADMIN_URL, BenchSettings, Result, log, measure, migrate, seed
from project_status.domain.enums import WorkItemStatus
from project_status.services.reports import lay_out
from project_status.services.tracker import Tracker
from project_status.settings import normalize_database_url

REPORT_FLOOR_MS = 100.0
"""The seed's floor for the full report (p95); the aim is ten times better, < 10 ms."""


NOTED_ITEMS = 200
"""Open items given two handoff notes each after seeding: the report shows each one's newest."""


async def add_notes(tracker: Tracker) -> int:
    """Two notes on each of the first NOTED_ITEMS active items; how many notes were added."""
    page = await tracker.work_items.list(status=WorkItemStatus.ACTIVE, limit=NOTED_ITEMS)
    for item in page.items:
        await tracker.notes.add(item.id, "Picked up; the parser needs a second look.", "bench")
        await tracker.notes.add(item.id, "Handoff: " + "fixed the header row, quoting left. " * 8, "bench")
    return 2 * len(page.items)


@dataclass
class BackendRun:
    backend: str
    seed_seconds: float = 0.0
    results: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    profile: str = ""


async def bench_backend(
    backend: str, url: str, settings: BenchSettings, *, analyze: bool, profile_runs: int, top: int
) -> BackendRun:
    run = BackendRun(backend)
    log(f"[{backend}] migrating {url.split('@')[-1]}")
    await migrate(url)

    tracker = await Tracker.open(url=normalize_database_url(url))
    folder = Path(tempfile.mkdtemp(prefix="ps-bench-report-"))
    try:
        started = time.perf_counter()
        info = await seed(tracker, backend)
        noted = await add_notes(tracker)
        run.seed_seconds = time.perf_counter() - started
        log(f"[{backend}] seeded in {run.seed_seconds:.1f} s: {info.describe()}")
        if analyze and not tracker.db.is_sqlite:
            async with tracker.db.engine.connect() as conn:  # what autovacuum would have done by now
                await conn.execute(text("ANALYZE"))
                await conn.commit()
            run.notes.append("ANALYZE ran after seeding (steady state; see --no-analyze).")

        report = await tracker.reports.collect()
        rendered = await tracker.reports.render()
        run.notes.append(
            f"report: {len(rendered.encode()) / 1024:.1f} KiB, {rendered.count(chr(10))} lines; "
            f"{len(report.vendors)} vendors, {len(report.work_items)} work items, "
            f"{len(report.deployments)} deployments, {len(report.enhancements)} pending enhancements, "
            f"{noted} notes ({len(report.latest_notes)} shown)"
        )
        target = folder / ".project_status.md"

        async def collect(_: int) -> None:
            await tracker.reports.collect()

        async def template_only(_: int) -> None:
            lay_out(report)

        async def render(_: int) -> None:
            await tracker.reports.render()

        async def write(_: int) -> None:
            await tracker.reports.write(target)

        plan: list[tuple[str, Callable[[int], Awaitable[None]], float | None]] = [
            ("collect()", collect, None),
            ("template only", template_only, None),
            ("render()", render, REPORT_FLOOR_MS),
            ("write() (fsync)", write, None),
        ]
        for name, call, floor in plan:
            samples = await measure(f"[{backend}] {name}", call, settings)
            run.results.append(Result(backend, "service", name, samples, floor))
        if profile_runs:
            run.profile = await profile_render(tracker, profile_runs, top)
    finally:
        await tracker.close()
        shutil.rmtree(folder, ignore_errors=True)
    return run


async def profile_render(tracker: Tracker, runs: int, top: int) -> str:
    """cProfile over `runs` renders: the top functions by own time and by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        await tracker.reports.render()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs()
    out.write(f"cProfile over {runs} render() calls (times are totals over all of them)\n")
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


@contextlib.asynccontextmanager
async def throwaway_postgres(admin_url: str) -> AsyncIterator[str | None]:
    """A new database on the admin URL's server, dropped at the end; None when it is unreachable."""
    try:
        admin = await asyncpg.connect(admin_url, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        print(f"note: PostgreSQL skipped, {admin_url} is unreachable: {type(exc).__name__}: {exc}")
        yield None
        return
    name = f"ps_bench_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def print_table(runs: list[BackendRun], iterations: int) -> None:
    headers = ("backend", "operation", "n", "p50 ms", "p95 ms", "p99 ms", "floor (p95 ms)")
    rows = [
        (
            r.backend,
            r.operation,
            str(len(r.samples_ns)),
            f"{r.percentile(50):.3f}",
            f"{r.percentile(95):.3f}",
            f"{r.percentile(99):.3f}",
            r.verdict(),
        )
        for run in runs
        for r in run.results
    ]
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]
    right = {2, 3, 4, 5}

    def fmt(row: tuple[str, ...]) -> str:
        cells = [c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(row)]
        return "| " + " | ".join(cells) + " |"

    print()
    print(
        f"project-status report benchmark: {iterations} iterations per operation (fewer when an "
        "operation exceeds its time budget; see n)"
    )
    print(
        f"render() is judged on p95 against the seed floor < {REPORT_FLOOR_MS:g} ms; 'x10' = also the "
        f"aim, < {REPORT_FLOOR_MS / 10:g} ms. render() = collect() + template only."
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"host: {os.cpu_count()} CPUs, load average at the end {load}; Python {sys.version.split()[0]}")
    print()
    print(fmt(headers))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(fmt(row))
    print()
    for run in runs:
        print(f"{run.backend}: seed {run.seed_seconds:.1f} s through the service layer.")
        for note in run.notes:
            print(f"  note: {note}")
    for run in runs:
        if run.profile:
            print()
            print(f"=== {run.backend} profile ===")
            print(run.profile)


async def main_async(args: argparse.Namespace) -> int:
    settings = BenchSettings(
        iterations=args.iterations,
        warmup=args.warmup if args.warmup is not None else max(10, args.iterations // 10),
        budget_s=args.budget,
    )
    options: dict[str, Any] = {"analyze": not args.no_analyze, "profile_runs": args.profile, "top": args.top}
    runs: list[BackendRun] = []
    started = time.perf_counter()
    if args.backend in ("sqlite", "both"):
        folder = Path(tempfile.mkdtemp(prefix="ps-bench-sqlite-"))
        try:
            url = f"sqlite+aiosqlite:///{folder / 'status.db'}"
            runs.append(await bench_backend("sqlite", url, settings, **options))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    if args.backend in ("postgresql", "both"):
        async with throwaway_postgres(args.pg_admin_url) as url:
            if url is not None:
                runs.append(await bench_backend("postgresql", url, settings, **options))
    print_table(runs, settings.iterations)
    print(f"total run time {time.perf_counter() - started:.1f} s")
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--iterations", type=int, default=1000, help="timed calls per operation")
    parser.add_argument("--warmup", type=int, default=None, help="untimed calls first (default N/10, >= 10)")
    parser.add_argument(
        "--budget", type=float, default=12.0, help="seconds per operation before stopping early (default 12)"
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="then profile N render() calls with cProfile"
    )
    parser.add_argument("--top", type=int, default=25, help="functions listed per profile ordering")
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="PostgreSQL: measure without running ANALYZE after the seed (no planner statistics)",
    )
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get("PROJECT_STATUS_BENCH_PG_ADMIN_URL", DEFAULT_PG_ADMIN_URL),
        help="PostgreSQL URL used to create and drop the throw-away database",
    )
    args = parser.parse_args(argv)
    if args.iterations < 1:
        parser.error("--iterations must be at least 1")
    if args.profile < 0:
        parser.error("--profile must be 0 or more")
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
