"""Running one CLI invocation: the global state, the actor, and one call against the tracker,
either a registry command (as the MCP tool of the same name runs it) or a read of its own."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import typer

from project_status.cli import errors, output
from project_status.cli.state import settings, state
from project_status.domain.errors import TrackerError
from project_status.services import notices
from project_status.services.commands import COMMANDS, Command
from project_status.services.commands.registry import CallOn
from project_status.services.tracker import Tracker
from project_status.settings import Settings

T = TypeVar("T")


def command_name(ctx: typer.Context) -> str:
    """`items create` for `project-status items create`, whatever the program was called."""
    return " ".join(ctx.command_path.split()[1:])


def wants_json(ctx: typer.Context) -> bool:
    """Whether this command was given --json: its errors are JSON then too."""
    return bool(ctx.params.get("json"))


def actor(explicit: str | None) -> str:
    """DESIGN.md section 6: the --actor given, else `cli:<os user>`."""
    if explicit is not None and explicit.strip():
        return explicit.strip()
    try:
        user = getpass.getuser()
    except Exception:  # no user name in the environment nor the password database
        user = "unknown"
    return f"cli:{user}"


def call(ctx: typer.Context, database_url: str | None, operation: Callable[[Tracker], Awaitable[T]]) -> T:
    """Open the tracker, run one operation on it, close it; failures become one error line."""

    async def run() -> T:
        current = settings(database_url)
        tracker = await Tracker.open(current)
        try:
            answer = await operation(tracker)
            await _refresh_report(tracker, current)
            return answer
        finally:
            await tracker.close()

    debug = state(ctx).debug
    with notices.collecting() as warnings:
        try:
            with (
                errors.reported(debug=debug, command=command_name(ctx), as_json=wants_json(ctx)),
                errors.quiet_logs(debug),
            ):
                return asyncio.run(run())
        finally:
            output.answered_from(notices.source())
            for line in warnings:  # an answer from a fallback layer, or a change pending sync
                typer.secho(f"warning: {line}", fg=typer.colors.YELLOW, err=True)


@dataclass(frozen=True)
class Current:
    """How to read the current version of what a change names, when --version is not given."""

    read: Callable[[Tracker], Awaitable[int]]
    what: str


def registered(name: str) -> Command[Any, Any]:
    command = COMMANDS.get(name)
    assert command is not None, f"no command {name!r}"
    return command


def parse(ctx: typer.Context, command: Command[Any, Any], given: Mapping[str, Any]) -> Any:
    """The command's input model from the options given, checked before any database is opened
    (so bad input is said even while it is down), its errors worded for this command."""
    with errors.reported(debug=state(ctx).debug, command=command_name(ctx), as_json=wants_json(ctx)):
        return command.parse(given)


def run_command(
    ctx: typer.Context,
    database_url: str | None,
    name: str,
    given: Mapping[str, Any],
    current: Current | None = None,
) -> Any:
    """Run the registry command `name` (the MCP tool of that name) with the options given,
    validated by its input model: the CLI and the MCP tools check and act alike.

    With `current` and no version given, the version is read first and said on stderr."""
    command = registered(name)
    unread = current is not None and "version" not in given
    # A stand-in version lets the rest be checked before the database is opened.
    parsed = parse(ctx, command, {**given, "version": 1} if unread else given)

    async def run(tracker: Tracker) -> Any:
        arguments = parsed
        if current is not None and unread:  # (also narrows `current` for the type checker)
            version = await current_version(lambda: current.read(tracker), current.what)
            arguments = parsed.model_copy(update={"version": version})
        return await command.run(arguments, CallOn(actor(given.get("actor")), tracker))

    return call(ctx, database_url, run)


def run_change(
    ctx: typer.Context, database_url: str | None, name: str, given: Mapping[str, Any], current: Current
) -> Any:
    """An update command: at least one field to change (a usage error before the database is
    touched), the version read when not given."""
    fixed = {field for field, info in registered(name).arguments.model_fields.items() if info.is_required()}
    if not set(given) - fixed - {"actor"}:
        raise typer.BadParameter("give at least one option to change (see --help)")
    return run_command(ctx, database_url, name, given, current)


async def _refresh_report(tracker: Tracker, current: Settings) -> None:
    """After this command's own writes, bring a generated `.project_status.md` up to date (a
    hand-kept or missing one is left alone); a failure here never fails the command."""
    if tracker.db.writes_committed == 0:
        return
    live = tracker.live_report(current.report_refresh_seconds)
    if live is None:
        return
    try:
        await live.refresh(create=False)
    except (TrackerError, OSError) as error:
        note(f"{live.target} was not brought up to date: {getattr(error, 'message', error)}")


def note(message: str) -> None:
    """A remark for the user on stderr, so stdout stays the data (and valid JSON with --json)."""
    typer.echo(f"note: {message}", err=True)


async def current_version(read: Callable[[], Awaitable[int]], what: str) -> int:
    """The current version, for a change given no --version, said on stderr."""
    current = await read()
    note(f"using the current version {current} of {what} (pass --version N to make sure nobody changed it)")
    return current
