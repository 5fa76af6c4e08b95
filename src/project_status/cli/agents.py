"""Agents working together from the command line: claims, handoff notes, the change feed, history.

Each command runs the registry command of the same use case (`items claim` is `claim_work_item`),
its options built from that command's input model, so its input is checked by the same model as
the MCP tool's, and its errors are the same.
"""

from __future__ import annotations

import asyncio
import json as json_module
from collections.abc import Sequence
from typing import Annotated

import typer
from rich.text import Text

from project_status.cli import output
from project_status.cli.calls import actor, call, parse, registered, run_command
from project_status.cli.item_views import events_table, print_item, show_item
from project_status.cli.items import ONLY_TYPE
from project_status.cli.items import app as items_app
from project_status.cli.options import Given, Spelling, options
from project_status.cli.params import DatabaseUrl, Json
from project_status.domain.changes import ChangePage, ChangeRow, EntityHistory, ProjectSummary
from project_status.domain.pages import Page
from project_status.domain.work_items import NoteRead, WorkItemRead
from project_status.services.commands import agents as _agents_commands  # noqa: F401  (its commands)
from project_status.services.commands.registry import CallOn
from project_status.services.tracker import Tracker


def _claimed_line(item: WorkItemRead) -> None:
    until = output.when(item.claim_expires_at)
    output.line(
        Text.assemble(
            "Claimed ", (item.id, "bold"), f" (version {item.version}) for {item.claimed_by} until {until}."
        )
    )


@items_app.command("claim")
@options(
    "claim_work_item",
    id=Spelling(help="The item to claim; without it, the highest-priority ready task or research item."),
    item_type=ONLY_TYPE,
    parent_id=Spelling(help="Only an item below this one."),
    lease_minutes=Spelling(help="Minutes the claim lasts (1-1440)."),
    version=Spelling(help="With ID: the version you read; refused if it moved."),
)
def claim(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Claim a work item: in progress, held by you for a lease. Claiming it again renews the lease.

    Refused with exit code 3 while another actor's lease is live, 4 when nothing is ready.

    Examples:
      project-status items claim
      project-status items claim --type research --lease 60
      project-status items claim 1a2b3c4d
    """
    item: WorkItemRead = run_command(ctx, database_url, "claim_work_item", given)
    if json:
        output.model_json(item)
        return
    _claimed_line(item)
    show_item(item)


@items_app.command("release")
@options("release_work_item")
def release(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Give a claimed item back: active again, free for anyone to claim.

    Examples:
      project-status items release 1a2b3c4d
      project-status items release 1a2b3c4d --note "stuck on the fixture; see the log"
    """
    print_item(run_command(ctx, database_url, "release_work_item", given), json, "Released")


@items_app.command("done")
@options("complete_work_item", force=Spelling(help="Complete it although another actor holds it (recorded)."))
def done(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Complete a work item and end its claim in one step, with an optional handoff note.

    Refused with exit code 3 while another actor's lease is live, unless --force.

    Examples:
      project-status items done 1a2b3c4d --note "merged in #42"
    """
    print_item(run_command(ctx, database_url, "complete_work_item", given), json, "Completed")


@items_app.command("note")
@options("add_work_item_note", text=Spelling(argument=True, help="The note (at most 8 KiB)."))
def note(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Append a handoff note to a work item (notes are never edited).

    Examples:
      project-status items note 1a2b3c4d "the flaky test is the clock; see tests/test_time.py"
    """
    added: NoteRead = run_command(ctx, database_url, "add_work_item_note", given)
    if json:
        output.model_json(added)
        return
    output.line(f"Noted on {added.work_item_id} by {added.actor} at {output.when(added.created_at)}.")


@items_app.command("notes")
@options("list_work_item_notes", limit=Spelling(help="Notes per page (1-200)."))
def notes(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """List a work item's notes, oldest first.

    Examples:
      project-status items notes 1a2b3c4d
    """
    page: Page[NoteRead] = run_command(ctx, database_url, "list_work_item_notes", given)
    output.listing(ctx, page, json, "note", _notes)


def _notes(rows: Sequence[NoteRead]) -> None:
    for row in rows:
        output.line(
            Text.assemble((f"{output.when(row.created_at)}  {row.actor}", "bold"), "\n", row.text, "\n")
        )


def _change_line(row: ChangeRow) -> Text:
    what = f"{row.entity_type} {row.entity_id[:8]}"
    title = f" {row.title!r}" if row.title else ""
    fields = f" [{', '.join(row.fields)}]" if row.fields else ""
    return Text.assemble(
        f"{output.when(row.occurred_at)}  ", (row.actor, "bold"), f"  {row.action}  {what}{title}{fields}"
    )


@options(
    "list_changes",
    since=Spelling(help="Go on after this cursor (a next_cursor); without it, the newest changes."),
    limit=Spelling(help="Changes per page (1-200)."),
    entity_types=Spelling(help="Only changes to this kind of entity (repeatable)."),
)
def changes(
    ctx: typer.Context,
    given: Given,
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep polling and print new changes until interrupted (Ctrl-C).")
    ] = False,
    interval: Annotated[float, typer.Option(help="Seconds between polls with --follow.")] = 2.0,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Show what changed across all entities, oldest first, with the cursor to continue from.

    With --json --follow, one JSON object per change and line.

    Examples:
      project-status changes
      project-status changes --since 0000000042 --type work_item
      project-status changes --follow
    """
    command = registered("list_changes")
    first = parse(ctx, command, given)
    if interval <= 0:
        raise typer.BadParameter("must be more than 0 seconds", param_hint="'--interval'")
    if not follow:
        page: ChangePage = run_command(ctx, database_url, "list_changes", given)
        if json:
            output.model_json(page)
            return
        for row in page.items:
            output.line(_change_line(row))
        more = " (more: run it again with it)" if page.has_more else ""
        output.line(f"next cursor: {page.next_cursor}{more}")
        return

    async def poll(tracker: Tracker) -> None:
        arguments = first
        while True:
            answer: ChangePage = await command.run(arguments, CallOn(actor(None), tracker))
            for row in answer.items:
                if json:
                    typer.echo(json_module.dumps(row.model_dump(mode="json"), ensure_ascii=False))
                else:
                    output.line(_change_line(row))
            arguments = arguments.model_copy(update={"since": answer.next_cursor})
            if not answer.has_more:
                await asyncio.sleep(interval)

    try:
        call(ctx, database_url, poll)
    except KeyboardInterrupt:  # the way to stop following: not an error
        raise typer.Exit(0) from None


@options(
    "get_history",
    id=Spelling(
        help="Any entity: a work item, deployment or enhancement id (or 8+ hex prefix), a vendor's "
        "name or id, or `configuration`."
    ),
    limit=Spelling(help="Newest events to show (1-200)."),
)
def history(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Show the audit trail of any entity, newest first: who changed what, when.

    Examples:
      project-status history 1a2b3c4d
      project-status history acme-extractor
      project-status history configuration --json
    """
    found: EntityHistory = run_command(ctx, database_url, "get_history", given)
    if json:
        output.model_json(found)
        return
    title = f" {found.title!r}" if found.title else ""
    output.line(f"{found.entity_type} {found.entity_id}{title}: {found.total} event(s)")
    events_table(found.events)
    if found.total > len(found.events):
        output.line(f"The newest {len(found.events)} of {found.total}; pass a larger --limit for older ones.")


@options("get_project_summary")
def summary(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Show the project at a glance: counts, who holds what, ready work, vendors, recent news.

    Examples:
      project-status summary
      project-status summary --json
    """
    found: ProjectSummary = run_command(ctx, database_url, "get_project_summary", given)
    if json:
        output.model_json(found)
        return
    for item_type, by_status in sorted(found.counts.items()):
        counts = ", ".join(f"{count} {status}" for status, count in sorted(by_status.items()))
        output.line(f"{item_type}: {counts}")
    output.line(f"ready: {found.ready}; in progress: {found.in_progress_total}")
    for holder in found.in_progress:
        until = output.when(holder.claim_expires_at)
        output.line(Text(f"  {holder.id[:8]} {holder.title!r} held by {holder.claimed_by} until {until}"))
    broken = f" (broken: {', '.join(found.broken_vendors)})" if found.broken_vendors else ""
    output.line(f"vendors: {found.vendors_operational}/{found.vendors_total} operational{broken}")
    for deployment in found.deployments:
        pr = f" PR #{deployment.pr_number}" if deployment.pr_number else ""
        output.line(f"deployed {output.when(deployment.deployed_at)} {deployment.commit[:12]}{pr}")
    for enhancement in found.enhancements:
        output.line(Text(f"planned P{enhancement.priority} {enhancement.title} ({enhancement.status})"))
