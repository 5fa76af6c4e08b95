"""Ids are UUIDs; a unique prefix of at least 8 hex characters is accepted wherever one is taken."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from project_status.domain import operation
from project_status.domain.errors import ValidationError

MIN_PREFIX = 8
_HEX = re.compile(r"^[0-9a-f]+$")


@dataclass(frozen=True)
class IdRef:
    """A parsed id argument: either a whole UUID or the bounds of a hex prefix."""

    text: str
    exact: uuid.UUID | None
    low: uuid.UUID
    high: uuid.UUID


def canonical_text(value: object) -> str:
    """Canonical UUID text from what a store returns: a UUID, canonical text, or the 32 bare hex
    digits SQLite's ids come as (`id_key`)."""
    text = str(value)
    if len(text) == 32:
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    return text


def parse_id(value: str, field: str = "id") -> IdRef:
    """Parse a full UUID or a prefix into an inclusive UUID range that indexes can serve."""
    text = str(value).strip().lower()
    digits = text.replace("-", "")
    if not digits or not _HEX.match(digits) or len(digits) > 32:
        raise ValidationError.for_field(
            field, "must be a UUID or a prefix of at least 8 hex characters", value
        )
    if len(digits) == 32:
        exact = uuid.UUID(hex=digits)
        return IdRef(text, exact, exact, exact)
    if len(digits) < MIN_PREFIX:
        raise ValidationError.for_field(
            field, f"an id prefix needs at least {MIN_PREFIX} hex characters, got {len(digits)}", value
        )
    low = uuid.UUID(hex=digits.ljust(32, "0"))
    high = uuid.UUID(hex=digits.ljust(32, "f"))
    return IdRef(text, None, low, high)


_given: ContextVar[uuid.UUID | None] = ContextVar("given_id", default=None)


@contextmanager
def given_id(value: uuid.UUID | None) -> Iterator[None]:
    """Create the one new row of the call inside with this id (an import keeps the ids its file
    names, so an id read from the report still finds the row); None changes nothing."""
    token = _given.set(value)
    try:
        yield
    finally:
        _given.reset(token)


def new_id() -> uuid.UUID:
    """A random UUID; inside a replayable operation, the operation's next deterministic one;
    inside `given_id`, the id given (the same on every run of the call, as a replay needs)."""
    given = _given.get()
    if given is not None:
        return given
    op = operation.current()
    return op.next_id() if op is not None else uuid.uuid4()
