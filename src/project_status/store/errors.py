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


def translate_error(exc: BaseException, where: str) -> TrackerError | None:
    """The tracker error for `exc`, or None when it is a bug that should surface as one."""
    if isinstance(exc, TrackerError):
        return exc
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
