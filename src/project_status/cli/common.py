"""What every command shares: its options, the actor, and running one call against the tracker.

The entry point imports this module to declare `serve` and `board`, so it imports no more than
Typer at load time: the tracker, its services and the output helpers come in when a command runs
(`--help` and `--version` then cost little more than Python and Typer; see cli/main.py).
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    from project_status.services.tracker import Tracker
    from project_status.settings import Settings

T = TypeVar("T")

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="Database URL, e.g. postgresql://me@host/db; overrides PROJECT_STATUS_DATABASE_URL.",
        show_default=False,
    ),
]
Json = Annotated[
    bool, typer.Option("--json", help="Print JSON (with a schema_version field) instead of text.")
]
Actor = Annotated[
    str | None,
    typer.Option(
        "--actor",
        help="Who makes the change, for the audit trail; default cli:<your user name>.",
        show_default=False,
    ),
]
Version = Annotated[
    int | None,
    typer.Option(
        "--version",
        help="The version you read (optimistic locking); without it the current one is read and used.",
        show_default=False,
    ),
]
Limit = Annotated[int, typer.Option(help="Rows per page (1-500).")]
Cursor = Annotated[
    str | None,
    typer.Option(help="Go on from a previous page: its next_cursor.", show_default=False),
]
Metadata = Annotated[
    str | None,
    typer.Option(
        help="A JSON object, e.g. '{\"estimated_hours\": 2}'; an update merges it into the stored one "
        "(null drops a key).",
        show_default=False,
    ),
]


@dataclass
class State:
    """Global options, kept on the root context."""

    debug: bool = False


def state(ctx: typer.Context) -> State:
    return ctx.obj if isinstance(ctx.obj, State) else State()


def command_name(ctx: typer.Context) -> str:
    """`items create` for `project-status items create`, whatever the program was called."""
    return " ".join(ctx.command_path.split()[1:])


def wants_json(ctx: typer.Context) -> bool:
    """Whether this command was given --json: its errors are JSON then too."""
    return bool(ctx.params.get("json"))


def settings(database_url: str | None) -> Settings:
    from project_status.settings import Settings

    current = Settings()
    if database_url:
        current.database_url = database_url
    return current


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
    import asyncio

    from project_status.cli import errors, output
    from project_status.services import notices
    from project_status.services.tracker import Tracker

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
class CliCall:
    """A registry command run for the CLI: its actor, on the tracker this invocation opened."""

    actor: str
    opened: Tracker

    async def tracker(self) -> Tracker:
        return self.opened


def run_command(
    ctx: typer.Context, database_url: str | None, name: str, who: str | None = None, **arguments: Any
) -> Any:
    """Run the registry command `name` (the MCP tool of that name) with `arguments` (None: not
    given), validated by its input model: the CLI and the MCP tools check and act alike."""
    from project_status.cli import errors
    from project_status.services.commands import COMMANDS

    command = COMMANDS.get(name)
    assert command is not None, f"no command {name!r}"
    sent = {key: value for key, value in arguments.items() if value is not None}
    with errors.reported(debug=state(ctx).debug, command=command_name(ctx), as_json=wants_json(ctx)):
        parsed = command.parse(sent)  # before the database is opened: bad input is said even if it is down

    async def run(tracker: Tracker) -> Any:
        return await command.run(parsed, CliCall(actor(who), tracker))

    return call(ctx, database_url, run)


async def _refresh_report(tracker: Tracker, current: Settings) -> None:
    """After this command's own writes, bring a generated `.project_status.md` up to date (a
    hand-kept or missing one is left alone); a failure here never fails the command."""
    from project_status.domain.errors import TrackerError

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


async def version_or_current(given: int | None, read: Callable[[], Awaitable[int]], what: str) -> int:
    """The --version given, else the current version, said on stderr."""
    if given is not None:
        return given
    current = await read()
    note(f"using the current version {current} of {what} (pass --version N to make sure nobody changed it)")
    return current


def json_object(value: str | None, option: str = "--metadata") -> dict[str, Any] | None:
    """Parse a JSON object option; malformed JSON is a usage error (exit code 2)."""
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(
            f"not valid JSON ({exc.msg} at character {exc.pos}); quote it, e.g. '{{\"key\": 1}}'",
            param_hint=f"'{option}'",
        ) from None
    if not isinstance(parsed, dict):
        raise typer.BadParameter(
            f"must be a JSON object like '{{\"key\": 1}}', not {type(parsed).__name__}",
            param_hint=f"'{option}'",
        )
    return parsed


def iso_time(value: str | None, option: str) -> datetime | None:
    """Parse an ISO 8601 time option; a malformed one is a usage error (exit code 2)."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            "not an ISO 8601 time; write e.g. 2026-01-31T00:00:00Z", param_hint=f"'{option}'"
        ) from None


def given(**values: Any) -> dict[str, Any]:
    """The options the user gave (None means not given), for a partial update."""
    return {name: value for name, value in values.items() if value is not None}


def require_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """An update needs at least one option: a usage error, found before the database is touched."""
    if not changes:
        raise typer.BadParameter("give at least one option to change (see --help)")
    return changes


def apply_clears(
    changes: dict[str, Any], clear: list[Any] | None, fields: dict[str, tuple[str, Any]]
) -> dict[str, Any]:
    """Empty the fields named by --clear; clearing and setting one field is a usage error.

    `fields` maps each --clear choice to the service field and the value that empties it.
    """
    for choice in clear or []:
        name = getattr(choice, "value", choice)
        field, empty = fields[name]
        if field in changes:
            raise typer.BadParameter(f"{name} is both set and cleared; choose one", param_hint="'--clear'")
        changes[field] = empty
    return changes
