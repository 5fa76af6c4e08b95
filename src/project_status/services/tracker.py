"""The service facade: one object per open database, shared by the MCP server and the CLI."""

from __future__ import annotations

from project_status.services.configuration import ConfigurationService
from project_status.services.dependencies import DependencyService
from project_status.services.deployments import DeploymentService
from project_status.services.enhancements import EnhancementService
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

    @classmethod
    async def open(cls, settings: Settings | None = None, *, url: str | None = None) -> Tracker:
        """Open the configured database, creating and migrating an embedded SQLite file on first use."""
        db = Database(url or database_url(settings or Settings()))
        try:
            await ensure_schema(db)
        except BaseException:
            await db.dispose()
            raise
        return cls(db)

    async def close(self) -> None:
        await self.db.dispose()
