"""Options many commands share (database, --json, --actor, --version, paging) and the two value
types typed on a command line that a plain string is not: a JSON object and an ISO 8601 time."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import typer

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
ACTOR_HELP = "Who makes the change, for the audit trail; default cli:<your user name>."
Actor = Annotated[str | None, typer.Option("--actor", help=ACTOR_HELP, show_default=False)]
VERSION_HELP = "The version you read (optimistic locking); without it the current one is read and used."


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
