"""What travels with an answer besides it: warnings (MCP: `warnings` in the result; CLI:
stderr) and, for an answer from a fallback layer, which layer and how old its data is (MCP and
the CLI's --json: `data_source` and `data_age_seconds`).

An interface opens `collecting()` around one call; anything below it may `warn` or say where
the answer was `served_from`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

_collected: ContextVar[list[str] | None] = ContextVar("warnings", default=None)
"""Implicit because a warning arises deep below (a fallback layer answered) and belongs to the
whole request: every service signature would otherwise carry a list to append to."""
_sources: ContextVar[list[DataSource] | None] = ContextVar("data_sources", default=None)


@dataclass(frozen=True)
class DataSource:
    """The fallback layer an answer came from (`mirror`, `git`, `file`) and the age of its data
    (None when unknown, e.g. a mirror never copied)."""

    name: str
    age_seconds: int | None

    def fields(self) -> dict[str, Any]:
        return {"data_source": self.name, "data_age_seconds": self.age_seconds}


@contextmanager
def collecting() -> Iterator[list[str]]:
    bucket: list[str] = []
    # A list, not a value: the call may run in another context (asyncio.run copies it), and
    # what it appends is still seen here.
    sources: list[DataSource] = []
    token = _collected.set(bucket)
    source_token = _sources.set(sources)
    try:
        yield bucket
    finally:
        _sources.reset(source_token)
        _collected.reset(token)


def warn(message: str) -> None:
    bucket = _collected.get()
    if bucket is not None and message not in bucket:
        bucket.append(message)


def current() -> list[str]:
    return list(_collected.get() or [])


def served_from(name: str, age: timedelta | None) -> None:
    """Say that the answer comes from a fallback layer; the last one said is the answer's."""
    sources = _sources.get()
    if sources is not None:
        seconds = None if age is None else max(0, int(age.total_seconds()))
        sources.append(DataSource(name, seconds))


def source() -> DataSource | None:
    """Where the answer of the current call came from, if not from the primary database."""
    sources = _sources.get()
    return sources[-1] if sources else None
