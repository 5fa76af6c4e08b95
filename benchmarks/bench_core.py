"""Core latency benchmark (DESIGN.md section 9, issue 2 "Performance").

For each backend (SQLite in a temp file, PostgreSQL in a throw-away database on
127.0.0.1:5432) this migrates a fresh database, seeds the reference load through the service
layer (45 vendors, 1,200 work items at depths 0-5, ~100 dependencies, 50 deployments,
30 enhancements), then measures p50/p95/p99 of

* one vendor by name,
* one work item with ancestors + descendants + dependencies (a mid-depth item and a root),
* the ready-work list,
* a work item update (optimistic locking, version tracked),

first at the service layer (``Tracker``), then end to end through the official MCP SDK
client over stdio against a real ``project-status serve`` subprocess.

Usage::

    .venv/bin/python benchmarks/bench_core.py [--backend sqlite|postgresql|both]
        [--iterations N] [--skip-mcp]

Progress goes to stderr, the result table to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import anyio
import asyncpg  # type: ignore[import-untyped]
from mcp.client.session import ClientSession  # the same class as `mcp.ClientSession`
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import CallToolResult, Implementation, TextContent
from sqlalchemy import text

from project_status.domain.configuration import ConfigurationUpdate
from project_status.domain.deployments import DeploymentCreate
from project_status.domain.enhancements import EnhancementCreate
from project_status.domain.enums import (
    ContextType,
    DependencyType,
    EnhancementStatus,
    ItemType,
    VendorStatus,
    WorkItemStatus,
)
from project_status.domain.vendors import VendorCreate
from project_status.domain.work_items import WorkItemCreate, WorkItemUpdate
from project_status.services.tracker import Tracker
from project_status.settings import normalize_database_url
from project_status.store.database import Database
from project_status.store.migrate import upgrade

ACTOR = "benchmark"
CLIENT_NAME = "project-status-bench"
SEED = 20260131

# Reference load (DESIGN.md section 9).
VENDOR_COUNT = 45
LEVEL_COUNTS = (4, 20, 100, 300, 450, 326)  # work items at depth 0..5: 1,200 in all
DEPENDENCY_COUNT = 100
DEPLOYMENT_COUNT = 50
ENHANCEMENT_COUNT = 30

# Seed floors (p95, milliseconds); the team aims for ten times better.
VENDOR_FLOOR_MS = 1.0
HIERARCHY_FLOOR_MS = 10.0

DEFAULT_PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


# --------------------------------------------------------------------------- output helpers


class Progress:
    """A one-line progress meter on stderr; without a tty, a line per quarter of long work."""

    def __init__(self, label: str, total: int, stream: TextIO = sys.stderr) -> None:
        self.label = label
        self.total = total
        self.stream = stream
        self.tty = stream.isatty()
        self.done = 0
        self.started = time.perf_counter()
        self._last_quarter = 0

    def step(self, n: int = 1) -> None:
        self.done += n
        if self.tty:
            self.stream.write(f"\r  {self.label}: {self.done}/{self.total}")
            self.stream.flush()
        elif self.total >= 200:
            quarter = self.done * 4 // self.total
            if quarter > self._last_quarter and self.done < self.total:
                self._last_quarter = quarter
                self.stream.write(f"  {self.label}: {self.done}/{self.total}\n")
                self.stream.flush()

    def finish(self) -> None:
        elapsed = time.perf_counter() - self.started
        end = "\r" if self.tty else ""
        self.stream.write(f"{end}  {self.label}: {self.done}/{self.total} done in {elapsed:.1f} s\n")
        self.stream.flush()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- results


@dataclass
class Result:
    backend: str
    layer: str
    operation: str
    samples_ns: list[int]
    floor_ms: float | None = None
    note: str = ""

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile in milliseconds."""
        if not self.samples_ns:
            return math.nan
        ordered = sorted(self.samples_ns)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[rank - 1] / 1e6

    def verdict(self) -> str:
        if self.floor_ms is None or not self.samples_ns:
            return ""
        p95 = self.percentile(95)
        if p95 < self.floor_ms / 10:
            return f"PASS x10 (<{self.floor_ms:g})"
        if p95 < self.floor_ms:
            return f"PASS (<{self.floor_ms:g})"
        return f"FAIL (<{self.floor_ms:g})"


@dataclass
class BackendRun:
    backend: str
    seed_seconds: float = 0.0
    seed_note: str = ""
    results: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def print_table(runs: list[BackendRun], iterations: int) -> None:
    headers = ("backend", "layer", "operation", "n", "p50 ms", "p95 ms", "p99 ms", "floor (p95 ms)")
    rows: list[tuple[str, ...]] = []
    for run in runs:
        for r in run.results:
            rows.append(
                (
                    r.backend,
                    r.layer,
                    r.operation,
                    str(len(r.samples_ns)),
                    f"{r.percentile(50):.3f}",
                    f"{r.percentile(95):.3f}",
                    f"{r.percentile(99):.3f}",
                    r.verdict(),
                )
            )
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(headers)]
    right = {3, 4, 5, 6}

    def fmt(row: tuple[str, ...]) -> str:
        cells = [c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(row)]
        return "| " + " | ".join(cells) + " |"

    print()
    print(
        f"project-status core benchmark: {iterations} iterations per operation (fewer when an "
        "operation exceeds its time budget; see n)"
    )
    print(
        f"floors are the seed's p95 targets: vendor < {VENDOR_FLOOR_MS:g} ms, hierarchy < "
        f"{HIERARCHY_FLOOR_MS:g} ms, judged at the service layer; mcp-stdio rows add the protocol "
        "round trip (see its ping row); 'x10' = also ten times better"
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
        print(f"{run.backend}: seed {run.seed_seconds:.1f} s through the service layer. {run.seed_note}")
        for note in run.notes:
            print(f"  note: {note}")


# --------------------------------------------------------------------------- seeding


@dataclass
class PlannedItem:
    key: int
    depth: int
    parent: int | None
    item_type: ItemType
    status: WorkItemStatus
    priority: int
    children: list[int] = field(default_factory=list)


@dataclass
class SeedInfo:
    vendor_names: list[str]
    mid_id: str
    mid_depth: int
    mid_descendants: int
    mid_dependencies: int
    root_id: str
    root_descendants: int
    update_id: str
    update_version: int
    item_count: int
    dependency_count: int

    def describe(self) -> str:
        return (
            f"{self.item_count} work items, {self.dependency_count} dependencies; "
            f"mid-depth item at depth {self.mid_depth} with {self.mid_descendants} descendants and "
            f"{self.mid_dependencies} dependencies; root with {self.root_descendants} descendants."
        )


def _hex40(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def _plan_tree(rng: random.Random) -> list[PlannedItem]:
    """The hierarchy, breadth first: parents are always planned (and created) before children."""
    items: list[PlannedItem] = []
    previous: list[int] = []
    for depth, count in enumerate(LEVEL_COUNTS):
        parents = list(previous)
        rng.shuffle(parents)
        level: list[int] = []
        for i in range(count):
            parent = parents[i % len(parents)] if parents else None
            if depth == 0:
                item_type = ItemType.PROJECT
            elif depth == 1:
                item_type = ItemType.SESSION
            else:
                item_type = ItemType.RESEARCH if rng.random() < 0.15 else ItemType.TASK
            roll = rng.random()
            if depth <= 1:
                status = WorkItemStatus.ACTIVE if roll < 0.85 else WorkItemStatus.COMPLETED
            else:
                status = (
                    WorkItemStatus.ACTIVE
                    if roll < 0.6
                    else WorkItemStatus.COMPLETED
                    if roll < 0.9
                    else WorkItemStatus.BLOCKED
                )
            item = PlannedItem(len(items), depth, parent, item_type, status, rng.randint(1, 5))
            items.append(item)
            level.append(item.key)
            if parent is not None:
                items[parent].children.append(item.key)
        previous = level
    return items


def _subtree_size(items: list[PlannedItem], key: int) -> int:
    return sum(1 + _subtree_size(items, child) for child in items[key].children)


def _metadata(item: PlannedItem, rng: random.Random) -> dict[str, Any]:
    if item.item_type is ItemType.PROJECT:
        return {
            "description": f"Extraction platform stream {item.key}: ingestion, normalisation, QA.",
            "target_quarter": f"2026-Q{rng.randint(1, 4)}",
            "constitutional_principles": rng.sample(
                ["test-first", "library-first", "cli-interface", "observability", "simplicity"], 2
            ),
        }
    if item.item_type is ItemType.SESSION:
        return {
            "token_budget": rng.choice([100_000, 200_000, 400_000]),
            "prompts_count": rng.randint(0, 60),
            "yaml_frontmatter": {"schema_version": "1.1", "model": "claude", "mode": "feature"},
        }
    if item.item_type is ItemType.RESEARCH:
        return {
            "research_questions": [f"Does approach {c} scale?" for c in "ab"[: rng.randint(1, 2)]],
            "references": ["https://example.org/paper", "docs/adr/0004.md"],
            "findings_summary": "Preliminary: the recursive CTE stays flat up to depth five.",
        }
    meta: dict[str, Any] = {"estimated_hours": round(rng.uniform(0.5, 16), 1)}
    if item.status is WorkItemStatus.COMPLETED:
        meta["actual_hours"] = round(rng.uniform(0.5, 20), 1)
    if item.status is WorkItemStatus.BLOCKED:
        meta["blocked_reason"] = "Waiting on the vendor's sample files."
    return meta


def _create_payload(item: PlannedItem, parent_id: str | None, rng: random.Random) -> WorkItemCreate:
    extra: dict[str, Any] = {}
    if item.item_type is ItemType.SESSION:
        extra["branch_name"] = f"feature/session-{item.key}"
    if item.status is WorkItemStatus.COMPLETED and item.item_type is ItemType.TASK:
        extra["commit_hash"] = _hex40(rng)
        if rng.random() < 0.5:
            extra["pr_number"] = rng.randint(1, 900)
    return WorkItemCreate(
        item_type=item.item_type,
        title=f"{item.item_type.value.capitalize()} {item.key}: "
        f"{rng.choice(['parse', 'validate', 'export', 'reconcile', 'document'])} "
        f"{rng.choice(['invoices', 'statements', 'manifests', 'schedules'])}",
        parent_id=parent_id,
        description=None if rng.random() < 0.3 else f"Work item {item.key} at depth {item.depth}.",
        status=item.status,
        priority=item.priority,
        metadata=_metadata(item, rng),
        **extra,
    )


VENDOR_PREFIXES = (
    "acme", "globex", "initech", "umbrella", "stark", "wayne", "wonka", "tyrell", "cyberdyne",
    "soylent", "hooli", "pied-piper", "vandelay", "dunder", "oscorp",
)  # fmt: skip
VENDOR_SUFFIXES = ("bank", "insurance", "logistics")


def _vendor_payload(i: int, rng: random.Random) -> VendorCreate:
    name = f"{VENDOR_PREFIXES[i % len(VENDOR_PREFIXES)]}-{VENDOR_SUFFIXES[i // len(VENDOR_PREFIXES)]}"
    total = rng.randint(20, 400)
    skipped = rng.randint(0, total // 20)
    broken = rng.random() < 0.15
    passing = total - skipped - (rng.randint(1, max(1, total // 4)) if broken else 0)
    return VendorCreate(
        name=name,
        status=VendorStatus.BROKEN if broken else VendorStatus.OPERATIONAL,
        extractor_version=f"{rng.randint(1, 4)}.{rng.randint(0, 12)}.{rng.randint(0, 30)}",
        metadata={
            "format_support": {
                "excel": rng.random() < 0.7,
                "csv": rng.random() < 0.9,
                "pdf": rng.random() < 0.6,
                "ocr": rng.random() < 0.25,
            },
            "test_results": {"passing": max(passing, 0), "total": total, "skipped": skipped},
            "manifest_compliant": rng.random() < 0.8,
        },
    )


async def seed(tracker: Tracker, label: str) -> SeedInfo:
    rng = random.Random(SEED)

    progress = Progress(f"[{label}] vendors", VENDOR_COUNT)
    vendor_names: list[str] = []
    for i in range(VENDOR_COUNT):
        vendor = await tracker.vendors.create(_vendor_payload(i, rng), ACTOR)
        vendor_names.append(vendor.name)
        progress.step()
    progress.finish()

    plan = _plan_tree(rng)
    ids: dict[int, str] = {}
    versions: dict[int, int] = {}
    progress = Progress(f"[{label}] work items", len(plan))
    for item in plan:
        parent_id = ids[item.parent] if item.parent is not None else None
        created = await tracker.work_items.create(_create_payload(item, parent_id, rng), ACTOR)
        ids[item.key] = created.id
        versions[item.key] = created.version
        progress.step()
    progress.finish()

    # Targets: the depth-2 item with the biggest subtree, the biggest root, a depth-5 leaf task.
    mid = max((i for i in plan if i.depth == 2), key=lambda i: _subtree_size(plan, i.key))
    root = max((i for i in plan if i.depth == 0), key=lambda i: _subtree_size(plan, i.key))
    leaf = next(i for i in plan if i.depth == 5 and i.item_type is ItemType.TASK and i.key != mid.key)

    # Dependencies: edges follow a random topological order, so no cycle can form.
    order = [i.key for i in plan]
    rng.shuffle(order)
    position = {key: n for n, key in enumerate(order)}
    pairs: set[frozenset[int]] = set()
    edges: list[tuple[int, int]] = []  # (blocker, blocked)

    def add_pair(a: int, b: int) -> None:
        pair = frozenset((a, b))
        if a == b or pair in pairs:
            return
        pairs.add(pair)
        edges.append((a, b) if position[a] < position[b] else (b, a))

    others = [i.key for i in plan if i.key not in (mid.key, root.key, leaf.key)]
    for other in rng.sample(others, 3):  # make sure the measured item has dependencies
        add_pair(mid.key, other)
    while len(edges) < DEPENDENCY_COUNT:
        add_pair(rng.choice(others), rng.choice(others))
    progress = Progress(f"[{label}] dependencies", len(edges))
    mid_deps = 0
    for blocker, blocked in edges:
        if rng.random() < 0.5:
            await tracker.dependencies.add(ids[blocker], ids[blocked], DependencyType.BLOCKS, ACTOR)
        else:
            await tracker.dependencies.add(ids[blocked], ids[blocker], DependencyType.DEPENDS_ON, ACTOR)
        mid_deps += mid.key in (blocker, blocked)
        progress.step()
    progress.finish()

    progress = Progress(f"[{label}] deployments", DEPLOYMENT_COUNT)
    start = datetime.now(UTC) - timedelta(days=120)
    all_ids = list(ids.values())
    for n in range(DEPLOYMENT_COUNT):
        await tracker.deployments.record(
            DeploymentCreate(
                deployed_at=start + timedelta(days=n * 2.4, hours=rng.randint(0, 12)),
                commit_hash=_hex40(rng),
                metadata={
                    "pr_number": 1000 + n,
                    "pr_title": f"Release {n}: extractor fixes and manifest updates",
                    "test_summary": {
                        "unit": rng.randint(200, 900),
                        "integration": rng.randint(20, 120),
                        "contract": rng.randint(5, 45),
                    },
                    "constitutional_compliance": rng.random() < 0.9,
                },
                vendor_names=rng.sample(vendor_names, rng.randint(1, 4)),
                work_item_ids=rng.sample(all_ids, rng.randint(1, 3)),
            ),
            ACTOR,
        )
        progress.step()
    progress.finish()

    progress = Progress(f"[{label}] enhancements", ENHANCEMENT_COUNT)
    enhancement_ids: list[str] = []
    for n in range(ENHANCEMENT_COUNT):
        depends_on = rng.sample(enhancement_ids, min(len(enhancement_ids), rng.randint(0, 2)))
        enhancement = await tracker.enhancements.create(
            EnhancementCreate(
                title=f"Enhancement {n}: {rng.choice(['OCR fallback', 'streaming export', 'schema v2'])}",
                description="Planned capability from the roadmap review.",
                priority=rng.randint(1, 5),
                status=rng.choice(list(EnhancementStatus)),
                target_quarter=rng.choice([None, "2026-Q2", "2026-Q3", "2026-Q4"]),
                requires_constitutional_principles=rng.sample(
                    ["test-first", "simplicity", "observability"], 1
                ),
                depends_on=depends_on,
            ),
            ACTOR,
        )
        enhancement_ids.append(enhancement.id)
        progress.step()
    progress.finish()

    config = await tracker.configuration.get()
    session_key = next(i.key for i in plan if i.item_type is ItemType.SESSION)
    await tracker.configuration.update(
        config.version,
        ConfigurationUpdate(
            active_context_type=ContextType.FEATURE,
            current_session_id=ids[session_key],
            git_branch="main",
            git_head_commit=_hex40(rng),
        ),
        ACTOR,
    )

    return SeedInfo(
        vendor_names=vendor_names,
        mid_id=ids[mid.key],
        mid_depth=mid.depth,
        mid_descendants=_subtree_size(plan, mid.key),
        mid_dependencies=mid_deps,
        root_id=ids[root.key],
        root_descendants=_subtree_size(plan, root.key),
        update_id=ids[leaf.key],
        update_version=versions[leaf.key],
        item_count=len(plan),
        dependency_count=len(edges),
    )


# --------------------------------------------------------------------------- measuring


@dataclass
class BenchSettings:
    iterations: int
    warmup: int
    budget_s: float


async def measure(label: str, call: Callable[[int], Awaitable[Any]], settings: BenchSettings) -> list[int]:
    """Warm up, then time `call(i)` up to `iterations` times or until the time budget is spent.

    The garbage collector stays on (a server runs with it), but the seed's garbage is collected
    first so that one operation does not pay for the previous one's, and what survives is frozen
    out of the full passes, as `project-status serve` does with its start-up objects.
    """
    for i in range(settings.warmup):
        await call(-1 - i)
    gc.collect()
    gc.freeze()
    samples: list[int] = []
    deadline = time.perf_counter() + settings.budget_s
    progress = Progress(label, settings.iterations)
    clock = time.perf_counter_ns
    for i in range(settings.iterations):
        t0 = clock()
        await call(i)
        samples.append(clock() - t0)
        if i % 50 == 49:
            progress.step(50)
        if time.perf_counter() > deadline:
            break
    progress.done = len(samples)
    progress.finish()
    return samples


async def bench_service(
    tracker: Tracker, info: SeedInfo, backend: str, settings: BenchSettings
) -> tuple[list[Result], int]:
    results: list[Result] = []
    names = info.vendor_names
    layer = "service"

    async def vendor(i: int) -> None:
        await tracker.vendors.query(names[i % len(names)])

    async def item_mid(_: int) -> None:
        await tracker.work_items.get(info.mid_id)

    async def item_root(_: int) -> None:
        await tracker.work_items.get(info.root_id)

    async def ready(_: int) -> None:
        await tracker.work_items.ready()

    version = info.update_version

    async def update(i: int) -> None:
        nonlocal version
        updated = await tracker.work_items.update(
            info.update_id, version, WorkItemUpdate(title=f"Benchmark update {i}"), ACTOR
        )
        version = updated.version

    plan: list[tuple[str, Callable[[int], Awaitable[None]], float | None]] = [
        ("vendor by name", vendor, VENDOR_FLOOR_MS),
        (f"work item mid (d{info.mid_depth})", item_mid, HIERARCHY_FLOOR_MS),
        ("work item root", item_root, HIERARCHY_FLOOR_MS),
        ("ready work", ready, None),
        ("update work item", update, None),
    ]
    for name, call, floor in plan:
        samples = await measure(f"[{backend}] {layer} {name}", call, settings)
        results.append(Result(backend, layer, name, samples, floor))
    return results, version


# --------------------------------------------------------------------------- MCP over stdio


def _server_command() -> str:
    local = Path(sys.executable).parent / "project-status"
    if local.exists():
        return str(local)
    found = shutil.which("project-status")
    if found is None:
        raise FileNotFoundError("project-status console script not found next to the interpreter or on PATH")
    return found


def _payload(result: CallToolResult) -> dict[str, Any]:
    """The structured answer of a tool call (unwrapping a bare {"result": ...} wrapper)."""
    texts = [block.text for block in result.content if isinstance(block, TextContent)]
    if result.is_error:
        raise RuntimeError(f"tool error: {' '.join(texts)[:500]}")
    data: Any = result.structured_content
    if data is None:
        data = json.loads(texts[0]) if texts else {}
    if isinstance(data, dict) and set(data) == {"result"} and isinstance(data["result"], dict):
        data = data["result"]
    if not isinstance(data, dict):
        raise RuntimeError(f"unexpected tool answer: {data!r:.200}")
    return data


async def bench_mcp(
    info: SeedInfo, backend: str, cwd: Path, env: dict[str, str], settings: BenchSettings
) -> tuple[list[Result], list[str]]:
    """Time the same calls through the MCP SDK client over stdio; returns results and notes."""
    layer = "mcp-stdio"
    params = StdioServerParameters(command=_server_command(), args=["serve"], env=env, cwd=str(cwd))
    results: list[Result] = []
    notes: list[str] = []
    sizes: dict[str, int] = {}
    server_log = cwd / "server-stderr.log"
    with server_log.open("w") as errlog:
        try:
            async with (
                stdio_client(params, errlog=errlog) as (read, write),
                ClientSession(
                    read, write, client_info=Implementation(name=CLIENT_NAME, version="1.0")
                ) as session,
            ):
                started = time.perf_counter()
                with _fail_after(60):
                    await session.initialize()
                    tools = await session.list_tools()
                log(
                    f"  [{backend}] MCP server up in {time.perf_counter() - started:.2f} s, "
                    f"{len(tools.tools)} tools"
                )
                names = info.vendor_names

                async def call(tool: str, arguments: dict[str, Any], key: str = "") -> dict[str, Any]:
                    result = await session.call_tool(tool, arguments)
                    if key:
                        sizes[key] = sum(len(b.text) for b in result.content if isinstance(b, TextContent))
                    return _payload(result)

                async def vendor(i: int) -> None:
                    await call("query_vendor_status", {"name": names[i % len(names)]}, "vendor")

                async def item_mid(_: int) -> None:
                    await call("query_work_item", {"id": info.mid_id}, "mid item")

                async def item_root(_: int) -> None:
                    await call("query_work_item", {"id": info.root_id}, "root item")

                async def ready(_: int) -> None:
                    await call("list_ready_work", {}, "ready")

                version = int((await call("query_work_item", {"id": info.update_id}))["version"])

                async def update(i: int) -> None:
                    nonlocal version
                    answer = await call(
                        "update_work_item",
                        {"id": info.update_id, "version": version, "title": f"MCP benchmark update {i}"},
                        "update",
                    )
                    version = int(answer["version"])

                async def ping(_: int) -> None:
                    await session.send_ping()

                # The seed's floors are service-layer targets; over stdio the protocol's own round
                # trip (the ping row) comes on top, so these rows are reported, not judged.
                plan: list[tuple[str, Callable[[int], Awaitable[None]], float | None]] = [
                    ("ping (protocol floor)", ping, None),
                    ("vendor by name", vendor, None),
                    (f"work item mid (d{info.mid_depth})", item_mid, None),
                    ("work item root", item_root, None),
                    ("ready work", ready, None),
                    ("update work item", update, None),
                ]
                for name, fn, floor in plan:
                    samples = await measure(f"[{backend}] {layer} {name}", fn, settings)
                    results.append(Result(backend, layer, name, samples, floor))
                # Check the actor came from clientInfo.name, as DESIGN.md section 6 says.
                item = await call("query_work_item", {"id": info.update_id})
                if item.get("updated_by") != CLIENT_NAME:
                    notes.append(
                        f"MCP updates recorded updated_by={item.get('updated_by')!r}, not {CLIENT_NAME!r}"
                    )
                notes.append(
                    "MCP answer text sizes (structured_content repeats the same document on the wire): "
                    + ", ".join(f"{k} {v / 1024:.1f} KiB" for k, v in sizes.items())
                )
        except BaseException:
            errlog.flush()
            tail = server_log.read_text(errors="replace")[-2000:]
            if tail.strip():
                log(f"  [{backend}] server stderr (tail):\n{tail}")
            raise
    return results, notes


@contextlib.contextmanager
def _fail_after(seconds: float) -> Iterator[None]:
    with anyio.fail_after(seconds):
        yield


async def migrate(url: str) -> None:
    """Bring the database at `url` to the newest schema, before a benchmark seeds or serves it."""
    db = Database(normalize_database_url(url))
    try:
        await upgrade(db)
    finally:
        await db.dispose()


# --------------------------------------------------------------------------- backends


async def _run_backend(
    backend: str,
    url: str,
    server_cwd: Path,
    server_env: dict[str, str],
    settings: BenchSettings,
    skip_mcp: bool,
    analyze: bool = False,
) -> BackendRun:
    run = BackendRun(backend)
    log(f"[{backend}] migrating {url.split('@')[-1]}")
    await migrate(url)
    tracker = await Tracker.open(url=normalize_database_url(url))
    try:
        started = time.perf_counter()
        info = await seed(tracker, backend)
        run.seed_seconds = time.perf_counter() - started
        run.seed_note = info.describe()
        log(f"[{backend}] seeded in {run.seed_seconds:.1f} s: {info.describe()}")
        if analyze:
            # What autovacuum would have done by now; without it a fresh PostgreSQL database has no
            # statistics and plans the recursive CTE as a nested loop over the whole table.
            async with tracker.db.engine.connect() as conn:
                await conn.execute(text("ANALYZE"))
                await conn.commit()
            run.notes.append("ANALYZE ran after seeding (steady state; see --no-analyze).")
        elif not tracker.db.is_sqlite:
            run.notes.append("no ANALYZE after seeding (--no-analyze): planner without statistics.")
        service_results, version = await bench_service(tracker, info, backend, settings)
        run.results.extend(service_results)
        info.update_version = version
    finally:
        await tracker.close()

    if skip_mcp:
        run.notes.append("MCP over stdio skipped (--skip-mcp).")
        return run
    try:
        mcp_results, mcp_notes = await bench_mcp(info, backend, server_cwd, server_env, settings)
        run.results.extend(mcp_results)
        run.notes.extend(mcp_notes)
    except Exception as exc:  # the server is a separate component: report, don't abort the run
        message = f"MCP over stdio not measured: {type(exc).__name__}: {exc}"
        if isinstance(exc, BaseExceptionGroup):
            message += " / " + "; ".join(f"{type(e).__name__}: {e}" for e in exc.exceptions)
        log(f"[{backend}] {message}")
        run.notes.append(message)
    return run


async def run_sqlite(settings: BenchSettings, skip_mcp: bool) -> BackendRun:
    folder = Path(tempfile.mkdtemp(prefix="ps-bench-sqlite-"))
    try:
        data = folder / ".project-status"
        data.mkdir()
        url = f"sqlite+aiosqlite:///{data / 'status.db'}"
        # The server finds .project-status/status.db from its working directory (DESIGN.md s.1).
        return await _run_backend("sqlite", url, folder, {}, settings, skip_mcp)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def run_postgresql(
    settings: BenchSettings, skip_mcp: bool, admin_url: str, analyze: bool
) -> BackendRun | None:
    try:
        admin = await asyncpg.connect(admin_url, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        print(f"note: PostgreSQL skipped, {admin_url} is unreachable: {type(exc).__name__}: {exc}")
        return None
    name = f"ps_bench_{uuid.uuid4().hex[:12]}"
    folder = Path(tempfile.mkdtemp(prefix="ps-bench-pg-"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        base = admin_url.rsplit("/", 1)[0]
        url = f"{base}/{name}"
        return await _run_backend(
            "postgresql", url, folder, {"PROJECT_STATUS_DATABASE_URL": url}, settings, skip_mcp, analyze
        )
    finally:
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
            shutil.rmtree(folder, ignore_errors=True)


async def main_async(args: argparse.Namespace) -> int:
    settings = BenchSettings(
        iterations=args.iterations,
        warmup=args.warmup if args.warmup is not None else max(10, args.iterations // 10),
        budget_s=args.budget,
    )
    runs: list[BackendRun] = []
    started = time.perf_counter()
    if args.backend in ("sqlite", "both"):
        runs.append(await run_sqlite(settings, args.skip_mcp))
    if args.backend in ("postgresql", "both"):
        pg = await run_postgresql(settings, args.skip_mcp, args.pg_admin_url, not args.no_analyze)
        if pg is not None:
            runs.append(pg)
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
    parser.add_argument("--skip-mcp", action="store_true", help="only the service layer")
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
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
