"""Is the database reachable? Checked on demand and by the server's periodic job, and recorded
in the configuration (`database_healthy`, `last_health_check_at`) whenever it can be."""

from __future__ import annotations

import logging

from project_status.domain.errors import TrackerError
from project_status.services.clock import now
from project_status.store import configuration as store
from project_status.store.database import Database

log = logging.getLogger(__name__)

CHECK_INTERVAL_SECONDS = 60.0


class HealthService:
    def __init__(self, db: Database, mirror_db: Database | None = None) -> None:
        self.db = db
        self.mirror_db = mirror_db

    async def check(self) -> bool:
        """True when the database answered; the answer and its time are then recorded.

        A database that is down cannot record that it is down: with a local mirror the failure
        is recorded there (what readers see while it is down); without one, the configuration
        keeps the last time it was seen healthy.
        """
        try:
            await self.db.within_answer_time(self._record_up())
        except TrackerError as error:
            log.warning("health check: %s", error.message)
            await self._record_down()
            return False
        return True

    async def _record_up(self) -> None:
        async with self.db.unit_of_work(write=True) as session:
            await store.record_health(session, healthy=True, at=now())

    async def _record_down(self) -> None:
        if self.mirror_db is None:
            return
        try:
            async with self.mirror_db.unit_of_work(write=True) as session:
                await store.record_health(session, healthy=False, at=now())
        except TrackerError as error:
            log.warning("health check: could not record it in the mirror: %s", error.message)
