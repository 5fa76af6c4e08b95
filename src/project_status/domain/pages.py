"""The list shape every interface shares: a capped page, the total and a cursor to go on."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    next_cursor: str | None = None
    budget_truncated: bool | None = None
    """True when the answer's size budget, not the limit, ended the page (next_cursor goes on);
    left out otherwise."""
