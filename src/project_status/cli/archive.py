"""`project-status archive ...`: move old finished work out of the live lists, search it, bring it back."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from project_status.cli import output
from project_status.cli.calls import actor, call, run_command
from project_status.cli.options import Given, Spelling, options
from project_status.cli.params import Actor, DatabaseUrl, Json
from project_status.domain.archive import ArchivedWorkItemBrief, ArchiveRunResult
from project_status.domain.bounds import MAX_ARCHIVE_AFTER_DAYS
from project_status.domain.pages import Page
from project_status.domain.work_items import WorkItemRead
from project_status.services.archive import Progress as ProgressCallback
from project_status.services.commands import archive as _archive_commands  # noqa: F401  (its commands)
from project_status.services.tracker import Tracker

app = typer.Typer(
    help="""The archive: completed or deleted work items untouched for a year (with their
whole subtree, if all of it qualifies) move out of the live lists, the ready work
and the report, with their dependencies; their history stays readable.

The MCP server archives once a day by itself (PROJECT_STATUS_ARCHIVE_INTERVAL_HOURS,
0 turns that off); the threshold is PROJECT_STATUS_ARCHIVE_AFTER_DAYS (default 365).

Examples:
  project-status archive run --dry-run
  project-status archive run --older-than 180
  project-status archive list --text payments
  project-status archive restore 1a2b3c4d""",
    no_args_is_help=True,
)


def _days(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= MAX_ARCHIVE_AFTER_DAYS:
        raise typer.BadParameter(
            f"must be a number of days from 1 to {MAX_ARCHIVE_AFTER_DAYS}, e.g. --older-than 365 "
            f"(got {value})"
        )
    return value


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[ProgressCallback | None]:
    """A progress bar on stderr (stdout stays the answer), shown from the first report on: a run
    that fails before it has planned prints only its error. Off for a dry run, which moves nothing."""
    if not enabled:
        yield None
        return
    bar = Progress(
        TextColumn("archiving"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(file=sys.stderr),
    )
    task = bar.add_task("archiving", total=None)

    def report(done: int, total: int) -> None:
        if not bar.live.is_started:
            bar.start()
        bar.update(task, completed=done, total=total)

    try:
        yield report
    finally:
        if bar.live.is_started:
            bar.stop()


@app.command("run")
def run(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be archived; write nothing.")
    ] = False,
    older_than: Annotated[
        int | None,
        typer.Option(
            "--older-than",
            metavar="DAYS",
            help="Archive what was last updated more than DAYS days ago; default "
            "PROJECT_STATUS_ARCHIVE_AFTER_DAYS or 365.",
            callback=_days,
            show_default=False,
        ),
    ] = None,
    actor_name: Actor = None,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Archive now: every subtree whose items are all completed or deleted and untouched
    for the threshold. A progress bar goes to stderr.

    Examples:
      project-status archive run --dry-run
      project-status archive run
      project-status archive run --older-than 90 --json
    """
    with _progress_bar(not dry_run) as progress:

        async def go(t: Tracker) -> ArchiveRunResult:
            return await t.archive.run(
                actor=actor(actor_name), older_than_days=older_than, dry_run=dry_run, progress=progress
            )

        result = call(ctx, database_url, go)
    if json:
        output.model_json(result)
        return
    since = output.when(result.cutoff)
    subtrees = f"{result.subtrees_archived} subtree{'' if result.subtrees_archived == 1 else 's'}"
    edges = f"{result.dependencies_archived} dependenc{'y' if result.dependencies_archived == 1 else 'ies'}"
    if result.dry_run:
        output.line(
            f"Dry run: {result.items_archived} work items in {subtrees} would be archived, with {edges} "
            f"(finished and last updated before {since}). Nothing was written; run without --dry-run "
            "to archive them."
        )
        return
    output.line(
        f"Archived {result.items_archived} work items in {subtrees}, with {edges} "
        f"(finished and last updated before {since}), in {result.duration_seconds:.1f} s."
    )
    if result.subtrees_skipped:
        output.line(
            f"{result.subtrees_skipped} subtrees changed while the run went on and stay live; "
            "the next run looks at them again."
        )
    if result.items_archived:
        output.line("See them with: project-status archive list")


@app.command("list")
@options(
    "query_archived_work_items",
    text=Spelling(help="Only items with this text in title or description."),
    item_type=Spelling(help="Only this type."),
    archived_after=Spelling(help="Only items archived at or after this time (ISO 8601 with a timezone)."),
)
def list_archived(
    ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None
) -> None:
    """List archived work items, newest archived first, a page at a time, with the total.

    Examples:
      project-status archive list
      project-status archive list --text payments --type project
      project-status archive list --archived-after 2026-01-01T00:00:00Z --json
    """
    page: Page[ArchivedWorkItemBrief] = run_command(ctx, database_url, "query_archived_work_items", given)
    output.listing(ctx, page, json, "archived work item", _table)


def _table(rows: Sequence[ArchivedWorkItemBrief]) -> None:
    def cells(row: ArchivedWorkItemBrief) -> tuple[Any, ...]:
        return row.item_type.value, output.status(row.status), output.when(row.archived_at), Text(row.title)

    output.id_table(rows, ("TYPE", "STATUS", "ARCHIVED", "TITLE"), cells, ("TYPE", "STATUS", "ARCHIVED"))


@app.command("restore")
@options(
    "restore_archived_work_item",
    id=Spelling(help="Archived work item id, or a unique prefix of 8+ hex characters."),
)
def restore(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Bring an archived work item back to the live lists, with its archived subtree and
    the dependencies whose both ends are live again. Its parent must be live.

    Examples:
      project-status archive restore 1a2b3c4d
      project-status archive restore 1a2b3c4d --json
    """
    item: WorkItemRead = run_command(ctx, database_url, "restore_archived_work_item", given)
    if json:
        output.model_json(item)
        return
    output.line(
        Text.assemble(
            f"Restored {item.item_type.value} ", (item.id, "bold"), f" (version {item.version}): ", item.title
        )
    )
    output.line(f"See it with: project-status items show {item.id}")
