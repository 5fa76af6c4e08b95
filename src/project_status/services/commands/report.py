"""The status report as commands: reading it (bounded, read-only) and writing its file."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field

from project_status.services.commands.registry import READ, UPDATE, Arguments, Call, command
from project_status.services.reports import REPORT_FILE, cut_at_line, report_path
from project_status.settings import find_project_root

REPORT_ANSWER_BYTES = 64 * 1024
"""The most Markdown one answer carries: a thousand items' report is over 160 KB, more than an AI
client's tool output may hold; the whole report is in the file."""


def _holds(target: Path, whole: bytes) -> bool:
    """The file holds exactly `whole` (a missing or unreadable one does not)."""
    try:
        return target.stat().st_size == len(whole) and target.read_bytes() == whole
    except OSError:
        return False


class ReportAnswer(BaseModel):
    markdown: str
    bytes: int
    """The whole report's size in UTF-8, also when `markdown` holds only its beginning."""
    truncated: bool
    path: str
    """The project's report file, which holds the whole report."""
    file_current: bool
    """The file at `path` holds this very report now (the server rewrites it seconds after a change)."""


class GenerateProjectStatus(Arguments):
    pass


@command("generate_project_status", READ)
async def generate_project_status(args: GenerateProjectStatus, call: Call) -> ReportAnswer:
    """The Markdown status report, at most 64 KiB; if truncated, the whole is in the file at path
    (when file_current).
    """
    text = await (await call.tracker()).reports.render()
    whole = text.encode("utf-8")
    markdown, truncated = cut_at_line(text, REPORT_ANSWER_BYTES)
    target = find_project_root() / REPORT_FILE
    return ReportAnswer(
        markdown=markdown,
        bytes=len(whole),
        truncated=truncated,
        path=str(target),
        file_current=await asyncio.to_thread(_holds, target, whole),
    )


class WrittenReport(BaseModel):
    path: str
    bytes: int


class WriteProjectStatus(Arguments):
    path: Annotated[str | None, Field(description="relative to the project folder")] = None


@command("write_project_status", UPDATE)
async def write_project_status(args: WriteProjectStatus, call: Call) -> WrittenReport:
    """Write the status report to .project_status.md (or path), atomically."""
    # Confined to the project folder: the caller may be an AI client, not the local user.
    target = report_path(args.path, find_project_root(), confine=True)
    written = await (await call.tracker()).reports.write(target)
    return WrittenReport(path=str(written), bytes=written.stat().st_size)
