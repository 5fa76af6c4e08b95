"""The tool list kept between starts (mcp/tool_cache.py): used only when this code wrote it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from project_status.mcp import tool_cache
from project_status.mcp.tools import ToolList, built


def listing(tools: ToolList) -> list[dict[str, Any]]:
    return [tool_cache.wire(tool) for tool in tools.listed()]


def edit(path: Path, change: Any) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_a_server_lists_what_it_builds_and_keeps_it_for_the_next(tmp_path: Path) -> None:
    path = tmp_path / tool_cache.FILE_NAME
    first = ToolList(path)
    expected = [tool_cache.wire(built().tools[name]) for name in built().listed]
    assert listing(first) == expected
    assert path.exists()
    assert listing(ToolList(path)) == expected
    assert ToolList(path).input_schema("query_work_item") == first.input_schema("query_work_item")


def test_the_kept_list_is_what_the_next_server_serves(tmp_path: Path) -> None:
    path = tmp_path / tool_cache.FILE_NAME
    ToolList(path).listed()
    edit(path, lambda data: data["tools"][0].update(description="as kept"))
    assert ToolList(path).listed()[0].description == "as kept"


def test_a_list_kept_by_other_code_is_built_again_and_replaced(tmp_path: Path) -> None:
    path = tmp_path / tool_cache.FILE_NAME
    ToolList(path).listed()
    edit(path, lambda data: data.update(fingerprint="other code"))
    edit(path, lambda data: data["tools"][0].update(description="stale"))
    assert ToolList(path).listed()[0].description != "stale"
    assert json.loads(path.read_text())["fingerprint"] == tool_cache.fingerprint()


def test_a_damaged_or_foreign_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / tool_cache.FILE_NAME
    expected = listing(ToolList())
    path.write_text("{not json")
    assert listing(ToolList(path)) == expected
    edit(path, lambda data: data["modules"].update(query_work_item="os"))
    assert tool_cache.read(path, tool_cache.fingerprint()) is None
    assert listing(ToolList(path)) == expected


def test_a_folder_it_cannot_write_only_means_no_file(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    assert listing(ToolList(blocked / tool_cache.FILE_NAME)) == listing(ToolList())


def test_a_call_finds_its_command_through_the_kept_list(tmp_path: Path) -> None:
    tools = ToolList(tmp_path / tool_cache.FILE_NAME)
    command = tools.command("query_work_item")
    assert command is not None and command.name == "query_work_item"
    assert tools.command("no_such_tool") is None
