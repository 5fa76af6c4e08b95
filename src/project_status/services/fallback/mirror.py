"""The local SQLite mirror of a PostgreSQL primary: read cache and offline journal in one file.

It has the primary's schema (the same migrations) plus the journal. It is kept current by
repeating every successful write on it (write-through) and by copying the whole primary on
start and periodically (`refresh`). Its age is the time of the last whole copy.

The write-through runs after the caller has its answer (`repeat_later`), in the order the writes
were made; whatever reads or writes the mirror in this process waits for it first (`settled`).
Writes of one row and its events are gathered while calls keep coming (up to 0.1 s) and put in
the mirror in one transaction in a pause: back-to-back calls no longer pay for the one before. Why that
keeps the offline guarantees:

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
* Waiting for the queue (`settled`) ends the gathering at once: no one waits for a quiet spell.
* A write's first guess of its row in the mirror (`caught_up_reader`) does not find a row that a
  queued write-through is still to change: the write reads PostgreSQL's instead.
* The process killed between the answer and the write-through (at most `GATHER_LONGEST` plus a
  batch): PostgreSQL has the write; the mirror lacks it until its next copy, which a server makes
  at start. That gap was there before too (a few ms), and for a write-through that failed and
  marked the mirror stale. Another process sharing the mirror file may, in that time, read it
  from the mirror without that write.
* `dispose` waits for the queue, so a CLI command or a server that ends normally leaves none.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import itertools
import logging
import time
import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.sql import Executable

from project_status.domain.errors import TrackerError
from project_status.services.clock import now
from project_status.services.fallback import repeat
from project_status.services.fallback.repeat import RowPut
from project_status.store import sync as store
from project_status.store.database import Database, redact
from project_status.store.migrate import ensure_schema
from project_status.store.readers import AnyRow, Params, Reader

log = logging.getLogger(__name__)

GATHER_QUIET = 0.01
"""Row puts are gathered until no call was served for this long (s)..."""
GATHER_LONGEST = 0.1
"""...or this long (s) after the first of them waited..."""
GATHER_MOST = 100
"""...or this many wait: one transaction each (see `Mirror.repeat_later`)."""
WRITE_THROUGH_WAIT_SECONDS = 0.5
"""How long a write-through waits for a copy running in this process (a routine one is short)
before it leaves the change to the next copy."""


@dataclass(frozen=True)
class _Queued:
    apply: Callable[[], Awaitable[None]]
    """The write-through on its own (never raises)."""
    put: RowPut | None
    """Its whole effect, when it is one row and its events (gathered with others)."""


class _Declining(Reader):
    """The mirror's reader, but a read whose parameters name a work item a queued row put is
    still to change finds nothing there (its mirror row is older than PostgreSQL's)."""

    def __init__(self, reader: Reader, pending: Counter[uuid.UUID]) -> None:
        self.reader = reader
        self.pending = pending

    def _names_pending(self, params: Params) -> bool:
        values = params.values() if params else ()
        return any(isinstance(value, uuid.UUID) and value in self.pending for value in values)

    async def rows(self, statement: Executable, params: Params = None) -> Sequence[AnyRow]:
        return [] if self._names_pending(params) else await self.reader.rows(statement, params)

    async def first(self, statement: Executable, params: Params = None) -> AnyRow | None:
        return None if self._names_pending(params) else await self.reader.first(statement, params)


@asynccontextmanager
async def _declining(db: Database, pending: Counter[uuid.UUID]) -> AsyncIterator[Reader]:
    async with db.reader() as reader:
        yield _Declining(reader, pending)


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
        self._queued: deque[_Queued] = deque()
        """Write-throughs not yet applied, oldest first (see the module's docstring)."""
        self._applying: asyncio.Task[None] | None = None
        self._pending_rows: Counter[uuid.UUID] = Counter()
        """The work items a queued row put changes: their rows in the mirror are not current."""
        self._opaque = 0
        """Queued write-throughs that are not row puts: what they change is not known."""
        self._wake = asyncio.Event()
        """Set when a write-through is queued or the queue is asked to settle."""
        self._settling = 0
        """Callers waiting for the queue (`settled`): row puts are gathered no longer."""
        self._calls = 0
        """Calls the router is serving (`serving`)."""

    def describe(self) -> str:
        return f"the local mirror {self.path}"

    async def ensure_ready(self) -> None:
        if not self._ready:
            await ensure_schema(self.db)
            self._ready = True

    def caught_up_reader(self) -> Callable[[], AbstractAsyncContextManager[Reader]] | None:
        """Reads of the mirror where it has every write of this process, for a write's first guess
        of the row it changes (`store.one_statement`): None while a copy runs or a queued
        write-through may change any row; else a reader that finds no row a queued row put is
        still to change (the write then reads PostgreSQL's)."""
        if not self._ready or self.refreshing or self._opaque:
            return None
        if not self._queued:
            return self.db.reader
        return functools.partial(_declining, self.db, self._pending_rows)

    async def state(self) -> MirrorState:
        await self.ensure_ready()
        async with self.db.unit_of_work() as session:
            row = await store.mirror_state(session)
            pending = await store.count_pending(session)
        if row is None:
            return MirrorState(None, True, pending)
        return MirrorState(row.refreshed_at, row.needs_refresh, pending)

    def repeat_later(self, apply: Callable[[], Awaitable[None]], put: RowPut | None = None) -> None:
        """Queue a write-through (`apply` never raises: a write that does not apply marks the
        mirror stale); it runs after the ones before it, once the caller has its answer.

        A write whose whole effect is `put` (`repeat.row_put`) is gathered with the row puts
        queued beside it and put with them in one transaction once calls pause (none `serving`
        for `GATHER_QUIET`; at most `GATHER_LONGEST` after the first, or `GATHER_MOST` of them):
        its cost leaves the next caller's path, and a batch costs one transaction. `apply` is its
        way alone, taken when the batch fails."""
        self._queued.append(_Queued(apply, put))
        if put is None:
            self._opaque += 1
        else:
            self._pending_rows[put.item_id] += 1
        self._wake.set()
        if self._applying is None or self._applying.done():
            # Its own context: nothing of the caller's request (warnings it collects, its
            # operation) leaks into the writes, nor theirs into the request after it.
            self._applying = asyncio.get_running_loop().create_task(
                self._apply_queued(), context=contextvars.Context()
            )

    async def _apply_queued(self) -> None:
        while self._queued:
            if self._queued[0].put is None:
                try:
                    await self._queued[0].apply()
                except Exception as error:  # the mirror is a cache: never stop the queue for it
                    log.info("mirror: a write-through failed (%s); marked stale", error)
                    await self.mark_stale()
                finally:
                    self._done(1)
                continue
            await self._gather()
            batch = list(itertools.takewhile(lambda queued: queued.put is not None, self._queued))
            batch = batch[:GATHER_MOST]
            try:
                await self._put_batch(batch)
            finally:
                self._done(len(batch))

    def _done(self, count: int) -> None:
        for _ in range(count):
            done = self._queued.popleft()
            if done.put is None:
                self._opaque -= 1
            else:
                self._pending_rows[done.put.item_id] -= 1
                if not self._pending_rows[done.put.item_id]:
                    del self._pending_rows[done.put.item_id]

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Around each call the router serves: gathered row puts wait for a pause between calls,
        so that their batch lands on none (see `repeat_later`)."""
        self._calls += 1
        try:
            yield
        finally:
            self._calls -= 1
            self._wake.set()

    async def _gather(self) -> None:
        """Wait while calls keep coming (see `repeat_later`), unless someone waits for the queue."""
        loop = asyncio.get_running_loop()
        longest = loop.time() + GATHER_LONGEST
        while not self._settling and len(self._queued) < GATHER_MOST and self._queued[-1].put is not None:
            self._wake.clear()
            remaining = longest - loop.time()
            if remaining <= 0:
                return
            try:  # a call under way: until it ends; else a quiet spell, unless a call starts in it
                await asyncio.wait_for(
                    self._wake.wait(), remaining if self._calls else min(GATHER_QUIET, remaining)
                )
            except TimeoutError:
                if not self._calls:
                    return

    async def _put_batch(self, batch: list[_Queued]) -> None:
        """The row puts of `batch` in one transaction; if that fails, each its own way (`apply`),
        so that only what does not apply marks the mirror stale."""
        if await self.left_to_a_copy():
            return
        try:
            await self.ensure_ready()
            missed = await repeat.put_all(self.db, [queued.put for queued in batch if queued.put is not None])
        except Exception as error:
            log.info("mirror: %d write-throughs did not apply together (%s); one by one", len(batch), error)
            for queued in batch:
                try:
                    await queued.apply()
                except Exception as alone:  # as in `_apply_queued`
                    log.info("mirror: a write-through failed (%s); marked stale", alone)
                    await self.mark_stale()
            return
        if missed:
            log.info("mirror: write-through did not apply (%s); marked stale", repeat.describe_missed(missed))
            await self.mark_stale()

    async def settled(self) -> None:
        """Wait until every write-through queued so far is applied (gathered ones at once)."""
        self._settling += 1
        self._wake.set()
        try:
            while self._applying is not None and not self._applying.done():
                await asyncio.wait({self._applying})  # being cancelled here does not cancel the queue
        finally:
            self._settling -= 1

    async def left_to_a_copy(self) -> bool:
        """Whether a write-through is left to the next copy: a long copy (a big store's first)
        holds the mirror's lock for longer than WRITE_THROUGH_WAIT_SECONDS, so rather than hold
        the queue up for it, the copy is marked stale and runs again."""
        if self.refreshing and not await self.wait_for_copy(WRITE_THROUGH_WAIT_SECONDS):
            await self.mark_stale()
            return True
        return False

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
