"""Engine, sessions and units of work; every dialect difference of the store lives here."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, RootTransaction, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry
from sqlalchemy.util import await_only, greenlet_spawn

from project_status.domain.errors import (
    DatabaseError,
    DatabaseUnavailableError,
    TrackerError,
    ValidationError,
)
from project_status.store import sqlite_driver
from project_status.store.breaker import Breaker
from project_status.store.errors import connections_exhausted, translate_error
from project_status.store.inline_plans import InlinePlans
from project_status.store.readers import (
    ConnectionReader,
    InlineSqliteConnection,
    InlineSqliteReader,
    Reader,
    SessionReader,
)

if TYPE_CHECKING:
    from project_status.store.prepared import PreparedPlans

log = logging.getLogger(__name__)

_WRITE = "project_status_write"
CONNECT_TIMEOUT_SECONDS = 1.5
"""A call made while PostgreSQL is down must answer within 2 s: a server that accepts
but never answers is given up after 1.5 s, leaving room for the rest of the call."""
ANSWER_TIMEOUT_SECONDS = 1.5
"""PostgreSQL: the longest a unit of work may wait before it is given up as unanswered."""
PGBOUNCER_ANSWER_TIMEOUT_SECONDS = 15.0
"""The same behind PgBouncer, which queues a transaction until one of its few server connections
is free: a wait in that queue looks from here exactly like a server that does not answer."""
DEFAULT_POOL_SIZE = 2
"""PostgreSQL connections one process may hold: every agent runs its own server, so a team of
agents multiplies this; a short burst waits for a free connection instead of opening more."""
POOL_IDLE_SECONDS = 60.0
"""A process's connections are closed once none has been used for this long (`close_idle`)."""
BUSY_WAIT_SECONDS = 30.0
"""The longest a call waits for a connection of this process while the database keeps answering
the others (`within_answer_time`), and the pool's own wait."""
EXHAUSTED_RETRY_SECONDS = 1.0
"""How long a refused connection (server full) is retried, with back-off: within the answer
timeout, so that a full server never looks like one that does not answer."""
_FIRST_RETRY_SECONDS = 0.05
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
STRUCTURE_LOCK_KEY = 0x7073_7472  # any fixed bigint: the PostgreSQL advisory lock of `lock_structure`
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


class BudgetPool(AsyncAdaptedQueuePool):
    """The connection pool of one process: a connection the server refuses because it is full
    is retried with back-off; while this process holds other connections, the caller waits for
    one of them instead (they come back within milliseconds), so a burst never fails for it."""

    def _do_get(self) -> ConnectionPoolEntry:
        delay = _FIRST_RETRY_SECONDS
        deadline = time.monotonic() + EXHAUSTED_RETRY_SECONDS
        while True:
            try:
                return super()._do_get()
            except Exception as exc:
                if not connections_exhausted(exc):
                    raise
                if self.checkedout() > 0:
                    return self._pool.get(True, self._timeout)
                if time.monotonic() + delay > deadline:
                    raise
                log.info("database full, retrying a connection in %.2f s", delay)
                await_only(asyncio.sleep(delay * (0.5 + random.random())))
                delay *= 2


@dataclass
class InlineWrite:
    """One SQLite write transaction whose statements run on the sqlite3 connection itself
    (`Database.inline_write`); `keep`: commit it when the block ends (else it rolls back)."""

    connection: Any
    """The sqlite3 connection, holding the write lock (BEGIN IMMEDIATE)."""
    plans: InlinePlans
    keep: bool = False


@dataclass
class _Holding:
    """How many connections one call holds right now (see `Database.answering`)."""

    connections: int = 0


_holding: ContextVar[_Holding | None] = ContextVar("holding_connections", default=None)


def pgbouncer_mode(url: URL) -> tuple[URL, bool]:
    """The URL without its `pgbouncer` option, and whether it asked for PgBouncer-safe queries.

    PgBouncer in transaction pooling mode gives each transaction whichever server connection is
    free, so a statement prepared under a name on one is unknown on the next.
    """
    raw = url.query.get("pgbouncer")
    if raw is None:
        return url, False
    value = (raw if isinstance(raw, str) else raw[-1]).strip().lower()
    if value not in _TRUE | _FALSE:
        raise ValidationError.for_field(
            "database_url", "the pgbouncer option takes true or false (e.g. ?pgbouncer=true)", value
        )
    return url.difference_update_query(["pgbouncer"]), value in _TRUE


def _unnamed_statement() -> str:
    # The unnamed statement lives only until the next Parse on that server connection: nothing
    # accumulates on PgBouncer's shared connections, and it never outlives its transaction.
    return ""


def _checked_out(_dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    holding = _holding.get()
    if holding is not None:
        holding.connections += 1


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Transactions are begun by hand (below) so writers can take the lock up front.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA busy_timeout={sqlite_driver.busy_timeout_ms()}",
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
        driver = conn.connection.dbapi_connection
        if not isinstance(driver, sqlite_driver.OneTripConnection):
            conn.exec_driver_sql(sqlite_driver.BEGIN_WRITE)
            return
        # Straight to the driver: run as a statement, BEGIN cost as much Python as a point read.
        try:
            driver.begin_immediate()
        except BaseException as error:
            conn._handle_dbapi_exception(error, sqlite_driver.BEGIN_WRITE, (), None, None)


def _end_inline_write(conn: Connection, transaction: RootTransaction, keep: bool) -> None:
    try:
        if keep:
            transaction.commit()
        else:
            transaction.rollback()
    finally:
        conn.close()


class Database:
    """One database (SQLite file or PostgreSQL), its engine and its unit-of-work factory."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        answer_timeout: float = ANSWER_TIMEOUT_SECONDS,
        connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
        pool_size: int = DEFAULT_POOL_SIZE,
        idle_seconds: float = POOL_IDLE_SECONDS,
    ) -> None:
        self.url = url
        self.connect_timeout = connect_timeout
        self.redacted_url = redact(url)
        """The URL as messages may show it (no password)."""
        self.dialect = make_url(url).get_backend_name()
        self._quick: InlineSqliteConnection | None = None
        self.pgbouncer = False
        self.idle_seconds = idle_seconds
        self.busy_wait = BUSY_WAIT_SECONDS
        """The longest a call waits here while the database keeps answering (`within_answer_time`)."""
        self._returned_at = float("-inf")
        """When a connection last came back to the pool: the database is answering this process."""
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
            engine_url, self.pgbouncer = pgbouncer_mode(make_url(url))
            connect_args: dict[str, Any] = {
                # Fail within seconds, not asyncpg's default minute, when the server is unreachable.
                "timeout": connect_timeout,
                # Names this process in pg_stat_activity, to count and size connections.
                "server_settings": {"application_name": f"project-status:{os.getpid()}"},
            }
            if self.pgbouncer:
                connect_args |= {
                    "statement_cache_size": 0,
                    "prepared_statement_cache_size": 0,
                    "prepared_statement_name_func": _unnamed_statement,
                }
            self.engine = create_async_engine(
                engine_url,
                echo=echo,
                poolclass=BudgetPool,
                pool_size=max(1, pool_size),
                max_overflow=0,
                pool_timeout=BUSY_WAIT_SECONDS,
                connect_args=connect_args,
            )
            event.listen(self.engine.sync_engine, "checkout", _checked_out)
            event.listen(self.engine.sync_engine, "checkin", self._returned)
        # Readers need no transaction: under PostgreSQL's READ COMMITTED each statement sees the
        # latest commits anyway, and AUTOCOMMIT saves the BEGIN and COMMIT round trips. Behind
        # PgBouncer a read keeps its transaction: only inside one does a statement's preparation
        # and execution meet on the same server connection.
        reader_engine = (
            self.engine
            if self.is_sqlite or self.pgbouncer
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self.breaker = Breaker()
        self.writes_committed = 0
        """Write transactions this process committed here: how it knows its own changes at once."""
        self.answer_timeout: float | None = (
            None
            if self.is_sqlite
            else max(answer_timeout, PGBOUNCER_ANSWER_TIMEOUT_SECONDS)
            if self.pgbouncer
            else answer_timeout
        )
        self._shared: ContextVar[AsyncSession | None] = ContextVar(f"shared_session_{id(self)}", default=None)
        """Implicit because an import or a replay runs many use cases as one transaction: each joins
        the shared session instead of opening its own, without another parameter on every call."""
        self._reader_engine = reader_engine
        self._plans: PreparedPlans | None = None
        """PostgreSQL reached directly: hot reads run on the driver's prepared statements. Not
        behind PgBouncer, where a statement is prepared and run within one transaction."""
        if not (self.is_sqlite or self.pgbouncer):
            from project_status.store.prepared import PreparedPlans  # asyncpg: PostgreSQL only

            self._plans = PreparedPlans(self.engine.dialect)
        self._readers = async_sessionmaker(reader_engine, expire_on_commit=False, autoflush=False)
        self._write_engine = self.engine.execution_options(**{_WRITE: True})
        self._writers = async_sessionmaker(self._write_engine, expire_on_commit=False, autoflush=False)
        self._write_plans: InlinePlans | None = InlinePlans(self.engine.dialect) if self._quick else None
        """SQLite file: the statements `inline_write`'s users run, compiled for the writers' dialect."""

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def _returned(self, _dbapi_connection: Any, _record: Any) -> None:
        self._returned_at = time.monotonic()
        holding = _holding.get()
        if holding is not None and holding.connections > 0:
            holding.connections -= 1

    def held_connections(self) -> int:
        """How many PostgreSQL connections this process holds now (in use or idle)."""
        if self.is_sqlite:
            return 0
        pool = self.engine.pool
        assert isinstance(pool, BudgetPool)
        return pool.checkedin() + pool.checkedout()

    async def close_idle(self) -> bool:
        """Close this process's connections when none has been used for `idle_seconds`, so an
        agent that sits idle holds no connection of the server's budget. Whether it closed any."""
        if self.is_sqlite:
            return False
        pool = self.engine.pool
        assert isinstance(pool, BudgetPool)
        if pool.checkedout() or not pool.checkedin():
            return False
        if time.monotonic() - self._returned_at < self.idle_seconds:
            return False
        await self.engine.dispose()
        return True

    @asynccontextmanager
    async def translated_errors(self) -> AsyncIterator[None]:
        """Driver and SQL errors become the tracker's errors here, once, so no SQL text or
        driver message travels further up. An unreachable database opens the breaker."""
        where = self.redacted_url
        self.breaker.check(where)
        try:
            yield
        except DatabaseUnavailableError as error:
            # Another database's failure, passing through (a mirror copy reads PostgreSQL inside
            # the mirror's transaction), is not this one's: the mirror stays there for fallbacks.
            if error.details.get("database", where) == where:
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
        if self.is_sqlite:
            async with self.translated_errors():
                session = maker()
                try:
                    async with session.begin():
                        yield session
                finally:
                    # Closed in this task: `async with session` closes in a task of its own, so
                    # that a cancel cannot cut a close short while it awaits the database. A
                    # SQLite close awaits nothing (the transaction has ended, inline), and the
                    # extra task cost a turn of the event loop per unit of work.
                    await session.close()
        else:
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

        Past the limit only a call that holds a connection, while no connection of this process
        came back meanwhile, is unanswered. A call still waiting for a connection behind a burst,
        or for the CPU, waits on up to `busy_wait` and then gets a retryable `pool_busy`
        DatabaseError: the database answers, so that is no outage to journal.
        """
        if self.is_sqlite or self.answer_timeout is None:
            return await call
        holding = _Holding()
        token = _holding.set(holding)  # the task copies this context: its pool events see `holding`
        try:
            task = asyncio.ensure_future(call)
        finally:
            _holding.reset(token)
        started = time.monotonic()
        done, _ = await asyncio.wait({task}, timeout=self.answer_timeout)
        busy = False
        while task not in done:
            # Only a call waiting on the database, which has returned no connection meanwhile, is
            # given up as unanswered. One waiting for a connection of this process behind a burst,
            # or for the CPU on a busy machine, waits on (bounded), as long as no other call
            # has found the database down meanwhile.
            answering_others = time.monotonic() - self._returned_at < self.answer_timeout
            waiting_here = holding.connections == 0 and not self.breaker.failures
            if not (waiting_here or answering_others):
                break
            if time.monotonic() - started >= self.busy_wait:
                busy = True
                break
            done, _ = await asyncio.wait({task}, timeout=0.1)
        if task in done:
            return task.result()
        if busy:
            # The database answers; this process is too busy to reach it in time: no outage.
            task.cancel()
            task.add_done_callback(_discard_outcome)
            where = redact(self.url)
            raise DatabaseError(
                f"The call waited {self.busy_wait:g} s for this server process, busy with other "
                f"calls, to reach the database at {where}; nothing was written. Retry in a moment; "
                "if it lasts, raise PROJECT_STATUS_POOL_SIZE or spread the agents over more servers.",
                {"reason": "pool_busy", "database": where, "retryable": True},
            )
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
            yield ConnectionReader(conn) if self._plans is None else self._plans.reader(conn)

    def shared_session(self) -> AsyncSession | None:
        """The session of the `transaction()` this call runs in, if any."""
        return self._shared.get()

    @asynccontextmanager
    async def at_once(self) -> AsyncIterator[Reader | None]:
        """A connection whose statements each commit on their own, for a write made of one
        statement (`store.one_statement`, which counts the writes that took); None where there is
        none: SQLite, and PgBouncer (no prepared statements across transactions)."""
        if self._plans is None:
            yield None
            return
        async with self._read_connection() as conn:
            yield self._plans.reader(conn)

    @asynccontextmanager
    async def inline_write(self) -> AsyncIterator[InlineWrite | None]:
        """SQLite file: one write transaction (BEGIN IMMEDIATE, after the writers' queue, as a
        write unit of work takes it) whose statements the caller runs on the sqlite3 connection
        itself (`store.sqlite_writes`): no ORM session, no SQLAlchemy execution per statement.
        Committed when the block ends if the caller set `keep` (and counted as a unit of work
        that wrote counts itself), else rolled back; rolled back if the block raises. None
        elsewhere: PostgreSQL, an in-memory file, inside `transaction()`."""
        if self._write_plans is None or self._shared.get() is not None:
            yield None
            return
        async with self.translated_errors():
            # One greenlet hop to take the connection and the lock, one to commit and give it back.
            conn, transaction = await greenlet_spawn(self._begin_inline_write)
            # aiosqlite's connection: its sqlite3 connection runs the statements inline, as the
            # driver runs them once the write lock is held (`sqlite_driver.OneTripCursor`).
            driver = conn.connection.driver_connection
            handle = InlineWrite(getattr(driver, "_conn"), self._write_plans)  # noqa: B009
            try:
                yield handle
            except BaseException:
                await greenlet_spawn(_end_inline_write, conn, transaction, False)
                raise
            await greenlet_spawn(_end_inline_write, conn, transaction, handle.keep)
        if handle.keep:
            self.writes_committed += 1

    def _begin_inline_write(self) -> tuple[Connection, RootTransaction]:
        conn = self._write_engine.sync_engine.connect()
        try:
            return conn, conn.begin()  # BEGIN IMMEDIATE (`_sqlite_begin`)
        except BaseException:
            conn.close()
            raise

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
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STRUCTURE_LOCK_KEY})

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
