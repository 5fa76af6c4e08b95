"""`project-status config ...`: the one project configuration."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from project_status.cli import output
from project_status.cli.common import (
    Actor,
    DatabaseUrl,
    Json,
    Version,
    actor,
    apply_clears,
    call,
    given,
    require_changes,
    version_or_current,
)
from project_status.domain.configuration import ConfigurationRead, ConfigurationUpdate
from project_status.domain.enums import ContextType
from project_status.domain.validation import validate
from project_status.services.tracker import Tracker

app = typer.Typer(
    help="""The project configuration: context, current session, git state, token budget.

Examples:
  project-status config show
  project-status config set --git-branch main --active-context-type feature""",
    no_args_is_help=True,
)


class Clearable(StrEnum):
    active_context_type = "active-context-type"
    current_session_id = "current-session-id"
    git_branch = "git-branch"
    git_head_commit = "git-head-commit"


_CLEARS: dict[str, tuple[str, Any]] = {choice.value: (choice.name, None) for choice in Clearable}


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
def show(ctx: typer.Context, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Show the project configuration.

    Examples:
      project-status config show
      project-status config show --json
    """

    async def run(t: Tracker) -> ConfigurationRead:
        return await t.configuration.get()

    configuration = call(ctx, database_url, run)
    if json:
        output.model_json(configuration)
    else:
        _show(configuration)


@app.command("set")
def set_(
    ctx: typer.Context,
    active_context_type: Annotated[
        ContextType | None, typer.Option(help="What the project works on now.", show_default=False)
    ] = None,
    current_session_id: Annotated[
        str | None, typer.Option(help="The current session work item (id or prefix).", show_default=False)
    ] = None,
    git_branch: Annotated[
        str | None, typer.Option(help="The current git branch.", show_default=False)
    ] = None,
    git_head_commit: Annotated[
        str | None, typer.Option(help="The HEAD commit: 40 lowercase hex characters.", show_default=False)
    ] = None,
    default_token_budget: Annotated[
        int | None, typer.Option(help="Token budget of a session (1000-1000000).", show_default=False)
    ] = None,
    clear: Annotated[
        list[Clearable] | None, typer.Option(help="Empty this field (repeatable).", show_default=False)
    ] = None,
    version: Version = None,
    actor_name: Actor = None,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Change the project configuration.

    Examples:
      project-status config set --active-context-type maintenance
      project-status config set --git-branch main --git-head-commit "$(git rev-parse HEAD)"
      project-status config set --current-session-id 1a2b3c4d --version 3
      project-status config set --clear current-session-id
    """
    changes = given(
        active_context_type=active_context_type,
        current_session_id=current_session_id,
        git_branch=git_branch,
        git_head_commit=git_head_commit,
        default_token_budget=default_token_budget,
    )
    changes = require_changes(apply_clears(changes, clear, _CLEARS))

    async def run(t: Tracker) -> ConfigurationRead:
        update = validate(ConfigurationUpdate, changes)

        async def current() -> int:
            return (await t.configuration.get()).version

        expected = await version_or_current(version, current, "the configuration")
        return await t.configuration.update(expected, update, actor(actor_name))

    configuration = call(ctx, database_url, run)
    if json:
        output.model_json(configuration)
        return
    output.line(f"Updated the configuration (version {configuration.version}).")
    _show(configuration)
