"""The services' clock: inside a replayable operation, the time it was first made."""

from __future__ import annotations

from datetime import UTC, datetime

from project_status.domain import operation


def now() -> datetime:
    """The current time; inside a replayable operation, the time it was first made."""
    op = operation.current()
    return op.at if op is not None else datetime.now(UTC)
