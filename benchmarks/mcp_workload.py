"""Issue 13's workload and the operations `bench_mcp.py` times on it.

The workload is the one the issue's side-by-side run used: 20 parents with 60 children each
(1,220 work items), plus bench_core's 45 vendors. A quarter of each parent's children are
completed; every third child depends on the one before it, so ready work has blockers to
weigh. The same operations exist twice, as MCP tool calls and as service calls in process,
so the run can say how much of an MCP call is the service and how much the protocol around it.
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from mcp.client.session import ClientSession
from mcp.types import CallToolResult, TextContent

from bench_core import ACTOR, VENDOR_COUNT, _hex40, _payload, _vendor_payload, log
from mcp_targets import PING
from project_status.domain.enums import DependencyType, ItemType, WorkItemStatus
from project_status.domain.work_items import WorkItemCreate, WorkItemUpdate
from project_status.services.tracker import Tracker

SEED = 20261130
Call = Callable[[int], Awaitable[None]]


@dataclass
class Workload:
    """The seeded store's landmarks: which items each operation reads or writes."""

    parents: int
    children: int
    vendor_names: list[str]
    parent_id: str
    leaf_id: str
    update_id: str
    claim_id: str
    items: int

    def describe(self) -> str:
        return (
            f"{self.parents} parents × {self.children} children ({self.items:,} work items), "
            f"{len(self.vendor_names)} vendors"
        )


async def seed_workload(tracker: Tracker, parents: int, children: int) -> Workload:
    """Through the service layer, as clients would have written it."""
    rng = random.Random(SEED)
    names = [(await tracker.vendors.create(_vendor_payload(i, rng), ACTOR)).name for i in range(VENDOR_COUNT)]
    parent_ids: list[str] = []
    free: list[str] = []  # active children with no blocker: can be claimed
    for p in range(parents):
        parent = await tracker.work_items.create(
            WorkItemCreate(
                item_type=ItemType.TASK,
                title=f"Parent {p}: {rng.choice(['ingest', 'export', 'reconcile'])} pipeline",
                description=f"Parent task {p} with {children} subtasks.",
                priority=rng.randint(1, 5),
            ),
            ACTOR,
        )
        parent_ids.append(parent.id)
        previous: str | None = None
        for c in range(children):
            done = c < children // 4
            child = await tracker.work_items.create(
                WorkItemCreate(
                    item_type=ItemType.TASK,
                    title=f"Subtask {p}.{c}: {rng.choice(['parse', 'validate', 'document'])} step",
                    parent_id=parent.id,
                    description=None if rng.random() < 0.3 else f"Step {c} of parent {p}.",
                    status=WorkItemStatus.COMPLETED if done else WorkItemStatus.ACTIVE,
                    priority=rng.randint(1, 5),
                    metadata={"estimated_hours": round(rng.uniform(0.5, 8), 1)},
                    commit_hash=_hex40(rng) if done else None,
                ),
                ACTOR,
            )
            if c % 3 == 2 and previous is not None:
                await tracker.dependencies.add(child.id, previous, DependencyType.DEPENDS_ON, ACTOR)
            elif not done:
                free.append(child.id)
            previous = child.id
    if len(free) < 3:
        raise ValueError(f"{parents} × {children} leaves fewer than three free children to work on")
    return Workload(
        parents=parents,
        children=children,
        vendor_names=names,
        parent_id=parent_ids[0],
        leaf_id=free[len(free) // 2],
        update_id=free[-1],
        claim_id=free[-2],
        items=parents * (children + 1),
    )


@dataclass
class Plan:
    """Operations in a fixed order: (name, timed call, untimed clean-up or None)."""

    ops: list[tuple[str, Call, Call | None]] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)
    """Bytes of each operation's last answer (the text content, as the client reads it)."""
    answers: dict[str, CallToolResult] = field(default_factory=dict)
    """Each tool call's last answer as it came: `mcp_floor.py` replays them."""
    chained: frozenset[str] = frozenset({"release"})
    """Operations that must run right after the one listed before them (release after claim)."""

    def units(self) -> list[list[tuple[str, Call, Call | None]]]:
        """The operations grouped so that rotating the order never splits a chained pair."""
        grouped: list[list[tuple[str, Call, Call | None]]] = []
        for op in self.ops:
            if op[0] in self.chained and grouped:
                grouped[-1].append(op)
            else:
                grouped.append([op])
        return grouped


def mcp_plan(session: ClientSession, work: Workload, version: int) -> Plan:
    """Every operation of issue 13 as a tool call, plus the ping they are set against."""
    plan = Plan()
    names = work.vendor_names
    state = {"version": version, "created": ("", 0)}

    async def tool(op: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        result = await session.call_tool(name, arguments)
        plan.sizes[op] = sum(len(b.text.encode()) for b in result.content if isinstance(b, TextContent))
        plan.answers[op] = result
        return _payload(result)

    async def ping(_: int) -> None:
        await session.send_ping()

    async def update(i: int) -> None:
        status = "blocked" if i % 2 else "active"
        answer = await tool(
            "update status",
            "update_work_item",
            {"id": work.update_id, "version": state["version"], "status": status},
        )
        state["version"] = int(answer["version"])

    async def create(i: int) -> None:
        answer = await tool(
            "create", "create_work_item", {"item_type": "task", "title": f"MCP bench create {i}"}
        )
        state["created"] = (str(answer["id"]), int(answer["version"]))

    async def remove_created(_: int) -> None:
        # Keeps the live set the size the issue names: ready work and the list see no growth.
        item, item_version = state["created"]
        _payload(
            await session.call_tool(
                "update_work_item", {"id": item, "version": item_version, "deleted": True}
            )
        )

    async def vendor(i: int) -> None:
        await tool("vendor by name", "query_vendor_status", {"name": names[i % len(names)]})

    plan.ops = [
        (PING, ping, None),
        ("get one leaf", _bind(tool, "get one leaf", "query_work_item", {"id": work.leaf_id}), None),
        (
            "get a parent with 60 children",
            _bind(tool, "get a parent with 60 children", "query_work_item", {"id": work.parent_id}),
            None,
        ),
        ("list, default call", _bind(tool, "list, default call", "list_work_items", {}), None),
        ("ready work, default call", _bind(tool, "ready work, default call", "list_ready_work", {}), None),
        ("next item (limit 1)", _bind(tool, "next item (limit 1)", "list_ready_work", {"limit": 1}), None),
        ("update status", update, None),
        ("create", create, remove_created),
        ("claim", _bind(tool, "claim", "claim_work_item", {"id": work.claim_id}), None),
        ("release", _bind(tool, "release", "release_work_item", {"id": work.claim_id}), None),
        ("vendor by name", vendor, None),
        ("project summary", _bind(tool, "project summary", "get_project_summary", {}), None),
    ]
    return plan


def _bind(
    tool: Callable[[str, str, dict[str, Any]], Awaitable[dict[str, Any]]],
    op: str,
    name: str,
    arguments: dict[str, Any],
) -> Call:
    async def run(_: int) -> None:
        await tool(op, name, arguments)

    return run


async def service_plan(tracker: Tracker, work: Workload) -> Plan:
    """The same operations through the service layer in this process: what the server itself
    spends inside the tracker, without the protocol, the pipes or the second process."""
    plan = Plan()
    names = work.vendor_names
    items = tracker.work_items
    state = {"version": (await items.get(work.update_id, include_children=False)).version}
    created: list[tuple[str, int]] = []

    async def leaf(_: int) -> None:
        await items.get(work.leaf_id)

    async def parent(_: int) -> None:
        await items.get(work.parent_id)

    async def listing(_: int) -> None:
        await items.list()

    async def ready(_: int) -> None:
        await items.ready()

    async def next_item(_: int) -> None:
        await items.ready(limit=1)

    async def update(i: int) -> None:
        status = WorkItemStatus.BLOCKED if i % 2 else WorkItemStatus.ACTIVE
        state["version"] = (
            await items.update(work.update_id, state["version"], WorkItemUpdate(status=status), ACTOR)
        ).version

    async def create(i: int) -> None:
        made = await items.create(
            WorkItemCreate(item_type=ItemType.TASK, title=f"Service bench create {i}"), ACTOR
        )
        created.append((made.id, made.version))

    async def remove_created(_: int) -> None:
        item, version = created.pop()
        await items.update(item, version, WorkItemUpdate(deleted=True), ACTOR)

    async def claim(_: int) -> None:
        await tracker.claims.claim(ACTOR, item=work.claim_id)

    async def release(_: int) -> None:
        await tracker.claims.release(work.claim_id, ACTOR)

    async def vendor(i: int) -> None:
        await tracker.vendors.query(names[i % len(names)])

    async def summary(_: int) -> None:
        await tracker.changes.summary()

    plan.ops = [
        ("get one leaf", leaf, None),
        ("get a parent with 60 children", parent, None),
        ("list, default call", listing, None),
        ("ready work, default call", ready, None),
        ("next item (limit 1)", next_item, None),
        ("update status", update, None),
        ("create", create, remove_created),
        ("claim", claim, None),
        ("release", release, None),
        ("vendor by name", vendor, None),
        ("project summary", summary, None),
    ]
    return plan


async def interleaved(
    plan: Plan, rounds: int, warmup: int, budget_s: float, label: str
) -> dict[str, list[int]]:
    """Run every operation once per round, in the plan's order rotated by one each round, so
    each sees the same machine: a busy spell lands on all of them, not on one operation's block.
    Returns nanoseconds per operation; stops early (fewer rounds) when the budget is spent."""
    samples: dict[str, list[int]] = {name: [] for name, _, _ in plan.ops}
    clock = time.perf_counter_ns
    units = plan.units()
    count = len(units)
    for r in range(-warmup, 0):
        for _, call, after in plan.ops:
            await call(r)
            if after is not None:
                await after(r)
    gc.collect()
    deadline = time.perf_counter() + budget_s
    for r in range(rounds):
        start = r % count
        for name, call, after in [op for unit in units[start:] + units[:start] for op in unit]:
            t0 = clock()
            await call(r)
            samples[name].append(clock() - t0)
            if after is not None:
                await after(r)
        if time.perf_counter() > deadline:
            log(f"  {label}: time budget spent after {r + 1} rounds")
            break
    return samples
