"""aiosqlite, one trip to the driver thread per statement.

SQLAlchemy's aiosqlite adapter makes four trips to aiosqlite's worker thread per statement
(open cursor, execute, fetch, close) and one more for COMMIT or ROLLBACK; each is a thread
hand-off, which is most of the cost of a point query. This adapter runs the four steps
in one trip and skips COMMIT/ROLLBACK when SQLite has no transaction open (readers run in
autocommit, see `store.database`), where they would do nothing. Everything else
(connections, errors, types) is SQLAlchemy's own aiosqlite dialect.

It leans on `aiosqlite.Connection._execute` and `_conn` (run a function on the worker thread,
and the sqlite3 connection it owns); the test suite runs every SQLite test through it.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import fcntl
import os
import random
import sqlite3
import threading
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util import EMPTY_DICT, await_only

DRIVER = "ps_aiosqlite"


BEGIN_WRITE = "BEGIN IMMEDIATE"
BUSY_TIMEOUT_MS = 10_000
"""How long a statement may wait for another process's lock before "database is locked"."""
BUSY_SETTING = "PROJECT_STATUS_SQLITE_BUSY_SECONDS"
"""Overrides BUSY_TIMEOUT_MS (validated as a setting at start-up): a machine whose cores are shared
with much other work, or many writer processes, may need to wait longer than 10 s."""


def busy_timeout_ms() -> int:
    """The wait for another writer's lock, in ms: the setting when given, else BUSY_TIMEOUT_MS."""
    raw = os.environ.get(BUSY_SETTING, "").strip()
    try:
        seconds = float(raw)
    except ValueError:
        return BUSY_TIMEOUT_MS
    return max(1, int(seconds * 1000)) if seconds > 0 else BUSY_TIMEOUT_MS


_FIRST_RETRY_SECONDS = 0.0005
_LONGEST_RETRY_SECONDS = 0.004
YIELD_EVERY_SECONDS = 0.005
"""A write transaction runs its statements inline; past this long without a pause it lets the
event loop run other callbacks once (a long import must not stall this process's other calls)."""


QUEUE_SUFFIX = "-writers"
"""The file next to the database whose lock the writers of all processes queue for."""
_queue_waits: concurrent.futures.ThreadPoolExecutor | None = None


def _waiting_threads() -> concurrent.futures.ThreadPoolExecutor:
    global _queue_waits
    if _queue_waits is None:
        _queue_waits = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="sqlite-writer-queue")
    return _queue_waits


def _forked() -> None:
    """A forked child has none of its parent's threads: its waits need threads of its own."""
    global _queue_waits
    _queue_waits = None


os.register_at_fork(after_in_child=_forked)


class WriterQueue:
    """Writers of one SQLite file, in all processes, wait their turn here before BEGIN IMMEDIATE.

    SQLite offers a waiting writer nothing but retries, so a writer freed by a commit is found
    only at some waiter's next try, and the one that tries most often (the newest) wins. Here a
    writer first takes an exclusive lock (flock) on a file next to the database; a waiter sleeps
    in the kernel, which wakes it the moment the lock is released, at no CPU cost meanwhile.
    The lock is the connection's own (an open file description) and is released right after
    COMMIT or ROLLBACK, or by the kernel when the process ends. SQLite's lock stays the one that
    guards the data: a writer that does not queue here (another program) is still waited for
    by `_begin_write`.
    """

    def __init__(self, database_file: str) -> None:
        self.path = f"{database_file}{QUEUE_SUFFIX}"
        self._fd: int | None = None
        self.held = False

    async def enter(self, deadline: float) -> None:
        """Take the lock, waiting until `deadline` (time.monotonic) at most.

        Raises sqlite3.OperationalError("database is locked") past it, as SQLite would.
        Without a usable file (a read-only folder) it returns without the lock.
        """
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            fd = self._fd
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.held = True
                return
            except BlockingIOError:
                pass
        except OSError:
            return
        turn = _Turn(fd)
        waiting = asyncio.get_running_loop().run_in_executor(_waiting_threads(), turn.wait)
        try:
            await asyncio.wait_for(asyncio.shield(waiting), max(0.0, deadline - time.monotonic()))
        except BaseException as stopped:
            # The wait goes on in its thread: the file description is handed to it, released
            # and closed whenever the wait ends (event loop or not); a later turn opens a new one.
            self._fd = None
            turn.abandon()
            if isinstance(stopped, TimeoutError):
                raise sqlite3.OperationalError("database is locked") from None
            raise
        self.held = True

    def leave(self) -> None:
        if self.held and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self.held = False

    def close(self) -> None:
        fd, self._fd, self.held = self._fd, None, False
        if fd is not None:
            os.close(fd)


class _Turn:
    """One wait for the queue's lock in a thread, which the waiter may give up at any time."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._guard = threading.Lock()
        self._ended = False
        self._abandoned = False

    def wait(self) -> None:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        finally:
            with self._guard:
                self._ended = True
                if self._abandoned:
                    os.close(self.fd)

    def abandon(self) -> None:
        with self._guard:
            self._abandoned = True
            if self._ended:
                os.close(self.fd)


def _database_file(conn: sqlite3.Connection) -> str:
    """The main database's file, "" for an in-memory or temporary database."""
    for _seq, name, file in conn.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return str(file or "")
    return ""


async def _begin_write(
    conn: sqlite3.Connection, deadline: float | None = None, timeout_ms: int | None = None
) -> None:
    """BEGIN IMMEDIATE, waiting for another process's write lock in fine steps.

    SQLite's own busy handler sleeps 1, 2, 5, 10 ... up to 100 ms between tries, so with several
    writer processes a waiter keeps sleeping long after the lock was freed, and the tail grows to
    seconds. Writers of this project have queued in `WriterQueue` first and find the lock free;
    for any other, each try runs at once in the caller's thread and between tries the event
    loop sleeps a millisecond or so to 4 ms (with jitter, so waiters do not retry in step) until
    the busy timeout.
    """
    if timeout_ms is None:
        timeout_ms = busy_timeout_ms()
    if deadline is None:
        deadline = time.monotonic() + timeout_ms / 1000
    conn.execute("PRAGMA busy_timeout=0")
    try:
        pause = _FIRST_RETRY_SECONDS
        while True:
            try:
                conn.execute(BEGIN_WRITE)
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 1.5, _LONGEST_RETRY_SECONDS)
    finally:
        conn.execute(f"PRAGMA busy_timeout={timeout_ms}")


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> tuple[Any, ...]:
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, parameters if parameters is not None else ())
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows, conn.in_transaction
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_lastrowid", "_rowcount", "arraysize")

    def __init__(self, adapt_connection: Any) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self.arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        return await self._trip(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        return await self._trip(operation, seq_of_parameters, many=True)

    async def _trip(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection = self._connection
        adapter: OneTripConnection = self._adapt_connection  # type: ignore[assignment]
        mutex = adapter._execute_mutex
        if adapter.writing_since is not None and not mutex.locked():
            # Inline and without an await, so nothing else can take the connection meanwhile:
            # acquiring and releasing the mutex would only cost its own calls.
            result: Sequence[Any] = _run(connection._conn, operation, parameters, many)
        else:
            result = await self._trip_in_turn(operation, parameters, many=many)
        self._description, self._rowcount, self._lastrowid, rows, in_transaction = result
        self._rows = collections.deque(rows)
        adapter.in_transaction = in_transaction
        if adapter.writing_since is not None and time.monotonic() - adapter.yielded_at > YIELD_EVERY_SECONDS:
            await asyncio.sleep(0)
            adapter.yielded_at = time.monotonic()

    async def _trip_in_turn(self, operation: Any, parameters: Any, *, many: bool) -> Sequence[Any]:
        connection = self._connection
        adapter: OneTripConnection = self._adapt_connection  # type: ignore[assignment]
        async with adapter._execute_mutex:
            if operation == BEGIN_WRITE:
                await adapter.begin_write()
                result: Sequence[Any] = (None, -1, None, [], True)
                adapter.writing_since = adapter.yielded_at = time.monotonic()
            elif adapter.writing_since is not None:
                # The write lock is held: every trip to the driver thread and back would
                # hold it longer for all other processes, so the statement runs here.
                result = _run(connection._conn, operation, parameters, many)
            else:
                conn = connection._conn
                result = await connection._execute(lambda: _run(conn, operation, parameters, many))
        return result

    async def _async_soft_close(self) -> None:
        return None

    def close(self) -> None:
        self._rows.clear()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("in_transaction", "queue", "writing_since", "yielded_at")
    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.in_transaction = False
        """As SQLite last reported it, read after each statement."""
        self.writing_since: float | None = None
        """When this connection took the write lock (BEGIN IMMEDIATE), until it commits or rolls back:
        meanwhile its statements run inline (see `OneTripCursor._trip`)."""
        self.yielded_at = 0.0
        self.queue: WriterQueue | None = None

    def begin_immediate(self) -> None:
        """BEGIN IMMEDIATE for SQLAlchemy's `begin` event (`store.database`), as running the
        statement would do it (`OneTripCursor._trip`) without a statement's execution around it.
        Errors come as the cursor's would; the caller wraps them as SQLAlchemy does."""
        try:
            await_only(self._begin_immediate())
        except Exception as error:
            self._handle_exception(error)

    async def _begin_immediate(self) -> None:
        async with self._execute_mutex:
            await self.begin_write()
            self.in_transaction = True
            self.writing_since = self.yielded_at = time.monotonic()

    async def begin_write(self) -> None:
        """Queue for the write lock (`WriterQueue`), then BEGIN IMMEDIATE, within the busy timeout."""
        conn: sqlite3.Connection = self._connection._conn
        timeout_ms = busy_timeout_ms()
        deadline = time.monotonic() + timeout_ms / 1000
        if self.queue is None:
            database_file = _database_file(conn)
            self.queue = WriterQueue(database_file) if database_file else None
        if self.queue is not None:
            await self.queue.enter(deadline)
        try:
            await _begin_write(conn, deadline, timeout_ms)
        except BaseException:
            if self.queue is not None:
                self.queue.leave()
            raise

    def close(self) -> None:
        if self.queue is not None:
            self.queue.close()
        super().close()

    def terminate(self) -> None:
        if self.queue is not None:
            self.queue.close()
        super().terminate()

    def commit(self) -> None:
        if self.writing_since is not None:
            self._end_inline(self._connection._conn.commit)
        elif self.in_transaction:
            super().commit()
            self.in_transaction = False

    def rollback(self) -> None:
        if self.writing_since is not None:
            self._end_inline(self._connection._conn.rollback)
        elif self.in_transaction:
            super().rollback()
            self.in_transaction = False

    def _end_inline(self, end: Any) -> None:
        """COMMIT or ROLLBACK of a write transaction, at once: it releases the lock others wait for."""
        conn: sqlite3.Connection = self._connection._conn
        try:
            end()
        except Exception as error:
            self._handle_exception(error)
        finally:
            self.in_transaction = conn.in_transaction
            if not self.in_transaction:
                self.writing_since = None
                if self.queue is not None:
                    self.queue.leave()


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        connection = super().connect(*arg, **kw)
        return OneTripConnection(self, connection._connection)


class OneTripSQLiteDialect(SQLiteDialect_aiosqlite):
    driver = DRIVER
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> AsyncAdapt_aiosqlite_dbapi:
        return OneTripDBAPI(__import__("aiosqlite"), __import__("sqlite3"))


registry.register(f"sqlite.{DRIVER}", __name__, "OneTripSQLiteDialect")
