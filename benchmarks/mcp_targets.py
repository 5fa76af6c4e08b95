"""Issue 13's targets and the peers' figures it quotes: one place, read by `bench_mcp.py` (to print
verdicts) and `perf_doc.py` (to write docs/performance.md), so the two cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass

PEER_SOURCE = "side-by-side run filed in issue 13"
PEER_NOTE = (
    "Task Master AI 0.43.1 and Backlog.md 1.52.0, driven through MCP stdio with the official Python "
    "client on the same 1,220-item workload (20 parents × 60 subtasks), in interleaved rounds, on "
    "this machine type while it was busy: p50 in ms, the project's ping-relative figure in brackets."
)


@dataclass(frozen=True)
class McpOp:
    """One timed MCP operation: its name in the results, its tool, its target (ms over the ping
    at p50; None: measured, no target) and the issue's reference row when it has one."""

    name: str
    tool: str
    over_ping_ms: float | None
    peer_row: str | None = None


MCP_OPS: tuple[McpOp, ...] = (
    McpOp("get one leaf", "query_work_item", 1.0, "get one leaf"),
    McpOp("get a parent with 60 children", "query_work_item", 2.0, "get a parent with 60 children"),
    McpOp("list, default call", "list_work_items", None, "list, default call"),
    McpOp("ready work, default call", "list_ready_work", 1.5, "ready work, default call"),
    McpOp("next item (limit 1)", "list_ready_work", 1.5, "next item (limit 1)"),
    McpOp("update status", "update_work_item", 1.0, "update status"),
    McpOp("create", "create_work_item", 1.0, "create"),
    McpOp("claim", "claim_work_item", 1.0),
    McpOp("release", "release_work_item", None),
    McpOp("vendor by name", "query_vendor_status", 1.0),
    McpOp("project summary", "get_project_summary", 2.0),
)
PING = "ping"

STACK = "libraries + one query, no project code (the CLI's floor)"
"""The results' name for bench_startup's STACK_FLOOR: the libraries a CLI data command stands on,
imported, and one query, in a process of its own."""

START_TARGET_MS = 600.0
"""Server spawn to its first tool answer, p50."""
CLI_TARGETS_MS = {"items show": 300.0, "items list": 300.0, "--help": 200.0, "--version": 200.0}
"""CLI wall time, p50 of separate runs."""
CONTENTION_P95_MS = 50.0
CONTENTION_MAX_MS = 500.0
REPORT_P95_MS = 10.0
"""The full report at 2,000 live items, at the service layer, p95."""

# The table, quoted: row -> (project SQLite, project PostgreSQL, Task Master, Backlog.md).
PEERS: dict[str, tuple[str, str, str, str]] = {
    "get one leaf": ("1.5 (ping+0.76)", "3.9 (ping+3.0)", "5.7", "216"),
    "get a parent with 60 children": ("2.4 (+1.6)", "9.5 (+8.6)", "7.4", "215"),
    "list, default call": ("2.3 (+1.5)", "3.6 (+2.6)", "14.1 (598 KB answer)", "134 (51 KB)"),
    "ready work, default call": ("7.3 (+6.6)", "7.5 (+6.5)", "–", "199"),
    "next item (limit 1)": ("3.7 (+2.9)", "9.3 (+8.4)", "8.5", "189"),
    "update status": ("3.3 (+2.5)", "9.2 (+8.2)", "14.0", "426"),
    "create": ("3.5 (+2.8)", "10.6 (+9.6)", "15.3", "428"),
    "server start → first answer": ("2,018", "1,508", "3,299", "1,370"),
    "CLI show one item (wall)": ("880", "930", "2,580", "740"),
}
PEER_CONTENTION = (
    "8 or 16 server processes on one SQLite file: create p50 34–38 ms, p95 0.15–0.35 s, "
    "max 1.0–2.6 s; nothing lost."
)


def met(value: float | None, target: float) -> str:
    if value is None:
        return "not measured"
    return "met" if value <= target else "missed"
