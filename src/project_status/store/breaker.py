"""Fail fast while the database is down: after a failed connection, wait before trying again.

Without it every call made during an outage would spend the whole connect timeout finding out
again. The delay starts at 0.5 s and doubles up to 30 s; the first call after it tries for real,
and a success closes the breaker.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

from project_status.domain.errors import DatabaseUnavailableError

_probing: ContextVar[bool] = ContextVar("breaker_probing", default=False)
"""Implicit because the retry that probes a restarted server runs the same service code as a
first try; only the breaker, deep in the store, needs to know."""

FIRST_DELAY_SECONDS = 0.5
MAX_DELAY_SECONDS = 30.0


@dataclass
class Breaker:
    failures: int = 0
    retry_at: float = 0.0
    """`time.monotonic()` after which the next call may try the database again."""
    down_since: datetime | None = None

    def check(self, where: str) -> None:
        """Raise at once while the back-off delay runs (unless inside `probing`)."""
        if not self.failures or _probing.get():
            return
        wait = self.retry_at - time.monotonic()
        if wait <= 0:
            return
        since = self.down_since.strftime("%H:%M:%S UTC") if self.down_since else "now"
        raise DatabaseUnavailableError(
            f"The database at {where} is unavailable (since {since}, {self.failures} failed "
            f"attempt(s)); it is tried again in {wait:.1f} s.",
            {"database": where, "retry_in_seconds": round(wait, 1), "failures": self.failures},
        )

    @staticmethod
    @contextmanager
    def probing() -> Iterator[None]:
        """Try the database now whatever the delay: after a dropped pooled connection, when a
        new connection may well work (a restart), one immediate retry is worth it."""
        token = _probing.set(True)
        try:
            yield
        finally:
            _probing.reset(token)

    def failed(self) -> None:
        self.failures += 1
        delay = min(FIRST_DELAY_SECONDS * 2 ** (self.failures - 1), MAX_DELAY_SECONDS)
        self.retry_at = time.monotonic() + delay
        if self.down_since is None:
            self.down_since = datetime.now(UTC)

    def succeeded(self) -> None:
        self.failures = 0
        self.retry_at = 0.0
        self.down_since = None
