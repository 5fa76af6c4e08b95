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
from project_status.services import convert, locking
from project_status.services.common import (
    build_page,
    check_actor,
    check_filters,
    check_limit,
    checked,
    created,
    decode_cursor,
    diff,
    now,
    parse_datetime,
    parse_uuid,
)
from project_status.services.routing import Routed, reads, writes
from project_status.store import enhancements as store
from project_status.store import events
from project_status.store.database import Database
from project_status.store.ids import resolve
from project_status.store.tables import Enhancement

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
    def __init__(self, db: Database) -> None:
        self.db = db

    @writes
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
            session.add(row)
            await session.flush()
            await store.replace_dependencies(session, row.id, targets)
            depends_on = [str(t) for t in targets]
            events.record(
                session,
                entity_type=ENTITY,
                entity_id=str(row.id),
                action="created",
                actor=actor,
                at=stamp,
                changes=created(_snapshot(row, depends_on)),
            )
            return convert.enhancement(row, depends_on)

    @writes
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
        enhancement_id: uuid.UUID | None = None
        try:
            async with self.db.unit_of_work(write=True) as session:
                if changes.depends_on is not None:
                    await self.db.lock_structure(session)
                enhancement_id = await resolve(
                    session, Enhancement.id, enhancement, field="id", what="enhancement"
                )
                row = await session.get(Enhancement, enhancement_id)
                assert row is not None
                locking.check("enhancement", str(row.id), version, row)
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
                    targets = await _resolve_targets(session, row.id, changes.depends_on)
                    deps = [str(t) for t in targets]
                changed = diff(before, _snapshot(row, deps))
                if not changed:
                    return convert.enhancement(row, current_deps)
                if "depends_on" in changed:
                    await store.replace_dependencies(session, row.id, [uuid.UUID(d) for d in deps])
                stamp = now()
                row.updated_at, row.updated_by = stamp, actor
                await locking.flush(session)
                events.record(
                    session,
                    entity_type=ENTITY,
                    entity_id=str(row.id),
                    action="updated",
                    actor=actor,
                    at=stamp,
                    changes=changed,
                )
                return convert.enhancement(row, deps)
        except locking.StaleWrite:
            missing = NotFoundError(
                f"No enhancement with id {enhancement!r}.", {"field": "id", "value": enhancement}
            )
            await locking.lost_race(
                self.db,
                "enhancement",
                str(enhancement_id),
                version,
                lambda s: s.get(Enhancement, enhancement_id),
                missing,
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
            return convert.enhancement(row, depends_on)

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
        resume = decode_cursor("enhancements", cursor, (int, parse_datetime, parse_uuid))
        async with self.db.unit_of_work() as session:
            rows, total = await store.page(
                session,
                priority=priority,
                status=status.value if status else None,
                target_quarter=target_quarter,
                limit=limit + 1,
                resume=resume,
            )
        return build_page(
            "enhancements",
            rows,
            limit=limit,
            total=total,
            brief=convert.enhancement_brief,
            key=lambda r: (r.priority, r.created_at, r.id),
            max_bytes=max_bytes,
        )
