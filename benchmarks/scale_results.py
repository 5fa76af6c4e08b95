"""What `bench_scale.py` measures, its targets and verdicts: shared with `scale_docs.py`."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench_core import Result

# Targets (p95, milliseconds), issue 6. MCP point calls: within this of the ping's p95.
TARGETS: dict[str, dict[str, float]] = {
    "vendor by name": {"sqlite": 0.1, "postgresql": 0.5},
    "work item (hierarchy) d2": {"sqlite": 1.0, "postgresql": 1.0},
    "work item (hierarchy) root": {"sqlite": 1.0, "postgresql": 1.0},
    "full report": {"sqlite": 10.0, "postgresql": 10.0},
}
MCP_OVER_PING_MS = 0.5
MCP_JUDGED = ("vendor by name", "work item (hierarchy) d2")
SAME_RATIO = 1.25
SAME_SLACK_MS = 0.05
"""'The same after archiving as at 1,200': p95 within 25% or 0.05 ms of the reference's."""

STAGE_REFERENCE = "reference"
STAGE_BEFORE = "before archiving"
STAGE_AFTER = "after archiving"
"""Stage keys: the reference load, and the five-year load before and after the archive run."""


# --------------------------------------------------------------------------- results


@dataclass
class ServerStart:
    initialize_s: float
    first_answer_s: float
    rss_kib: int | None
    hwm_kib: int | None


@dataclass
class Stage:
    """One measured state of one store."""

    backend: str
    load: str
    key: str
    stage: str
    """Its label, e.g. '100,000 items, after archiving'."""
    live_items: int
    total_items: int
    results: list[Result] = field(default_factory=list)
    mcp: list[Result] = field(default_factory=list)
    server: ServerStart | None = None
    mcp_cpu: dict[str, tuple[float, float | None]] = field(default_factory=dict)
    """CPU microseconds per MCP call: the client process's and the server process's."""
    floors: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def result(self, operation: str, *, mcp: bool = False) -> Result | None:
        return next((r for r in (self.mcp if mcp else self.results) if r.operation == operation), None)


@dataclass
class ArchiveRun:
    seconds: float
    archived: int
    expected: int
    detail: str = ""

    @property
    def per_second(self) -> float:
        return self.archived / self.seconds if self.seconds else 0.0


@dataclass
class LoadRun:
    backend: str
    load: str
    seed_seconds: float
    seed_note: str
    stages: list[Stage] = field(default_factory=list)
    archive: ArchiveRun | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class RunInfo:
    command: str
    started: float
    load_before: tuple[float, float, float]
    seconds: float = 0.0
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    postgres_version: str = ""
    items: int = 100_000
    live: int = 2_000
    deployments: int = 2_000
    runs: list[LoadRun] = field(default_factory=list)


def target_for(operation: str, backend: str) -> float | None:
    return TARGETS.get(operation, {}).get(backend)


# --------------------------------------------------------------------------- verdicts and rows


def _ms(value: float) -> str:
    return f"{value:.3f}" if value < 100 else f"{value:.1f}"


def verdict(result: Result, target: float | None) -> str:
    if target is None or not result.samples_ns:
        return ""
    p95 = result.percentile(95)
    return f"met (≤ {target:g})" if p95 <= target else f"missed (≤ {target:g}: x{p95 / target:.1f})"


def over_ping(stage: Stage, result: Result) -> tuple[float, float] | None:
    """How much longer than the ping of the same run a call takes, at p50 and at p95."""
    ping = stage.result("ping (protocol round trip)", mcp=True)
    if ping is None or not ping.samples_ns or not result.samples_ns:
        return None
    return (
        result.percentile(50) - ping.percentile(50),
        result.percentile(95) - ping.percentile(95),
    )


def mcp_verdict(stage: Stage, result: Result) -> str:
    """Met when the call is within MCP_OVER_PING_MS of the ping at p50 and at p95 alike (a ping
    tail inflated by other work must not turn a slow call into a pass)."""
    over = over_ping(stage, result) if result.operation in MCP_JUDGED else None
    if over is None:
        return ""
    mark = "met" if max(over) <= MCP_OVER_PING_MS else "missed"
    return f"{mark} (ping +{over[0]:.3f} p50, +{over[1]:.3f} p95; ≤ +{MCP_OVER_PING_MS:g})"


def stage_rows(stage: Stage) -> list[tuple[str, ...]]:
    rows = []
    for r in stage.results:
        rows.append(_row("service", r, verdict(r, r.floor_ms)))
    for r in stage.mcp:
        rows.append(_row("mcp-stdio", r, mcp_verdict(stage, r)))
    for r in stage.floors:
        rows.append(_row("floor", r, ""))
    return rows


def cpu_line(stage: Stage) -> str:
    """CPU time per MCP call over stdio, client process and server process."""
    return "; ".join(
        f"{name}: client {client:.0f} µs, server {'n/a' if server is None else f'{server:.0f} µs'}"
        for name, (client, server) in stage.mcp_cpu.items()
    )


def _row(layer: str, r: Result, judged: str) -> tuple[str, ...]:
    return (
        layer,
        r.operation,
        str(len(r.samples_ns)),
        _ms(r.percentile(50)),
        _ms(r.percentile(95)),
        _ms(r.percentile(99)),
        judged,
    )


HEADERS = ("layer", "operation", "n", "p50 ms", "p95 ms", "p99 ms", "target (p95 ms)")


def text_table(headers: tuple[str, ...], rows: list[tuple[str, ...]], right: set[int]) -> list[str]:
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]

    def fmt(row: tuple[str, ...]) -> str:
        cells = [c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(row)]
        return "| " + " | ".join(cells) + " |"

    return [fmt(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *(fmt(r) for r in rows)]
