"""The service facade: one object per open database, shared by the MCP server and the CLI.

Each service is built, and its module imported, on first use: a CLI command that shows one work
item then loads the work item service and the store below it, not the archive, the importer, the
report templates or the PostgreSQL fallback chain (issue 13: start-up is mostly imports).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from project_status.domain.errors import DatabaseUnavailableError, TrackerError, ValidationError
from project_status.services.routing import Routed
from project_status.settings import Settings, data_dir, database_url
from project_status.store.database import DEFAULT_POOL_SIZE, Database, redact
from project_status.store.migrate import ensure_schema

if TYPE_CHECKING:
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
    from project_status.services.vendors import VendorService
    from project_status.services.work_items import WorkItemService

MIRROR_FILE = "cache.db"
SERVICES = (
    "work_items",
    "dependencies",
    "vendors",
    "deployments",
    "configuration",
    "enhancements",
    "claims",
    "notes",
    "changes",
    "reports",
    "board",
    "archive",
    "imports",
)
"""The services a tracker offers, each a lazily built attribute of that name."""

S = TypeVar("S")


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
        self.mirror: Mirror | None = None
        self.router: FallbackRouter | None = None
        self.sync: SyncService | None = None
        self._mirrored: Tracker | None = None
        self._markdown: MarkdownLayers | None = None
        if mirror_path is not None and not db.is_sqlite:
            self._attach_mirror(mirror_path, project_root or mirror_path.parent.parent, mirror_ttl)
        self._ready = False
        self._ready_lock = asyncio.Lock()

    def _routed(self, service: S) -> S:
        """A service built after the fallback chain was attached goes through it too."""
        if self.router is not None and isinstance(service, Routed):
            service.router = self.router
        return service

    @cached_property
    def work_items(self) -> WorkItemService:
        from project_status.services.work_items import WorkItemService

        return self._routed(WorkItemService(self.db))

    @cached_property
    def dependencies(self) -> DependencyService:
        from project_status.services.dependencies import DependencyService

        return self._routed(DependencyService(self.db))

    @cached_property
    def vendors(self) -> VendorService:
        from project_status.services.vendors import VendorService

        return self._routed(VendorService(self.db))

    @cached_property
    def deployments(self) -> DeploymentService:
        from project_status.services.deployments import DeploymentService

        return self._routed(DeploymentService(self.db))

    @cached_property
    def configuration(self) -> ConfigurationService:
        from project_status.services.configuration import ConfigurationService

        return self._routed(ConfigurationService(self.db))

    @cached_property
    def enhancements(self) -> EnhancementService:
        from project_status.services.enhancements import EnhancementService

        return self._routed(EnhancementService(self.db))

    @cached_property
    def claims(self) -> ClaimService:
        from project_status.services.claims import ClaimService

        return self._routed(ClaimService(self.db))

    @cached_property
    def notes(self) -> NoteService:
        from project_status.services.notes import NoteService

        return self._routed(NoteService(self.db))

    @cached_property
    def changes(self) -> ChangeService:
        from project_status.services.changes import ChangeService

        return self._routed(ChangeService(self.db))

    @cached_property
    def reports(self) -> ReportService:
        from project_status.services.reports import ReportService

        return self._routed(ReportService(self.db))

    @cached_property
    def board(self) -> BoardService:
        from project_status.services.board import BoardService

        return self._routed(BoardService(self.db))

    @cached_property
    def archive(self) -> ArchiveService:
        from project_status.services.archive import ArchiveService

        service = self._routed(ArchiveService(self.db))
        if self.mirror is not None:  # an archive run writes past the router: the mirror copies anew
            service.after_run = self.mirror.mark_stale
        return service

    @cached_property
    def imports(self) -> ImportService:
        from project_status.services.importing.importer import ImportService

        service = self._routed(
            ImportService(
                self.db,
                self.work_items,
                self.vendors,
                self.deployments,
                self.enhancements,
                self.configuration,
                dependencies=self.dependencies,
            )
        )
        if self.mirror is not None:  # an import writes in one long transaction past the router
            service.after_commit = self.mirror.mark_stale
        return service

    @cached_property
    def health(self) -> HealthService:
        from project_status.services.health import HealthService

        return HealthService(self.db, self.mirror.db if self.mirror else None)

    def _attach_mirror(self, path: Path, root: Path, ttl: timedelta | None) -> None:
        """PostgreSQL primary: route every service call through the fallback chain."""
        from project_status.services.fallback.markdown import MarkdownLayers
        from project_status.services.fallback.mirror import Mirror
        from project_status.services.fallback.router import FallbackRouter
        from project_status.services.fallback.sync import SyncService

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
        self.router = router  # every service built from now on goes through it (see `_routed`)
        self.sync = SyncService(self.db, self.mirror, self)
        router.sync = self.sync

    def live_report(self, delay_seconds: float) -> LiveReport | None:
        """The project's generated report file, kept in step with this store; None when the
        tracker has no project folder (opened on a bare URL) or the delay is 0 (turned off)."""
        if self.project_root is None or delay_seconds <= 0:
            return None
        from project_status.services.live_report import LiveReport

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
