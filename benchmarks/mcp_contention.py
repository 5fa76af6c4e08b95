"""Several MCP servers on one SQLite file, as when several AI clients each start their own.

`processes` real `project-status serve` processes (stdio, the official client) on one fresh
file; all start, then each does `operations` mixed operations, mostly writes, as fast as its
answers come: create, update (a new title), claim then release, a note, and a few reads.
Every write's latency is kept, every error counted ("database is locked" apart), and at the
end every acknowledged write is looked for in the file: each created item, each item's last
acknowledged title, each note, each released claim.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The SDK's client imports jsonschema at its first output-schema check: here, in the one process
# that hosts every writer's client, that import (0.1 s and more on a busy machine) would land on
# every server's first call. Imported up front, the first calls time the servers.
import jsonschema  # noqa: F401
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import Implementation, TextContent

from bench_core import _server_command, log, migrate
from project_status.domain.enums import WorkItemStatus
from project_status.domain.errors import TrackerError
from project_status.services.tracker import Tracker

MIX = (("create", 30), ("update", 25), ("claim", 15), ("note", 20), ("get", 10))
WRITES = ("create", "update", "claim", "release", "note")
START_TIMEOUT = 120.0


@dataclass
class Tally:
    """What all writers saw: latencies per call, errors, and what the servers acknowledged."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)
    released: set[str] = field(default_factory=set)
    first_calls: list[float] = field(default_factory=list)
    """Each server's first call, which also loads that tool's code (a start-up cost)."""
    later_writes: list[float] = field(default_factory=list)


class Writer:
    def __init__(self, session: ClientSession, number: int, tally: Tally) -> None:
        self.session = session
        self.number = number
        self.tally = tally
        self.rng = random.Random(number)
        self.mine: dict[str, int] = {}  # id -> version
        self.calls = 0

    async def call(self, op: str, tool: str, arguments: dict[str, Any]) -> dict[str, Any] | None:
        started = time.perf_counter()
        result = await self.session.call_tool(tool, arguments)
        elapsed = time.perf_counter() - started
        if result.is_error:
            text = " ".join(b.text for b in result.content if isinstance(b, TextContent))
            self.tally.errors.append(f"{op}: {text[:300]}")
            return None
        self.tally.latencies.setdefault(op, []).append(elapsed)
        self.calls += 1
        if self.calls == 1:
            self.tally.first_calls.append(elapsed)
        elif op in WRITES:
            self.tally.later_writes.append(elapsed)
        return result.structured_content or {}

    async def step(self, n: int) -> None:
        kind = self.rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
        if kind != "create" and not self.mine:
            kind = "create"
        item = self.rng.choice(list(self.mine)) if self.mine else ""
        if kind == "create":
            title = f"writer {self.number} item {n}"
            made = await self.call("create", "create_work_item", {"item_type": "task", "title": title})
            if made is not None:
                self.mine[made["id"]] = made["version"]
                self.tally.titles[made["id"]] = title
        elif kind == "update":
            title = f"writer {self.number} item updated at {n}"
            changed = await self.call(
                "update", "update_work_item", {"id": item, "version": self.mine[item], "title": title}
            )
            if changed is not None:
                self.mine[item] = changed["version"]
                self.tally.titles[item] = title
        elif kind == "claim":
            claimed = await self.call("claim", "claim_work_item", {"id": item})
            if claimed is not None:
                self.tally.released.discard(item)
                released = await self.call("release", "release_work_item", {"id": item})
                if released is not None:
                    self.mine[item] = released["version"]
                    self.tally.released.add(item)
        elif kind == "note":
            if await self.call("note", "add_work_item_note", {"id": item, "text": f"note {n}"}) is not None:
                self.tally.notes[item] = self.tally.notes.get(item, 0) + 1
        else:
            await self.call("get", "query_work_item", {"id": item})


@contextlib.asynccontextmanager
async def _writer(folder: Path, number: int, tally: Tally) -> AsyncIterator[Writer]:
    params = StdioServerParameters(command=_server_command(), args=["serve"], cwd=str(folder))
    with (folder / f"server-{number}.log").open("w") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(
                read, write, client_info=Implementation(name=f"writer-{number}", version="1")
            ) as session,
        ):
            await asyncio.wait_for(session.initialize(), START_TIMEOUT)
            yield Writer(session, number, tally)


async def run_contention(folder: Path, processes: int, operations: int) -> dict[str, Any]:
    """The test and its summary (latencies in ms); `folder` gets `.project-status/status.db`."""
    data = folder / ".project-status"
    data.mkdir(parents=True, exist_ok=True)
    url = f"sqlite+aiosqlite:///{data / 'status.db'}"
    await migrate(url)  # once, before the servers start
    tally = Tally()
    ready = asyncio.Barrier(processes)
    failures: list[str] = []

    async def one(number: int) -> None:
        try:
            async with _writer(folder, number, tally) as writer:
                await ready.wait()  # all up, then all write at once
                for n in range(operations):
                    await writer.step(n)
        except Exception as exc:  # a server that died or never started
            failures.append(f"writer {number}: {type(exc).__name__}: {exc}")
            with contextlib.suppress(asyncio.BrokenBarrierError):
                await ready.abort()

    log(f"[contention] {processes} servers × {operations} operations on one SQLite file")
    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(processes)))
    seconds = time.perf_counter() - started
    lost = await _lost(url, tally)
    writes = [value for op in WRITES for value in tally.latencies.get(op, [])]
    locked = [error for error in tally.errors if "locked" in error.lower()]
    return {
        "processes": processes,
        "operations": operations,
        "seconds": round(seconds, 1),
        "writes": _stats(writes),
        "first_calls": _stats(tally.first_calls),
        "writes_after_first_call": _stats(tally.later_writes),
        "per_operation": {op: _stats(values) for op, values in sorted(tally.latencies.items())},
        "acknowledged": {
            "items": len(tally.titles),
            "notes": sum(tally.notes.values()),
            "releases": len(tally.released),
        },
        "errors": len(tally.errors),
        "locked_errors": len(locked),
        "error_examples": tally.errors[:5],
        "failed_writers": failures,
        "lost_writes": len(lost),
        "lost_examples": lost[:5],
    }


def _stats(values: list[float]) -> dict[str, float | int]:
    ordered = sorted(values)
    if not ordered:
        return {"n": 0}

    def rank(p: float) -> float:  # nearest rank, as bench_core.Result
        return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1] * 1000

    return {"n": len(ordered), "p50": rank(50), "p95": rank(95), "p99": rank(99), "max": ordered[-1] * 1000}


async def _lost(url: str, tally: Tally) -> list[str]:
    """Acknowledged writes that are not in the file."""
    tracker = await Tracker.open(url=url)
    lost: list[str] = []
    try:
        for item, title in tally.titles.items():
            try:
                row = await tracker.work_items.get(item, include_children=False, include_dependencies=False)
            except TrackerError as missing:
                lost.append(f"{item}: {missing.message}")
                continue
            if row.title != title:
                lost.append(f"{item}: title {row.title!r}, acknowledged {title!r}")
            if item in tally.released and row.status is not WorkItemStatus.ACTIVE:
                lost.append(f"{item}: {row.status.value} after an acknowledged release")
        for item, count in tally.notes.items():
            page = await tracker.notes.list(item, limit=1)
            if page.total != count:
                lost.append(f"{item}: {page.total} notes, {count} acknowledged")
    finally:
        await tracker.close()
    return lost
