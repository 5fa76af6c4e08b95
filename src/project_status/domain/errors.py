"""One exception family for everything a caller can cause or meet.

Interfaces map these in one place each: MCP turns them into a JSON tool error,
the CLI into an exit code and a message that names the next step.

An error that has a way out carries it as data, a `NextStep` (the command and the arguments to
give it), and its message says where the step goes with `{next_step}`. The message as raised
names the command as an MCP tool call; `worded` spells it for another interface (the CLI names
its own command).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

NEXT_STEP = "{next_step}"


@dataclass(frozen=True)
class NextStep:
    """The command (a registry name) that gets the caller further, and the arguments to give it."""

    command: str
    arguments: Mapping[str, Any] = field(default_factory=dict)

    def as_call(self) -> str:
        """The step as a tool call: `update_work_item with id="...", deleted=false`."""
        if not self.arguments:
            return self.command
        given = ", ".join(f"{name}={json.dumps(value)}" for name, value in self.arguments.items())
        return f"{self.command} with {given}"


class TrackerError(Exception):
    """Base of every error the service layer raises on purpose."""

    code = "TrackerError"
    _entry_templates: tuple[str, ...] = ()
    """The messages of `details["errors"]` as written, before the next step was spelt."""

    def __init__(
        self, message: str, details: dict[str, Any] | None = None, *, next_step: NextStep | None = None
    ) -> None:
        self.next_step = next_step
        self._template = message
        self.message = self._spelt(message, NextStep.as_call)
        super().__init__(self.message)
        self.details: dict[str, Any] = details or {}
        if next_step is not None:
            self.details["next_step"] = {"command": next_step.command, "arguments": dict(next_step.arguments)}

    def _spelt(self, text: str, spell: Callable[[NextStep], str]) -> str:
        return text.replace(NEXT_STEP, spell(self.next_step)) if self.next_step is not None else text

    def worded(self, spell: Callable[[NextStep], str]) -> TrackerError:
        """This error with its next step spelt by `spell` (how another interface names it)."""
        if self.next_step is None:
            return self
        other = copy.copy(self)
        other.message = self._spelt(self._template, spell)
        entries = self.details.get("errors")
        templates = self._entry_templates
        if isinstance(entries, list) and templates:
            other.details = {
                **self.details,
                "errors": [
                    *(
                        {**entry, "message": self._spelt(template, spell)}
                        for entry, template in zip(entries, templates, strict=False)
                    ),
                    *entries[len(templates) :],
                ],
            }
        return other

    def to_dict(self) -> dict[str, Any]:
        """The wire shape of DESIGN.md section 5."""
        return {"error": self.code, "message": self.message, "details": self.details}


class NotFoundError(TrackerError):
    code = "NotFoundError"


class ValidationError(TrackerError):
    """Bad input; `details["errors"]` lists each field, what it breaks and the value given."""

    code = "ValidationError"

    @classmethod
    def for_field(
        cls, field: str, message: str, value: Any = None, *, next_step: NextStep | None = None, **extra: Any
    ) -> ValidationError:
        said = message.replace(NEXT_STEP, next_step.as_call()) if next_step is not None else message
        entry: dict[str, Any] = {"field": field, "message": said, "value": value, **extra}
        error = cls(f"{field}: {message}", {"errors": [entry]}, next_step=next_step)
        error._entry_templates = (message,)
        return error


class VersionConflictError(TrackerError):
    """The row moved on since the caller read it; nothing was written."""

    code = "VersionConflictError"


class DatabaseError(TrackerError):
    """The database refused or failed in a way the caller did not cause."""

    code = "DatabaseError"


class DatabaseUnavailableError(DatabaseError):
    """The database could not be reached at all."""

    dropped_connection: bool = False
    """A pooled connection turned out closed (the server restarted): the pool has been
    invalidated, so one more try on a new connection may well succeed."""


class SchemaOutdatedError(DatabaseError):
    """The database schema is behind the code: run `project-status db upgrade`."""


class ClaimedError(VersionConflictError):
    """Another actor holds a live claim on the work item.

    A kind of version conflict: the item is not the caller's to change right now, and the way
    out is the same (read it again later, or take it over with `force` where that is offered).
    Its wire code stays `VersionConflictError`; `details["reason"]` is `"claimed"`.
    """
