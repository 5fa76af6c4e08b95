"""Start-up costs: the CLI's wall time per command and `serve` (stdio) spawn to its first answer.

Issue 13 sets the targets: a data command such as `items show` or `items list` within 0.3 s wall,
`--help` and `--version` within 0.2 s, and `project-status serve` from spawn to its first tool
answer within 0.6 s. Each try runs the real console command in a fresh process, in a temp project
folder holding one SQLite store (or on `--database-url`); the server is driven by the official
MCP client over stdio and timed from just before the spawn to the first `query_work_item` answer.

    .venv/bin/python benchmarks/bench_startup.py                    # 15 tries of each
    .venv/bin/python benchmarks/bench_startup.py --tries 5 --database-url postgresql://...

Prints min/p50/p95/max in milliseconds per case. The machine is shared: read min and p50.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

BIN = Path(sys.executable).parent
CONSOLE_SCRIPT = BIN / "project-status"
TARGETS_MS = {
    "python -c pass (floor)": None,
    "import cli.main": None,
    "--version": 200,
    "--help": 200,
    "items list": 300,
    "items show ID": 300,
    "serve: spawn -> initialize": None,
    "serve: spawn -> first tool answer": 600,
}


def environment(project: Path, url: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PROJECT_STATUS_")}
    env["PROJECT_STATUS_DATA_DIR"] = str(project / ".project-status")
    if url is not None:
        env["PROJECT_STATUS_DATABASE_URL"] = url
    return env


def run(project: Path, url: str | None, *args: str) -> str:
    done = subprocess.run(
        args, cwd=project, env=environment(project, url), capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return done.stdout


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


async def serve_once(project: Path, url: str | None, item: str) -> tuple[float, float]:
    """Seconds from spawn to the answer to `initialize`, and to the first tool answer."""
    params = StdioServerParameters(
        command=str(CONSOLE_SCRIPT), args=["serve"], cwd=project, env=environment(project, url)
    )
    started = time.perf_counter()
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        initialized = time.perf_counter() - started
        answer = await session.call_tool("query_work_item", {"id": item})
        answered = time.perf_counter() - started
        if answer.is_error:
            raise RuntimeError(f"query_work_item failed: {answer.content}")
    return initialized, answered


def summary(name: str, seconds: list[float]) -> str:
    ordered = sorted(value * 1000 for value in seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    target = TARGETS_MS.get(name)
    verdict = "" if target is None else f"  target {target} ms: {'met' if ordered[0] <= target else 'missed'}"
    return (
        f"{name:<34} n={len(ordered):>3}  min={ordered[0]:6.0f}  p50={statistics.median(ordered):6.0f}  "
        f"p95={p95:6.0f}  max={ordered[-1]:6.0f} ms{verdict} (by min)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tries", type=int, default=15)
    parser.add_argument(
        "--database-url", default=None, help="a migrated PostgreSQL database (default SQLite)"
    )
    args = parser.parse_args()
    cli = str(CONSOLE_SCRIPT)
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as folder:
        project = Path(folder)
        created = run(
            project, args.database_url, cli, "items", "create", "--type", "task", "--title", "x", "--json"
        )
        item = json.loads(created)["id"]
        cases: dict[str, Callable[[], object]] = {
            "python -c pass (floor)": lambda: run(project, None, sys.executable, "-c", "pass"),
            "import cli.main": lambda: run(
                project, None, sys.executable, "-c", "import project_status.cli.main"
            ),
            "--version": lambda: run(project, args.database_url, cli, "--version"),
            "--help": lambda: run(project, args.database_url, cli, "--help"),
            "items list": lambda: run(project, args.database_url, cli, "items", "list"),
            "items show ID": lambda: run(project, args.database_url, cli, "items", "show", item),
        }
        results: dict[str, list[float]] = {name: [] for name in [*cases, "serve: spawn -> initialize"]}
        results["serve: spawn -> first tool answer"] = []
        for attempt in range(args.tries):  # interleaved, so a burst of load spreads over all cases
            for name, action in cases.items():
                results[name].append(timed(action))
            initialized, answered = asyncio.run(serve_once(project, args.database_url, item))
            results["serve: spawn -> initialize"].append(initialized)
            results["serve: spawn -> first tool answer"].append(answered)
            print(f"  try {attempt + 1}/{args.tries} done", file=sys.stderr)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"start-up wall times, {backend}, {args.tries} tries each (ms)")
    for name, seconds in results.items():
        print(summary(name, seconds))


if __name__ == "__main__":
    main()
