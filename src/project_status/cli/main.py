"""`project-status`: the command line entry point."""

from __future__ import annotations

import asyncio
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from project_status.domain.errors import TrackerError
from project_status.settings import Settings, database_url
from project_status.store.database import Database, redact
from project_status.store.migrate import HEAD, current_revision, upgrade

app = typer.Typer(
    help="project-status: a shared project status and work-item tracker for AI coding assistants.\n\n"
    "Data lives in .project-status/status.db (SQLite) in the project folder, or in PostgreSQL when "
    "PROJECT_STATUS_DATABASE_URL=postgresql://... is set.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Inspect and migrate the database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="Database to use (overrides PROJECT_STATUS_DATABASE_URL), e.g. postgresql://user@host/db "
        "or sqlite:///path/status.db.",
        show_default=False,
    ),
]


class Transport(StrEnum):
    stdio = "stdio"
    http = "http"


def _settings(url: str | None) -> Settings:
    settings = Settings()
    if url:
        settings.database_url = url
    return settings


def _fail(error: TrackerError) -> None:
    typer.secho(f"error: {error.message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2 if error.code == "ValidationError" else 1)


@app.command()
def serve(
    transport: Annotated[
        Transport, typer.Option(help="stdio for a local AI client; http for streamable HTTP at /mcp.")
    ] = Transport.stdio,
    host: Annotated[
        str, typer.Option(help="HTTP bind address; any other than 127.0.0.1 needs PROJECT_STATUS_HTTP_TOKEN.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8765,
    database_url_option: DatabaseUrl = None,
) -> None:
    """Run the MCP server (stdio by default) for AI clients such as Claude Code or Cursor.

    Example client entry: {"command": "project-status", "args": ["serve"]}
    """
    from project_status.mcp.run import serve as run_server

    try:
        run_server(_settings(database_url_option), transport=transport.value, host=host, port=port)
    except TrackerError as error:
        _fail(error)


@db_app.command("upgrade")
def db_upgrade(database_url_option: DatabaseUrl = None) -> None:
    """Apply the packaged migrations (SQLite upgrades itself; PostgreSQL needs this after an update)."""

    async def run() -> tuple[str | None, str | None]:
        db = Database(database_url(_settings(database_url_option)))
        try:
            return await upgrade(db)
        finally:
            await db.dispose()

    url = database_url(_settings(database_url_option))
    try:
        before, after = asyncio.run(run())
    except TrackerError as error:
        _fail(error)
        return
    if before == after:
        typer.echo(f"{redact(url)} is up to date (revision {after}).")
    else:
        typer.echo(f"{redact(url)} upgraded from {before or 'an empty database'} to revision {after}.")


@db_app.command("current")
def db_current(database_url_option: DatabaseUrl = None) -> None:
    """Show the schema revision of the database and the one this version needs."""

    async def run() -> str | None:
        db = Database(database_url(_settings(database_url_option)))
        try:
            return await current_revision(db)
        finally:
            await db.dispose()

    url = database_url(_settings(database_url_option))
    target = make_url(url)
    if target.get_backend_name() == "sqlite" and target.database and not Path(target.database).exists():
        typer.echo(f"{redact(url)}: no database yet; the first command that uses it creates it at {HEAD}.")
        return
    try:
        current = asyncio.run(run())
    except TrackerError as error:
        _fail(error)
        return
    state = "up to date" if current == HEAD else "behind: run `project-status db upgrade`"
    typer.echo(f"{redact(url)}: revision {current or 'none'}, needs {HEAD} ({state}).")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
