"""Resolve an id or unique id prefix to one row's UUID, the same way for every table."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Hashable
from typing import Any, TypeVar, cast

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from project_status.domain.errors import NotFoundError, ValidationError
from project_status.domain.ids import IdRef, parse_id
from project_status.store.readers import Reader

_CANDIDATES = 5
T = TypeVar("T")


async def resolve(session: AsyncSession, column: Any, value: str, *, field: str, what: str) -> uuid.UUID:
    """The one UUID `value` names in `column`; an ambiguous prefix lists the candidates."""
    ref: IdRef = parse_id(value, field)
    if ref.exact is not None:
        query = select(column).where(column == ref.exact)
    else:
        query = select(column).where(column.between(ref.low, ref.high)).order_by(column)
    found = list((await session.execute(query.limit(_CANDIDATES + 1))).scalars())
    return uuid.UUID(str(_one(found, value, field, what)))


@functools.cache
def _by_id(model: Any) -> Executable:
    """The primary-key read of `model`, built once: `session.get` builds its statement (and
    computes its cache key) on every call, about eighty Python calls more for the same row."""
    return select(model).where(model.id == bindparam("id"))


async def resolve_row(session: AsyncSession, model: type[T], value: str, *, field: str, what: str) -> T:
    """The row `value` names: one primary-key lookup for a whole UUID, a range scan for a prefix."""
    ref: IdRef = parse_id(value, field)
    if ref.exact is not None:
        statement = _by_id(cast(Hashable, model))
        found_by_id = (await session.execute(statement, {"id": ref.exact})).scalars().first()
        return cast(T, _one([found_by_id] if found_by_id is not None else [], value, field, what))
    column: Any = model.id  # type: ignore[attr-defined]
    query = select(model).where(column.between(ref.low, ref.high)).order_by(column)
    found = list((await session.execute(query.limit(_CANDIDATES + 1))).scalars())
    return cast(T, _one(found, value, field, what))


async def read_row(
    reader: Reader, by_id: Executable, by_range: Executable, value: str, *, field: str, what: str
) -> Row[Any]:
    """`resolve_row` for a reader: `by_id` takes `:id`, `by_range` takes `:low` and `:high` (and
    returns at most a few candidates in id order)."""
    ref: IdRef = parse_id(value, field)
    if ref.exact is not None:
        found = list(await reader.rows(by_id, {"id": ref.exact}))
    else:
        found = list(await reader.rows(by_range, {"low": ref.low, "high": ref.high}))
    return cast(Row[Any], _one(found, value, field, what))


def _one(found: list[Any], value: str, field: str, what: str) -> Any:
    if not found:
        raise NotFoundError(f"No {what} with id {value!r}.", {"field": field, "value": value, "entity": what})
    if len(found) > 1:
        candidates = [str(getattr(i, "id", i)) for i in found[:_CANDIDATES]]
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
    return found[0]
