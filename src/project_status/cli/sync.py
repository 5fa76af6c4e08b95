"""`project-status sync` and `project-status conflicts`: the offline journal and what it kept."""

from __future__ import annotations

import json as jsonlib
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from project_status.cli import errors, output
from project_status.cli.calls import actor, call
from project_status.cli.params import Actor, DatabaseUrl, Json
from project_status.domain.sync import Resolution, SyncConflictRead, SyncResult
from project_status.services.tracker import Tracker

ConflictId = Annotated[
    str, typer.Argument(metavar="ID", help="The conflict's id or an 8+ character prefix of it.")
]


def sync(ctx: typer.Context, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Write the changes made while PostgreSQL was down to it, now, then refresh the mirror.

    A running server does this by itself within seconds of PostgreSQL coming back.
    Each change is replayed in order with its version check; one that conflicts
    with a change made meanwhile is kept as a conflict (see `conflicts list`),
    never dropped. Running it again never writes a change twice.

    Examples:
      project-status sync
      project-status sync --json
    """
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("replaying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,  # for people at a terminal; logs and pipes get the summary
    )

    async def run(t: Tracker) -> SyncResult:
        service = t.require_sync()
        with progress:
            task = progress.add_task("replay", total=None)
            return await service.sync(lambda done, total: progress.update(task, completed=done, total=total))

    result = call(ctx, database_url, run)
    if json:
        output.model_json(result)
        return
    typer.echo(result.message)
    if result.mirror_refreshed:
        typer.echo("The local mirror now holds a fresh copy of the database.")
    if result.conflicts:
        typer.echo("Review the conflicts with `project-status conflicts list`.")
    if result.remaining:
        raise typer.Exit(errors.USER_ERROR)


app = typer.Typer(
    help="""Offline changes the database refused on sync, each kept with both versions.

A change made while PostgreSQL was down is replayed on sync with its version
check. If someone changed the same item meanwhile, the change is not applied
and not dropped: it is kept here with mine (as it was acknowledged offline) and
theirs (the database's version) until you resolve it.

Examples:
  project-status conflicts list
  project-status conflicts show 1a2b3c4d
  project-status conflicts resolve 1a2b3c4d --keep theirs""",
    no_args_is_help=True,
)


class Keep(StrEnum):
    MINE = "mine"
    THEIRS = "theirs"


@app.command("list")
def list_conflicts(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Resolved ones too.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many (1-500).", min=1, max=500)] = 100,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """List the sync conflicts not yet resolved (--all: every one).

    Examples:
      project-status conflicts list
      project-status conflicts list --all --json
    """
    found = call(ctx, database_url, lambda t: t.require_sync().conflicts(include_resolved=all_, limit=limit))
    if json:
        output.list_json(found)
        return
    if not found:
        typer.echo("No sync conflicts." if not all_ else "No sync conflicts, resolved or not.")
        return
    grid = output.table("id", "entity", "operation", "by", "offline at", "reason", "resolved")
    for c in found:
        grid.add_row(
            c.id[: output.SHORT_ID],
            f"{c.entity_type} {(c.entity_id or '')[: output.SHORT_ID]}",
            c.operation,
            c.actor,
            output.when(c.offline_at),
            c.reason.value,
            f"{c.resolution.value} by {c.resolved_by}" if c.resolution else "",
        )
    output.show(grid)
    typer.echo("Resolve one with `project-status conflicts resolve ID --keep mine|theirs`.")


def _show(conflict: SyncConflictRead) -> None:
    output.record(
        [
            ("id", conflict.id),
            ("entity", f"{conflict.entity_type} {conflict.entity_id or ''}"),
            ("operation", conflict.operation),
            ("by", conflict.actor),
            ("offline at", output.when(conflict.offline_at)),
            ("found at", output.when(conflict.detected_at)),
            ("reason", conflict.reason.value),
            ("message", conflict.message),
            ("resolution", conflict.resolution.value if conflict.resolution else "unresolved"),
            ("resolved by", conflict.resolved_by),
        ]
    )
    output.heading("mine (the offline change as acknowledged)")
    typer.echo(jsonlib.dumps(conflict.mine, indent=2, default=str))
    output.heading("theirs (the database when the conflict was found)")
    typer.echo(jsonlib.dumps(conflict.theirs, indent=2, default=str))


@app.command("show")
def show_conflict(
    ctx: typer.Context,
    conflict_id: Annotated[
        str, typer.Argument(metavar="ID", help="The conflict's id or an 8+ character prefix.")
    ],
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Show one conflict with both versions: mine (offline) and theirs (the database's).

    Examples:
      project-status conflicts show 1a2b3c4d
      project-status conflicts show 1a2b3c4d --json
    """

    conflict = call(ctx, database_url, lambda t: t.require_sync().get(conflict_id))
    if json:
        output.model_json(conflict)
    else:
        _show(conflict)


@app.command("resolve")
def resolve(
    ctx: typer.Context,
    conflict_id: Annotated[
        str, typer.Argument(metavar="ID", help="The conflict's id or an 8+ character prefix.")
    ],
    keep: Annotated[
        Keep,
        typer.Option(
            "--keep",
            help="mine: apply the offline change over the current version; theirs: leave the database "
            "as it is and drop the offline change (it stays in the conflict record).",
            case_sensitive=False,
        ),
    ],
    actor_: Actor = None,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Resolve a conflict: --keep mine (apply my offline change) or --keep theirs.

    mine writes the offline change over the current version (the other client's
    change stays in the audit trail); theirs leaves the database as it is. The
    conflict record keeps both versions either way.

    Examples:
      project-status conflicts resolve 1a2b3c4d --keep mine
      project-status conflicts resolve 1a2b3c4d --keep theirs --actor alice
    """
    resolution = Resolution.APPLY_MINE if keep is Keep.MINE else Resolution.KEEP_THEIRS
    resolved = call(
        ctx, database_url, lambda t: t.require_sync().resolve(conflict_id, resolution, actor(actor_))
    )
    if json:
        output.model_json(resolved)
        return
    done = "applied your offline change" if keep is Keep.MINE else "kept the database's version"
    typer.echo(f"Resolved conflict {resolved.id[: output.SHORT_ID]}: {done}.")
