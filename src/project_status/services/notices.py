"""Warnings that travel with an answer (MCP: `warnings` in the result; CLI: stderr).

An interface opens `collecting()` around one call; anything below it may `warn`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_collected: ContextVar[list[str] | None] = ContextVar("warnings", default=None)
"""Implicit because a warning arises deep below (a fallback layer answered) and belongs to the
whole request: every service signature would otherwise carry a list to append to."""


@contextmanager
def collecting() -> Iterator[list[str]]:
    bucket: list[str] = []
    token = _collected.set(bucket)
    try:
        yield bucket
    finally:
        _collected.reset(token)


def warn(message: str) -> None:
    bucket = _collected.get()
    if bucket is not None and message not in bucket:
        bucket.append(message)


def current() -> list[str]:
    return list(_collected.get() or [])
