"""Helpers every service shares: clock, actor, cursors, change sets and page capping."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TypeVar, cast

from pydantic import BaseModel

from project_status.domain import operation
from project_status.domain.bounds import INT4_MAX, INT4_MIN, FilterText, check_datetime
from project_status.domain.errors import ValidationError
from project_status.domain.pages import Page
from project_status.domain.validation import validate

T = TypeVar("T")
B = TypeVar("B", bound=BaseModel)

MAX_LIMIT = 200
"""Rows a caller may ask for in one page: more is refused with the range, never cut silently."""


def now() -> datetime:
    """The current time; inside a replayable operation, the time it was first made."""
    op = operation.current()
    return op.at if op is not None else datetime.now(UTC)


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


def json_value(value: Any) -> Any:
    """A JSON-ready copy of a column value, for audit events and cursors."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {old, new}} for the fields whose value changed."""
    return {
        key: {"old": json_value(before.get(key)), "new": json_value(after[key])}
        for key in after
        if json_value(before.get(key)) != json_value(after[key])
    }


def created(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        key: {"old": None, "new": json_value(value)} for key, value in values.items() if value is not None
    }


# Cursors carry the sort key of the last row served, tagged with the list they belong to.


def encode_cursor(kind: str, key: Sequence[Any]) -> str:
    raw = json.dumps([kind, [json_value(v) for v in key]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str | None, parsers: Sequence[Callable[[Any], Any]]) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        tag, values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if tag != kind or len(values) != len(parsers):
            raise ValueError(tag)
        parsed = [parse(value) for parse, value in zip(parsers, values, strict=True)]
        for value in parsed:
            _storable_key(value)
        return parsed
    except Exception:
        raise ValidationError.for_field(
            "cursor",
            "is not a cursor of this list; pass the next_cursor of a previous answer, "
            "or leave it out to start",
            cursor,
        ) from None


def _storable_key(value: Any) -> None:
    """A cursor is opaque but still client input: its keys must fit the columns they are
    compared with, like any other argument."""
    if isinstance(value, int) and not INT4_MIN <= value <= INT4_MAX:
        raise ValueError(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(value)
        check_datetime(value)


def parse_datetime(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def parse_uuid(value: Any) -> uuid.UUID:
    return uuid.UUID(str(value))


def build_page(
    kind: str,
    rows: Sequence[T],
    *,
    limit: int,
    total: int,
    brief: Callable[[T], B],
    key: Callable[[T], Sequence[Any]],
    max_bytes: int | None = None,
) -> Page[B]:
    """Brief rows up to `limit` (fetched as limit + 1) and, when set, a byte budget.

    The budget keeps an AI client's answer bounded whatever the titles hold; a page it cuts
    short says so (`budget_truncated`), and the cursor resumes right after the last row served.
    """
    items: list[B] = []
    used = 0
    for row in rows[:limit]:
        item = brief(row)
        if max_bytes is not None:
            size = len(item.model_dump_json(exclude_none=True).encode()) + 1  # UTF-8, as sent
            if items and used + size > max_bytes:
                break
            used += size
        items.append(item)
    more = len(items) < len(rows)
    cursor = encode_cursor(kind, key(rows[len(items) - 1])) if more and items else None
    cut = len(items) < min(limit, len(rows))
    return Page[B](items=items, total=total, next_cursor=cursor, budget_truncated=True if cut else None)
