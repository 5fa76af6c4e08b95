"""Engine, sessions and units of work; every dialect difference of the store lives here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from project_status.domain.errors import DatabaseUnavailableError, TrackerError
from project_status.store import sqlite_driver
from project_status.store.breaker import Breaker
from project_status.store.errors import translate_error
from project_status.store.readers import (
    ConnectionReader,
    InlineSqliteConnection,
    InlineSqliteReader,
    Reader,
    SessionReader,
)

log = logging.getLogger(__name__)

_WRITE = "project_status_write"
CONNECT_TIMEOUT_SECONDS = 1.5
"""A call made while PostgreSQL is down must answer within 2 s: a server that accepts
but never answers is given up after 1.5 s, leaving room for the rest of the call."""
ANSWER_TIMEOUT_SECONDS = 1.5
"""PostgreSQL: the longest a unit of work may wait before it is given up as unanswered."""
_STRUCTURE_LOCK_KEY = 0x7073_7472  # any fixed bigint: the PostgreSQL advisory lock of `lock_structure`
_ARCHIVE_LOCK_KEY = 0x7073_6172  # another one, for `lock_archive`
_REPLAY_LOCK_KEY = 0x7073_7379  # the advisory lock of `lock_replay`


T = TypeVar("T")


def _discard_outcome(task: asyncio.Future[Any]) -> None:
    """A call given up on still ends some day; its outcome is nobody's business any more."""
    if not task.cancelled():
        task.exception()


def redact(url: str) -> str:
    """The URL as the user wrote it (no driver suffix) without its password, for messages and logs."""
    try:
        parsed = make_url(url)
        return parsed.set(drivername=parsed.get_backend_name()).render_as_string(hide_password=True)
    except Exception:
        return "<database url>"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Transactions are begun by hand (below) so writers can take the lock up front.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA busy_timeout={sqlite_driver.BUSY_TIMEOUT_MS}",
        "PRAGMA synchronous=NORMAL",
    ):
        cursor.execute(pragma)
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # BEGIN IMMEDIATE makes a writer wait for the lock at the start instead of failing
    # with "database is locked" when it upgrades a read transaction half way through.
    # Readers run each statement on its own (autocommit), like READ COMMITTED on PostgreSQL:
    # no BEGIN/COMMIT round trips to the driver thread for a point query.
    if conn.get_execution_options().get(_WRITE, False):
        conn.exec_driver_sql(sqlite_driver.BEGIN_WRITE)


class Database:
    """One database (SQLite file or PostgreSQL), its engine and its unit-of-work factory."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        answer_timeout: float = ANSWER_TIMEOUT_SECONDS,
        connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
    ) -> None:
        self.url = url
        self.connect_timeout = connect_timeout
        self.redacted_url = redact(url)
        """The URL as messages may show it (no password)."""
        self.dialect = make_url(url).get_backend_name()
        self._quick: InlineSqliteConnection | None = None
        if self.is_sqlite:
            database = make_url(url).database
            if database and database != ":memory:" and not database.startswith("file:"):
                Path(database).parent.mkdir(parents=True, exist_ok=True)
                self._quick = InlineSqliteConnection(database)
            # Every unit of work ends in COMMIT or ROLLBACK and readers never open a transaction,
            # so the pool's reset-on-return ROLLBACK would only cost a trip to the driver thread.
            fast_url = make_url(url).set(drivername=f"sqlite+{sqlite_driver.DRIVER}")
            self.engine: AsyncEngine = create_async_engine(fast_url, echo=echo, pool_reset_on_return=None)
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        else:
            self.engine = create_async_engine(
                url,
                echo=echo,
                pool_size=10,
                max_overflow=30,
                pool_timeout=10,
                # Fail within seconds, not asyncpg's default minute, when the server is unreachable.
                connect_args={"timeout": connect_timeout},
            )
        # Readers need no transaction: under PostgreSQL's READ COMMITTED each statement sees the
        # latest commits anyway, and AUTOCOMMIT saves the BEGIN and COMMIT round trips.
        reader_engine = (
            self.engine if self.is_sqlite else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self.breaker = Breaker()
        self.writes_committed = 0
        """Write transactions this process committed here: how it knows its own changes at once."""
        self.answer_timeout: float | None = None if self.is_sqlite else answer_timeout
        self._shared: ContextVar[AsyncSession | None] = ContextVar(f"shared_session_{id(self)}", default=None)
        """Implicit because an import or a replay runs many use cases as one transaction: each joins
        the shared session instead of opening its own, without another parameter on every call."""
        self._reader_engine = reader_engine
        self._readers = async_sessionmaker(reader_engine, expire_on_commit=False, autoflush=False)
        self._writers = async_sessionmaker(
            self.engine.execution_options(**{_WRITE: True}), expire_on_commit=False, autoflush=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def translated_errors(self) -> AsyncIterator[None]:
        """Driver and SQL errors become the tracker's errors here, once, so no SQL text or
        driver message travels further up. An unreachable database opens the breaker."""
        where = self.redacted_url
        self.breaker.check(where)
        try:
            yield
        except DatabaseUnavailableError:
            self.breaker.failed()
            raise
        except TrackerError:
            raise
        except Exception as exc:
            translated = translate_error(exc, where)
            if translated is None:
                raise
            if isinstance(translated, DatabaseUnavailableError):
                # An old pooled connection found dead (a restart) invalidates the pool: a caller
                # may try once more at once on a new connection (`Breaker.probing`).
                translated.dropped_connection = isinstance(exc, DBAPIError) and exc.connection_invalidated
                self.breaker.failed()
            raise translated from exc
        self.breaker.succeeded()

    @asynccontextmanager
    async def unit_of_work(self, *, write: bool = False) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back whole if it raises.

        Inside `transaction()` every unit of work joins that one transaction instead.
        """
        shared = self._shared.get()
        if shared is not None:
            yield shared
            return
        maker = self._writers if write else self._readers
        async with self.translated_errors(), maker() as session, session.begin():
            yield session
        if write:
            self.writes_committed += 1

    async def within_answer_time(self, call: Awaitable[T]) -> T:
        """PostgreSQL: await `call`, but give up after `answer_timeout` seconds without an answer.

        A hung server or a network that drops packets leaves a query on a pooled connection
        waiting forever (the connect timeout does not apply to it), and so would the rollback
        after a cancel; a call must answer within 2 s. So the call runs as its own
        task: past the limit it is cancelled and left to finish its clean-up in the background,
        the breaker opens, and the caller gets DatabaseUnavailableError at once.
        """
        if self.is_sqlite or self.answer_timeout is None:
            return await call
        task = asyncio.ensure_future(call)
        done, _ = await asyncio.wait({task}, timeout=self.answer_timeout)
        if task in done:
            return task.result()
        task.cancel()
        task.add_done_callback(_discard_outcome)
        self.breaker.failed()
        where = redact(self.url)
        log.warning("database at %s did not answer within %g s", where, self.answer_timeout)
        raise DatabaseUnavailableError(
            f"The database at {where} is unavailable: it did not answer within {self.answer_timeout:g} s; "
            "check that it is running and reachable.",
            {"database": where, "timeout_seconds": self.answer_timeout},
        )

    def in_shared_transaction(self) -> bool:
        return self._shared.get() is not None

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[Reader]:
        """The reads of one read-only use case (see `store.readers`).

        On a SQLite file they run at once on the dedicated read-only connection, each statement
        reading the latest committed state; elsewhere (PostgreSQL, inside `transaction()`, another
        thread) in a unit of work, as before.
        """
        shared = self._shared.get()
        if shared is not None:
            yield SessionReader(shared)
            return
        if self._quick is not None:
            connection = self._quick.connection()
            if connection is not None:
                yield InlineSqliteReader(self._quick, connection, self._read_connection)
                return
        async with self._read_connection() as conn:
            yield ConnectionReader(conn)

    @asynccontextmanager
    async def _read_connection(self) -> AsyncIterator[AsyncConnection]:
        """A pooled connection for reads: no ORM session, no transaction (see `_readers`)."""
        async with self.translated_errors(), self._reader_engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One write transaction that the use cases run inside it share: all or nothing.

        For work made of many use cases (an import), so that a failed check at the end rolls
        back everything before it.
        """
        async with self.unit_of_work(write=True) as session:
            token = self._shared.set(session)
            try:
                yield session
            finally:
                self._shared.reset(token)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncConnection]:
        """A read-only view of one moment (REPEATABLE READ on PostgreSQL), for copying it whole."""
        async with self.translated_errors(), self.engine.connect() as conn:
            if not self.is_sqlite:
                await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def connection(self, *, transaction: bool = False) -> AsyncIterator[AsyncConnection]:
        """A raw connection (for migrations), with the same error translation."""
        async with self.translated_errors():
            opened = (
                self.engine.execution_options(**{_WRITE: True}).begin()
                if transaction
                else self.engine.connect()
            )
            async with opened as conn:
                yield conn

    async def lock_structure(self, session: AsyncSession) -> None:
        """Make writers that change the work item tree or a dependency graph take turns.

        Their checks (no cycle, depth, live parent) and the paths they rewrite read rows another
        writer may be changing at that moment. SQLite writers already take turns (BEGIN
        IMMEDIATE); on PostgreSQL a transaction-scoped advisory lock, taken before those reads,
        does the same. It is released when the unit of work commits or rolls back.
        """
        if not self.is_sqlite:
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _STRUCTURE_LOCK_KEY})

    async def lock_replay(self, session: AsyncSession) -> None:
        """Make journal replays of several processes (sharing one mirror) take turns per entry, so
        that the ledger check and the entry's writes see each other's commits."""
        if not self.is_sqlite:
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _REPLAY_LOCK_KEY})

    async def lock_archive(self, session: AsyncSession) -> None:
        """Make archive moves (archiving a batch, restoring a subtree) take turns, across servers.

        Taken before `lock_structure`, never after it. On SQLite, BEGIN IMMEDIATE already
        serializes writers; on PostgreSQL a transaction-scoped advisory lock of its own does.
        """
        if not self.is_sqlite:
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ARCHIVE_LOCK_KEY})

    async def dispose(self) -> None:
        if self._quick is not None:
            self._quick.dispose()
        await self.engine.dispose()
