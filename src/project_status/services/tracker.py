"""The service facade: one object per open database, shared by the MCP server and the CLI."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from project_status.domain.errors import DatabaseUnavailableError, TrackerError, ValidationError
from project_status.services.archive import ArchiveService
from project_status.services.board import BoardService
from project_status.services.changes import ChangeService
from project_status.services.claims import ClaimService
from project_status.services.configuration import ConfigurationService
from project_status.services.dependencies import DependencyService
from project_status.services.deployments import DeploymentService
from project_status.services.enhancements import EnhancementService
from project_status.services.fallback.markdown import MarkdownLayers
from project_status.services.fallback.mirror import Mirror
from project_status.services.fallback.router import FallbackRouter
from project_status.services.fallback.sync import SyncService
from project_status.services.health import HealthService
from project_status.services.importing.importer import ImportService
from project_status.services.live_report import LiveReport
from project_status.services.notes import NoteService
from project_status.services.reports import ReportService
from project_status.services.routing import Routed
from project_status.services.vendors import VendorService
from project_status.services.work_items import WorkItemService
from project_status.settings import Settings, data_dir, database_url
from project_status.store.database import DEFAULT_POOL_SIZE, Database, redact
from project_status.store.migrate import ensure_schema

MIRROR_FILE = "cache.db"


class Tracker:
    def __init__(
        self,
        db: Database,
        *,
        mirror_path: Path | None = None,
        project_root: Path | None = None,
        mirror_ttl: timedelta | None = None,
    ) -> None:
        self.db = db
        self.project_root = project_root
        """Where `.project_status.md` lives; None for a tracker opened on a bare URL."""
        self.work_items = WorkItemService(db)
        self.dependencies = DependencyService(db)
        self.vendors = VendorService(db)
        self.deployments = DeploymentService(db)
        self.configuration = ConfigurationService(db)
        self.enhancements = EnhancementService(db)
        self.claims = ClaimService(db)
        self.notes = NoteService(db)
        self.changes = ChangeService(db)
        self.reports = ReportService(db)
        self.board = BoardService(db)
        self.archive = ArchiveService(db)
        self.imports = ImportService(
            db,
            self.work_items,
            self.vendors,
            self.deployments,
            self.enhancements,
            self.configuration,
            dependencies=self.dependencies,
        )
        self.mirror: Mirror | None = None
        self.router: FallbackRouter | None = None
        self.sync: SyncService | None = None
        self._mirrored: Tracker | None = None
        self._markdown: MarkdownLayers | None = None
        if mirror_path is not None and not db.is_sqlite:
            self._attach_mirror(mirror_path, project_root or mirror_path.parent.parent, mirror_ttl)
        self.health = HealthService(db, self.mirror.db if self.mirror else None)
        self._ready = False
        self._ready_lock = asyncio.Lock()

    def _attach_mirror(self, path: Path, root: Path, ttl: timedelta | None) -> None:
        """PostgreSQL primary: route every service call through the fallback chain."""
        self.mirror = Mirror(path, self.db)
        self._mirrored = Tracker(self.mirror.db)
        self._markdown = MarkdownLayers(root, path.parent / "fallback", _open_copy)
        router = FallbackRouter(
            primary_name=f"PostgreSQL ({redact(self.db.url)})",
            mirror=self.mirror,
            mirrored=self._mirrored,
            markdown=self._markdown,
            project_root=root,
            **({"ttl": ttl} if ttl is not None else {}),
        )
        for service in vars(self).values():
            if isinstance(service, Routed):
                service.router = router
        self.router = router
        self.sync = SyncService(self.db, self.mirror, self)
        router.sync = self.sync
        # An import writes in one long transaction past the router: the mirror then copies anew.
        self.imports.after_commit = self.mirror.mark_stale
        self.archive.after_run = self.mirror.mark_stale

    def live_report(self, delay_seconds: float) -> LiveReport | None:
        """The project's generated report file, kept in step with this store; None when the
        tracker has no project folder (opened on a bare URL) or the delay is 0 (turned off)."""
        if self.project_root is None or delay_seconds <= 0:
            return None
        return LiveReport(
            self.db, self.reports, self.project_root, delay_seconds=delay_seconds, ready=self.try_ready
        )

    def require_sync(self) -> SyncService:
        """The sync service; without a PostgreSQL primary there is no journal to sync or conflict."""
        if self.sync is None:
            raise ValidationError(
                "The database is not PostgreSQL, so there is no local mirror, no offline journal and no "
                "sync conflicts (PROJECT_STATUS_DATABASE_URL or --database-url choose a PostgreSQL "
                "database)",
                {},
            )
        return self.sync

    @classmethod
    def create(cls, settings: Settings | None = None, *, url: str | None = None) -> Tracker:
        """A tracker on the configured database, not yet connected (see `ensure_ready`).

        With PostgreSQL configured (not an explicit `url`), the local mirror comes with it.
        """
        settings = settings or Settings()
        if url is not None:
            return cls(_database(url, settings))
        folder = data_dir(settings)
        return cls(
            _database(database_url(settings), settings),
            mirror_path=folder / MIRROR_FILE if settings.mirror else None,
            project_root=folder.parent,
            mirror_ttl=timedelta(minutes=settings.mirror_ttl_minutes),
        )

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
        """Check (and for SQLite apply) the schema once; a failure is retried on the next call.

        With a mirror, PostgreSQL being down is not a failure here: calls fall back.
        """
        if self._ready:
            return
        async with self._ready_lock:
            if self._ready:
                return
            if self.mirror is not None:
                await self.mirror.ensure_ready()
            try:
                await self.db.within_answer_time(ensure_schema(self.db))
            except DatabaseUnavailableError:
                if self.mirror is None:
                    raise
                return
            self._ready = True

    async def try_ready(self) -> bool:
        """Whether the primary database is reachable with its schema current (never raises)."""
        try:
            await self.ensure_ready()
        except TrackerError:
            return False
        return self._ready

    async def close(self) -> None:
        await self.db.dispose()
        if self._markdown is not None:
            await self._markdown.close()
        if self.mirror is not None:
            await self.mirror.dispose()


def _database(url: str, settings: Settings) -> Database:
    return Database(
        url,
        answer_timeout=settings.answer_timeout_seconds,
        connect_timeout=settings.connect_timeout_seconds,
        pool_size=settings.pool_size or DEFAULT_POOL_SIZE,
        idle_seconds=settings.pool_idle_seconds,
    )


async def _open_copy(url: str) -> Tracker:
    return await Tracker.open(url=url)
