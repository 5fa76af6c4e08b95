"""`project-status enhancements ...`: planned enhancements, by priority."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.text import Text

from project_status.cli import output
from project_status.cli.common import (
    Actor,
    Cursor,
    DatabaseUrl,
    Json,
    Limit,
    Version,
    actor,
    apply_clears,
    call,
    given,
    require_changes,
    version_or_current,
)
from project_status.domain.enhancements import (
    EnhancementBrief,
    EnhancementCreate,
    EnhancementRead,
    EnhancementUpdate,
)
from project_status.domain.enums import EnhancementStatus
from project_status.domain.pages import Page
from project_status.domain.validation import validate
from project_status.services.tracker import Tracker

app = typer.Typer(
    help="""Planned enhancements: priority, status, target quarter and what they depend on.

Examples:
  project-status enhancements create --title "Bulk import" --description "CSV upload" --priority 2
  project-status enhancements list --status planned
  project-status enhancements update 3c4d5e6f --status approved""",
    no_args_is_help=True,
)

EnhancementId = Annotated[
    str,
    typer.Argument(
        metavar="ID", help="Enhancement id, or a unique prefix of 8+ hex characters.", show_default=False
    ),
]
Quarter = Annotated[
    str | None, typer.Option(help="Target quarter, YYYY-Qn (e.g. 2026-Q3).", show_default=False)
]
Principle = Annotated[
    list[str] | None,
    typer.Option(
        "--principle", help="A constitutional principle it requires (repeatable).", show_default=False
    ),
]
DependsOn = Annotated[
    list[str] | None,
    typer.Option(
        help="Another enhancement it depends on, id or prefix (repeatable; on update replaces the list).",
        show_default=False,
    ),
]


class Clearable(StrEnum):
    target_quarter = "target-quarter"
    principles = "principles"
    depends_on = "depends-on"


_CLEARS: dict[str, tuple[str, Any]] = {
    "target-quarter": ("target_quarter", None),
    "principles": ("requires_constitutional_principles", []),
    "depends-on": ("depends_on", []),
}


def _show(enhancement: EnhancementRead) -> None:
    output.record(
        [
            ("id", enhancement.id),
            ("title", Text(enhancement.title, style="bold")),
            ("description", enhancement.description),
            ("priority", enhancement.priority),
            ("status", output.status(enhancement.status)),
            ("target quarter", enhancement.target_quarter),
            ("principles", ", ".join(enhancement.requires_constitutional_principles)),
            ("depends on", ", ".join(enhancement.depends_on)),
            ("version", enhancement.version),
            ("created", f"{output.when(enhancement.created_at)} by {enhancement.created_by}"),
            ("updated", f"{output.when(enhancement.updated_at)} by {enhancement.updated_by}"),
        ]
    )


def _print(enhancement: EnhancementRead, json: bool, verb: str) -> None:
    if json:
        output.model_json(enhancement)
        return
    output.line(
        Text.assemble(f"{verb} enhancement ", (enhancement.id, "bold"), f" (version {enhancement.version}).")
    )
    _show(enhancement)


@app.command("list")
def list_enhancements(
    ctx: typer.Context,
    priority: Annotated[
        int | None, typer.Option(help="Only this priority (1-5).", show_default=False)
    ] = None,
    status: Annotated[
        EnhancementStatus | None, typer.Option(help="Only this status.", show_default=False)
    ] = None,
    target_quarter: Quarter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """List enhancements, highest priority first, a page at a time, with the total.

    Examples:
      project-status enhancements list
      project-status enhancements list --status planned --target-quarter 2026-Q3
      project-status enhancements list --priority 1 --json
    """

    async def run(t: Tracker) -> Page[EnhancementBrief]:
        return await t.enhancements.list(
            priority=priority, status=status, target_quarter=target_quarter, limit=limit, cursor=cursor
        )

    page = call(ctx, database_url, run)
    if json:
        output.page_json(page)
        return
    if page.items:
        grid = output.table("ID", "P", "STATUS", "QUARTER", "TITLE", no_wrap=("ID", "P", "STATUS", "QUARTER"))
        short = output.short_ids(row.id for row in page.items)
        for row in page.items:
            grid.add_row(
                short[row.id],
                str(row.priority),
                output.status(row.status),
                row.target_quarter or "",
                Text(row.title),
            )
        output.show(grid)
    output.page_footer(ctx, page, "enhancement")


@app.command("create")
def create(
    ctx: typer.Context,
    title: Annotated[str, typer.Option(help="Title (1-200 characters).", show_default=False)],
    description: Annotated[str, typer.Option(help="What it is and why.", show_default=False)],
    priority: Annotated[int, typer.Option(help="1 (highest) to 5.", show_default=False)],
    status: Annotated[EnhancementStatus, typer.Option(help="Initial status.")] = EnhancementStatus.PLANNED,
    target_quarter: Quarter = None,
    principle: Principle = None,
    depends_on: DependsOn = None,
    actor_name: Actor = None,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Plan an enhancement; prints it with its new id.

    Examples:
      project-status enhancements create --title "Bulk import" --description "CSV" --priority 2
      project-status enhancements create --title "Audit UI" --description "Web" --priority 3 \\
        --target-quarter 2026-Q3 --depends-on 3c4d5e6f
    """
    payload = given(
        title=title,
        description=description,
        priority=priority,
        status=status,
        target_quarter=target_quarter,
        requires_constitutional_principles=principle,
        depends_on=depends_on,
    )

    async def run(t: Tracker) -> EnhancementRead:
        return await t.enhancements.create(validate(EnhancementCreate, payload), actor(actor_name))

    _print(call(ctx, database_url, run), json, "Created")


@app.command("update")
def update(
    ctx: typer.Context,
    id: EnhancementId,
    title: Annotated[str | None, typer.Option(help="New title.", show_default=False)] = None,
    description: Annotated[str | None, typer.Option(help="New description.", show_default=False)] = None,
    priority: Annotated[int | None, typer.Option(help="1 (highest) to 5.", show_default=False)] = None,
    status: Annotated[EnhancementStatus | None, typer.Option(help="New status.", show_default=False)] = None,
    target_quarter: Quarter = None,
    principle: Principle = None,
    depends_on: DependsOn = None,
    clear: Annotated[
        list[Clearable] | None, typer.Option(help="Empty this field (repeatable).", show_default=False)
    ] = None,
    version: Version = None,
    actor_name: Actor = None,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Change an enhancement; --principle and --depends-on replace the whole list.

    Examples:
      project-status enhancements update 3c4d5e6f --status approved
      project-status enhancements update 3c4d5e6f --priority 1 --version 2
      project-status enhancements update 3c4d5e6f --depends-on 7a8b9c0d --clear target-quarter
      project-status enhancements update 3c4d5e6f --principle "Privacy first" --principle "Audit"
    """
    changes = given(
        title=title,
        description=description,
        priority=priority,
        status=status,
        target_quarter=target_quarter,
        requires_constitutional_principles=principle,
        depends_on=depends_on,
    )
    changes = require_changes(apply_clears(changes, clear, _CLEARS))

    async def run(t: Tracker) -> EnhancementRead:
        update = validate(EnhancementUpdate, changes)

        async def current() -> int:
            return (await t.enhancements.get(id)).version

        expected = await version_or_current(version, current, f"enhancement {id}")
        return await t.enhancements.update(id, expected, update, actor(actor_name))

    _print(call(ctx, database_url, run), json, "Updated")
