"""`project-status db ...`: the schema revision and the packaged migrations."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from sqlalchemy.engine import make_url

from project_status.cli import errors, output
from project_status.cli.common import DatabaseUrl, Json, settings, state
from project_status.settings import database_url as resolved_url
from project_status.store.database import Database, redact
from project_status.store.migrate import HEAD, current_revision, upgrade

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
    url = resolved_url(settings(database_url))

    async def run() -> tuple[str | None, str | None]:
        db = Database(url)
        try:
            return await upgrade(db)
        finally:
            await db.dispose()

    debug = state(ctx).debug
    with errors.reported(debug=debug, command="db upgrade"), errors.quiet_logs(debug):
        before, after = asyncio.run(run())
    if json:
        output.emit_json({"database": redact(url), "before": before, "revision": after, "head": HEAD})
    elif before == after:
        typer.echo(f"{redact(url)} is up to date (revision {after}).")
    else:
        typer.echo(f"{redact(url)} upgraded from {before or 'an empty database'} to revision {after}.")


@app.command("current")
def db_current(ctx: typer.Context, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Show the schema revision of the database and the one this version needs.

    Examples:
      project-status db current
      project-status db current --json
    """
    url = resolved_url(settings(database_url))
    target = make_url(url)
    current: str | None = None
    exists = not (
        target.get_backend_name() == "sqlite" and target.database and not Path(target.database).exists()
    )

    async def run() -> str | None:
        db = Database(url)
        try:
            return await current_revision(db)
        finally:
            await db.dispose()

    if exists:
        debug = state(ctx).debug
        with errors.reported(debug=debug, command="db current"), errors.quiet_logs(debug):
            current = asyncio.run(run())
    if json:
        output.emit_json(
            {
                "database": redact(url),
                "exists": exists,
                "revision": current,
                "head": HEAD,
                "up_to_date": current == HEAD,
            }
        )
    elif not exists:
        typer.echo(f"{redact(url)}: no database yet; the first command that uses it creates it at {HEAD}.")
    else:
        state_text = "up to date" if current == HEAD else "behind: run `project-status db upgrade`"
        typer.echo(f"{redact(url)}: revision {current or 'none'}, needs {HEAD} ({state_text}).")
