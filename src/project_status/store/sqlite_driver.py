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

import collections
import os
import random
import sqlite3
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
from sqlalchemy.util import EMPTY_DICT

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


def _begin_write(conn: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, waiting for another process's write lock in fine steps.

    SQLite's own busy handler sleeps 1, 2, 5, 10 ... up to 100 ms between tries, so with several
    writer processes a waiter keeps sleeping long after the lock was freed, and the tail grows to
    seconds. Here the worker thread retries every few tenths of a millisecond to 4 ms (with
    jitter, so waiters do not retry in step) until the same overall limit.
    """
    timeout_ms = busy_timeout_ms()
    conn.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + timeout_ms / 1000
        pause = _FIRST_RETRY_SECONDS
        while True:
            try:
                conn.execute(BEGIN_WRITE)
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() >= deadline:
                    raise
            time.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 1.5, _LONGEST_RETRY_SECONDS)
    finally:
        conn.execute(f"PRAGMA busy_timeout={timeout_ms}")


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> tuple[Any, ...]:
    if operation == BEGIN_WRITE:
        _begin_write(conn)
        return None, -1, None, [], conn.in_transaction
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
        async with self._adapt_connection._execute_mutex:
            result: Sequence[Any] = await connection._execute(
                lambda: _run(connection._conn, operation, parameters, many)
            )
        self._description, self._rowcount, self._lastrowid, rows, in_transaction = result
        self._rows = collections.deque(rows)
        adapter: OneTripConnection = self._adapt_connection  # type: ignore[assignment]
        adapter.in_transaction = in_transaction

    async def _async_soft_close(self) -> None:
        return None

    def close(self) -> None:
        self._rows.clear()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("in_transaction",)
    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.in_transaction = False
        """As SQLite last reported it, read on the worker thread after each statement."""

    def commit(self) -> None:
        if self.in_transaction:
            super().commit()
            self.in_transaction = False

    def rollback(self) -> None:
        if self.in_transaction:
            super().rollback()
            self.in_transaction = False


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
