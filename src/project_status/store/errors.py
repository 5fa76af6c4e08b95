"""Translate driver and SQLAlchemy errors into the tracker's errors, at the store boundary."""

from __future__ import annotations

import logging

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
    if isinstance(exc, sa_exc.IntegrityError):
        text = str(exc.orig)
        for markers, (field, message) in _CONSTRAINT_MESSAGES.items():
            if any(marker in text for marker in markers):
                return ValidationError.for_field(field, message)
        log.warning("integrity error: %r", exc)
        return DatabaseError("The change breaks a database constraint; nothing was written.")
    if isinstance(exc, sa_exc.OperationalError) and "locked" in str(exc).lower():
        return DatabaseError(
            "The SQLite database stayed locked by another writer; nothing was written. Try again.",
            {"retryable": True},
        )
    if isinstance(exc, sa_exc.SQLAlchemyError):
        log.exception("database error")
        return DatabaseError("The database failed to carry out the operation; nothing was written.")
    return None
