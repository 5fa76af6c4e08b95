"""One write operation's identity, clock and ids, fixed so that it can be run again identically.

A write acknowledged while PostgreSQL was down is replayed later; a write made on PostgreSQL
is repeated on the local mirror. Both must produce the same ids and timestamps as the first
run, so inside `running(op)` the ids come from the operation's id and counter (uuid5) and the
clock stands at the operation's time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class Operation:
    op_id: uuid.UUID = field(default_factory=uuid.uuid4)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    issued: int = 0

    def next_id(self) -> uuid.UUID:
        self.issued += 1
        return uuid.uuid5(self.op_id, str(self.issued))


_current: ContextVar[Operation | None] = ContextVar("operation", default=None)
"""Implicit because the ids and times a write mints are made deep in each use case; a replay
must mint the same ones without every signature passing the operation along."""


def current() -> Operation | None:
    return _current.get()


@contextmanager
def running(op: Operation) -> Iterator[Operation]:
    """Run the block as `op`, from its first id: each run of the same code issues the same ids."""
    op.issued = 0
    token = _current.set(op)
    try:
        yield op
    finally:
        _current.reset(token)
