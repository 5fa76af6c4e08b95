"""Scale and speed benchmark (issue 6; DESIGN.md section 9): two loads on both backends.

* **reference load**: bench_core's seed through the service layer (45 vendors, 1,200 work
  items over depths 0-5, 100 dependencies, 50 deployments, 30 enhancements);
* **five-year load**: the same reference seed, then five years of history bulk-inserted with
  SQLAlchemy Core (`scale_seed.py`): 100,000 work items of which 98,000 are archivable (whole
  finished or deleted subtrees last touched more than a year ago), 2,000 live, ~200,000 events,
  2,000 deployments. Measured before archiving, then the archive run itself, then after it.

For every state it times, at the service layer (`Tracker`): vendor by name; a work item with
its hierarchy and dependencies (a depth-2 item and the biggest root of the reference tree);
the first page of the work item list; ready work; the full status report; create; update.
Then through the official MCP client over stdio against a real `project-status serve`: a
ping (the protocol's own round trip) and the point calls, plus the server's start time to its
first answer and its memory. Floors measured in the same run (a bare aiosqlite thread hop, a
bare asyncpg round trip, the report template alone) say what bounds a missed target.

Usage::

    .venv/bin/python benchmarks/bench_scale.py                 # everything, both backends
    .venv/bin/python benchmarks/bench_scale.py --write-docs docs/performance-scale.md
    .venv/bin/python benchmarks/bench_scale.py --backend sqlite --load reference --skip-mcp

Progress goes to stderr, the tables to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import Implementation
from sqlalchemy import delete, func, literal, select, text

from bench_core import (
    ACTOR,
    CLIENT_NAME,
    DEFAULT_PG_ADMIN_URL,
    BenchSettings,
    Result,
    SeedInfo,
    _fail_after,
    _payload,
    _server_command,
    log,
    measure,
    migrate,
    seed,
)
from bench_report import throwaway_postgres
from project_status.domain.enums import MAX_DEPTH, ItemType
from project_status.domain.work_items import WorkItemCreate, WorkItemUpdate
from project_status.mcp.server import build_server
from project_status.services.archive import ArchiveService
from project_status.services.reports import _lay_out, rows_markdown
from project_status.services.tracker import Tracker
from project_status.settings import Settings, normalize_database_url
from project_status.store import work_items as work_item_store
from project_status.store.tables import Event, WorkItem
from scale_docs import write_docs
from scale_results import (
    HEADERS,
    STAGE_AFTER,
    STAGE_BEFORE,
    STAGE_REFERENCE,
    ArchiveRun,
    LoadRun,
    RunInfo,
    ServerStart,
    Stage,
    cpu_line,
    stage_rows,
    target_for,
    text_table,
)
from scale_seed import THRESHOLD_DAYS, HistoryInfo, seed_history

REFERENCE_ITEMS = 1_200
_SELECT_ONE = select(literal(1))

# --------------------------------------------------------------------------- measuring


async def timed(label: str, call: Callable[[int], Awaitable[Any]], settings: BenchSettings) -> list[int]:
    """bench_core.measure, with fewer warm-up calls for an operation that takes long (a report
    of 90,000 items), so warming up does not eat the whole budget."""
    started = time.perf_counter()
    await call(-1_000_000)
    first = time.perf_counter() - started
    warmup = min(settings.warmup, max(1, int(settings.budget_s * 0.1 / max(first, 1e-6))))
    return await measure(label, call, BenchSettings(settings.iterations, warmup, settings.budget_s))


async def live_and_total(tracker: Tracker) -> tuple[int, int]:
    async with tracker.db.unit_of_work() as session:
        live = (
            await session.execute(
                select(func.count()).select_from(WorkItem).where(WorkItem.deleted_at.is_(None))
            )
        ).scalar_one()
        total = (await session.execute(select(func.count()).select_from(WorkItem))).scalar_one()
    return int(live), int(total)


async def bench_service(tracker: Tracker, info: SeedInfo, stage: Stage, settings: BenchSettings) -> None:
    """Every service-layer operation of issue 6 on the store as it stands."""
    backend, names = stage.backend, info.vendor_names
    label = f"[{backend} {stage.stage}]"

    async def vendor(i: int) -> None:
        await tracker.vendors.query(names[i % len(names)])

    async def item_mid(_: int) -> None:
        await tracker.work_items.get(info.mid_id)

    async def item_root(_: int) -> None:
        await tracker.work_items.get(info.root_id)

    async def first_page(_: int) -> None:
        await tracker.work_items.list()

    async def ready(_: int) -> None:
        await tracker.work_items.ready()

    async def report(_: int) -> None:
        await tracker.reports.render()

    created: list[str] = []

    async def create(i: int) -> None:
        item = await tracker.work_items.create(
            WorkItemCreate(item_type=ItemType.TASK, title=f"Scale benchmark task {i}", parent_id=info.mid_id),
            ACTOR,
        )
        created.append(item.id)

    version = (await tracker.work_items.get(info.update_id, include_children=False)).version

    async def update(i: int) -> None:
        nonlocal version
        answer = await tracker.work_items.update(
            info.update_id, version, WorkItemUpdate(title=f"Scale benchmark update {i}"), ACTOR
        )
        version = answer.version

    plan: list[tuple[str, Callable[[int], Awaitable[None]]]] = [
        ("vendor by name", vendor),
        ("work item (hierarchy) d2", item_mid),
        ("work item (hierarchy) root", item_root),
        ("list (first page)", first_page),
        ("ready work", ready),
        ("full report", report),
        ("create work item", create),
        ("update work item", update),
    ]
    try:
        for name, call in plan:
            samples = await timed(f"{label} {name}", call, settings)
            stage.results.append(Result(backend, "service", name, samples, target_for(name, backend)))
    finally:
        await _remove_items(tracker, created)
    stage.notes.append(
        f"create: {len(created)} tasks under the depth-2 item, removed again after the measurement "
        "(rows and events) so every stage measures the same store"
    )
    info.update_version = version


async def _remove_items(tracker: Tracker, ids: list[str]) -> None:
    if not ids:
        return
    async with tracker.db.connection(transaction=True) as conn:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            await conn.execute(
                delete(Event).where(Event.entity_type == "work_item", Event.entity_id.in_(chunk))
            )
            await conn.execute(delete(WorkItem).where(WorkItem.id.in_([uuid.UUID(i) for i in chunk])))


async def bench_floors(tracker: Tracker, stage: Stage, info: SeedInfo, settings: BenchSettings) -> None:
    """What the pieces under the service calls cost, each measured alone in the same run: the
    driver's own trip, the root's subtree read, and the report's three parts."""
    backend = stage.backend
    label = f"[{backend} {stage.stage}] floor"
    name = info.vendor_names[0]
    root = uuid.UUID(info.root_id)
    async with tracker.db.reader() as reader:
        rows = await work_item_store.live_rows(reader)

        async def subtree(_: int) -> None:
            await work_item_store.read_descendant_nodes(reader, root, max_levels=MAX_DEPTH)

        async def live(_: int) -> None:
            await work_item_store.live_rows(reader)

        async def select_one(_: int) -> None:
            await reader.rows(_SELECT_ONE)

        for op, call in (
            ("SELECT 1 through the store's reader", select_one),
            ("root subtree rows (descendants CTE)", subtree),
            ("report: live item rows", live),
        ):
            stage.floors.append(Result(backend, "floor", op, await timed(f"{label} {op}", call, settings)))

    async def shape(_: int) -> None:
        rows_markdown(rows)

    op = "report: item sections from the rows"
    stage.floors.append(Result(backend, "floor", op, await timed(f"{label} {op}", shape, settings)))
    async with tracker.db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        plan: list[tuple[str, Callable[[int], Awaitable[Any]]]] = []
        if tracker.db.is_sqlite:

            async def hop(_: int) -> None:
                await driver._execute(lambda: None)  # aiosqlite: run nothing on its worker thread

            database = tracker.db.engine.url.database
            direct = sqlite3.connect(str(database), isolation_level=None)

            async def direct_read(_: int) -> None:
                direct.execute("SELECT * FROM vendors WHERE name = ?", (name,)).fetchall()

            plan = [
                ("aiosqlite thread hop (no SQL)", hop),
                ("vendor row, sqlite3 in the caller's thread", direct_read),
            ]
        else:

            async def round_trip(_: int) -> None:
                await driver.fetchval("SELECT 1")

            async def vendor_row(_: int) -> None:
                await driver.fetchrow("SELECT * FROM vendors WHERE name = $1", name)

            direct = None
            plan = [("asyncpg round trip (SELECT 1)", round_trip), ("vendor row, bare asyncpg", vendor_row)]
        report = dataclasses.replace(await tracker.reports.collect(), work_items=[])
        items_text = rows_markdown(rows)

        async def template(_: int) -> None:
            _lay_out(report, *items_text)

        plan.append(("report: template only", template))
        try:
            for op, call in plan:
                samples = await timed(f"{label} {op}", call, settings)
                stage.floors.append(Result(backend, "floor", op, samples))
        finally:
            if direct is not None:
                direct.close()


# --------------------------------------------------------------------------- MCP over stdio


def _children() -> list[int]:
    me = os.getpid()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its closing parenthesis
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == me:
            found.append(int(entry.name))
    return found


def _cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time a process has used (Linux /proc/<pid>/stat, clock ticks)."""
    if pid is None:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Counted:
    """A call that counts how often it ran, warm-up included (for CPU time per call)."""

    def __init__(self, call: Callable[[int], Awaitable[None]]) -> None:
        self.call = call
        self.calls = 0

    async def __call__(self, i: int) -> None:
        self.calls += 1
        await self.call(i)


def _memory(pid: int) -> tuple[int | None, int | None]:
    """VmRSS and VmHWM (peak) of a process in KiB, from /proc/<pid>/status (Linux)."""
    values: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values.get("VmRSS"), values.get("VmHWM")


async def _mirror_copied(path: Path, within: float) -> float | None:
    """Seconds until the mirror records its first whole copy (None: not within `within`)."""
    started = time.perf_counter()
    while time.perf_counter() - started < within:
        if await asyncio.to_thread(_has_copy, path):
            return time.perf_counter() - started
        await asyncio.sleep(0.2)
    return None


def _has_copy(path: Path) -> bool:
    if not path.exists():
        return False
    with contextlib.suppress(sqlite3.Error), contextlib.closing(sqlite3.connect(path)) as conn:
        row = conn.execute("SELECT refreshed_at FROM sync_mirror_state").fetchone()
        return row is not None and row[0] is not None
    return False


async def bench_mcp(
    info: SeedInfo, stage: Stage, cwd: Path, env: dict[str, str], settings: BenchSettings
) -> None:
    """Start `project-status serve` over stdio, time its first answer, then the point calls."""
    backend = stage.backend
    label = f"[{backend} {stage.stage}] mcp"
    # The server's own archive job would archive the 'before' store under the benchmark's feet.
    env = {**env, "PROJECT_STATUS_ARCHIVE_INTERVAL_HOURS": "0"}
    params = StdioServerParameters(command=_server_command(), args=["serve"], env=env, cwd=str(cwd))
    for leftover in (cwd / ".project-status").glob("cache.db*"):
        leftover.unlink()  # an earlier stage's mirror: this server makes (and waits for) its own first copy
    before = set(_children())
    server_log = cwd / "server-stderr.log"
    names = info.vendor_names
    with server_log.open("w") as errlog:
        try:
            started = time.perf_counter()
            async with (
                stdio_client(params, errlog=errlog) as (read, write),
                ClientSession(
                    read, write, client_info=Implementation(name=CLIENT_NAME, version="1.0")
                ) as session,
            ):
                with _fail_after(60):
                    await session.initialize()
                    initialized = time.perf_counter() - started
                    _payload(await session.call_tool("query_vendor_status", {"name": names[0]}))
                    first = time.perf_counter() - started
                server_pids = [pid for pid in _children() if pid not in before]
                if "PROJECT_STATUS_DATABASE_URL" in env:
                    # With PostgreSQL the server copies it into its local mirror (issue 5) in the
                    # background; measure the steady state, after that first copy.
                    copied = await _mirror_copied(cwd / ".project-status" / "cache.db", within=180)
                    stage.notes.append(
                        f"the server's first copy into its local mirror ended {copied:.1f} s after start; "
                        "the calls were timed after it"
                        if copied is not None
                        else "the server's first mirror copy did not end within 180 s; calls timed anyway"
                    )

                async def ping(_: int) -> None:
                    await session.send_ping()

                async def vendor(i: int) -> None:
                    _payload(await session.call_tool("query_vendor_status", {"name": names[i % len(names)]}))

                async def item_mid(_: int) -> None:
                    _payload(await session.call_tool("query_work_item", {"id": info.mid_id}))

                async def item_root(_: int) -> None:
                    _payload(await session.call_tool("query_work_item", {"id": info.root_id}))

                plan: list[tuple[str, Callable[[int], Awaitable[None]]]] = [
                    ("ping (protocol round trip)", ping),
                    ("vendor by name", vendor),
                    ("work item (hierarchy) d2", item_mid),
                    ("work item (hierarchy) root", item_root),
                ]
                server_pid = server_pids[0] if len(server_pids) == 1 else None
                for name, call in plan:
                    counted = _Counted(call)
                    client_cpu, server_cpu = time.process_time(), _cpu_seconds(server_pid)
                    samples = await timed(f"{label} {name}", counted, settings)
                    client_cpu = time.process_time() - client_cpu
                    server_after = _cpu_seconds(server_pid)
                    stage.mcp.append(Result(backend, "mcp-stdio", name, samples))
                    stage.mcp_cpu[name] = (
                        client_cpu / counted.calls * 1e6,
                        None
                        if server_after is None or server_cpu is None
                        else (server_after - server_cpu) / counted.calls * 1e6,
                    )
                rss, hwm = _memory(server_pids[0]) if len(server_pids) == 1 else (None, None)
                if len(server_pids) != 1:
                    stage.notes.append(f"server memory not read: {len(server_pids)} new child processes")
                stage.server = ServerStart(initialized, first, rss, hwm)
        except BaseException:
            errlog.flush()
            tail = server_log.read_text(errors="replace")[-2000:]
            if tail.strip():
                log(f"  {label} server stderr (tail):\n{tail}")
            raise


async def bench_mcp_in_process(info: SeedInfo, stage: Stage, url: str, settings: BenchSettings) -> None:
    """The same point calls through the SDK's in-process transport (no stdio, no second
    process): what the protocol and the tool machinery cost without the pipes."""
    label = f"[{stage.backend} {stage.stage}] mcp in-process"
    server = build_server(Settings(archive_interval_hours=0), url=normalize_database_url(url))
    names = info.vendor_names
    async with Client(
        server, mode="legacy", client_info=Implementation(name=CLIENT_NAME, version="1.0")
    ) as client:
        session = client.session

        async def ping(_: int) -> None:
            await session.send_ping()

        async def vendor(i: int) -> None:
            _payload(await session.call_tool("query_vendor_status", {"name": names[i % len(names)]}))

        async def item_mid(_: int) -> None:
            _payload(await session.call_tool("query_work_item", {"id": info.mid_id}))

        for name, call in (
            ("MCP in-process: ping", ping),
            ("MCP in-process: vendor by name", vendor),
            ("MCP in-process: work item d2", item_mid),
        ):
            stage.floors.append(
                Result(stage.backend, "floor", name, await timed(f"{label} {name}", call, settings))
            )


async def measure_stage(
    tracker: Tracker,
    info: SeedInfo,
    stage: Stage,
    settings: BenchSettings,
    *,
    server: tuple[Path, dict[str, str]] | None,
) -> Stage:
    stage.live_items, stage.total_items = await live_and_total(tracker)
    log(f"[{stage.backend} {stage.stage}] {stage.live_items:,} live of {stage.total_items:,} work items")
    await bench_service(tracker, info, stage, settings)
    await bench_floors(tracker, stage, info, settings)
    if server is None:
        return stage
    await bench_mcp_in_process(info, stage, tracker.db.url, settings)
    try:
        await bench_mcp(info, stage, server[0], server[1], settings)
    except Exception as exc:  # the server is a separate component: report, don't abort the run
        message = f"MCP over stdio not measured: {type(exc).__name__}: {exc}"
        if isinstance(exc, BaseExceptionGroup):
            message += " / " + "; ".join(f"{type(e).__name__}: {e}" for e in exc.exceptions)
        log(f"[{stage.backend} {stage.stage}] {message}")
        stage.notes.append(message)
    return stage


# --------------------------------------------------------------------------- loads


@dataclass
class Options:
    settings: BenchSettings
    skip_mcp: bool
    analyze: bool
    items: int
    live: int
    deployments: int


async def _analyze(tracker: Tracker) -> None:
    """PostgreSQL: what autovacuum would have done by now after a bulk insert or delete (the
    shared server runs with autovacuum off): VACUUM ANALYZE, outside a transaction."""
    if not tracker.db.is_sqlite:
        engine = tracker.db.engine.execution_options(isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text("VACUUM ANALYZE"))


async def run_load(
    backend: str, load: str, url: str, server: tuple[Path, dict[str, str]], options: Options
) -> LoadRun:
    await migrate(url)
    tracker = await Tracker.open(url=normalize_database_url(url))
    mcp_server = None if options.skip_mcp else server
    try:
        started = time.perf_counter()
        info = await seed(tracker, backend)
        history: HistoryInfo | None = None
        if load == "five-year":
            archivable = options.items - options.live
            history = await seed_history(
                tracker.db,
                archivable=archivable,
                extra_live=options.live - REFERENCE_ITEMS,
                deployments=options.deployments - 50,
            )
        seconds = time.perf_counter() - started
        note = f"reference seed through the service layer: {info.describe()}"
        if history is not None:
            note += f" Then {history.describe()}."
        run = LoadRun(backend, load, seconds, note)
        log(f"[{backend} {load}] seeded in {seconds:.1f} s")
        if options.analyze:
            await _analyze(tracker)
            if not tracker.db.is_sqlite:
                run.notes.append(
                    "VACUUM ANALYZE ran after seeding and after archiving (what autovacuum does after a "
                    "bulk insert or delete)."
                )
        if history is None:
            run.stages.append(
                await measure_stage(
                    tracker,
                    info,
                    Stage(backend, load, STAGE_REFERENCE, f"{REFERENCE_ITEMS:,} items", 0, 0),
                    options.settings,
                    server=mcp_server,
                )
            )
            return run
        run.stages.append(
            await measure_stage(
                tracker,
                info,
                Stage(backend, load, STAGE_BEFORE, f"{options.items:,} items, {STAGE_BEFORE}", 0, 0),
                options.settings,
                server=mcp_server,
            )
        )
        run.archive = await run_archive(tracker, tracker.archive, history)
        if options.analyze:
            await _analyze(tracker)
        run.stages.append(
            await measure_stage(
                tracker,
                info,
                Stage(backend, load, STAGE_AFTER, f"{options.items:,} items, {STAGE_AFTER}", 0, 0),
                options.settings,
                server=mcp_server,
            )
        )
        return run
    finally:
        await tracker.close()


async def run_archive(tracker: Tracker, archive: ArchiveService, history: HistoryInfo) -> ArchiveRun:
    log(f"[archive] running over {history.archivable:,} archivable items")
    _, total_before = await live_and_total(tracker)
    started = time.perf_counter()
    result = await archive.run(actor=ACTOR, older_than_days=THRESHOLD_DAYS)
    seconds = time.perf_counter() - started
    _, total_after = await live_and_total(tracker)
    archived = total_before - total_after  # rows that left the live table
    log(f"[archive] {archived:,} items in {seconds:.1f} s")
    detail = _describe(result)
    reported = getattr(result, "items_archived", archived)
    if reported != archived:
        detail += f"; the live table lost {archived:,} rows"
    return ArchiveRun(seconds, int(reported), history.archivable, detail=detail)


def _describe(result: Any) -> str:
    if result is None:
        return ""
    dump = getattr(result, "model_dump", None)
    data = dump() if callable(dump) else result
    if isinstance(data, dict):
        return ", ".join(f"{k}={v}" for k, v in data.items() if not isinstance(v, list | dict))
    return str(data)[:200]


@contextlib.asynccontextmanager
async def sqlite_store() -> AsyncIterator[tuple[str, tuple[Path, dict[str, str]]]]:
    folder = Path(tempfile.mkdtemp(prefix="ps-bench-scale-"))
    try:
        data = folder / ".project-status"
        data.mkdir()
        # The server finds .project-status/status.db from its working directory (DESIGN.md s.1).
        yield f"sqlite+aiosqlite:///{data / 'status.db'}", (folder, {})
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.asynccontextmanager
async def postgres_store(admin_url: str) -> AsyncIterator[tuple[str, tuple[Path, dict[str, str]]] | None]:
    async with throwaway_postgres(admin_url) as url:
        if url is None:
            yield None
            return
        folder = Path(tempfile.mkdtemp(prefix="ps-bench-scale-pg-"))
        try:
            yield url, (folder, {"PROJECT_STATUS_DATABASE_URL": url})
        finally:
            shutil.rmtree(folder, ignore_errors=True)


async def postgres_version(admin_url: str) -> str:
    import asyncpg  # type: ignore[import-untyped]

    try:
        conn = await asyncpg.connect(admin_url, timeout=5)
    except Exception:
        return ""
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def print_report(info: RunInfo) -> None:
    print()
    print("project-status scale benchmark (issue 6)")
    load = ", ".join(f"{x:.2f}" for x in info.load_after)
    print(f"host: {os.cpu_count()} CPUs, load average at the end {load}; Python {platform.python_version()}")
    for run in info.runs:
        for stage in run.stages:
            print()
            print(f"## {stage.backend}, {stage.stage} ({stage.live_items:,} live of {stage.total_items:,})")
            for line in text_table(HEADERS, stage_rows(stage), {2, 3, 4, 5}):
                print(line)
            if stage.server is not None:
                s = stage.server
                print(
                    f"server: initialize answered after {s.initialize_s:.2f} s, first tool answer after "
                    f"{s.first_answer_s:.2f} s; RSS {_kib(s.rss_kib)}, peak {_kib(s.hwm_kib)}"
                )
            if stage.mcp_cpu:
                print(f"MCP over stdio, CPU per call: {cpu_line(stage)}")
            for note in stage.notes:
                print(f"  note: {note}")
        if run.archive is not None:
            a = run.archive
            print(
                f"\narchive run ({run.backend}): {a.archived:,} items in {a.seconds:.1f} s "
                f"({a.per_second:,.0f} items/s), expected {a.expected:,}; {a.detail}"
            )
        print(f"{run.backend} {run.load}: seeded in {run.seed_seconds:.1f} s. {run.seed_note}")
        for note in run.notes:
            print(f"  note: {note}")
    print(f"\ntotal run time {info.seconds:.0f} s")


def _kib(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 1024:.0f} MiB"


# --------------------------------------------------------------------------- main


async def main_async(args: argparse.Namespace) -> int:
    settings = BenchSettings(
        iterations=args.iterations,
        warmup=args.warmup if args.warmup is not None else max(10, args.iterations // 10),
        budget_s=args.budget,
    )
    options = Options(settings, args.skip_mcp, not args.no_analyze, args.items, args.live, args.deployments)
    info = RunInfo(
        command=" ".join(["benchmarks/bench_scale.py", *sys.argv[1:]]),
        started=time.time(),
        load_before=os.getloadavg(),
    )
    info.items, info.live, info.deployments = args.items, args.live, args.deployments
    started = time.perf_counter()
    loads = ("reference", "five-year") if args.load == "both" else (args.load,)
    for backend in ("sqlite", "postgresql"):
        if args.backend not in (backend, "both"):
            continue
        if backend == "postgresql":
            info.postgres_version = await postgres_version(args.pg_admin_url)
        for load in loads:
            if backend == "sqlite":
                async with sqlite_store() as (url, server):
                    info.runs.append(await run_load(backend, load, url, server, options))
            else:
                async with postgres_store(args.pg_admin_url) as store:
                    if store is not None:
                        info.runs.append(await run_load(backend, load, store[0], store[1], options))
    info.seconds = time.perf_counter() - started
    info.load_after = os.getloadavg()
    print_report(info)
    if args.write_docs:
        written = write_docs(Path(args.write_docs), info)
        log("wrote " + ", ".join(str(p) for p in written))
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--load", choices=("reference", "five-year", "both"), default="both")
    parser.add_argument("--items", type=int, default=100_000, help="five-year load: work items in all")
    parser.add_argument("--live", type=int, default=2_000, help="five-year load: live (not archivable) items")
    parser.add_argument("--deployments", type=int, default=2_000, help="five-year load: deployments in all")
    parser.add_argument("--iterations", type=int, default=1000, help="timed calls per operation")
    parser.add_argument("--warmup", type=int, default=None, help="untimed calls first (default N/10, >= 10)")
    parser.add_argument(
        "--budget", type=float, default=10.0, help="seconds per operation before stopping early (default 10)"
    )
    parser.add_argument("--skip-mcp", action="store_true", help="only the service layer")
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="PostgreSQL: no VACUUM ANALYZE after seeding and after archiving",
    )
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get("PROJECT_STATUS_BENCH_PG_ADMIN_URL", DEFAULT_PG_ADMIN_URL),
        help="PostgreSQL URL used to create and drop the throw-away database",
    )
    parser.add_argument(
        "--write-docs", metavar="PATH", help="write the Markdown report there and its plot next to it"
    )
    args = parser.parse_args(argv)
    if args.iterations < 1:
        parser.error("--iterations must be at least 1")
    if not REFERENCE_ITEMS + 4 <= args.live < args.items:
        parser.error(f"--live must be at least {REFERENCE_ITEMS + 4} and below --items")
    if args.deployments < 51:
        parser.error("--deployments must be more than the reference load's 50")
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
