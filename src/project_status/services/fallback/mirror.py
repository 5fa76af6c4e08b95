"""The local SQLite mirror of a PostgreSQL primary: read cache and offline journal in one file.

It has the primary's schema (the same migrations) plus the journal. It is kept current by
repeating every successful write on it (write-through) and by copying the whole primary on
start and periodically (`refresh`). Its age is the time of the last whole copy.

The write-through runs after the caller has its answer (`repeat_later`), in the order the writes
were made; whatever reads or writes the mirror in this process waits for it first (`settled`).
Why that keeps the offline guarantees:

* Nothing acknowledged is lost: a write is acknowledged once PostgreSQL committed it; the mirror
  holds copies of PostgreSQL's rows, never the only copy of an acknowledged online write (offline
  writes are applied and journaled on the mirror before their answer, as before).
* Read your writes after an outage: a read served by the mirror (`FallbackRouter`), an offline
  write and a copy (`refresh`) each wait first until every queued write-through has been applied.
  PostgreSQL going down meanwhile does not stop the queue: it writes the mirror alone (a copy of a
  committed row, not an offline write, so nothing is journaled).
* Order: offline writes, which the journal replays, land after the write-throughs queued before
  them, so an offline update finds the version the online one made. A copy waits for the queue
  too, so a write-through lands before its snapshot, as when it ran on the caller's path.
* The process killed between the answer and the write-through (a few ms): PostgreSQL has the
  write; the mirror lacks it until its next copy, which a server makes at start. That gap was
  there before too, for a write-through that failed and marked the mirror stale. Another process
  sharing the mirror file may, in the same few ms, read it from the mirror without that write.
* `dispose` waits for the queue, so a CLI command or a server that ends normally leaves none.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from project_status.domain.errors import TrackerError
from project_status.services.clock import now
from project_status.store import sync as store
from project_status.store.database import Database, redact
from project_status.store.migrate import ensure_schema
from project_status.store.readers import Reader

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MirrorState:
    refreshed_at: datetime | None
    needs_refresh: bool
    pending: int

    def age(self) -> timedelta | None:
        return None if self.refreshed_at is None else now() - self.refreshed_at

    def describe(self) -> str:
        if self.refreshed_at is None:
            return "never copied from the primary database"
        return f"copied {ago(self.age())} ({self.refreshed_at:%Y-%m-%d %H:%M:%S} UTC)"


@dataclass(frozen=True)
class RefreshResult:
    refreshed: bool
    rows: int
    seconds: float
    reason: str = ""


def ago(delta: timedelta | None) -> str:
    if delta is None:
        return "at an unknown time"
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 172800:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min ago"
    return f"{seconds // 86400} days ago"


class Mirror:
    def __init__(self, path: Path, primary: Database) -> None:
        self.path = path
        self.primary = primary
        self.db = Database(f"sqlite+aiosqlite:///{path}")
        self._ready = False
        self.refreshing = False
        """A copy runs in this process and holds the mirror's write lock."""
        self.missed_while_refreshing = False
        self._idle = asyncio.Event()
        self._idle.set()
        self._queued: deque[Callable[[], Awaitable[None]]] = deque()
        """Write-throughs not yet applied, oldest first (see the module's docstring)."""
        self._applying: asyncio.Task[None] | None = None

    def describe(self) -> str:
        return f"the local mirror {self.path}"

    async def ensure_ready(self) -> None:
        if not self._ready:
            await ensure_schema(self.db)
            self._ready = True

    def caught_up_reader(self) -> Callable[[], AbstractAsyncContextManager[Reader]] | None:
        """Reads of the mirror while it has every write of this process (none queued, no copy
        running), for a write's first guess of the row it changes (`store.one_statement`)."""
        if not self._ready or self.refreshing or self._queued:
            return None
        return self.db.reader

    async def state(self) -> MirrorState:
        await self.ensure_ready()
        async with self.db.unit_of_work() as session:
            row = await store.mirror_state(session)
            pending = await store.count_pending(session)
        if row is None:
            return MirrorState(None, True, pending)
        return MirrorState(row.refreshed_at, row.needs_refresh, pending)

    def repeat_later(self, apply: Callable[[], Awaitable[None]]) -> None:
        """Queue a write-through (`apply` never raises: a write that does not apply marks the
        mirror stale); it runs after the ones before it, once the caller has its answer."""
        self._queued.append(apply)
        if self._applying is None or self._applying.done():
            # Its own context: nothing of the caller's request (warnings it collects, its
            # operation) leaks into the writes, nor theirs into the request after it.
            self._applying = asyncio.get_running_loop().create_task(
                self._apply_queued(), context=contextvars.Context()
            )

    async def _apply_queued(self) -> None:
        while self._queued:
            try:
                await self._queued[0]()
            except Exception as error:  # the mirror is a cache: never stop the queue for it
                log.info("mirror: a write-through failed (%s); marked stale", error)
                await self.mark_stale()
            finally:
                self._queued.popleft()

    async def settled(self) -> None:
        """Wait until every write-through queued so far is applied."""
        while self._applying is not None and not self._applying.done():
            await asyncio.wait({self._applying})  # being cancelled here does not cancel the queue

    async def mark_stale(self) -> None:
        """Something may differ from the primary: the next refresh round copies it again."""
        if self.refreshing:  # it holds the write lock: say so when it is done, without waiting
            self.missed_while_refreshing = True
            return
        try:
            async with self.db.unit_of_work(write=True) as session:
                await store.set_mirror_state(session, needs_refresh=True)
        except TrackerError as error:
            log.warning("mirror: could not mark it stale: %s", error.message)

    async def refresh(self) -> RefreshResult:
        """Bring the mirror to one consistent snapshot of the primary.

        The mirror's write lock is taken first, so a write-through either lands before the
        snapshot is read (and is in it) or waits and lands after: none is lost. Refused while
        the journal holds changes not yet replayed: they exist only here. Rows stream in chunks;
        the audit trail is copied from where the last copy stopped and the archive only when it
        changed, so a five-year store costs a full copy once, not every round. The write-throughs
        queued before it are applied first.
        """
        await self.settled()
        await self.ensure_ready()
        started = now()
        clock = time.perf_counter()
        source_name = redact(self.primary.url)
        self.refreshing, self.missed_while_refreshing = True, False
        self._idle.clear()
        try:
            return await self._copy(started, clock, source_name)
        finally:
            self.refreshing = False
            self._idle.set()
            if self.missed_while_refreshing:
                await self.mark_stale()

    async def wait_for_copy(self, seconds: float) -> bool:
        """Wait up to `seconds` for a copy running in this process to end; whether it did."""
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def _copy(self, started: datetime, clock: float, source_name: str) -> RefreshResult:
        rows = await store.copy_database(self.primary, self.db, source=source_name, at=started)
        if rows is None:
            return RefreshResult(False, 0, 0.0, "the journal holds changes not yet synced")
        return RefreshResult(True, rows, time.perf_counter() - clock)

    async def dispose(self) -> None:
        await self.settled()
        await self.db.dispose()
