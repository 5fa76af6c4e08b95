"""The status report over MCP, through the official SDK client over stdio against the real server:
the read-only `generate_project_status` tool (the Markdown, at most 64 KiB, and the report file's
path), the destructive `write_project_status` tool (a file written in the project folder, its
path and size) and the `project-status://report` resource."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mcp.types import ReadResourceResult, TextResourceContents

from tests.mcp.conftest import StdioServer, error_fields, server_env

REPORT_URI = "project-status://report"
REPORT_FILE = ".project_status.md"
VENDOR_METADATA = {
    "format_support": {"excel": True, "csv": True, "pdf": False, "ocr": False},
    "test_results": {"passing": 10, "total": 12, "skipped": 1},
    "manifest_compliant": True,
}


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[StdioServer]:
    """This module's server, its living report file turned off: only the tools write the file."""
    project = tmp_path_factory.mktemp("report-project")
    running = await StdioServer(
        project, server_env(project, PROJECT_STATUS_REPORT_REFRESH_SECONDS="0")
    ).start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture(scope="module")
async def seeded(server: StdioServer) -> AsyncIterator[StdioServer]:
    """The module's server with a little of everything the report shows."""
    await server.call(
        "create_vendor",
        name="acme",
        status="operational",
        extractor_version="1.2.0",
        metadata=VENDOR_METADATA,
    )
    project = await server.call("create_work_item", item_type="project", title="Invoice extraction")
    await server.call(
        "create_work_item",
        item_type="task",
        title="Rotate OCR pages",
        parent_id=project["id"],
        status="blocked",
        metadata={"blocked_reason": "Waiting on samples."},
    )
    await server.call("create_enhancement", title="Streaming export", description="Large files.", priority=2)
    yield server


async def markdown(server: StdioServer) -> str:
    answer = await server.call("generate_project_status")
    assert set(answer) == {"bytes", "markdown", "truncated", "path", "file_current"}, answer
    text = answer["markdown"]
    assert answer["bytes"] == len(text.encode("utf-8")) and answer["truncated"] is False
    assert Path(answer["path"]) == server.project.resolve() / REPORT_FILE
    return str(text)


async def test_without_write_the_tool_answers_the_markdown(seeded: StdioServer) -> None:
    text = await markdown(seeded)
    plain = re.sub(r" <!-- id [0-9a-f-]{36} -->", "", text)

    assert text.splitlines()[1].startswith("# Project Status - ")
    assert "## Operational Vendors (1/1)" in text
    assert "- **acme**: operational\n  (10/12 tests, 1 skipped) [excel, csv]\n  version 1.2.0" in plain
    assert re.search(r"\n  - \*\*Rotate OCR pages\*\* \(task\) `[0-9a-f]{8}`: blocked, ", plain)
    assert "\n    - **Blocked**: Waiting on samples.\n" in plain  # nested under Invoice extraction
    assert "- **Streaming export** (priority 2, planned)\n" in plain
    assert text.endswith("*\n") and "\n*Generated at " in text
    assert not (seeded.project / REPORT_FILE).exists(), "reading the report writes no file"


async def test_the_markdown_is_the_same_on_every_call(seeded: StdioServer) -> None:
    assert await markdown(seeded) == await markdown(seeded)


async def test_write_saves_the_report_in_the_project_folder_and_answers_its_path(seeded: StdioServer) -> None:
    expected = await markdown(seeded)
    before = await seeded.call("generate_project_status")

    answer = await seeded.call("write_project_status")

    target = (seeded.project / REPORT_FILE).resolve()
    assert set(answer) == {"bytes", "path"}, answer  # the path, not the text
    assert Path(answer["path"]) == target == Path(before["path"])
    assert target.read_text(encoding="utf-8") == expected
    assert answer["bytes"] == target.stat().st_size
    assert (before["file_current"], (await seeded.call("generate_project_status"))["file_current"]) == (
        False,
        True,
    )


async def test_write_to_a_path_relative_to_the_project_folder(seeded: StdioServer) -> None:
    answer = await seeded.call("write_project_status", path="docs/status.md")

    target = (seeded.project / "docs" / "status.md").resolve()
    assert Path(answer["path"]) == target
    assert target.read_text(encoding="utf-8") == await markdown(seeded)


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("../x.md", "inside the project folder"),
        ("docs/../../x.md", "inside the project folder"),
        ("notes.txt", ".md"),
    ],
)
async def test_write_rejects_a_path_outside_the_project_or_not_markdown(
    seeded: StdioServer, path: str, says: str
) -> None:
    body = await seeded.fail("write_project_status", path=path)

    assert body["error"] == "ValidationError"
    assert error_fields(body) == ["path"]
    assert body["details"]["errors"][0]["value"] == path
    assert says in body["message"]
    assert not (seeded.project.parent / "x.md").exists()
    assert not (seeded.project / "notes.txt").exists()


async def test_write_refuses_the_default_report_file_linked_out_of_the_project_and_names_it(
    seeded: StdioServer, tmp_path: Path
) -> None:
    outside = tmp_path / "notes.md"
    outside.write_text("private notes\n")
    link = seeded.project / REPORT_FILE
    link.unlink(missing_ok=True)
    link.symlink_to(outside)
    try:
        body = await seeded.fail("write_project_status")
    finally:
        link.unlink()

    assert body["error"] == "ValidationError"
    assert error_fields(body) == [REPORT_FILE], "no path was given: the error names the report file"
    assert str(outside) in body["message"] and "Remove the link" in body["message"]
    assert not list(seeded.project.glob("*.hand-kept*"))
    assert outside.read_text() == "private notes\n"


async def test_the_report_resource_is_listed_and_is_the_tools_markdown(seeded: StdioServer) -> None:
    listed = await seeded.session.list_resources()

    resources = {str(resource.uri): resource for resource in listed.resources}
    assert REPORT_URI in resources, sorted(resources)
    assert resources[REPORT_URI].mime_type == "text/markdown"

    read = await seeded.session.read_resource(REPORT_URI)
    assert isinstance(read, ReadResourceResult), read
    assert len(read.contents) == 1
    content = read.contents[0]
    assert isinstance(content, TextResourceContents), content
    assert content.text == await markdown(seeded)


async def test_the_report_resource_follows_the_data(seeded: StdioServer) -> None:
    await seeded.call(
        "create_vendor", name="globex", status="broken", extractor_version="0.9", metadata=VENDOR_METADATA
    )

    read = await seeded.session.read_resource(REPORT_URI)

    assert isinstance(read, ReadResourceResult)
    content = read.contents[0]
    assert isinstance(content, TextResourceContents)
    assert "- **globex**: broken <!-- id " in content.text
    assert content.text == await markdown(seeded)


async def test_reading_is_read_only_and_writing_is_destructive_in_tools_list(server: StdioServer) -> None:
    tools = {tool.name: tool for tool in (await server.session.list_tools()).tools}

    read = tools["generate_project_status"].annotations
    write = tools["write_project_status"].annotations
    assert read is not None and write is not None
    assert read.read_only_hint is True
    assert (write.read_only_hint, write.destructive_hint) == (False, True)
    assert set(tools["generate_project_status"].input_schema.get("properties", {})) == set()


async def test_a_report_over_64_kib_comes_back_cut_at_a_line_with_the_file_to_read(
    seeded: StdioServer,
) -> None:
    for n in range(3):  # three descriptions of 30,000 bytes, each one line in the report
        await seeded.call("create_work_item", item_type="task", title=f"bulky {n}", description="w" * 30_000)
    (seeded.project / REPORT_FILE).unlink(missing_ok=True)

    answer = await seeded.call("generate_project_status")

    text = answer["markdown"]
    assert answer["truncated"] is True and answer["bytes"] > 90_000
    assert len(text.encode("utf-8")) <= 64 * 1024 and text.endswith("\n")
    assert text.startswith("<!-- generated by project-status")
    target = seeded.project / REPORT_FILE
    assert answer["file_current"] is False and not target.exists()
    await seeded.call("write_project_status")
    again = await seeded.call("generate_project_status")
    whole = target.read_text(encoding="utf-8")
    assert again["file_current"] is True and len(whole.encode("utf-8")) == again["bytes"]
    assert whole.startswith(text) and whole != text
