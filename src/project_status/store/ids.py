"""Resolve an id or unique id prefix to one row's UUID, the same way for every table."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from project_status.domain.errors import NotFoundError, ValidationError
from project_status.domain.ids import IdRef, parse_id

_CANDIDATES = 5


async def resolve(
    session: AsyncSession, column: Any, value: str, *, field: str, what: str, extra: Any = None
) -> uuid.UUID:
    """The one UUID `value` names in `column`; an ambiguous prefix lists the candidates."""
    ref: IdRef = parse_id(value, field)
    if ref.exact is not None:
        query = select(column).where(column == ref.exact)
    else:
        query = select(column).where(column.between(ref.low, ref.high)).order_by(column)
    if extra is not None:
        query = query.where(extra)
    found = list((await session.execute(query.limit(_CANDIDATES + 1))).scalars())
    if not found:
        raise NotFoundError(f"No {what} with id {value!r}.", {"field": field, "value": value, "entity": what})
    if len(found) > 1:
        candidates = [str(i) for i in found[:_CANDIDATES]]
        raise ValidationError(
            f"{field}: the prefix {value!r} matches several {what}s; give more characters.",
            {
                "errors": [
                    {
                        "field": field,
                        "message": "ambiguous id prefix",
                        "value": value,
                        "candidates": candidates,
                    }
                ]
            },
        )
    return uuid.UUID(str(found[0]))
