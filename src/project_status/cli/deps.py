"""`project-status deps ...`: blocks / depends_on edges between work items."""

from __future__ import annotations

from typing import Annotated

import typer

from project_status.cli import output
from project_status.cli.common import Actor, DatabaseUrl, Json, actor, call
from project_status.domain.enums import DependencyType
from project_status.domain.work_items import DependencyRead
from project_status.services.tracker import Tracker

app = typer.Typer(
    help="""Dependencies between work items: SOURCE blocks TARGET, or SOURCE depends_on TARGET.

An item with an open blocker is not ready work (see `items ready`); cycles are refused.

Examples:
  project-status deps add 1a2b3c4d 5e6f7a8b --type blocks
  project-status deps remove 1a2b3c4d 5e6f7a8b --type blocks""",
    no_args_is_help=True,
)

Source = Annotated[
    str, typer.Argument(metavar="SOURCE", help="The source work item (id or prefix).", show_default=False)
]
Target = Annotated[
    str, typer.Argument(metavar="TARGET", help="The target work item (id or prefix).", show_default=False)
]
Kind = Annotated[
    DependencyType,
    typer.Option(
        "--type",
        help="blocks: SOURCE blocks TARGET; depends_on: SOURCE depends on TARGET.",
        show_default=False,
    ),
]


def _print(edge: DependencyRead, json: bool, verb: str) -> None:
    if json:
        output.model_json(edge)
    else:
        output.line(f"{verb}: {edge.source_id} {edge.dependency_type.value} {edge.target_id}")


@app.command("add")
def add(
    ctx: typer.Context,
    source: Source,
    target: Target,
    dependency_type: Kind,
    actor_name: Actor = None,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a dependency edge; duplicates, self-references and cycles are refused.

    Examples:
      project-status deps add 1a2b3c4d 5e6f7a8b --type blocks
      project-status deps add 5e6f7a8b 1a2b3c4d --type depends_on --actor alice
    """

    async def run(t: Tracker) -> DependencyRead:
        return await t.dependencies.add(source, target, dependency_type, actor(actor_name))

    _print(call(ctx, database_url, run), json, "Added")


@app.command("remove")
def remove(
    ctx: typer.Context,
    source: Source,
    target: Target,
    dependency_type: Kind,
    actor_name: Actor = None,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Remove a dependency edge, in whichever of its two equivalent forms it was added.

    Examples:
      project-status deps remove 1a2b3c4d 5e6f7a8b --type blocks
      project-status deps remove 5e6f7a8b 1a2b3c4d --type depends_on
    """

    async def run(t: Tracker) -> DependencyRead:
        return await t.dependencies.remove(source, target, dependency_type, actor(actor_name))

    _print(call(ctx, database_url, run), json, "Removed")
