"""Start-up costs: the CLI's wall time per command and `serve` (stdio) spawn to its first answer.

Issue 13 sets the targets: a data command such as `items show` or `items list` within 0.3 s wall,
`--help` and `--version` within 0.2 s, and `project-status serve` from spawn to its first tool
answer within 0.6 s. Each try runs the real console command in a fresh process, in a temp project
folder holding one SQLite store (or on `--database-url`); the server is driven by the official
MCP client over stdio and timed from just before the spawn to the first `query_work_item` answer.

    .venv/bin/python benchmarks/bench_startup.py                    # 15 tries of each
    .venv/bin/python benchmarks/bench_startup.py --tries 5 --database-url postgresql://...
    .venv/bin/python benchmarks/bench_startup.py --baseline-src /work/main/src   # before/after

With `--baseline-src`, every case also runs with that checkout's `src` first on PYTHONPATH, in
the same rounds, so that a busy machine weighs on both alike. Prints min/p50/p95/max wall time in
ms per case and the CPU time (user + system) of the process (the server's: up to its first
answer, read from /proc), which load disturbs less. The machine is shared: read min and p50.

The commands run with compiled bytecode, as an installed copy does (pip compiles it; Python
writes it on the first run otherwise): a sandbox that sets PYTHONDONTWRITEBYTECODE would
otherwise compile every project module from source on each run (an editable install ships no
bytecode), which adds about a seventh to a CLI command. The bytecode goes to a private
PYTHONPYCACHEPREFIX in the temp folder, written by one untimed warm-up round, so no checkout
is written to.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

CONSOLE_SCRIPT = Path(sys.executable).parent / "project-status"
TARGETS_MS = {
    "--version": 200,
    "--help": 200,
    "items list": 300,
    "items show ID": 300,
    "serve: spawn -> first tool answer": 600,
}
Env = dict[str, str]
STACK_FLOOR = """
import gc
gc.disable()  # as the CLI imports (cli/main.py)
import asyncio
import typer.main, pydantic, pydantic_settings, rich.table
from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import create_async_engine
gc.freeze()
gc.enable()

table = Table("work_items", MetaData(), Column("id", String, primary_key=True), Column("title", String))

async def read():
    engine = create_async_engine("sqlite+aiosqlite://")
    async with engine.connect() as connection:
        await connection.exec_driver_sql("CREATE TABLE work_items (id TEXT PRIMARY KEY, title TEXT)")
        (await connection.execute(select(table).where(table.c.id == "x"))).all()
    await engine.dispose()

asyncio.run(read())
"""
"""The libraries a CLI data command stands on (Typer, Pydantic, pydantic-settings, Rich, async
SQLAlchemy on aiosqlite) imported and one query run on an in-memory SQLite, no project code: the
floor a command cannot go below while they are on its path."""


def environment(project: Path, url: str | None, source: str | None) -> Env:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PROJECT_STATUS_") and key != "PYTHONDONTWRITEBYTECODE"
    }
    env["PYTHONPYCACHEPREFIX"] = str(project.parent / f"{project.name}-bytecode")
    env["PROJECT_STATUS_DATA_DIR"] = str(project / ".project-status")
    if url is not None:
        env["PROJECT_STATUS_DATABASE_URL"] = url
    if source is not None:
        env["PYTHONPATH"] = source
    return env


def run(project: Path, env: Env, *args: str) -> tuple[float, float]:
    """Run one command to its end: its wall and CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(args, cwd=project, env=env, capture_output=True, text=True, timeout=120)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def children_cpu_seconds() -> float:
    """CPU seconds (user + system) used so far by this process's live children (Linux /proc)."""
    total = 0
    for task in Path("/proc/self/task").iterdir():
        for pid in (task / "children").read_text().split():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


async def serve_once(project: Path, env: Env, item: str) -> tuple[float, float, float]:
    """Seconds from spawn to the answer to `initialize`, to the first tool answer, and the CPU
    seconds the server had used by then."""
    params = StdioServerParameters(command=str(CONSOLE_SCRIPT), args=["serve"], cwd=project, env=env)
    started = time.perf_counter()
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        initialized = time.perf_counter() - started
        answer = await session.call_tool("query_work_item", {"id": item})
        answered = time.perf_counter() - started
        cpu = children_cpu_seconds()
        if answer.is_error:
            raise RuntimeError(f"query_work_item failed: {answer.content}")
    return initialized, answered, cpu


def summary(name: str, seconds: list[float], cpu: list[float]) -> str:
    ordered = sorted(value * 1000 for value in seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    target = TARGETS_MS.get(name.split("] ", 1)[-1])
    verdict = "" if target is None else f"  target {target}: {'met' if ordered[0] <= target else 'missed'}"
    cpu_text = f"  cpu min={min(cpu) * 1000:5.0f} p50={statistics.median(cpu) * 1000:5.0f}" if cpu else ""
    return (
        f"{name:<46} n={len(ordered):>3}  min={ordered[0]:6.0f}  p50={statistics.median(ordered):6.0f}  "
        f"p95={p95:6.0f}  max={ordered[-1]:6.0f}{cpu_text}{verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tries", type=int, default=15)
    parser.add_argument(
        "--database-url", default=None, help="a migrated PostgreSQL database (default SQLite)"
    )
    parser.add_argument("--baseline-src", default=None, help="another checkout's src folder to compare with")
    args = parser.parse_args()
    cli = str(CONSOLE_SCRIPT)
    variants = (
        {"": None} if args.baseline_src is None else {"[baseline] ": args.baseline_src, "[this] ": None}
    )
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as folder:
        project = Path(folder) / "project"  # its bytecode beside it (environment())
        project.mkdir()
        env = environment(project, args.database_url, None)
        run(project, env, cli, "items", "create", "--type", "task", "--title", "x")
        listed = subprocess.run([cli, "items", "list", "--json"], cwd=project, env=env, capture_output=True)
        item = json.loads(listed.stdout)["items"][0]["id"]
        commands: dict[str, list[str]] = {
            "python -c pass (floor)": [sys.executable, "-c", "pass"],
            "import project_status.cli.main": [sys.executable, "-c", "import project_status.cli.main"],
            "libraries + one query (floor)": [sys.executable, "-c", STACK_FLOOR],
            "--version": [cli, "--version"],
            "--help": [cli, "--help"],
            "items list": [cli, "items", "list"],
            "items show ID": [cli, "items", "show", item],
        }
        for source in variants.values():  # untimed: writes each variant's bytecode
            env = environment(project, args.database_url, source)
            for command in commands.values():
                run(project, env, *command)
            asyncio.run(serve_once(project, env, item))
        for attempt in range(args.tries):  # interleaved, so a burst of load spreads over all cases
            for label, source in variants.items():
                env = environment(project, args.database_url, source)
                for name, command in commands.items():
                    wall, cpu = run(project, env, *command)
                    walls.setdefault(label + name, []).append(wall)
                    cpus.setdefault(label + name, []).append(cpu)
                initialized, answered, cpu = asyncio.run(serve_once(project, env, item))
                walls.setdefault(label + "serve: spawn -> initialize", []).append(initialized)
                walls.setdefault(label + "serve: spawn -> first tool answer", []).append(answered)
                cpus.setdefault(label + "serve: spawn -> first tool answer", []).append(cpu)
            print(f"  try {attempt + 1}/{args.tries} done", file=sys.stderr)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"start-up, {backend}, {args.tries} tries each: wall ms (target verdict by min), CPU ms")
    cases = [*commands, "serve: spawn -> initialize", "serve: spawn -> first tool answer"]
    for case in cases:
        for label in variants:
            print(summary(label + case, walls[label + case], cpus.get(label + case, [])))


if __name__ == "__main__":
    main()
