"""The status report as an MCP tool and resource."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from project_status.domain.bounds import Boolean
from project_status.mcp.context import AppState, tracker
from project_status.mcp.results import guarded, ok
from project_status.services.reports import report_path
from project_status.settings import find_project_root

REPORT_URI = "project-status://report"


class ReportAnswer(BaseModel):
    bytes: int
    markdown: str | None = None
    path: str | None = None


def register(server: MCPServer[Any], state: AppState) -> None:
    """`state` serves the resource, which (being static) gets no request context."""

    @server.tool(
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True),
        description="The Markdown status report; write=true saves it (default .project_status.md) "
        "and answers the path, not the text.",
    )
    @guarded
    async def generate_project_status(
        ctx: Context[Any, Any],
        write: Boolean = False,
        path: Annotated[str | None, Field(description="relative to the project folder")] = None,
    ) -> Annotated[CallToolResult, ReportAnswer]:
        app = await tracker(ctx)
        if not write:
            text = await app.reports.render()
            return ok(ReportAnswer(bytes=len(text.encode()), markdown=text))
        target = report_path(path, find_project_root(), confine=True)
        written = await app.reports.write(target)
        return ok(ReportAnswer(bytes=written.stat().st_size, path=str(written)))

    @server.resource(
        REPORT_URI, name="status-report", mime_type="text/markdown", description="The current status report."
    )
    async def status_report() -> str:
        await state.tracker.ensure_ready()
        return await state.tracker.reports.render()
