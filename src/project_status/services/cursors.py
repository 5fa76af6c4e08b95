"""Pages of brief rows and the cursors that resume them (the sort key of the last row served,
tagged with the list it belongs to)."""

from __future__ import annotations

import base64
import json
import operator
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from project_status.domain.bounds import INT4_MAX, INT4_MIN, check_datetime
from project_status.domain.errors import ValidationError
from project_status.domain.pages import Page
from project_status.services.change_sets import json_value

T = TypeVar("T")
B = TypeVar("B", bound=BaseModel)
_PAGE: type[Page[Any]] = Page[B]  # type: ignore[valid-type]  # the very class build_page made
"""Parametrized once: pydantic answers `Page[B]` from its cache, but each lookup costs about a
hundred Python calls, a tenth of a ready-work read."""


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
    return _PAGE(items=items, total=total, next_cursor=cursor, budget_truncated=True if cut else None)


@dataclass(frozen=True)
class Listing(Generic[B]):
    """One paged list: the tag its cursors carry, its sort key (row fields, each with how a cursor's
    value is read back) and the brief row it serves."""

    kind: str
    key: tuple[tuple[str, Callable[[Any], Any]], ...]
    brief: Callable[[Any], B] | None = None

    def resume(self, cursor: str | None) -> list[Any] | None:
        """The key to resume after (None: from the start); a cursor of another list is refused."""
        return decode_cursor(self.kind, cursor, [parse for _, parse in self.key])

    def page(
        self,
        rows: Sequence[Any],
        *,
        limit: int,
        total: int,
        max_bytes: int | None = None,
        brief: Callable[[Any], B] | None = None,
    ) -> Page[B]:
        """`build_page` of this list (`brief` for rows that need more than the row to describe)."""
        describe = brief or self.brief
        assert describe is not None, f"the {self.kind} list needs a brief row"
        return build_page(
            self.kind,
            rows,
            limit=limit,
            total=total,
            brief=describe,
            key=operator.attrgetter(*(name for name, _ in self.key)),
            max_bytes=max_bytes,
        )
