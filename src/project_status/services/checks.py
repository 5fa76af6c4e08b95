"""Checks of a caller's arguments every service applies the same way: actor, filters, limits, times."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar, cast

from project_status.domain.bounds import FilterText
from project_status.domain.errors import ValidationError
from project_status.domain.validation import validate

T = TypeVar("T")

MAX_LIMIT = 200


def check_actor(actor: str) -> str:
    actor = (actor or "").strip()
    if not actor or len(actor) > 200:
        raise ValidationError.for_field("actor", "must be 1 to 200 characters", actor)
    return checked(actor, FilterText, "actor")


def checked(value: T, kind: Any, field: str) -> T:
    """`value` validated as the domain type `kind` before any store sees it; errors name `field`."""
    return cast(T, validate(kind, value, prefix=field))


def check_filters(**filters: str | None) -> None:
    """Free-text filters, names and cursors: one line each and at most 1 KiB."""
    for field, value in filters.items():
        if value is not None:
            checked(value, FilterText, field)


def check_aware(field: str, value: datetime | None) -> None:
    """A time filter must say its timezone: a naive one would mean a different moment per machine."""
    if value is not None and value.tzinfo is None:
        raise ValidationError.for_field(
            field, "needs a timezone, e.g. 2026-01-31T00:00:00Z", value.isoformat()
        )


def check_limit(limit: int, field: str = "limit") -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError.for_field(field, f"must be between 1 and {MAX_LIMIT}", limit)
    return limit
