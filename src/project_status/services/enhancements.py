"""Planned enhancement use cases."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from project_status.domain.enhancements import (
    EnhancementBrief,
    EnhancementCreate,
    EnhancementRead,
    EnhancementUpdate,
)
from project_status.domain.enums import EnhancementStatus, EntityKind
from project_status.domain.errors import NotFoundError, ValidationError
from project_status.domain.ids import new_id
from project_status.domain.pages import Page
from project_status.domain.types import Priority
from project_status.services import command_forms, locking, read_models
from project_status.services.checks import check_actor, check_filters, check_limit, checked
from project_status.services.clock import now
from project_status.services.cursors import Listing, parse_datetime, parse_uuid
from project_status.services.routing import Routed, reads, writes
from project_status.store import enhancements as store
from project_status.store.id_lookup import resolve
from project_status.store.tables import Enhancement

_LIST = Listing(
    "enhancements",
    (("priority", int), ("created_at", parse_datetime), ("id", parse_uuid)),
    read_models.enhancement_brief,
)

ENTITY = EntityKind.ENHANCEMENT.value
_FIELDS = (
    "title",
    "description",
    "priority",
    "status",
    "target_quarter",
    "requires_constitutional_principles",
)


def _snapshot(row: Enhancement, depends_on: list[str]) -> dict[str, Any]:
    values = {field: getattr(row, field) for field in _FIELDS}
    values["requires_constitutional_principles"] = list(row.requires_constitutional_principles or [])
    values["depends_on"] = sorted(depends_on)
    return values


async def _resolve_targets(session: AsyncSession, owner: uuid.UUID, refs: list[str]) -> list[uuid.UUID]:
    """Resolve `depends_on` ids, refusing self-references and cycles (the error names the cycle)."""
    targets: list[uuid.UUID] = []
    for i, ref in enumerate(refs):
        field = f"depends_on.{i}"
        target = await resolve(session, Enhancement.id, ref, field=field, what="enhancement")
        if target == owner:
            raise ValidationError.for_field(field, "an enhancement cannot depend on itself", ref)
        chain = await store.reaches(session, target, owner)
        if chain is not None:
            cycle = [str(i) for i in [owner, *chain]]
            raise ValidationError(
                f"{field}: this dependency would close a cycle: {' depends_on '.join(cycle)}",
                {"errors": [{"field": field, "message": "dependency cycle", "value": ref, "cycle": cycle}]},
            )
        if target not in targets:
            targets.append(target)
    return targets


class EnhancementService(Routed):
    @writes(command_forms.created("create_enhancement"))
    async def create(self, data: EnhancementCreate, actor: str) -> EnhancementRead:
        actor = check_actor(actor)
        async with self.db.unit_of_work(write=True) as session:
            stamp = now()
            row = Enhancement(
                id=new_id(),
                title=data.title,
                description=data.description,
                priority=data.priority,
                status=data.status.value,
                target_quarter=data.target_quarter,
                requires_constitutional_principles=list(data.requires_constitutional_principles),
                created_at=stamp,
                created_by=actor,
                updated_at=stamp,
                updated_by=actor,
            )
            targets = await _resolve_targets(session, row.id, data.depends_on)
            depends_on = [str(t) for t in targets]
            await locking.record_created(session, row, _snapshot(row, depends_on), kind=ENTITY, actor=actor)
            await store.replace_dependencies(session, row.id, targets)
            return read_models.enhancement(row, depends_on)

    @writes(command_forms.updated("update_enhancement", "enhancement"))
    async def update(
        self, enhancement: str, version: int, changes: EnhancementUpdate, actor: str
    ) -> EnhancementRead:
        actor = check_actor(actor)
        locking.check_version_argument(version)
        fields = changes.model_fields_set
        if not fields:
            raise ValidationError.for_field("changes", "give at least one field to change", None)
        for field in (
            "title",
            "description",
            "priority",
            "status",
            "requires_constitutional_principles",
            "depends_on",
        ):
            if field in fields and getattr(changes, field) is None:
                raise ValidationError.for_field(field, "cannot be null", None)

        async def load(session: AsyncSession) -> Enhancement:
            enhancement_id = await resolve(
                session, Enhancement.id, enhancement, field="id", what="enhancement"
            )
            row = await session.get(Enhancement, enhancement_id)
            assert row is not None
            return row

        async def change(session: AsyncSession, row: Enhancement) -> EnhancementRead:
            current_deps = (await store.depends_on(session, [row.id])).get(row.id, [])
            before = _snapshot(row, current_deps)
            for field in ("title", "description", "priority", "target_quarter"):
                if field in fields:
                    setattr(row, field, getattr(changes, field))
            if changes.status is not None:
                row.status = changes.status.value
            if changes.requires_constitutional_principles is not None:
                row.requires_constitutional_principles = list(changes.requires_constitutional_principles)
            deps = current_deps
            if changes.depends_on is not None:
                deps = [str(t) for t in await _resolve_targets(session, row.id, changes.depends_on)]
                if sorted(deps) != sorted(current_deps):
                    await store.replace_dependencies(session, row.id, [uuid.UUID(d) for d in deps])
            changed = await locking.record_update(
                session, row, before, _snapshot(row, deps), kind=ENTITY, entity_id=str(row.id), actor=actor
            )
            return read_models.enhancement(row, deps if changed else current_deps)

        return await locking.versioned_update(
            self.db,
            entity="enhancement",
            version=version,
            load=load,
            ident=lambda row: str(row.id),
            change=change,
            missing=lambda: NotFoundError(
                f"No enhancement with id {enhancement!r}.", {"field": "id", "value": enhancement}
            ),
            lock_structure=changes.depends_on is not None,
        )

    @reads
    async def get(self, enhancement: str) -> EnhancementRead:
        """One enhancement by id or unique id prefix (the CLI reads its version before an update)."""
        async with self.db.unit_of_work() as session:
            enhancement_id = await resolve(
                session, Enhancement.id, enhancement, field="id", what="enhancement"
            )
            row = await session.get(Enhancement, enhancement_id)
            assert row is not None
            depends_on = (await store.depends_on(session, [row.id])).get(row.id, [])
            return read_models.enhancement(row, depends_on)

    @reads
    async def list(
        self,
        *,
        priority: int | None = None,
        status: EnhancementStatus | None = None,
        target_quarter: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        max_bytes: int | None = None,
    ) -> Page[EnhancementBrief]:
        check_limit(limit)
        check_filters(target_quarter=target_quarter, cursor=cursor)
        if priority is not None:
            checked(priority, Priority, "priority")
        resume = _LIST.resume(cursor)
        async with self.db.unit_of_work() as session:
            rows, total = await store.page(
                session,
                priority=priority,
                status=status.value if status else None,
                target_quarter=target_quarter,
                limit=limit + 1,
                resume=resume,
            )
        return _LIST.page(rows, limit=limit, total=total, max_bytes=max_bytes)
