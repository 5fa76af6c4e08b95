"""The MCP server's periodic jobs over the tracker: health, archiving (the mirror's own upkeep
is in `services.fallback.upkeep`). Each round logs its errors and never raises."""

from __future__ import annotations

import logging

import anyio

from project_status.domain.errors import DatabaseUnavailableError, TrackerError
from project_status.services.health import CHECK_INTERVAL_SECONDS
from project_status.services.tracker import Tracker
from project_status.settings import Settings

log = logging.getLogger(__name__)


async def keep_health_current(tracker: Tracker) -> None:
    """The periodic health job: checks the database and records it in the configuration."""
    while True:
        try:
            await tracker.ensure_ready()
            await tracker.health.check()
        except TrackerError as error:
            log.warning("health check: %s", error.message)
        await anyio.sleep(CHECK_INTERVAL_SECONDS)


ARCHIVE_ACTOR = "system:archive"
"""Who the periodic archive job acts as, in the audit trail and the run log."""
ARCHIVE_RETRY_SECONDS = 600.0
"""After a failed round, the next try comes this much later (or after the interval, if shorter)."""


async def archive_round(tracker: Tracker, settings: Settings) -> float:
    """One round of the periodic archive job: archive if the last run is an interval old (or
    there was none), and answer how many seconds to wait before the next round.

    Errors are logged, never raised: an unreachable database just skips this round.
    """
    interval = settings.archive_interval_hours * 3600
    try:
        await tracker.ensure_ready()
        wait = await tracker.archive.seconds_until_due(settings.archive_interval_hours)
        if wait > 0:
            return wait
        result = await tracker.archive.run(actor=ARCHIVE_ACTOR, older_than_days=settings.archive_after_days)
        log.info(
            "archive job: %d work items in %d subtrees archived in %.1f s",
            result.items_archived,
            result.subtrees_archived,
            result.duration_seconds,
        )
        return interval
    except DatabaseUnavailableError as error:
        log.warning("archive job skipped, the database is unavailable: %s", error.message)
    except TrackerError as error:
        log.warning("archive job: %s", error.message)
    except Exception:
        log.exception("archive job failed")
    return min(interval, ARCHIVE_RETRY_SECONDS)


async def keep_archive_current(tracker: Tracker, settings: Settings) -> None:
    """The periodic archive job: at start-up when overdue, then every interval."""
    while True:
        wait = await archive_round(tracker, settings)
        await anyio.sleep(wait)


async def keep_pool_trimmed(tracker: Tracker) -> None:
    """Close this process's PostgreSQL connections once they sit idle (`Database.close_idle`), so
    that idle agents leave the server's connection budget to busy ones."""
    every = max(1.0, min(tracker.db.idle_seconds / 4, 15.0))
    while True:
        await anyio.sleep(every)
        try:
            await tracker.db.close_idle()
        except Exception:  # never let the job die; a failed close is retried next round
            log.exception("closing idle database connections failed")
