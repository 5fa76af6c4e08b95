"""The status report as a command."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from project_status.domain.bounds import Boolean
from project_status.services.commands.registry import UPDATE, Arguments, Call, command
from project_status.services.reports import report_path
from project_status.settings import find_project_root


class ReportAnswer(BaseModel):
    bytes: int
    markdown: str | None = None
    path: str | None = None


class GenerateProjectStatus(Arguments):
    write: Boolean = False
    path: Annotated[str | None, Field(description="relative to the project folder")] = None


@command("generate_project_status", UPDATE)
async def generate_project_status(args: GenerateProjectStatus, call: Call) -> ReportAnswer:
    """The Markdown status report; write=true saves it (default .project_status.md) and answers the
    path, not the text.
    """
    app = await call.tracker()
    if not args.write:
        text = await app.reports.render()
        return ReportAnswer(bytes=len(text.encode()), markdown=text)
    # Confined to the project folder: the caller may be an AI client, not the local user.
    target = report_path(args.path, find_project_root(), confine=True)
    written = await app.reports.write(target)
    return ReportAnswer(bytes=written.stat().st_size, path=str(written))
