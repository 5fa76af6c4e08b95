"""The one place where failures become a single stderr line and an exit code.

Exit codes: 0 success, 1 a user error the tracker reports (validation, database unavailable
or outdated, a file that cannot be written), 2 a usage error (typer's own: unknown option,
missing argument, malformed value), 3 a version conflict or a work item claimed by another
actor (read again, or wait for the lease), 4 not found. A traceback only with --debug.
With --json an error is one JSON object on stdout, the MCP tools' shape
`{"error", "message", "details"}`, and the same exit code.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import pydantic
import typer

from project_status.cli.spelling import ARGUMENT, OPTION, SETTING
from project_status.domain.errors import (
    DatabaseError,
    DatabaseUnavailableError,
    NextStep,
    NotFoundError,
    TrackerError,
    ValidationError,
    VersionConflictError,
)
from project_status.domain.validation import to_tracker_error

PROG = "project-status"
USER_ERROR = 1
CONFLICT = 3
NOT_FOUND = 4

CLI_COMMAND = {
    "create_work_item": "items create",
    "update_work_item": "items update",
    "query_work_item": "items show",
    "list_work_items": "items list",
    "list_ready_work": "items ready",
    "get_work_item_history": "items history",
    "add_dependency": "deps add",
    "remove_dependency": "deps remove",
    "create_vendor": "vendors create",
    "update_vendor_status": "vendors update",
    "query_vendor_status": "vendors show",
    "record_deployment": "deploy record",
    "query_deployment": "deploy show",
    "list_deployments": "deploy list",
    "get_project_configuration": "config show",
    "update_project_configuration": "config set",
    "create_enhancement": "enhancements create",
    "update_enhancement": "enhancements update",
    "list_enhancements": "enhancements list",
    "generate_project_status": "status",
    "write_project_status": "status",
    "query_archived_work_items": "archive list",
    "restore_archived_work_item": "archive restore",
    "list_sync_conflicts": "conflicts list",
    "resolve_sync_conflict": "conflicts resolve",
    "claim_work_item": "items claim",
    "release_work_item": "items release",
    "complete_work_item": "items done",
    "add_work_item_note": "items note",
    "list_work_item_notes": "items notes",
    "list_changes": "changes",
    "get_history": "history",
    "get_project_summary": "summary",
}
"""The CLI command that does what a registry command does, to name an error's next step."""

_LIST_COMMAND = {
    "work item": "items list",
    "vendor": "vendors list",
    "deployment": "deploy list",
    "enhancement": "enhancements list",
    "archived work item": "archive list",
}
_SHOW_COMMAND = {
    "work item": "items show {id}",
    "vendor": "vendors show {id}",
    "configuration": "config show",
    "enhancement": "enhancements list",
}


def option_for(field: str) -> str:
    """How the user spells a service field on the command line (`metadata.x` is a JSON key)."""
    head, _, rest = field.partition(".")
    if head == "metadata" and rest:
        return f"--metadata key {rest!r}"
    return OPTION.get(head) or ARGUMENT.get(head) or SETTING.get(head) or "--" + head.replace("_", "-")


def cli_step(step: NextStep) -> str:
    """An error's next step as the command a CLI user types."""
    if step.command == "update_work_item" and step.arguments.get("deleted") is False:
        return f"`{PROG} items restore`"
    command = CLI_COMMAND.get(step.command)
    if command is None:
        return step.as_call()
    if step.command == "complete_work_item" and step.arguments.get("force"):
        return f"`{PROG} {command} {step.arguments.get('id')} --force`"
    return f"`{PROG} {command}`"


def _value(value: Any) -> str:
    return f"{value!r}" if isinstance(value, str) else str(value)


def _echoed(value: Any, message: str) -> bool:
    """Whether the message already quotes the value (a cycle names its ids)."""
    return isinstance(value, str) and len(value) >= 8 and value in message


def _validation(error: ValidationError, command: str | None) -> str:
    entries: list[dict[str, Any]] = list(error.details.get("errors") or [])
    if not entries:
        text = error.message
    elif entries[0].get("field") == "changes":
        text = "nothing to change: give at least one option to change"
    else:
        parts = []
        for entry in entries[:3]:
            field = str(entry.get("field", "input"))
            message = str(entry.get("message"))
            if len(entries) == 1 and error.message.startswith(f"{field}: "):
                message = error.message[len(field) + 2 :].rstrip(".")  # the fuller wording
            part = f"{option_for(field)}: {message}"
            value = entry.get("value")
            if entry.get("candidates"):
                part += f" (it matches {', '.join(entry['candidates'])})"
            elif value is not None and "got " not in message and not _echoed(value, message):
                part += f" (got {_value(value)})"
            parts.append(part)
        if len(entries) > 3:
            parts.append(f"and {len(entries) - 3} more")
        text = "; ".join(parts)
    if command:
        text += f"; see `{PROG} {command} --help`"
    return text


def _not_found(error: NotFoundError) -> str:
    base = error.message.split(";")[0].rstrip(".")
    details = error.details
    if details.get("archived"):
        return f"{base}; bring it back with `{PROG} archive restore {details.get('id')}`"
    what = details.get("entity") or ("vendor" if details.get("field") in ("name", "vendor_name") else None)
    if what in _LIST_COMMAND:
        return f"{base}; list them with `{PROG} {_LIST_COMMAND[what]}`"
    if "source_id" in details:
        return f"{base}; `{PROG} items show {details['source_id']}` lists its dependencies"
    return error.message.rstrip(".")


def _conflict(error: VersionConflictError) -> str:
    d = error.details
    if d.get("reason") == "claimed" or "current_version" not in d:
        return error.message.rstrip(".")
    entity = str(d.get("entity", "item"))
    show = _SHOW_COMMAND.get(entity, "").format(id=d.get("id"))
    look = f"review it with `{PROG} {show}` and " if show else ""
    subject = "the configuration" if entity == "configuration" else f"{entity} {d.get('id')}"
    return (
        f"{subject} is at version {d['current_version']}, not {d.get('expected_version')}: "
        f"it was last changed by {d.get('updated_by')} at {d.get('updated_at')}; "
        f"{look}rerun with --version {d['current_version']} (or without --version to use the latest)"
    )


def describe(error: TrackerError, command: str | None = None) -> str:
    """The one line (without the `error: ` prefix) for a tracker error."""
    error = error.worded(cli_step)
    if isinstance(error, ValidationError):
        return _validation(error, command)
    if isinstance(error, NotFoundError):
        return _not_found(error)
    if isinstance(error, VersionConflictError):
        return _conflict(error)
    text = error.message.rstrip(".")
    if isinstance(error, DatabaseUnavailableError):
        text += " (--database-url or PROJECT_STATUS_DATABASE_URL choose the database)"
    return text


def exit_code(error: TrackerError) -> int:
    if isinstance(error, VersionConflictError):
        return CONFLICT
    if isinstance(error, NotFoundError):
        return NOT_FOUND
    return USER_ERROR


def fail_json(error: TrackerError) -> NoReturn:
    """The error as the MCP tools give it, its next steps worded as CLI commands, on stdout."""
    body = error.worded(cli_step).to_dict()
    typer.echo(json.dumps(body, ensure_ascii=False, default=str))
    raise typer.Exit(exit_code(error))


def fail(message: str, code: int = USER_ERROR) -> NoReturn:
    """Print `error: message` on stderr (red on a terminal) and exit."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@contextmanager
def quiet_logs(debug: bool) -> Iterator[None]:
    """The store logs warnings (e.g. an unreachable database) for server operators; a CLI user
    gets the one error line instead, and the log lines only with --debug."""
    logger = logging.getLogger("project_status")
    handler: logging.Handler = logging.StreamHandler(sys.stderr) if debug else logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    saved = (logger.level, logger.propagate)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if debug else logging.WARNING)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


@contextmanager
def reported(*, debug: bool = False, command: str | None = None, as_json: bool = False) -> Iterator[None]:
    """Turn whatever the block raises into one stderr line (or, `as_json`, one JSON object on
    stdout) and its exit code.

    typer's own exits and usage errors pass through untouched (they carry their own code).
    """
    try:
        yield
    except Exception as exc:
        if type(exc).__module__.startswith("typer."):
            raise  # typer.Exit, and typer's usage errors (exit code 2 with typer's own message)
        if debug:
            traceback.print_exception(exc, file=sys.stderr)
        if isinstance(exc, pydantic.ValidationError):
            exc = to_tracker_error(exc)
        if isinstance(exc, TrackerError):
            if as_json:
                fail_json(exc)
            fail(describe(exc, command), exit_code(exc))
        if isinstance(exc, OSError):
            where = f": {exc.filename}" if exc.filename else ""
            message = f"{exc.strerror or exc}{where}"
            if as_json:  # a file the command could not read or write: the user's to fix
                fail_json(ValidationError(message, {"field": "path", "value": exc.filename}))
            fail(message)
        hint = "" if debug else "; rerun with --debug for the traceback"
        message = f"unexpected {type(exc).__name__}: {exc}{hint}"
        if as_json:
            fail_json(DatabaseError(message))
        fail(message)
