"""The background job of a server with a PostgreSQL primary: keep the mirror current and replay
the offline journal as soon as PostgreSQL answers again."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

import anyio

from project_status.domain.errors import TrackerError
from project_status.services.fallback.mirror import Mirror
from project_status.services.fallback.sync import SyncService

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
"""How soon a server notices PostgreSQL is back when changes wait in the journal."""


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

    The primary's back-off breaker keeps a down database from being dialled on every round.
    """
    last_copy = float("-inf")
    while True:
        try:
            if not await ready():  # PostgreSQL down or its schema behind: nothing to copy or replay
                await anyio.sleep(poll_seconds)
                continue
            state = await mirror.state()
            if state.pending:
                result = await sync.sync()
                log.warning("sync: %s", result.message)
                if not result.remaining:
                    last_copy = time.monotonic()
            elif state.needs_refresh or time.monotonic() - last_copy >= refresh_every_seconds:
                copied = await mirror.refresh()
                if copied.refreshed:
                    last_copy = time.monotonic()
                    log.info("mirror: copied %d rows in %.2f s", copied.rows, copied.seconds)
        except TrackerError as error:
            log.info("mirror upkeep: %s", error.message)
        except Exception:  # never let the job die: the server would lose its fallback silently
            log.exception("mirror upkeep failed; trying again")
        await anyio.sleep(poll_seconds)
