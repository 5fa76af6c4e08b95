"""One exception family for everything a caller can cause or meet.

Interfaces map these in one place each: MCP turns them into a JSON tool error,
the CLI into an exit code and a message that names the next step.
"""

from __future__ import annotations

from typing import Any


class TrackerError(Exception):
    """Base of every error the service layer raises on purpose."""

    code = "TrackerError"

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}

    def to_dict(self) -> dict[str, Any]:
        """The wire shape of DESIGN.md section 5."""
        return {"error": self.code, "message": self.message, "details": self.details}


class NotFoundError(TrackerError):
    code = "NotFoundError"


class ValidationError(TrackerError):
    """Bad input; `details["errors"]` lists each field, what it breaks and the value given."""

    code = "ValidationError"

    @classmethod
    def for_field(cls, field: str, message: str, value: Any = None, **extra: Any) -> ValidationError:
        error: dict[str, Any] = {"field": field, "message": message, "value": value, **extra}
        return cls(f"{field}: {message}", {"errors": [error]})


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
