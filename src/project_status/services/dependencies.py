"""Dependency use cases: add and remove `blocks` / `depends_on` edges without cycles."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from project_status.domain.enums import DependencyType, EntityKind
from project_status.domain.errors import NotFoundError, ValidationError
from project_status.domain.work_items import DependencyRead
from project_status.services import command_forms
from project_status.services.checks import check_actor
from project_status.services.clock import now
from project_status.services.routing import Routed, writes
from project_status.services.work_items import resolve_item
from project_status.store import dependencies as store
from project_status.store import events
from project_status.store.tables import WorkItem, WorkItemDependency

ENTITY = EntityKind.WORK_ITEM.value


async def _live(session: AsyncSession, value: str, field: str) -> WorkItem:
    row = await resolve_item(session, value, field)
    if row.deleted_at is not None:
        raise ValidationError.for_field(field, "the work item is deleted; restore it first", value)
    return row


def _record(session: AsyncSession, edge: DependencyRead, action: str, actor: str) -> None:
    """One event on each end, so both items' histories show the edge."""
    stamp = now()
    change = {"dependency": {"old": None, "new": edge.model_dump(mode="json")}}
    if action == "dependency_removed":
        change = {"dependency": {"old": edge.model_dump(mode="json"), "new": None}}
    for item_id in (edge.source_id, edge.target_id):
        events.record(
            session,
            entity_type=ENTITY,
            entity_id=item_id,
            action=action,
            actor=actor,
            at=stamp,
            changes=change,
        )


class DependencyService(Routed):
    @writes(command_forms.edge("add_dependency"))
    async def add(
        self, source: str, target: str, dependency_type: DependencyType, actor: str
    ) -> DependencyRead:
        actor = check_actor(actor)
        async with self.db.unit_of_work(write=True) as session:
            await self.db.lock_structure(session)
            src = await _live(session, source, "source_id")
            dst = await _live(session, target, "target_id")
            if src.id == dst.id:
                raise ValidationError.for_field("target_id", "a work item cannot depend on itself", target)
            blocker, blocked = store.blocker_and_blocked(src.id, dst.id, dependency_type.value)
            existing = await store.find_equivalent(session, blocker, blocked)
            if existing is not None:
                raise ValidationError.for_field(
                    "target_id",
                    f"this dependency already exists as {existing.source_id} {existing.dependency_type} "
                    f"{existing.target_id}",
                    target,
                )
            loop = await store.path_between(session, blocked, blocker)
            if loop is not None:
                cycle = [str(i) for i in [*loop, blocked]]
                raise ValidationError(
                    f"target_id: this dependency would close a cycle: {' blocks '.join(cycle)}",
                    {
                        "errors": [
                            {
                                "field": "target_id",
                                "message": "dependency cycle",
                                "value": target,
                                "cycle": cycle,
                            }
                        ]
                    },
                )
            row = WorkItemDependency(
                source_id=src.id,
                target_id=dst.id,
                dependency_type=dependency_type.value,
                created_at=now(),
                created_by=actor,
            )
            session.add(row)
            edge = DependencyRead(
                source_id=str(src.id), target_id=str(dst.id), dependency_type=dependency_type
            )
            _record(session, edge, "dependency_added", actor)
            return edge

    @writes(command_forms.edge("remove_dependency"))
    async def remove(
        self, source: str, target: str, dependency_type: DependencyType, actor: str
    ) -> DependencyRead:
        """Remove the edge, whichever of its two equivalent forms was stored."""
        actor = check_actor(actor)
        async with self.db.unit_of_work(write=True) as session:
            src = await resolve_item(session, source, "source_id")
            dst = await resolve_item(session, target, "target_id")
            blocker, blocked = store.blocker_and_blocked(src.id, dst.id, dependency_type.value)
            existing = await store.find_equivalent(session, blocker, blocked)
            if existing is None:
                raise NotFoundError(
                    f"No dependency {src.id} {dependency_type.value} {dst.id}.",
                    {
                        "source_id": str(src.id),
                        "target_id": str(dst.id),
                        "dependency_type": dependency_type.value,
                    },
                )
            edge = DependencyRead(
                source_id=str(existing.source_id),
                target_id=str(existing.target_id),
                dependency_type=DependencyType(existing.dependency_type),
            )
            await session.delete(existing)
            _record(session, edge, "dependency_removed", actor)
            return edge
