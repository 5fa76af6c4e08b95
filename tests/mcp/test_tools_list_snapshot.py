"""tools/list is a contract with every AI client: it is committed as JSON and compared byte for
byte, so that any change to a name, schema, annotation or description shows up in review.

After a deliberate change, refresh the snapshot and commit it with the change:
    PROJECT_STATUS_UPDATE_SNAPSHOT=1 .venv/bin/python -m pytest -q tests/mcp/test_tools_list_snapshot.py
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

from tests.mcp.conftest import StdioServer

SNAPSHOT = Path(__file__).with_name("tools_list.json")


def as_text(tools: list[dict[str, object]]) -> str:
    """One tool per block, keys in the order the server sends them (the order is part of the bytes)."""
    return json.dumps(tools, indent=1, ensure_ascii=False) + "\n"


async def test_tools_list_matches_the_committed_snapshot(server: StdioServer) -> None:
    listing = await server.session.list_tools()
    tools = [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in listing.tools]
    current = as_text(tools)
    if os.environ.get("PROJECT_STATUS_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(current, encoding="utf-8")
    committed = SNAPSHOT.read_text(encoding="utf-8")
    if current != committed:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                current.splitlines(keepends=True),
                fromfile="committed tools_list.json",
                tofile="served now",
            )
        )
        raise AssertionError(f"tools/list changed; review, then refresh the snapshot:\n{diff}")
