"""`project-status db ...`: the schema revision and the packaged migrations."""

from __future__ import annotations

import asyncio

import typer

from project_status.cli import errors, output
from project_status.cli.params import DatabaseUrl, Json
from project_status.cli.state import settings, state
from project_status.services.schema import schema_state, upgrade_schema

app = typer.Typer(
    help="""Inspect and migrate the database schema.

Examples:
  project-status db current
  PROJECT_STATUS_DATABASE_URL=postgresql://me@db.internal/status project-status db upgrade""",
    no_args_is_help=True,
)


@app.command("upgrade")
def db_upgrade(ctx: typer.Context, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Apply the packaged migrations (SQLite upgrades itself; PostgreSQL needs this after an update).

    Examples:
      project-status db upgrade
      project-status db upgrade --database-url postgresql://me@db.internal/status
    """
    debug = state(ctx).debug
    with errors.reported(debug=debug, command="db upgrade"), errors.quiet_logs(debug):
        after, before = asyncio.run(upgrade_schema(settings(database_url)))
    if json:
        output.emit_json(
            {"database": after.database, "before": before, "revision": after.revision, "head": after.head}
        )
    elif before == after.revision:
        typer.echo(f"{after.database} is up to date (revision {after.revision}).")
    else:
        typer.echo(
            f"{after.database} upgraded from {before or 'an empty database'} to revision {after.revision}."
        )


@app.command("current")
def db_current(ctx: typer.Context, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Show the schema revision of the database and the one this version needs.

    Examples:
      project-status db current
      project-status db current --json
    """
    debug = state(ctx).debug
    with errors.reported(debug=debug, command="db current"), errors.quiet_logs(debug):
        found = asyncio.run(schema_state(settings(database_url)))
    if json:
        output.emit_json(
            {
                "database": found.database,
                "exists": found.exists,
                "revision": found.revision,
                "head": found.head,
                "up_to_date": found.up_to_date,
            }
        )
    elif not found.exists:
        typer.echo(
            f"{found.database}: no database yet; the first command that uses it creates it at {found.head}."
        )
    else:
        state_text = "up to date" if found.up_to_date else "behind: run `project-status db upgrade`"
        typer.echo(
            f"{found.database}: revision {found.revision or 'none'}, needs {found.head} ({state_text})."
        )
