"""`project-status status`: the Markdown status report, printed or written to a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from project_status.cli import output
from project_status.cli.calls import call
from project_status.cli.params import DatabaseUrl, Json
from project_status.services.reports import REPORT_FILE
from project_status.services.tracker import Tracker
from project_status.settings import find_project_root


def status(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(
            metavar="PATH",
            help=f"With --write: the file to write (default {REPORT_FILE} in the project root, the nearest "
            "folder holding .git or .project-status).",
            show_default=False,
        ),
    ] = None,
    write: Annotated[
        bool, typer.Option("--write", help="Write the report to a file (atomically) instead of printing it.")
    ] = False,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Print the status report, or write it atomically with --write.

    On a terminal the report is rendered; into a pipe or file it is the Markdown
    itself. It shows the configuration, vendor health, work items by status
    (in progress, ready, blocked, recently completed) and as a hierarchy, recent
    deployments and pending enhancements, in a stable order.

    Examples:
      project-status status
      project-status status --write
      project-status status --write docs/status.md
      project-status status --json
    """
    if path is not None and not write:
        raise typer.BadParameter(f"give --write to write the report to {path}", param_hint="'PATH'")
    target = (path.expanduser().absolute() if path else find_project_root() / REPORT_FILE) if write else None

    async def run(t: Tracker) -> tuple[str | None, Path | None]:
        service = t.reports
        if target is None:
            return await service.render(), None
        return None, await service.write(target, project_root=find_project_root())

    markdown, written = call(ctx, database_url, run)
    if json:
        output.emit_json({"markdown": markdown} if written is None else {"path": str(written)})
    elif written is not None:
        typer.echo(f"Wrote {written}.")
    else:
        output.markdown(markdown or "")
