"""Issue 13's benchmark: every MCP operation through stdio against the ping of the same run,
on both backends, at 1,200 items and at the five-year load after archiving; server start,
CLI wall time, and several servers writing one SQLite file.

For each backend (SQLite in a temp folder, PostgreSQL in a throw-away database on
127.0.0.1:5432, dropped at the end):

1. the workload (`mcp_workload.py`: 20 parents × 60 children, 45 vendors) through the service layer;
2. **1,200 items**: the operations in process through the service layer, then as tool calls
   through the SDK's in-process transport, then through the official MCP client over stdio
   against a real `project-status serve`, in interleaved rounds with a ping each round
   (p50/p95/p99, and p50 over the ping's p50);
3. server spawn → first tool answer, several times; CLI wall time of `items show ID`,
   `items list`, `--help` and `--version`;
4. **five-year load, after archiving**: `scale_seed.seed_history` (100,000 items, 98,000 of
   them archivable), the archive run, then step 2 again, plus the full report at the service
   layer (2,000 live items).

Then, on SQLite: 8 servers on one file, 200 mixed operations each (`mcp_contention.py`).

Usage::

    .venv/bin/python benchmarks/bench_mcp.py --json docs/performance.json   # everything
    .venv/bin/python benchmarks/perf_doc.py docs/performance.json docs/performance.md
    .venv/bin/python benchmarks/bench_mcp.py --quick --backend sqlite       # a smoke run

Progress goes to stderr, the summary to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from mcp import Client
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import Implementation

from bench_core import (
    CLIENT_NAME,
    DEFAULT_PG_ADMIN_URL,
    BenchSettings,
    Result,
    _fail_after,
    _payload,
    _server_command,
    log,
    measure,
    migrate,
)
from bench_scale import (
    _analyze,
    _mirror_copied,
    live_and_total,
    postgres_store,
    postgres_version,
    run_archive,
)
from bench_scale import sqlite_store as scale_sqlite_store
from bench_startup import STACK_FLOOR
from mcp_contention import run_contention
from mcp_floor import (
    beside,
    floor_name,
    floor_plan,
    floor_session,
    time_floor_start,
    time_spawns,
    write_answers,
)
from mcp_targets import CLI_TARGETS_MS, MCP_OPS, PING, STACK, START_TARGET_MS, met
from mcp_workload import Plan, Workload, interleaved, mcp_plan, seed_workload, service_plan
from project_status.mcp.server import build_server
from project_status.services.tracker import Tracker
from project_status.settings import Settings, normalize_database_url
from scale_seed import seed_history

START_TIMEOUT = 120.0
FLOOR_ANSWERS = "floor-answers.json"
"""The real server's answers, one per operation, that the floor server replays."""
"""A server starts in about a second; a busy machine can take many times that."""
CLI_COMMANDS: dict[str, list[str]] = {
    "items show": ["items", "show", "{leaf}"],
    "items list": ["items", "list"],
    "--help": ["--help"],
    "--version": ["--version"],
}
STORE_FREE = ("--help", "--version")
"""Commands that do not touch the store: timed once, not per backend."""


@dataclass
class Sizes:
    """How big a run is; `--quick` shrinks everything for the test."""

    parents: int = 20
    children: int = 60
    rounds: int = 500
    budget_s: float = 60.0
    items: int = 100_000
    live: int = 2_000
    deployments: int = 2_000
    start_runs: int = 10
    cli_runs: int = 10
    processes: int = 8
    operations: int = 200


QUICK = Sizes(
    parents=3, children=6, rounds=5, budget_s=10.0, items=400, live=100, deployments=60,
    start_runs=1, cli_runs=1, processes=2, operations=10,
)  # fmt: skip
"""Each spawn (server start, CLI run) costs the test about a second of CPU: one of each kind."""


def stats(samples_ns: list[int]) -> dict[str, float | int]:
    """n and nearest-rank p50/p95/p99 in ms (bench_core's percentile)."""
    result = Result("", "", "", samples_ns)
    return {
        "n": len(samples_ns),
        "p50": round(result.percentile(50), 4),
        "p95": round(result.percentile(95), 4),
        "p99": round(result.percentile(99), 4),
    }


def _stage_ops(
    samples: dict[str, list[int]],
    service: dict[str, list[int]],
    in_process: dict[str, list[int]],
    sizes: dict[str, int],
) -> dict[str, Any]:
    ping = stats(samples[PING])
    ping["in_process"] = stats(in_process[PING])
    ping["floor"] = stats(samples[floor_name(PING)])
    ops: dict[str, Any] = {PING: ping}
    for op in MCP_OPS:
        entry: dict[str, Any] = stats(samples[op.name])
        entry["over_ping_p50"] = round(float(entry["p50"]) - float(ping["p50"]), 4)
        entry["floor"] = stats(samples[floor_name(op.name)])
        entry["floor"]["over_ping_p50"] = round(float(entry["floor"]["p50"]) - float(ping["floor"]["p50"]), 4)
        entry["service"] = stats(service[op.name])
        entry["in_process"] = stats(in_process[op.name])
        entry["answer_bytes"] = sizes.get(op.name)
        ops[op.name] = entry
    return ops


async def in_process_mcp(
    url: str, work: Workload, data: Path, sizes: Sizes, warmup: int, label: str
) -> dict[str, list[int]]:
    """The same tool calls through the SDK's in-process transport (no pipes, no second process):
    the protocol and the tool path alone, to split what stdio adds from what the SDK costs."""
    # As the stdio server is configured (the URL as a setting, not an explicit `url`), so that on
    # PostgreSQL the mirror and its write-through come with it, as they do over stdio.
    settings = Settings(archive_interval_hours=0, data_dir=data, database_url=normalize_database_url(url))
    server = build_server(settings)
    async with Client(
        server, mode="legacy", client_info=Implementation(name=CLIENT_NAME, version="1.0")
    ) as client:
        on_postgresql = not url.startswith("sqlite")
        if on_postgresql and await _mirror_copied(data / "cache.db", within=180) is None:  # as over stdio
            raise RuntimeError("the in-process server's mirror made no first copy within 180 s")
        version = int(
            _payload(await client.session.call_tool("query_work_item", {"id": work.update_id}))["version"]
        )
        return await interleaved(
            mcp_plan(client.session, work, version),
            sizes.rounds,
            warmup,
            sizes.budget_s,
            f"{label} in-process",
        )


@contextlib.asynccontextmanager
async def session_to(cwd: Path, env: dict[str, str], errlog: TextIO) -> AsyncIterator[ClientSession]:
    """A `project-status serve` started by the official client over stdio, not yet initialized."""
    params = StdioServerParameters(command=_server_command(), args=["serve"], env=env, cwd=str(cwd))
    async with (
        stdio_client(params, errlog=errlog) as (read, write),
        ClientSession(read, write, client_info=Implementation(name=CLIENT_NAME, version="1.0")) as session,
    ):
        yield session


async def measure_stage(
    tracker: Tracker, work: Workload, cwd: Path, env: dict[str, str], sizes: Sizes, label: str
) -> dict[str, Any]:
    """The operations in process, then over stdio, on the store as it stands."""
    live, total = await live_and_total(tracker)
    log(f"[{label}] {live:,} live work items of {total:,}; service layer, {sizes.rounds} rounds")
    warmup = max(2, sizes.rounds // 10)
    service = await interleaved(
        await service_plan(tracker, work), sizes.rounds, warmup, sizes.budget_s, label
    )
    in_process = await in_process_mcp(tracker.db.url, work, cwd / "in-process", sizes, warmup, label)
    notes: list[str] = []
    for leftover in (cwd / ".project-status").glob("cache.db*"):
        leftover.unlink()  # an earlier stage's mirror: this server makes (and waits for) its own
    version = (await tracker.work_items.get(work.update_id, include_children=False)).version
    log(f"[{label}] MCP over stdio, {sizes.rounds} rounds")
    with (cwd / "server-stderr.log").open("w") as errlog:
        async with session_to(cwd, env, errlog) as session:
            with _fail_after(START_TIMEOUT):
                await session.initialize()
            if "PROJECT_STATUS_DATABASE_URL" in env:
                # The server copies PostgreSQL into its local mirror in the background at start;
                # the steady state is after that copy.
                copied = await _mirror_copied(cwd / ".project-status" / "cache.db", within=180)
                notes.append(
                    f"the server's first mirror copy ended {copied:.1f} s after start; calls timed after it"
                    if copied is not None
                    else "the server's first mirror copy did not end within 180 s; calls timed anyway"
                )
            plan: Plan = mcp_plan(session, work, version)
            for _, call, after in plan.ops:  # one answer of each, for the floor server to replay
                await call(-1)
                if after is not None:
                    await after(-1)
            answers = write_answers(plan, cwd / FLOOR_ANSWERS)
            async with floor_session(answers, errlog) as floor:
                both = beside(plan, floor_plan(floor, [op.name for op in MCP_OPS]))
                samples = await interleaved(both, sizes.rounds, warmup, sizes.budget_s, f"{label} mcp")
    return {
        "live_items": live,
        "total_items": total,
        "rounds": len(samples[PING]),
        "ops": _stage_ops(samples, service, in_process, plan.sizes),
        "notes": notes,
    }


async def time_start(cwd: Path, env: dict[str, str], leaf: str, runs: int, label: str) -> dict[str, Any]:
    """Spawn → `initialize` answered → first tool answer, `runs` times (the exit is not timed)."""

    async def query(session: ClientSession) -> object:
        return _payload(await session.call_tool("query_work_item", {"id": leaf}))

    with (cwd / "start-stderr.log").open("w") as errlog:
        found = await time_spawns(lambda: session_to(cwd, env, errlog), query, runs, label)
    return found | {"target_ms": START_TARGET_MS}


def cli_env(extra: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PROJECT_STATUS_")}
    return env | extra


def time_cli(
    cwd: Path, env: dict[str, str], leaf: str, runs: int, commands: list[str], label: str
) -> dict[str, Any]:
    """Wall time of each command as a separate process, `runs` times, p50."""
    console = _server_command()
    found: dict[str, Any] = {}
    for name in commands:
        argv = [console, *(part.format(leaf=leaf) for part in CLI_COMMANDS[name])]
        walls: list[float] = []
        for _ in range(runs):
            started = time.perf_counter()
            done = subprocess.run(
                argv, cwd=cwd, env=cli_env(env), capture_output=True, timeout=300, check=False
            )
            walls.append((time.perf_counter() - started) * 1000)
            if done.returncode != 0:
                raise RuntimeError(
                    f"{' '.join(argv[1:])} exited {done.returncode}: {done.stderr.decode()[-500:]}"
                )
        found[name] = {
            "runs": runs,
            "p50": round(statistics.median(walls), 1),
            "ms": [round(value, 1) for value in walls],
            "target_ms": CLI_TARGETS_MS[name],
        }
        log(f"[{label}] cli {name}: p50 {found[name]['p50']:.0f} ms")
    return found


IMPORTS = {
    "interpreter (python -c pass)": "pass",
    "import the CLI (project_status.cli.main)": "import project_status.cli.main",
    "import the MCP server (project_status.mcp.server)": "import project_status.mcp.server",
    STACK: STACK_FLOOR,
}


def time_imports(runs: int) -> dict[str, float]:
    """Wall p50 of a bare interpreter and of importing the CLI and the server: what bounds the
    CLI's and the server's start before any work."""
    found = {}
    for name, code in IMPORTS.items():
        walls = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], env=cli_env({}), check=True, timeout=300)
            walls.append((time.perf_counter() - started) * 1000)
        found[name] = round(statistics.median(walls), 1)
    return found


async def run_backend(
    backend: str,
    url: str,
    cwd: Path,
    env: dict[str, str],
    sizes: Sizes,
    analyze: bool,
    reference_only: bool = False,
) -> dict[str, Any]:
    # A project folder, as a real one is: a stdio server started in a folder with no project
    # marker opens its store only at the first request (it asks the client's roots first), and
    # its mirror would not start copying before the first call.
    (cwd / ".project-status").mkdir(exist_ok=True)
    await migrate(url)
    result: dict[str, Any] = {"stages": {}}
    tracker = await Tracker.open(url=normalize_database_url(url))
    try:
        started = time.perf_counter()
        work = await seed_workload(tracker, sizes.parents, sizes.children)
        result["workload"] = work.describe()
        result["seed_seconds"] = round(time.perf_counter() - started, 1)
        log(f"[{backend}] seeded {work.describe()} in {result['seed_seconds']} s")
        if analyze:
            await _analyze(tracker)
        result["stages"]["reference"] = await measure_stage(
            tracker, work, cwd, env, sizes, f"{backend} 1,200"
        )
        if reference_only:
            return result
        result["start"] = await time_start(cwd, env, work.leaf_id, sizes.start_runs, backend)
        with (cwd / "start-stderr.log").open("w") as errlog:
            result["start"]["floor"] = await time_floor_start(
                cwd / FLOOR_ANSWERS, "get one leaf", sizes.start_runs, errlog
            )
        commands = [name for name in CLI_COMMANDS if name not in STORE_FREE]
        result["cli"] = time_cli(cwd, env, work.leaf_id, sizes.cli_runs, commands, backend)

        started = time.perf_counter()
        history = await seed_history(
            tracker.db,
            archivable=sizes.items - sizes.live,
            extra_live=sizes.live - work.items,
            deployments=sizes.deployments,
        )
        log(f"[{backend}] five-year history in {time.perf_counter() - started:.1f} s: {history.describe()}")
        archive = await run_archive(tracker, tracker.archive, history)
        result["archive"] = {
            "items": archive.archived,
            "expected": archive.expected,
            "seconds": round(archive.seconds, 1),
        }
        if analyze:
            await _analyze(tracker)
        stage = await measure_stage(tracker, work, cwd, env, sizes, f"{backend} five-year")
        settings = BenchSettings(
            iterations=sizes.rounds, warmup=max(2, sizes.rounds // 10), budget_s=sizes.budget_s
        )
        report = await measure(
            f"[{backend} five-year] full report", lambda _: tracker.reports.render(), settings
        )
        stage["report"] = stats(report)
        result["stages"]["five-year"] = stage
    finally:
        await tracker.close()
    return result


def machine(started: float, load_before: tuple[float, ...], pg_version: str) -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    packages = {}
    for name in ("mcp", "sqlalchemy", "asyncpg", "aiosqlite", "pydantic"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            packages[name] = importlib.metadata.version(name)
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version,
        "packages": packages,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "started_utc": datetime.fromtimestamp(started, UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def compile_package() -> None:
    """Write the package's bytecode first, as `pip install` does: an editable checkout in a
    sandbox that sets PYTHONDONTWRITEBYTECODE would otherwise compile every module from source
    in each timed process, a cost no installed user pays."""
    spec = importlib.util.find_spec("project_status")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        compileall.compile_dir(folder, quiet=1)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    sizes = QUICK if args.quick else Sizes()
    compile_package()
    started, load_before, clock = time.time(), os.getloadavg(), time.perf_counter()
    results: dict[str, Any] = {
        "benchmark": "bench_mcp",
        "command": " ".join(["benchmarks/bench_mcp.py", *(args.argv or [])]),
        "quick": args.quick,
        "sizes": sizes.__dict__,
        "backends": {},
    }
    pg_version = ""
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend in backends:
        if backend == "sqlite":
            async with scale_sqlite_store() as (url, (cwd, env)):
                results["backends"]["sqlite"] = await run_backend(
                    backend, url, cwd, env, sizes, False, args.reference_only
                )
                if not args.reference_only:
                    commands = list(STORE_FREE)
                    results["cli_store_free"] = time_cli(cwd, env, "", sizes.cli_runs, commands, "any")
        else:
            pg_version = await postgres_version(args.pg_admin_url)
            async with postgres_store(args.pg_admin_url) as store:
                if store is None:
                    results["backends"]["postgresql"] = {"skipped": f"{args.pg_admin_url} did not answer"}
                    continue
                url, (cwd, env) = store
                results["backends"]["postgresql"] = await run_backend(
                    backend, url, cwd, env, sizes, True, args.reference_only
                )
    if "cli_store_free" not in results and not args.reference_only:
        with tempfile.TemporaryDirectory(prefix="ps-bench-mcp-cli-") as folder:
            results["cli_store_free"] = time_cli(
                Path(folder), {}, "", sizes.cli_runs, list(STORE_FREE), "any"
            )
    if not args.reference_only:
        results["imports"] = time_imports(sizes.cli_runs)
    if "sqlite" in backends and not (args.skip_contention or args.reference_only):
        folder = Path(tempfile.mkdtemp(prefix="ps-bench-contention-"))
        try:
            results["contention"] = await run_contention(folder, sizes.processes, sizes.operations)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    results["machine"] = machine(started, load_before, pg_version)
    results["seconds"] = round(time.perf_counter() - clock, 1)
    return results


def print_summary(results: dict[str, Any]) -> None:
    print(f"\nproject-status MCP benchmark (issue 13){' --quick' if results['quick'] else ''}")
    m = results["machine"]
    print(f"host: {m['cpus']} CPUs, load {m['load_before']} -> {m['load_after']}; run {results['seconds']} s")
    targets = {op.name: op.over_ping_ms for op in MCP_OPS}
    for backend, data in results["backends"].items():
        if "skipped" in data:
            print(f"\n{backend}: skipped ({data['skipped']})")
            continue
        for key, stage in data["stages"].items():
            live, total, rounds = stage["live_items"], stage["total_items"], stage["rounds"]
            print(f"\n{backend}, {key} ({live:,} live of {total:,}; {rounds} rounds), ms")
            header = ("operation", "p50", "p95", "p99", "over ping", "service", "floor+")
            print(f"  {header[0]:<30}" + "".join(f"{h:>10}" for h in header[1:]) + "  target")
            for op in (PING, *targets):
                e = stage["ops"][op]
                cells = [f"{e[p]:.3f}" for p in ("p50", "p95", "p99")]
                cells.append("" if op == PING else f"{e['over_ping_p50']:+.3f}")
                cells.append(f"{e['service']['p50']:.3f}" if "service" in e else "")
                cells.append(f"{e['floor']['over_ping_p50']:+.3f}" if op != PING else "")
                target = targets.get(op)
                verdict = "" if target is None else f"+{target:g}: {met(e['over_ping_p50'], target)}"
                print(f"  {op:<30}" + "".join(f"{c:>10}" for c in cells) + f"  {verdict}")
            if "report" in stage:
                report = stage["report"]
                print(f"  full report (service layer): p50 {report['p50']:.2f}, p95 {report['p95']:.2f}")
        if "start" not in data:  # --reference-only
            continue
        start = data["start"]
        print(
            f"  start → first answer p50 {start['first_answer_p50']:.0f} ms "
            f"(the SDK alone: {start['floor']['first_answer_p50']:.0f} ms)"
        )
        for name, cli in data["cli"].items():
            print(f"  cli {name} p50 {cli['p50']:.0f} ms")
    for name, cli in results.get("cli_store_free", {}).items():
        print(f"cli {name} p50 {cli['p50']:.0f} ms")
    if "contention" in results:
        c = results["contention"]
        w = c["writes"]
        print(
            f"\n{c['processes']} servers × {c['operations']} operations on one SQLite file: "
            f"writes n={w.get('n')} p50 {w.get('p50', 0):.1f} p95 {w.get('p95', 0):.1f} "
            f"max {w.get('max', 0):.1f} ms; errors {c['errors']} (database is locked "
            f"{c['locked_errors']}); lost writes {c['lost_writes']}"
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="tiny counts: a smoke run for the test")
    parser.add_argument("--json", metavar="PATH", help="save the results there (perf_doc.py reads them)")
    parser.add_argument("--skip-contention", action="store_true", help="no multi-process SQLite test")
    parser.add_argument(
        "--reference-only",
        action="store_true",
        help="only the MCP operations at 1,200 items (no start-up, CLI, five-year stage or contention): "
        "a before/after comparison of the tool paths in a few minutes",
    )
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get("PROJECT_STATUS_BENCH_PG_ADMIN_URL", DEFAULT_PG_ADMIN_URL),
        help="PostgreSQL URL used to create and drop the throw-away database",
    )
    args = parser.parse_args(argv)
    args.argv = argv if argv is not None else sys.argv[1:]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = asyncio.run(run(args))
    print_summary(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
