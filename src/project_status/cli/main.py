"""`project-status`: the command line entry point, wiring the command groups together.

Each group lives in its own module and is a thin adapter over the service layer (the same
services the MCP server uses): parse options, call one service, print the answer.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from project_status import __version__
from project_status.cli import (
    agents,
    archive,
    config,
    database,
    deploy,
    deps,
    enhancements,
    errors,
    imports,
    items,
    status,
    sync,
    vendors,
)
from project_status.cli.calls import State, settings
from project_status.cli.params import DatabaseUrl

app = typer.Typer(
    help="""project-status: a shared project status and work-item tracker for AI coding
assistants and the people working with them.

Data lives in .project-status/status.db (SQLite) in the project folder, or in
PostgreSQL when PROJECT_STATUS_DATABASE_URL=postgresql://... is set.
Ids accept a unique prefix of 8+ hex characters. Commands that print data
take --json; changes take --actor (default cli:<user>) and --version N
(optimistic locking; without it the current version is read and used).

Examples:
  project-status items create --type project --title "Payments"
  project-status items tree
  project-status items ready
  project-status vendors list --only-broken
  project-status status --write
  project-status serve

Exit codes: 0 done, 1 an error the tracker reports, 2 a usage error, 3 a version
conflict or an item claimed by another actor, 4 not found. With --json, an error
is one JSON object on stdout: {"error", "message", "details"}, as the MCP tools
answer.""",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"project-status {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks and log lines of failures.")
    ] = False,
    show_version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", is_eager=True, callback=_print_version),
    ] = False,
) -> None:
    ctx.obj = State(debug=debug)


app.add_typer(items.app, name="items")
app.add_typer(deps.app, name="deps")
app.add_typer(vendors.app, name="vendors")
app.add_typer(deploy.app, name="deploy")
app.add_typer(config.app, name="config")
app.add_typer(enhancements.app, name="enhancements")
app.command("status")(status.status)
app.add_typer(imports.app, name="import")
app.command("sync")(sync.sync)
app.add_typer(sync.app, name="conflicts")
app.add_typer(archive.app, name="archive")
app.command("changes")(agents.changes)
app.command("history")(agents.history)
app.command("summary")(agents.summary)


class Transport(StrEnum):
    stdio = "stdio"
    http = "http"


@app.command()
def serve(
    ctx: typer.Context,
    transport: Annotated[
        Transport,
        typer.Option(help="stdio for a local AI client; http: streamable HTTP at /mcp, the board at /board."),
    ] = Transport.stdio,
    host: Annotated[
        str,
        typer.Option(
            help="HTTP bind address; any other than 127.0.0.1 needs --tokens or PROJECT_STATUS_HTTP_TOKEN."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8765,
    tokens: Annotated[
        Path | None,
        typer.Option(
            help="HTTP: file of `name token` lines, readable by its owner only; each request then acts "
            "as its token's person, e.g. `alice (claude-code)`. Env: PROJECT_STATUS_TOKENS_FILE.",
        ),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Run the MCP server (stdio by default) for AI clients such as Claude Code or Cursor.

    Example client entry: {"command": "project-status", "args": ["serve"]}

    Started outside any project, a stdio server takes the project of the client's first folder
    root (MCP roots) at the first request; for a client that lists none, set
    PROJECT_STATUS_DATA_DIR.

    Examples:
      project-status serve
      project-status serve --transport http --port 8765
      project-status serve --transport http --host 0.0.0.0 --tokens ~/.config/project-status/tokens
    """
    from project_status.mcp.run import serve as run_server

    debug = ctx.obj.debug if isinstance(ctx.obj, State) else False
    with errors.reported(debug=debug, command="serve"):
        chosen = settings(database_url)
        if tokens is not None:
            chosen = chosen.model_copy(update={"tokens_file": tokens})
        run_server(chosen, transport=transport.value, host=host, port=port)


@app.command()
def board(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.", min=1, max=65535)] = 8766,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the board in a web browser.")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Serve a live, read-only web status board on 127.0.0.1 and print its URL.

    The page shows the overview, the work tree with ready, in-progress and blocked work,
    vendors, deployments, enhancements and recent changes, and follows every change made
    by any client within about a second. `serve --transport http` serves it too, at /board.

    Examples:
      project-status board --open
      project-status board --port 9000
    """
    from project_status.board.serve import run_board

    debug = ctx.obj.debug if isinstance(ctx.obj, State) else False
    with errors.reported(debug=debug, command="board"):
        run_board(settings(database_url), port=port, open_browser=open_browser)


app.add_typer(database.app, name="db")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
