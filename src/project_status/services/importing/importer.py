"""Apply a parsed status file and session prompts in one transaction, then reconcile.

All of it runs in one database transaction: if any reconciliation check fails, or on a dry
run, the transaction rolls back and nothing is written. Matching rows that already exist
(same vendor name, same work item title and type, same deployment time and commit, same
enhancement title) are counted as existing, so a second run adds nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from project_status.domain.configuration import ConfigurationUpdate
from project_status.domain.deployments import DeploymentCreate
from project_status.domain.enhancements import EnhancementCreate, EnhancementUpdate
from project_status.domain.enums import DependencyType
from project_status.domain.errors import TrackerError
from project_status.domain.ids import given_id
from project_status.domain.validation import validate
from project_status.domain.vendors import VendorCreate
from project_status.domain.work_items import WorkItemCreate, WorkItemUpdate
from project_status.services.configuration import ConfigurationService
from project_status.services.dependencies import DependencyService
from project_status.services.deployments import DeploymentService
from project_status.services.enhancements import EnhancementService
from project_status.services.importing.legacy import LegacyStatus, LegacyWorkItem
from project_status.services.importing.prompts import PromptScan, SessionPrompt
from project_status.services.vendors import VendorService
from project_status.services.work_items import WorkItemService
from project_status.store import dependencies as dependency_store
from project_status.store import vendors as vendor_store
from project_status.store.database import Database
from project_status.store.tables import Deployment, Enhancement, Vendor, WorkItem


@dataclass(frozen=True)
class Check:
    name: str
    expected: int
    found: int

    @property
    def passed(self) -> bool:
        return self.expected == self.found


@dataclass
class ImportReport:
    """What an import did (or, rolled back, would have done) and why it kept or dropped it."""

    dry_run: bool = False
    committed: bool = False
    created: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def count(self, kind: str, *, new: bool) -> None:
        target = self.created if new else self.existing
        target[kind] = target.get(kind, 0) + 1


def _uuid(text: str | None) -> uuid.UUID | None:
    return uuid.UUID(text) if text else None


class _RollBack(Exception):
    """Leaves the import transaction without committing (failed check or dry run)."""


@dataclass(eq=False)
class ImportService:
    """Imports, written through the tracker's services in one transaction of its database."""

    db: Database
    work_items: WorkItemService
    vendors: VendorService
    deployments: DeploymentService
    enhancements: EnhancementService
    configuration: ConfigurationService
    dependencies: DependencyService | None = None
    after_commit: Callable[[], Awaitable[None]] | None = field(default=None, init=False)
    """Told when an import has been committed (the mirror then knows it is behind)."""

    async def run(
        self,
        legacy: LegacyStatus | None,
        prompts: PromptScan | None,
        *,
        actor: str,
        dry_run: bool = False,
    ) -> ImportReport:
        """Import a status file and/or prompts; all or nothing."""
        report = ImportReport(dry_run=dry_run)
        try:
            async with self.db.transaction() as session:
                run = _Run(self, session, report, actor)
                if legacy is not None:
                    await run.legacy(legacy)
                if prompts is not None:
                    await run.prompts(prompts)
                if dry_run or not report.passed:
                    raise _RollBack
            report.committed = True
            if self.after_commit is not None:
                await self.after_commit()
        except _RollBack:
            report.committed = False
        return report


M = TypeVar("M")
R = TypeVar("R")


class _Run:
    """One import's state: what exists by title, and the report being filled."""

    def __init__(
        self, service: ImportService, session: AsyncSession, report: ImportReport, actor: str
    ) -> None:
        self.service = service
        self.session = session
        self.report = report
        self.actor = actor
        self.items_by_title: dict[str, list[WorkItem]] = {}

    def warn(self, message: str) -> None:
        self.report.warnings.append(message)

    async def _load_items(self) -> None:
        rows = (await self.session.execute(select(WorkItem).where(WorkItem.deleted_at.is_(None)))).scalars()
        self.items_by_title = {}
        for row in rows:
            self.items_by_title.setdefault(row.title, []).append(row)

    async def _exists(self, table: Any, entry_id: str | None) -> bool:
        """A row with the id the file gives is there already (imported before, then renamed)."""
        return entry_id is not None and await self.session.get(table, uuid.UUID(entry_id)) is not None

    async def _create(
        self,
        model: type[M],
        values: dict[str, Any],
        create: Callable[[M, str], Awaitable[R]],
        entry_id: str | None,
        where: str,
    ) -> R | None:
        """Validate an entry and create it under the file's id; a refusal is a warning (None),
        not the end of the import."""
        try:
            data = validate(model, values)
            with given_id(_uuid(entry_id)):
                return await create(data, self.actor)
        except TrackerError as error:
            self.warn(f"{where}: {error.message}")
            return None

    def _item(self, title: str, item_type: str | None = None) -> WorkItem | None:
        found = [
            r for r in self.items_by_title.get(title, []) if item_type is None or r.item_type == item_type
        ]
        return found[0] if len(found) == 1 else None

    async def legacy(self, legacy: LegacyStatus) -> None:
        self.report.warnings.extend(str(w) for w in legacy.warnings)
        if legacy.unreadable is not None:
            # Nothing read is not "every check passed": the run fails on this check alone.
            self.report.checks.append(Check("status file read", 1, 0))
            return
        vendors = await self._vendors(legacy)
        await self._load_items()
        items = await self._work_items(legacy.work_items)
        await self._waits(legacy.work_items)
        if legacy.prompt_entries or legacy.prompts:  # before deployments, which may name the sessions
            await self.prompts(
                PromptScan(prompts=legacy.prompts),
                check="embedded session prompt count",
                expected=legacy.prompt_entries,
            )
        deployments = await self._deployments(legacy)
        enhancements = await self._enhancements(legacy)
        if legacy.configuration is not None:
            await self._configuration(legacy)
        # The header's total and the entries written must agree, and every one must import:
        # a duplicate or unreadable entry under an unchanged header is still a mismatch.
        expected_vendors = max(legacy.vendor_total_declared or 0, legacy.vendor_entries)
        self.report.checks += [
            Check("vendor count", expected_vendors, vendors),
            Check("deployment count", legacy.deployment_entries, deployments),
            Check("enhancement count", legacy.enhancement_entries, enhancements),
            Check("work item count", legacy.work_item_entries, items),
            Check(
                "vendor metadata completeness",
                legacy.vendor_entries,
                legacy.vendor_entries - len(legacy.incomplete_vendors),
            ),
            Check("entries outside any section", 0, legacy.stray_entries),
        ]

    async def _vendors(self, legacy: LegacyStatus) -> int:
        done = 0
        seen: set[str] = set()
        for vendor in legacy.vendors:
            if vendor.name in seen:
                self.warn(f"line {vendor.line}: vendor {vendor.name!r} appears twice in the file; skipped")
                continue
            seen.add(vendor.name)
            if await vendor_store.by_name(self.session, vendor.name) is not None or await self._exists(
                Vendor, vendor.id
            ):
                self.report.count("vendors", new=False)
                done += 1
                continue
            values = {
                "name": vendor.name,
                "status": vendor.status,
                "extractor_version": vendor.extractor_version,
                "metadata": vendor.metadata,
            }
            where = f"line {vendor.line}: vendor {vendor.name!r}"
            create = self.service.vendors.create
            if await self._create(VendorCreate, values, create, vendor.id, where) is None:
                continue
            self.report.count("vendors", new=True)
            done += 1
        return done

    async def _work_items(self, entries: Sequence[LegacyWorkItem]) -> int:
        """Parents before children, linked by title; an unknown parent skips the entry."""
        done = 0
        waiting = list(entries)
        while waiting:
            progressed = False
            for entry in list(waiting):
                parent = None
                if entry.parent_id or entry.parent:
                    if entry.parent_id:  # the file names the parent by id: never by a shared title
                        parent = await self.session.get(WorkItem, uuid.UUID(entry.parent_id))
                        later = any(e.id == entry.parent_id for e in waiting if e is not entry)
                    else:
                        parent = self._item(entry.parent or "")
                        later = any(e.title == entry.parent for e in waiting if e is not entry)
                    if parent is None and later:
                        continue  # its parent comes later in the file
                    if parent is None:
                        self.warn(
                            f"line {entry.line}: parent {entry.parent!r} of {entry.title!r} not found; "
                            "skipped"
                        )
                        waiting.remove(entry)
                        progressed = True
                        continue
                waiting.remove(entry)
                progressed = True
                if await self._work_item(entry, parent):
                    done += 1
            if not progressed:
                for entry in waiting:
                    self.warn(f"line {entry.line}: {entry.title!r} is in a parent cycle; skipped")
                break
        return done

    async def _work_item(self, entry: LegacyWorkItem, parent: WorkItem | None) -> bool:
        parent_id = parent.id if parent is not None else None
        # With an id in the file, the row is the one of that id (two items may share a title and
        # a parent); without one, the same title and type under the same parent.
        same = [
            row
            for row in self.items_by_title.get(entry.title, [])
            if entry.id is None and row.item_type == entry.item_type and row.parent_id == parent_id
        ]
        if same or await self._exists(WorkItem, entry.id):
            self.report.count("work items", new=False)
            return True
        values = {
            "item_type": entry.item_type,
            "title": entry.title,
            "parent_id": str(parent.id) if parent else None,
            "description": entry.description,
            "status": entry.status,
            "priority": entry.priority,
            "metadata": entry.metadata or None,
            "branch_name": entry.branch_name,
            "commit_hash": entry.commit_hash,
            "pr_number": entry.pr_number,
            **entry.lines,
        }
        where = f"line {entry.line}: work item {entry.title!r}"
        created = await self._create(WorkItemCreate, values, self.service.work_items.create, entry.id, where)
        if created is None:
            return False
        item_id = uuid.UUID(created.id)
        if entry.claimed_by is not None:  # the file's claim: who holds the item, until when
            await self.session.execute(
                update(WorkItem)
                .where(WorkItem.id == item_id)
                .values(claimed_by=entry.claimed_by, claim_expires_at=entry.claim_expires_at)
                .execution_options(synchronize_session=False)
            )
        if entry.created_at is not None:
            await self._backdate(item_id, entry.created_at)
        row = await self.session.get(WorkItem, item_id)
        assert row is not None
        self.items_by_title.setdefault(row.title, []).append(row)
        self.report.count("work items", new=True)
        return True

    async def _waits(self, entries: Sequence[LegacyWorkItem]) -> None:
        """The dependencies the file names (by id prefix, among its own entries) on items that
        are not finished: what makes an item blocked rather than ready."""
        if self.service.dependencies is None:
            return
        ids = [entry.id for entry in entries if entry.id]
        for entry in entries:
            if not entry.waits_for or entry.id is None:
                continue
            for prefix in entry.waits_for:
                found = [known for known in ids if known.startswith(prefix)]
                if len(found) != 1:
                    self.warn(
                        f"line {entry.line}: {entry.title!r} waits for {prefix!r}: no single item has that id"
                    )
                    continue
                blocked, blocker = uuid.UUID(entry.id), uuid.UUID(found[0])
                if await dependency_store.find_equivalent(self.session, blocker, blocked) is not None:
                    continue
                try:
                    await self.service.dependencies.add(
                        entry.id, found[0], DependencyType.DEPENDS_ON, self.actor
                    )
                except TrackerError as error:
                    self.warn(f"line {entry.line}: {entry.title!r} waits for {prefix!r}: {error.message}")

    async def _backdate(self, item_id: uuid.UUID, created_at: datetime) -> None:
        """Keep the file's creation time: it is history, not the moment of the import."""
        statement = (
            update(WorkItem)
            .where(WorkItem.id == item_id)
            .values(created_at=created_at)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(statement)
        row = await self.session.get(WorkItem, item_id)
        if row is not None:
            await self.session.refresh(row)

    async def _deployments(self, legacy: LegacyStatus) -> int:
        done = 0
        for entry in legacy.deployments:
            exists = await self.session.execute(
                select(Deployment.id).where(
                    Deployment.deployed_at == entry.deployed_at, Deployment.commit_hash == entry.commit_hash
                )
            )
            if exists.first() is not None or await self._exists(Deployment, entry.id):
                self.report.count("deployments", new=False)
                done += 1
                continue
            ids = []
            for title in entry.work_item_titles:
                item = self._item(title)
                if item is None:
                    self.warn(f"line {entry.line}: deployment work item {title!r} not found (or not unique)")
                    break
                ids.append(str(item.id))
            else:
                values = {
                    "deployed_at": entry.deployed_at,
                    "commit_hash": entry.commit_hash,
                    "metadata": entry.metadata,
                    "vendor_names": entry.vendor_names,
                    "work_item_ids": ids,
                }
                record, where = self.service.deployments.record, f"line {entry.line}: deployment"
                if await self._create(DeploymentCreate, values, record, entry.id, where) is None:
                    continue
                self.report.count("deployments", new=True)
                done += 1
        return done

    async def _enhancement_ids(self) -> dict[str, uuid.UUID]:
        rows = await self.session.execute(select(Enhancement.title, Enhancement.id))
        return {title: enhancement_id for title, enhancement_id in rows.all()}

    async def _enhancements(self, legacy: LegacyStatus) -> int:
        done = 0
        known = await self._enhancement_ids()
        for entry in legacy.enhancements:
            if entry.title not in known and entry.id and await self._exists(Enhancement, entry.id):
                known[entry.title] = uuid.UUID(entry.id)
            if entry.title in known:
                self.report.count("enhancements", new=False)
                done += 1
                continue
            values = {
                "title": entry.title,
                "description": entry.description,
                "priority": entry.priority,
                "status": entry.status,
                "target_quarter": entry.target_quarter,
                "requires_constitutional_principles": entry.principles,
            }
            where = f"line {entry.line}: enhancement {entry.title!r}"
            create = self.service.enhancements.create
            created = await self._create(EnhancementCreate, values, create, entry.id, where)
            if created is None:
                continue
            known[entry.title] = uuid.UUID(created.id)
            self.report.count("enhancements", new=True)
            done += 1
        for entry in legacy.enhancements:  # links last: an enhancement may depend on a later one
            if not entry.depends_on or entry.title not in known:
                continue
            missing = [title for title in entry.depends_on if title not in known]
            if missing:  # link what is known rather than drop the whole line
                self.warn(f"line {entry.line}: {entry.title!r} depends on unknown {', '.join(missing)}")
            targets = [str(known[t]) for t in entry.depends_on if t in known]
            row = await self.session.get(Enhancement, known[entry.title])
            assert row is not None
            try:
                current = await self.service.enhancements.get(str(row.id))
                wanted = sorted(set(current.depends_on) | set(targets))
                if wanted == sorted(current.depends_on):
                    continue
                changes = EnhancementUpdate(depends_on=wanted)
                await self.service.enhancements.update(str(row.id), row.version, changes, self.actor)
            except TrackerError as error:
                self.warn(f"line {entry.line}: {entry.title!r} dependencies: {error.message}")
        return done

    async def _configuration(self, legacy: LegacyStatus) -> None:
        config = legacy.configuration
        assert config is not None
        values: dict[str, Any] = {
            "active_context_type": config.active_context_type,
            "git_branch": config.git_branch,
            "git_head_commit": config.git_head_commit,
            "default_token_budget": config.default_token_budget,
        }
        if config.current_session:
            current = self._item(config.current_session, "session")
            if current is None:
                self.warn(f"configuration: current session {config.current_session!r} not found")
            else:
                values["current_session_id"] = str(current.id)
        try:
            changes = validate(ConfigurationUpdate, {k: v for k, v in values.items() if v is not None})
            if not changes.model_fields_set:
                return
            current_config = await self.service.configuration.get()
            await self.service.configuration.update(current_config.version, changes, self.actor)
        except TrackerError as error:
            self.warn(f"configuration: {error.message}")

    async def prompts(
        self, scan: PromptScan, *, check: str = "session prompt count", expected: int | None = None
    ) -> None:
        """Apply the prompts; the check expects `expected` (default: every prompt read) applied."""
        self.report.warnings.extend(f"{source}: {reason}; skipped" for source, reason in scan.skipped)
        if not self.items_by_title:
            await self._load_items()
        applied = 0
        for prompt in scan.prompts:
            if await self._prompt(prompt):
                applied += 1
        wanted = len(scan.prompts) if expected is None else expected
        self.report.checks.append(Check(check, wanted, applied))

    async def _prompt(self, prompt: SessionPrompt) -> bool:
        metadata: dict[str, Any] = {
            "token_budget": prompt.token_budget,
            "yaml_frontmatter": prompt.frontmatter,
        }
        if prompt.prompts_count is not None:
            metadata["prompts_count"] = prompt.prompts_count
        existing = self._item(prompt.session, "session")
        try:
            if existing is None:
                data = validate(
                    WorkItemCreate,
                    {
                        "item_type": "session",
                        "title": prompt.session,
                        "metadata": metadata,
                        "branch_name": prompt.branch,
                    },
                )
                created = await self.service.work_items.create(data, self.actor)
                row = await self.session.get(WorkItem, uuid.UUID(created.id))
                assert row is not None
                self.items_by_title.setdefault(row.title, []).append(row)
                self.report.count("sessions", new=True)
                return True
            wanted = {**(existing.metadata_ or {}), **metadata}
            fields: dict[str, Any] = {}
            if wanted != (existing.metadata_ or {}):
                fields["metadata"] = metadata
            if prompt.branch and not existing.branch_name:
                fields["branch_name"] = prompt.branch
            if fields:
                await self.service.work_items.update(
                    str(existing.id), existing.version, validate(WorkItemUpdate, fields), self.actor
                )
                await self.session.refresh(existing)
            self.report.count("sessions", new=False)
            return True
        except TrackerError as error:
            self.warn(f"{prompt.source}: session {prompt.session!r}: {error.message}")
            return False
