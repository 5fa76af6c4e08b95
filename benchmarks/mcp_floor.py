"""The protocol floor beside the real server, in the same rounds: `floor_server.py` replays the
real answers through the same SDK, so each operation's floor over its own ping is what the SDK
and the pipes cost for that answer before the project does anything.

`bench_mcp.py` records one answer per operation from the real server, starts the floor server on
them and runs both plans interleaved, each operation with its floor twin (`floor: NAME`).
It also times the floor server's start, spawn → first answer: the SDK's share of a start.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, TextIO

from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import Implementation

from bench_core import CLIENT_NAME, _fail_after, log
from mcp_targets import PING
from mcp_workload import Plan

FLOOR_SERVER = Path(__file__).resolve().with_name("floor_server.py")
PREFIX = "floor: "
START_TIMEOUT = 120.0


def floor_name(op: str) -> str:
    """The floor twin's name of operation `op` in the samples."""
    return PREFIX + op


def write_answers(plan: Plan, path: Path) -> Path:
    """The real server's last answer of each operation, as the floor server reads them."""
    answers = {
        op: result.model_dump(mode="json", by_alias=True, exclude_none=True)
        for op, result in plan.answers.items()
    }
    path.write_text(json.dumps(answers))
    return path


@contextlib.asynccontextmanager
async def connect(answers: Path, errlog: TextIO) -> AsyncIterator[ClientSession]:
    """The floor server started by the official client over stdio, not yet initialized."""
    params = StdioServerParameters(
        command=sys.executable, args=[str(FLOOR_SERVER), str(answers)], env=dict(os.environ)
    )
    async with (
        stdio_client(params, errlog=errlog) as (read, write),
        ClientSession(read, write, client_info=Implementation(name=CLIENT_NAME, version="1.0")) as session,
    ):
        yield session


@contextlib.asynccontextmanager
async def floor_session(answers: Path, errlog: TextIO) -> AsyncIterator[ClientSession]:
    """The floor server, initialized."""
    async with connect(answers, errlog) as session:
        with _fail_after(START_TIMEOUT):
            await session.initialize()
        yield session


def floor_plan(session: ClientSession, ops: list[str]) -> Plan:
    """A ping and one `replay` call per operation, named as the floor twins."""
    plan = Plan()

    async def ping(_: int) -> None:
        await session.send_ping()

    def replay(op: str) -> Any:
        async def run(_: int) -> None:
            result = await session.call_tool("replay", {"op": op})
            if result.is_error:
                raise RuntimeError(f"the floor server could not replay {op!r}: {result.content}")

        return run

    plan.ops = [(floor_name(PING), ping, None), *((floor_name(op), replay(op), None) for op in ops)]
    return plan


def beside(real: Plan, floor: Plan) -> Plan:
    """Both plans as one, each operation of `real` followed by its floor twin (a chained pair by
    both twins), so that every call follows a call to the other server: each operation, its twin
    and both pings meet the same switch between the two processes, and the same after-effects
    (a scheduler's wake-up, the real server's work after an answer) of the call before."""
    twins = {op[0]: op for op in floor.ops}
    ops = []
    for unit in real.units():
        ops += unit
        ops += [twins[floor_name(name)] for name, _, _ in unit]
    return Plan(ops=ops, sizes=real.sizes, answers=real.answers, chained=real.chained)


async def time_spawns(
    spawn: Callable[[], AbstractAsyncContextManager[ClientSession]],
    first_call: Callable[[ClientSession], Awaitable[object]],
    runs: int,
    label: str,
) -> dict[str, Any]:
    """Spawn → `initialize` answered → `first_call` answered, `runs` times (the exit is not
    timed): how the real server's start and the SDK's alone are both timed."""
    initialized: list[float] = []
    first: list[float] = []
    for n in range(runs):
        started = time.perf_counter()
        async with spawn() as session:
            with _fail_after(START_TIMEOUT):
                await session.initialize()
                initialized.append((time.perf_counter() - started) * 1000)
                await first_call(session)
                first.append((time.perf_counter() - started) * 1000)
        log(f"[{label}] start {n + 1}/{runs}: first answer after {first[-1]:.0f} ms")
    return {
        "runs": runs,
        "initialize_p50": round(statistics.median(initialized), 1),
        "first_answer_p50": round(statistics.median(first), 1),
        "first_answer_ms": [round(value, 1) for value in first],
    }


async def time_floor_start(answers: Path, op: str, runs: int, errlog: TextIO) -> dict[str, Any]:
    """The SDK's share of the server's start: the floor server to its first `replay` of `op`."""

    async def replay(session: ClientSession) -> object:
        return await session.call_tool("replay", {"op": op})

    return await time_spawns(lambda: connect(answers, errlog), replay, runs, "floor")
