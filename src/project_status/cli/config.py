"""`project-status config ...`: the one project configuration."""

from __future__ import annotations

import typer

from project_status.cli import output
from project_status.cli.calls import Current, run_change, run_command
from project_status.cli.options import Given, Spelling, options
from project_status.cli.params import DatabaseUrl, Json
from project_status.domain.configuration import ConfigurationRead
from project_status.services.commands import project as _project_commands  # noqa: F401  (its commands)
from project_status.services.tracker import Tracker

app = typer.Typer(
    help="""The project configuration: context, current session, git state, token budget.

Examples:
  project-status config show
  project-status config set --git-branch main --active-context-type feature""",
    no_args_is_help=True,
)


def _show(configuration: ConfigurationRead) -> None:
    output.record(
        [
            ("active context type", configuration.active_context_type),
            ("current session", configuration.current_session_id),
            ("git branch", configuration.git_branch),
            ("git head commit", configuration.git_head_commit),
            ("default token budget", configuration.default_token_budget),
            ("database healthy", "yes" if configuration.database_healthy else "no"),
            ("last health check", output.when(configuration.last_health_check_at)),
            ("version", configuration.version),
            ("updated", f"{output.when(configuration.updated_at)} by {configuration.updated_by}"),
        ]
    )


@app.command("show")
@options("get_project_configuration")
def show(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Show the project configuration.

    Examples:
      project-status config show
      project-status config show --json
    """
    configuration: ConfigurationRead = run_command(ctx, database_url, "get_project_configuration", given)
    output.shown(configuration, json, _show)


async def _current(t: Tracker) -> int:
    return (await t.configuration.get()).version


@app.command("set")
@options(
    "update_project_configuration",
    clear=True,
    active_context_type=Spelling(help="What the project works on now."),
    current_session_id=Spelling(help="The current session work item (id or prefix)."),
    git_branch=Spelling(help="The current git branch."),
    git_head_commit=Spelling(help="The HEAD commit: 40 lowercase hex characters."),
    default_token_budget=Spelling(help="Token budget of a session (1000-1000000)."),
)
def set_(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Change the project configuration.

    Examples:
      project-status config set --active-context-type maintenance
      project-status config set --git-branch main --git-head-commit "$(git rev-parse HEAD)"
      project-status config set --current-session-id 1a2b3c4d --version 3
      project-status config set --clear current-session-id
    """
    current = Current(_current, "the configuration")
    configuration: ConfigurationRead = run_change(
        ctx, database_url, "update_project_configuration", given, current
    )
    if json:
        output.model_json(configuration)
        return
    output.line(f"Updated the configuration (version {configuration.version}).")
    _show(configuration)
