"""The protocol floor: the official SDK's `MCPServer` over stdio with no project code, answering
each operation with the very bytes `project-status serve` gave for it.

`bench_mcp.py` records one real answer per operation, writes them to a JSON file and starts this
server on that file beside the real one. Its one tool, `replay`, returns the recorded
`CallToolResult` as it is, so the SDK frames, writes, reads and parses the same answer on both
sides: what remains over the ping is what any server built on this SDK pays for that answer.
It declares no output schema, so neither side checks the answer against one (the real tools do;
`bench_tool_path.py` times that check). Its start (spawn → first answer) is the floor of the
server's start: the interpreter, the SDK's import and its handshake.

    python benchmarks/floor_server.py ANSWERS.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult


def build(answers: dict[str, Any]) -> MCPServer:
    results = {op: CallToolResult.model_validate(answer) for op, answer in answers.items()}
    server = MCPServer("project-status-floor")

    @server.tool()
    def replay(op: str) -> CallToolResult:
        """The recorded answer of operation `op`."""
        return results[op]

    return server


if __name__ == "__main__":
    build(json.loads(Path(sys.argv[1]).read_text())).run()
