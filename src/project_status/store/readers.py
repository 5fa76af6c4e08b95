"""Readers: how a read-only use case runs its statements (`Database.reader`).

A reader runs Core statements (column selects, labelled with the ORM attribute names) and
returns plain rows. Two kinds:

* `ConnectionReader`: a pooled async connection without a transaction, as the units of work of
  readers run (PostgreSQL behind PgBouncer; SQLite from another thread, and any fallback);
* `PreparedReader` (`store.prepared`): the same on PostgreSQL, running the statements marked
  `hot` on the driver's own prepared statements;
* `SessionReader`: the session of a shared `transaction()`, which must see its own uncommitted
  writes;
* `InlineSqliteReader`: SQLite only. The statements run at once, in the calling thread, on one
  dedicated read-only connection (`InlineSqliteConnection`): no trip to aiosqlite's worker thread and no
  ORM session. A point read takes a few microseconds of SQLite work, so running it inline costs
  the event loop less than handing it to the worker thread and waiting for the answer. The
  statements marked `hot` run on that connection's own sqlite3 cursor, compiled once
  (`store.inline_plans`), without SQLAlchemy's execution around each.

Nothing is cached but compiled SQL: each statement runs in autocommit and reads the committed
state of the file as it is at that moment, whichever process wrote it (as the async readers do).
The connection never writes (`PRAGMA query_only`), never creates the file (`mode=rw`) and never waits for a
lock (`busy_timeout` 0): a statement it cannot run at once (SQLITE_BUSY while another process
recovers or resets the WAL, a file gone) is run again on the async path, which waits, retries
and translates errors as every other read does.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, TypeAlias, TypeVar
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import Row
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import Executable

from project_status.store import inline_plans
from project_status.store.inline_plans import InlinePlans

log = logging.getLogger(__name__)
T = TypeVar("T")

Params = Mapping[str, Any] | None
AnyRow: TypeAlias = Row[*tuple[Any, ...]]
"""A row of any width (what SQLAlchemy's `all()` gives for an untyped statement)."""


def row_columns(entity: Any) -> tuple[Any, ...]:
    """Every mapped column of `entity`, labelled with its attribute name (`metadata_`), so a row
    reads like the ORM object on either kind of reader."""
    return tuple(getattr(entity, attr.key).label(attr.key) for attr in entity.__mapper__.column_attrs)


_HOT = "project_status_hot"


def hot(statement: T) -> T:
    """Mark a read statement built once and run often: `PreparedReader` runs it on the driver's
    prepared statement (compiled once and kept for the process, its compiled-in values written
    into the SQL: so never a statement built per call, nor one holding a caller's value)."""
    return statement.execution_options(**{_HOT: True})  # type: ignore[attr-defined,no-any-return]


def is_hot(statement: Executable) -> bool:
    return bool(statement.get_execution_options().get(_HOT))


class Reader:
    """Runs a read statement and returns its rows."""

    async def rows(self, statement: Executable, params: Params = None) -> Sequence[AnyRow]:
        raise NotImplementedError

    async def first(self, statement: Executable, params: Params = None) -> AnyRow | None:
        found = await self.rows(statement, params)
        return found[0] if found else None


class SessionReader(Reader):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def rows(self, statement: Executable, params: Params = None) -> Sequence[AnyRow]:
        return (await self.session.execute(statement, params or {})).all()


def as_reader(source: AsyncSession | Reader) -> Reader:
    """A reader over a write unit of work's session, for store reads that serve both."""
    return source if isinstance(source, Reader) else SessionReader(source)


class ConnectionReader(Reader):
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def rows(self, statement: Executable, params: Params = None) -> Sequence[AnyRow]:
        return (await self.connection.execute(statement, params or {})).all()


class InlineSqliteReader(Reader):
    def __init__(
        self,
        quick: InlineSqliteConnection,
        connection: Connection,
        fallback: Callable[[], AbstractAsyncContextManager[AsyncConnection]],
    ) -> None:
        self.quick = quick
        self.connection: Connection | None = connection
        self.fallback = fallback
        """A pooled async connection, for a statement the quick connection cannot run at once."""

    async def rows(self, statement: Executable, params: Params = None) -> Sequence[AnyRow]:
        if self.connection is not None:
            given = params or {}
            try:
                if is_hot(statement):
                    plan = self.quick.plans.plan(statement, given)
                    return inline_plans.run(plan, self.connection.connection.driver_connection, given)
                return self.connection.execute(statement, given).all()
            except (SQLAlchemyError, sqlite3.Error) as exc:  # run it again below, where errors are translated
                self.connection = None  # the rest of this use case goes the async way too
                self.quick.failed(exc)
        async with self.fallback() as connection:
            return (await connection.execute(statement, params or {})).all()


def _read_only(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # autocommit: no snapshot is held between statements
    cursor = dbapi_connection.cursor()
    for pragma in ("PRAGMA query_only=1", "PRAGMA busy_timeout=0"):
        cursor.execute(pragma)
    cursor.close()


class InlineSqliteConnection:
    """The dedicated read-only connection of one SQLite file, opened on first use.

    It belongs to the thread that opened it (the event loop's); a reader in another thread
    gets None and uses the async path. A failed statement closes it; the next read reopens it.
    """

    def __init__(self, path: str) -> None:
        uri = f"file:{quote(str(Path(path).absolute()))}?mode=rw&uri=true"
        self._engine: Engine = create_engine(f"sqlite:///{uri}", poolclass=NullPool)
        event.listen(self._engine, "connect", _read_only)
        self.plans = InlinePlans(self._engine.dialect)
        """Hot statements compiled for the connection's own cursor (`store.inline_plans`)."""
        self._connection: Connection | None = None
        self._thread: int | None = None
        self._lock = threading.Lock()

    def connection(self) -> Connection | None:
        """The open connection, when the caller's thread may use it; None otherwise."""
        thread = threading.get_ident()
        if self._connection is not None:
            return self._connection if thread == self._thread else None
        with self._lock:
            if self._connection is None:
                try:
                    self._connection = self._engine.connect()
                except DBAPIError:
                    return None  # e.g. no file yet: the async path creates or reports it
                self._thread = thread
        return self._connection if thread == self._thread else None

    def failed(self, exc: BaseException) -> None:
        """Close after a failed statement (a broken or replaced file); the next read reopens."""
        log.debug("quick read failed, retried on the async path: %s", exc)
        self.close()

    def close(self) -> None:
        with self._lock:
            connection, self._connection, self._thread = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(DBAPIError):  # a broken connection: nothing left to release
                connection.close()

    def dispose(self) -> None:
        self.close()
        self._engine.dispose()
