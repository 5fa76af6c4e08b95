"""`project-status`: the command line entry point, wiring the command groups together.

Each group lives in its own module and is a thin adapter over the service layer (the same
services the MCP server uses): parse options, call one service, print the answer.
"""

from __future__ import annotations

import gc
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from project_status import __version__
from project_status.cli.lazy import Lazy, LazyGroup
from project_status.cli.params import DatabaseUrl


class Commands(LazyGroup):
    """The subcommands, in the order `--help` lists them, each imported when it is run."""

    table = {
        "status": Lazy(
            "project_status.cli.status:status",
            "Print the status report, or write it atomically with --write.",
        ),
        "sync": Lazy(
            "project_status.cli.sync:sync",
            "Write the changes made while PostgreSQL was down to it, now, then refresh the mirror.",
        ),
        "changes": Lazy(
            "project_status.cli.agents:changes",
            "Show what changed across all entities, oldest first, with the cursor to continue from.",
        ),
        "history": Lazy(
            "project_status.cli.agents:history",
            "Show the audit trail of any entity, newest first: who changed what, when.",
        ),
        "summary": Lazy(
            "project_status.cli.agents:summary",
            "Show the project at a glance: counts, who holds what, ready work, vendors, recent news.",
        ),
        "serve": Lazy(
            "project_status.cli.main:serve",
            "Run the MCP server (stdio by default) for AI clients such as Claude Code or Cursor.",
        ),
        "board": Lazy(
            "project_status.cli.main:board",
            "Serve a live, read-only web status board on 127.0.0.1 and print its URL.",
        ),
        "items": Lazy(  # agents.py adds claim, release, done, note and notes to the items group
            "project_status.cli.agents:items_app",
            "Work items: projects, sessions, tasks and research, up to 5 levels deep.",
        ),
        "deps": Lazy(
            "project_status.cli.deps:app",
            "Dependencies between work items: SOURCE blocks TARGET, or SOURCE depends_on TARGET.",
        ),
        "vendors": Lazy(
            "project_status.cli.vendors:app",
            "Vendor extractors: status, version, tests, formats and manifest compliance.",
        ),
        "deploy": Lazy(
            "project_status.cli.deploy:app",
            "Deployments: what shipped when, with its commit, PR, tests, vendors and work items.",
        ),
        "config": Lazy(
            "project_status.cli.config:app",
            "The project configuration: context, current session, git state, token budget.",
        ),
        "enhancements": Lazy(
            "project_status.cli.enhancements:app",
            "Planned enhancements: priority, status, target quarter and what they depend on.",
        ),
        "import": Lazy(
            "project_status.cli.imports:app",
            "Import a hand-kept .project_status.md and session prompt files.",
        ),
        "conflicts": Lazy(
            "project_status.cli.sync:app",
            "Offline changes the database refused on sync, each kept with both versions.",
        ),
        "archive": Lazy(
            "project_status.cli.archive:app",
            "The archive: completed or deleted work items untouched for a year (with their\n"
            "whole subtree, if all of it qualifies) move out of the live lists, the ready work\n"
            "and the report, with their dependencies; their history stays readable.",
        ),
        "db": Lazy("project_status.cli.database:app", "Inspect and migrate the database schema."),
    }


app = typer.Typer(
    cls=Commands,
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
    from project_status.cli.state import State  # not for --version or --help: they exit before

    ctx.obj = State(debug=debug)
    if ctx.invoked_subcommand != "serve":  # serve imports the server itself, then collects
        imports_done()


class Transport(StrEnum):
    stdio = "stdio"
    http = "http"


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
    from project_status.cli import errors
    from project_status.cli.state import State, settings
    from project_status.mcp.run import serve as run_server

    debug = ctx.obj.debug if isinstance(ctx.obj, State) else False
    with errors.reported(debug=debug, command="serve"):
        chosen = settings(database_url)
        if tokens is not None:
            chosen = chosen.model_copy(update={"tokens_file": tokens})
        run_server(chosen, transport=transport.value, host=host, port=port)


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
    from project_status.cli import errors
    from project_status.cli.state import State, settings

    debug = ctx.obj.debug if isinstance(ctx.obj, State) else False
    with errors.reported(debug=debug, command="board"):
        run_board(settings(database_url), port=port, open_browser=open_browser)


def imports_done() -> None:
    """Collect garbage again, now that the command's modules are imported.

    `main` turns the cyclic garbage collector off first: imports make objects that live as long
    as the process, which its passes would only walk over, again and again (about a seventh of
    a CLI command's time, issue 13). They are frozen, so later passes skip them too. A no-op
    where `main` did not turn it off (the app invoked in-process, as the tests do)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def main() -> None:
    gc.disable()  # until imports_done(), which the root callback calls before a command runs
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
