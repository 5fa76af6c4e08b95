"""`project-status enhancements ...`: planned enhancements, by priority."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import typer
from rich.text import Text

from project_status.cli import output
from project_status.cli.calls import Current, run_change, run_command
from project_status.cli.options import Given, Spelling, options
from project_status.cli.params import DatabaseUrl, Json
from project_status.domain.enhancements import EnhancementBrief, EnhancementRead
from project_status.domain.pages import Page
from project_status.services.commands import project as _project_commands  # noqa: F401  (its commands)
from project_status.services.tracker import Tracker

app = typer.Typer(
    help="""Planned enhancements: priority, status, target quarter and what they depend on.

Examples:
  project-status enhancements create --title "Bulk import" --description "CSV upload" --priority 2
  project-status enhancements list --status planned
  project-status enhancements update 3c4d5e6f --status approved""",
    no_args_is_help=True,
)

ID = Spelling(help="Enhancement id, or a unique prefix of 8+ hex characters.")
DEPENDS_ON = Spelling(
    help="Another enhancement it depends on, id or prefix (repeatable; on update replaces the list)."
)


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
            *output.audit_rows(enhancement),
        ]
    )


def _print(enhancement: EnhancementRead, json: bool, verb: str) -> None:
    output.changed(enhancement, json, f"{verb} enhancement", enhancement.id, lambda: _show(enhancement))


@app.command("list")
@options(
    "list_enhancements",
    priority=Spelling(help="Only this priority (1-5)."),
    status=Spelling(help="Only this status."),
)
def list_enhancements(
    ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None
) -> None:
    """List enhancements, highest priority first, a page at a time, with the total.

    Examples:
      project-status enhancements list
      project-status enhancements list --status planned --target-quarter 2026-Q3
      project-status enhancements list --priority 1 --json
    """
    page: Page[EnhancementBrief] = run_command(ctx, database_url, "list_enhancements", given)
    output.listing(ctx, page, json, "enhancement", _table)


def _table(rows: Sequence[EnhancementBrief]) -> None:
    def cells(row: EnhancementBrief) -> tuple[Any, ...]:
        return str(row.priority), output.status(row.status), row.target_quarter or "", Text(row.title)

    output.id_table(rows, ("P", "STATUS", "QUARTER", "TITLE"), cells, ("P", "STATUS", "QUARTER"))


@app.command("create")
@options(
    "create_enhancement",
    description=Spelling(help="What it is and why."),
    status=Spelling(help="Initial status."),
    depends_on=DEPENDS_ON,
)
def create(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Plan an enhancement; prints it with its new id.

    Examples:
      project-status enhancements create --title "Bulk import" --description "CSV" --priority 2
      project-status enhancements create --title "Audit UI" --description "Web" --priority 3 \\
        --target-quarter 2026-Q3 --depends-on 3c4d5e6f
    """
    _print(run_command(ctx, database_url, "create_enhancement", given), json, "Created")


def _current(id: str) -> Current:
    async def read(t: Tracker) -> int:
        return (await t.enhancements.get(id)).version

    return Current(read, f"enhancement {id}")


@app.command("update")
@options(
    "update_enhancement",
    clear=True,
    id=ID,
    title=Spelling(help="New title."),
    description=Spelling(help="New description."),
    status=Spelling(help="New status."),
    depends_on=DEPENDS_ON,
)
def update(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Change an enhancement; --principle and --depends-on replace the whole list.

    Examples:
      project-status enhancements update 3c4d5e6f --status approved
      project-status enhancements update 3c4d5e6f --priority 1 --version 2
      project-status enhancements update 3c4d5e6f --depends-on 7a8b9c0d --clear target-quarter
      project-status enhancements update 3c4d5e6f --principle "Privacy first" --principle "Audit"
    """
    enhancement = run_change(ctx, database_url, "update_enhancement", given, _current(given["id"]))
    _print(enhancement, json, "Updated")
