"""`project-status deps ...`: blocks / depends_on edges between work items."""

from __future__ import annotations

import typer

from project_status.cli import output
from project_status.cli.calls import run_command
from project_status.cli.options import Given, options
from project_status.cli.params import DatabaseUrl, Json
from project_status.domain.work_items import DependencyRead
from project_status.services.commands import work_items as _work_items_commands  # noqa: F401  (its commands)

app = typer.Typer(
    help="""Dependencies between work items: SOURCE blocks TARGET, or SOURCE depends_on TARGET.

An item with an open blocker is not ready work (see `items ready`); cycles are refused.

Examples:
  project-status deps add 1a2b3c4d 5e6f7a8b --type blocks
  project-status deps remove 1a2b3c4d 5e6f7a8b --type blocks""",
    no_args_is_help=True,
)


def _print(edge: DependencyRead, json: bool, verb: str) -> None:
    if json:
        output.model_json(edge)
    else:
        output.line(f"{verb}: {edge.source_id} {edge.dependency_type.value} {edge.target_id}")


@app.command("add")
@options("add_dependency")
def add(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Add a dependency edge; duplicates, self-references and cycles are refused.

    Examples:
      project-status deps add 1a2b3c4d 5e6f7a8b --type blocks
      project-status deps add 5e6f7a8b 1a2b3c4d --type depends_on --actor alice
    """
    _print(run_command(ctx, database_url, "add_dependency", given), json, "Added")


@app.command("remove")
@options("remove_dependency")
def remove(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Remove a dependency edge, in whichever of its two equivalent forms it was added.

    Examples:
      project-status deps remove 1a2b3c4d 5e6f7a8b --type blocks
      project-status deps remove 5e6f7a8b 1a2b3c4d --type depends_on
    """
    _print(run_command(ctx, database_url, "remove_dependency", given), json, "Removed")
