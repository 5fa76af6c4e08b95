"""What each of issue 13's operations costs the service layer on SQLite, in Python calls and time.

Seeds issue 13's workload (20 parents × 60 children by default) through the service layer, then
for each operation: the Python calls one call makes (cProfile's count over 50 calls: steady on a
busy machine, where timings are not), the wall-clock p50 of interleaved rounds
(`mcp_workload.interleaved`), and the p50 of the process's CPU time per call (less sensitive to
waiting for a core than the wall clock, though a busy machine still inflates it).

    .venv/bin/python benchmarks/bench_service_calls.py
    .venv/bin/python benchmarks/bench_service_calls.py --profile "update status" --sort tottime
    PYTHONPATH=/tmp/base/src .venv/bin/python benchmarks/bench_service_calls.py   # another checkout

Compare checkouts in the same sitting, alternating runs; the call counts need no repetition.
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

from bench_core import log, migrate
from mcp_workload import interleaved, seed_workload, service_plan
from project_status.services.tracker import Tracker

Call = Callable[[int], Awaitable[None]]
COUNTED_CALLS = 50


async def _run(call: Call, i: int, before: Call | None, after: Call | None) -> None:
    if before is not None:
        await before(i)
    await call(i)
    if after is not None:
        await after(i)


async def count_calls(call: Call, before: Call | None, after: Call | None) -> pstats.Stats:
    """cProfile over COUNTED_CALLS calls of `call` alone (its set-up and clean-up not profiled)."""
    profile = cProfile.Profile()
    for i in range(COUNTED_CALLS):
        if before is not None:
            await before(10_000 + i)
        profile.enable()
        await call(10_000 + i)
        profile.disable()
        if after is not None:
            await after(10_000 + i)
    return pstats.Stats(profile)


async def cpu_p50(call: Call, before: Call | None, after: Call | None, repeat: int) -> float:
    """p50 ms of the process's CPU time per call."""
    samples = []
    for i in range(repeat):
        if before is not None:
            await before(20_000 + i)
        started = time.process_time_ns()
        await call(20_000 + i)
        samples.append(time.process_time_ns() - started)
        if after is not None:
            await after(20_000 + i)
    return statistics.median(samples) / 1e6


async def run(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ps-bench-service-calls-"))
    try:
        url = f"sqlite+aiosqlite:///{folder / 'status.db'}"
        await migrate(url)
        tracker = await Tracker.open(url=url)
        try:
            work = await seed_workload(tracker, args.parents, args.children)
            log(f"seeded {work.describe()}")
            plan = await service_plan(tracker, work)
            calls = {name: call for name, call, _ in plan.ops}
            # A release needs a claim before it; a claim, a release after it (the plan pairs them).
            befores: dict[str, Call] = {"release": calls["claim"]}
            afters: dict[str, Call] = {name: after for name, _, after in plan.ops if after is not None}
            afters["claim"] = calls["release"]
            counts: dict[str, float] = {}
            cpu: dict[str, float] = {}
            for name, call in calls.items():
                before, after = befores.get(name), afters.get(name)
                for i in range(5):  # warm: compiled caches, plans
                    await _run(call, i, before, after)
                stats = await count_calls(call, before, after)
                counts[name] = stats.total_calls / COUNTED_CALLS  # type: ignore[attr-defined]  # set by pstats
                if args.profile == name:
                    stats.sort_stats(args.sort).print_stats(args.lines)
                cpu[name] = await cpu_p50(call, before, after, args.cpu)
            wall = await interleaved(plan, args.rounds, max(2, args.rounds // 10), 300, "service")
        finally:
            await tracker.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{work.describe()}; {args.rounds} interleaved rounds; ms")
    print(f"{'operation':32s} {'calls':>6s} {'p50':>7s} {'cpu p50':>8s}")
    for name in calls:
        print(f"{name:32s} {counts[name]:6.0f} {statistics.median(wall[name]) / 1e6:7.3f} {cpu[name]:8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=300, help="interleaved rounds for the wall p50")
    parser.add_argument("--cpu", type=int, default=300, help="calls per operation for the CPU p50")
    parser.add_argument("--parents", type=int, default=20)
    parser.add_argument("--children", type=int, default=60)
    parser.add_argument("--profile", default=None, help="an operation's name: print its profile")
    parser.add_argument("--sort", default="cumulative", help="cProfile sort key")
    parser.add_argument("--lines", type=int, default=45)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
