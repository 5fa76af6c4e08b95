"""The background job of a server with a PostgreSQL primary: keep the mirror current and replay
the offline journal as soon as PostgreSQL answers again."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import anyio

from project_status.domain.errors import DatabaseUnavailableError, TrackerError

if TYPE_CHECKING:  # only a PostgreSQL primary has them; the server imports this module on SQLite too
    from project_status.services.fallback.mirror import Mirror
    from project_status.services.fallback.sync import SyncService

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
"""How soon a server notices PostgreSQL is back when changes wait in the journal."""
MAX_BACKOFF_SECONDS = 120.0
"""The longest wait between rounds that keep failing: a round that fails the same way again
soon would only fill the log."""


class _Unfinished(Exception):
    """The replay stopped before the journal's end (the database failed): try again later."""


def backoff(failures: int, poll_seconds: float) -> float:
    """The wait before the next round after `failures` failed rounds in a row (doubling)."""
    if failures <= 0:
        return poll_seconds
    return float(min(poll_seconds * 2 ** min(failures, 16), MAX_BACKOFF_SECONDS))


async def keep_mirror_current(
    mirror: Mirror,
    sync: SyncService,
    ready: Callable[[], Awaitable[bool]],
    *,
    refresh_every_seconds: float,
    poll_seconds: float = POLL_SECONDS,
) -> None:
    """Copy the primary into the mirror at start and every `refresh_every_seconds` (sooner when a
    write-through did not apply); while the journal holds changes, replay it instead.

    The primary's back-off breaker keeps a down database from being dialled on every round; a
    round that fails otherwise logs one line and the next waits twice as long.
    """
    last_copy = float("-inf")
    failures = 0
    while True:
        failed = True
        try:
            if not await ready():  # PostgreSQL down or its schema behind: nothing to copy or replay
                await anyio.sleep(poll_seconds)
                continue
            state = await mirror.state()
            if state.pending:
                result = await sync.sync()
                log.warning("sync: %s", result.message)
                if result.remaining:
                    raise _Unfinished
                last_copy = time.monotonic()
            elif state.needs_refresh or time.monotonic() - last_copy >= refresh_every_seconds:
                copied = await mirror.refresh()
                if copied.refreshed:
                    last_copy = time.monotonic()
                    log.info("mirror: copied %d rows in %.2f s", copied.rows, copied.seconds)
            failed = False
        except _Unfinished:
            pass
        except DatabaseUnavailableError as error:  # the breaker spaces the tries: no back-off here
            failed = False
            log.info("mirror upkeep: %s", error.message)
        except TrackerError as error:
            log.warning("mirror upkeep: %s", error.message)
        except Exception as error:  # never let the job die: the server would lose its fallback silently
            wait = backoff(failures + 1, poll_seconds)
            log.warning(
                "mirror upkeep failed (%s: %s); trying again in %g s", type(error).__name__, error, wait
            )
            log.debug("mirror upkeep failure", exc_info=True)
        failures = failures + 1 if failed else 0
        await anyio.sleep(backoff(failures, poll_seconds))
