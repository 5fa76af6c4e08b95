"""The status report over MCP, through the official SDK client over stdio against the real server:
the `generate_project_status` tool (text, or a file written in the project folder and its path)
and the `project-status://report` resource."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mcp.types import ReadResourceResult, TextResourceContents

from tests.mcp.conftest import StdioServer, error_fields

REPORT_URI = "project-status://report"
REPORT_FILE = ".project_status.md"
VENDOR_METADATA = {
    "format_support": {"excel": True, "csv": True, "pdf": False, "ocr": False},
    "test_results": {"passing": 10, "total": 12, "skipped": 1},
    "manifest_compliant": True,
}


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
    assert set(answer) == {"bytes", "markdown"}, answer  # no path: nothing was written
    text = answer["markdown"]
    assert answer["bytes"] == len(text.encode("utf-8"))
    return str(text)


async def test_without_write_the_tool_answers_the_markdown(seeded: StdioServer) -> None:
    text = await markdown(seeded)

    assert text.splitlines()[1].startswith("# Project Status - ")
    assert "## Operational Vendors (1/1)" in text
    assert "- **acme**: operational\n  (10/12 tests, 1 skipped) [excel, csv]\n  version 1.2.0" in text
    assert "### Rotate OCR pages (task)\n- **Status**: blocked\n" in text
    assert "- **Blocked**: Waiting on samples.\n- **Parent**: Invoice extraction\n" in text
    assert "- **Streaming export** (priority 2, planned)\n" in text
    assert text.endswith("*\n") and "\n*Generated at " in text
    assert not (seeded.project / REPORT_FILE).exists(), "write=false must not write a file"


async def test_the_markdown_is_the_same_on_every_call(seeded: StdioServer) -> None:
    assert await markdown(seeded) == await markdown(seeded)


async def test_write_saves_the_report_in_the_project_folder_and_answers_its_path(seeded: StdioServer) -> None:
    expected = await markdown(seeded)

    answer = await seeded.call("generate_project_status", write=True)

    target = (seeded.project / REPORT_FILE).resolve()
    assert set(answer) == {"bytes", "path"}, answer  # the path, not the text
    assert Path(answer["path"]) == target
    assert target.read_text(encoding="utf-8") == expected
    assert answer["bytes"] == target.stat().st_size


async def test_write_to_a_path_relative_to_the_project_folder(seeded: StdioServer) -> None:
    answer = await seeded.call("generate_project_status", write=True, path="docs/status.md")

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
    body = await seeded.fail("generate_project_status", write=True, path=path)

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
        body = await seeded.fail("generate_project_status", write=True)
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
    assert "- **globex**: broken\n" in content.text
    assert content.text == await markdown(seeded)
