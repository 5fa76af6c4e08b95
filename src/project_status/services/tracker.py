"""The service facade: one object per open database, shared by the MCP server and the CLI."""

from __future__ import annotations

import asyncio

from project_status.services.archive import ArchiveService
from project_status.services.configuration import ConfigurationService
from project_status.services.dependencies import DependencyService
from project_status.services.deployments import DeploymentService
from project_status.services.enhancements import EnhancementService
from project_status.services.health import HealthService
from project_status.services.importing.importer import ImportService
from project_status.services.reports import ReportService
from project_status.services.vendors import VendorService
from project_status.services.work_items import WorkItemService
from project_status.settings import Settings, database_url
from project_status.store.database import Database
from project_status.store.migrate import ensure_schema


class Tracker:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.work_items = WorkItemService(db)
        self.dependencies = DependencyService(db)
        self.vendors = VendorService(db)
        self.deployments = DeploymentService(db)
        self.configuration = ConfigurationService(db)
        self.enhancements = EnhancementService(db)
        self.reports = ReportService(db)
        self.health = HealthService(db)
        self.archive = ArchiveService(db)
        self.imports = ImportService(
            db, self.work_items, self.vendors, self.deployments, self.enhancements, self.configuration
        )
        self._ready = False
        self._ready_lock = asyncio.Lock()

    @classmethod
    def create(cls, settings: Settings | None = None, *, url: str | None = None) -> Tracker:
        """A tracker on the configured database, not yet connected (see `ensure_ready`)."""
        return cls(Database(url or database_url(settings or Settings())))

    @classmethod
    async def open(cls, settings: Settings | None = None, *, url: str | None = None) -> Tracker:
        """Open the configured database, creating and migrating an embedded SQLite file on first use."""
        tracker = cls.create(settings, url=url)
        try:
            await tracker.ensure_ready()
        except BaseException:
            await tracker.close()
            raise
        return tracker

    async def ensure_ready(self) -> None:
        """Check (and for SQLite apply) the schema once; a failure is retried on the next call."""
        if self._ready:
            return
        async with self._ready_lock:
            if not self._ready:
                await ensure_schema(self.db)
                self._ready = True

    async def close(self) -> None:
        await self.db.dispose()
