"""Translate driver and SQLAlchemy errors into the tracker's errors, at the store boundary."""

from __future__ import annotations

import logging
import re

from sqlalchemy import exc as sa_exc

from project_status.domain.errors import (
    DatabaseError,
    DatabaseUnavailableError,
    TrackerError,
    ValidationError,
)

log = logging.getLogger(__name__)

_CONSTRAINT_MESSAGES = {
    # PostgreSQL names the constraint; SQLite names the columns.
    ("uq_vendors_name", "vendors.name"): ("name", "a vendor with this name already exists"),
    ("pk_work_item_dependencies", "work_item_dependencies.source_id"): (
        "target_id",
        "this dependency already exists",
    ),
    ("fk_work_items_parent_id_work_items",): ("parent_id", "the parent work item does not exist"),
}


_TRANSIENT_SQLSTATES = ("08", "40", "53", "55P03", "57", "58", "XX")
"""Connection lost, a deadlock or serialization failure, resources short, the server shutting
down or failing: the database failed, not the change; the same change may succeed later."""
_ARGUMENT_PREFIX = re.compile(r"^invalid input for query argument \$\d+:\s*")
_REFUSAL_LIMIT = 300
"""A refusal quotes the value refused: cut long ones so a huge value does not fill a message."""


def _refusal(exc: BaseException) -> tuple[str, str] | None:
    """(SQLSTATE, PostgreSQL's own words) when the database refused the statement itself, without
    the SQL, its parameters or the driver's wording; None for anything else."""
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    if not isinstance(sqlstate, str) or not sqlstate:
        return None
    cause = orig.__cause__ if orig is not None else None
    words = getattr(cause, "message", None) or str(cause or orig).splitlines()[0]
    words = _ARGUMENT_PREFIX.sub("", str(words)).strip()
    if len(words) > _REFUSAL_LIMIT:
        words = words[:_REFUSAL_LIMIT] + "..."
    return sqlstate, words


def _unreachable(exc: BaseException) -> bool:
    if isinstance(exc, OSError | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    text = str(exc).lower()
    return any(
        marker in text
        for marker in (
            "connection refused",
            "could not connect",
            "connection was closed",
            "connection is closed",
            "cannot connect",
            "the database system is shutting down",
            "the database system is starting up",
            "terminating connection",
            "unable to open database file",
            "connect call failed",
        )
    )


EXHAUSTED_SQLSTATES = frozenset({"53300", "53000"})
"""too_many_connections (server, role or database limit) and insufficient_resources."""
_EXHAUSTED_MARKERS = (
    "too many connections",
    "too many clients",
    "remaining connection slots are reserved",
    "no more connections allowed",  # PgBouncer's max_client_conn
)
NEXT_STEPS_WHEN_FULL = (
    "raise max_connections on the server (or the role's or database's CONNECTION LIMIT)",
    "put PgBouncer in front of PostgreSQL and add ?pgbouncer=true to PROJECT_STATUS_DATABASE_URL",
    "share one server: `project-status serve --transport http --tokens FILE`",
    "or lower PROJECT_STATUS_POOL_SIZE",
)


def connections_exhausted(exc: BaseException) -> bool:
    """Whether `exc` (or what it wraps) is the server refusing a connection because it is full.

    Not an outage: the server answers, it only has no room for one more connection, so this is
    retried briefly and then reported as such, never journalled as an offline change.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "sqlstate", None) in EXHAUSTED_SQLSTATES:
            return True
        if any(marker in str(current).lower() for marker in _EXHAUSTED_MARKERS):
            return True
        current = getattr(current, "orig", None) or current.__cause__
    return False


def _prepared_statement_lost(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "prepared statement" in text and ("does not exist" in text or "already exists" in text)


def exhausted_error(where: str, exc: BaseException) -> DatabaseError:
    """The clear error for a server that has no connection left for this process."""
    return DatabaseError(
        f"The database at {where} refused a new connection: it already serves as many connections "
        "as it allows; nothing was written. Retry in a moment. To make room for good: "
        + "; ".join(NEXT_STEPS_WHEN_FULL)
        + ".",
        {
            "reason": "connections_exhausted",
            "database": where,
            "retryable": True,
            "next_steps": list(NEXT_STEPS_WHEN_FULL),
        },
    )


def translate_error(exc: BaseException, where: str) -> TrackerError | None:
    """The tracker error for `exc`, or None when it is a bug that should surface as one."""
    if isinstance(exc, TrackerError):
        return exc
    if connections_exhausted(exc):
        log.warning("database at %s has no connection left: %s", where, exc)
        return exhausted_error(where, exc)
    if _prepared_statement_lost(exc):
        log.warning("prepared statement lost at %s (PgBouncer in transaction mode?): %s", where, exc)
        return DatabaseError(
            f"The database at {where} lost a prepared statement between two steps of a query: it "
            "is most likely reached through PgBouncer in transaction pooling mode; nothing was "
            "written. Add ?pgbouncer=true to PROJECT_STATUS_DATABASE_URL.",
            {"reason": "pgbouncer_transaction_mode", "database": where, "retryable": True},
        )
    if isinstance(exc, sa_exc.TimeoutError):
        # The pool's own wait: every connection of this process stayed busy.
        return DatabaseError(
            f"Every connection to the database at {where} that this process may hold stayed busy; "
            "nothing was written. Retry in a moment, or raise PROJECT_STATUS_POOL_SIZE.",
            {"reason": "pool_busy", "database": where, "retryable": True},
        )
    if _unreachable(exc):
        log.warning("database unavailable at %s: %r", where, exc)
        return DatabaseUnavailableError(
            f"The database at {where} is unavailable; check that it is running and reachable.",
            {"database": where},
        )
    refused = _refusal(exc)
    if isinstance(exc, sa_exc.IntegrityError):
        text = str(exc.orig)
        for markers, (field, message) in _CONSTRAINT_MESSAGES.items():
            if any(marker in text for marker in markers):
                return ValidationError.for_field(field, message)
        log.warning("integrity error: %s", refused[1] if refused else type(exc.orig).__name__)
        return DatabaseError(
            "The change breaks a database constraint; nothing was written."
            + (f" The database said: {refused[1]}." if refused else ""),
            {"refused": refused[1]} if refused else {},
        )
    if refused is not None:
        sqlstate, words = refused
        # One line, no traceback: a refused value is not a bug, and a replay may meet it often.
        log.warning("database at %s refused a statement (SQLSTATE %s): %s", where, sqlstate, words)
        if sqlstate.startswith(_TRANSIENT_SQLSTATES):
            return DatabaseError(
                f"The database could not carry out the operation now ({words}); nothing was written. "
                "Retry the call.",
                {"retryable": True},
            )
        return DatabaseError(
            f"The database refused the change: {words}. Nothing was written.", {"refused": words}
        )
    if isinstance(exc, sa_exc.OperationalError) and "locked" in str(exc).lower():
        return DatabaseError(
            "The SQLite database stayed locked by another writer; nothing was written. Try again.",
            {"retryable": True},
        )
    if isinstance(exc, sa_exc.SQLAlchemyError):
        log.exception("database error")
        return DatabaseError("The database failed to carry out the operation; nothing was written.")
    return None
