"""What an MCP tool call costs beyond the service: the tool path, in one process, on SQLite.

Seeds issue 13's workload (smaller by default), then runs the same operations interleaved, in
rounds, three ways: through the service layer, as tool calls through the SDK's in-process
transport (JSON-RPC messages on memory streams, no pipes), and the ping on that transport. The
tool path of an operation is its in-process p50 minus the in-process ping and the service p50.
Two of its parts are timed on their own, on the last answer of each operation: the client's
output-schema check (`ClientSession.validate_tool_result`) and our `mcp/results.ok`.

    .venv/bin/python benchmarks/bench_tool_path.py                  # 400 rounds
    .venv/bin/python benchmarks/bench_tool_path.py --profile "get one leaf" --sort tottime
    PYTHONPATH=/tmp/base/src .venv/bin/python benchmarks/bench_tool_path.py   # another checkout

`--profile OP` runs OP under cProfile after the rounds and prints its top functions. The machine
is shared: compare runs made in the same sitting, alternating, and read the p50 ranges.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.client.session import ClientSession
from mcp.types import CallToolResult, Implementation

from bench_core import CLIENT_NAME, log, migrate
from mcp_targets import PING
from mcp_workload import Workload, interleaved, mcp_plan, seed_workload, service_plan
from project_status.mcp import results
from project_status.mcp.server import build_server
from project_status.services.tracker import Tracker
from project_status.settings import Settings

PARTS_REPEAT = 300
"""Calls per part timed on its own (the output-schema check, `ok`)."""


def p50_ms(samples_ns: list[int]) -> float:
    return statistics.median(samples_ns) / 1e6


def _timed(call: Callable[[], object], repeat: int = PARTS_REPEAT) -> float:
    """p50 ms of a synchronous call."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - started)
    return p50_ms(samples)


async def _timed_async(call: Callable[[], Awaitable[object]], repeat: int = PARTS_REPEAT) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter_ns()
        await call()
        samples.append(time.perf_counter_ns() - started)
    return p50_ms(samples)


async def _answers(session: ClientSession, work: Workload) -> dict[str, tuple[str, CallToolResult]]:
    """One answer per read operation, to time the parts on (writes answer the same shapes)."""
    calls = {
        "get one leaf": ("query_work_item", {"id": work.leaf_id}),
        "get a parent with 60 children": ("query_work_item", {"id": work.parent_id}),
        "ready work, default call": ("list_ready_work", {}),
        "project summary": ("get_project_summary", {}),
    }
    return {op: (name, await session.call_tool(name, arguments)) for op, (name, arguments) in calls.items()}


async def _parts(tracker: Tracker, session: ClientSession, work: Workload) -> dict[str, dict[str, float]]:
    """The client's output-schema check and our `ok` on each answer, timed on their own."""
    models: dict[str, Any] = {
        "get one leaf": await tracker.work_items.get(work.leaf_id),
        "get a parent with 60 children": await tracker.work_items.get(work.parent_id),
        "ready work, default call": await tracker.work_items.ready(),
        "project summary": await tracker.changes.summary(),
    }
    return {
        op: await _parts_of(session, name, result, models[op])
        for op, (name, result) in (await _answers(session, work)).items()
    }


async def _parts_of(
    session: ClientSession, name: str, result: CallToolResult, model: Any
) -> dict[str, float]:
    return {
        "schema check": await _timed_async(lambda: session.validate_tool_result(name, result)),
        "ok()": _timed(lambda: results.ok(model)),
    }


async def _profile(call: Callable[[int], Awaitable[None]], sort: str) -> None:
    profile = cProfile.Profile()
    profile.enable()
    for i in range(500):
        await call(i)
    profile.disable()
    pstats.Stats(profile).sort_stats(sort).print_stats(45)


async def run(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ps-bench-tool-path-"))
    try:
        data = folder / ".project-status"
        data.mkdir()
        url = f"sqlite+aiosqlite:///{data / 'status.db'}"
        await migrate(url)
        tracker = await Tracker.open(url=url)
        try:
            work = await seed_workload(tracker, args.parents, args.children)
            log(f"seeded {work.describe()}")
            warmup = max(2, args.rounds // 10)
            service_calls = await service_plan(tracker, work)
            service = await interleaved(service_calls, args.rounds, warmup, 120, "service")
            settings = Settings(archive_interval_hours=0, data_dir=folder / "server", database_url=url)
            client_info = Implementation(name=CLIENT_NAME, version="1.0")
            async with Client(build_server(settings), mode="legacy", client_info=client_info) as client:
                session = client.session
                version = (await tracker.work_items.get(work.update_id, include_children=False)).version
                plan = mcp_plan(session, work, version)
                in_process = await interleaved(plan, args.rounds, warmup, 120, "in-process MCP")
                parts = await _parts(tracker, session, work)
                if args.profile:
                    await _profile({name: call for name, call, _ in plan.ops}[args.profile], args.sort)
        finally:
            await tracker.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ping = p50_ms(in_process[PING])
    print(f"in-process ping p50 {ping:.3f} ms; {args.rounds} rounds; p50 ms")
    heads = ("over ping", "service", "tool path", "schema check", "ok()")
    print(f"{'operation':32s} " + " ".join(f"{head:>{max(len(head), 6)}s}" for head in heads))
    for op, samples in in_process.items():
        if op == PING:
            continue
        over, own = p50_ms(samples) - ping, p50_ms(service[op])
        part = parts.get(op, {})
        check, made = part.get("schema check"), part.get("ok()")
        print(
            f"{op:32s} {over:9.3f} {own:7.3f} {over - own:9.3f} "
            f"{'' if check is None else f'{check:.3f}':>12s} {'' if made is None else f'{made:.3f}':>6s}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--parents", type=int, default=3)
    parser.add_argument("--children", type=int, default=60)
    parser.add_argument("--profile", default=None, help="an operation's name, to profile it")
    parser.add_argument("--sort", default="cumulative", help="cProfile sort key")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
