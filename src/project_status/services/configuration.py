"""The project configuration singleton."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from project_status.domain.configuration import ConfigurationRead, ConfigurationUpdate
from project_status.domain.enums import EntityKind, ItemType
from project_status.domain.errors import DatabaseError, ValidationError
from project_status.services import command_forms, locking, read_models
from project_status.services.checks import check_actor
from project_status.services.routing import Routed, reads, writes
from project_status.services.work_items import resolve_item
from project_status.store import configuration as store
from project_status.store.tables import ProjectConfiguration

ENTITY = EntityKind.CONFIGURATION.value
_FIELDS = (
    "active_context_type",
    "current_session_id",
    "git_branch",
    "git_head_commit",
    "default_token_budget",
)


def _snapshot(row: ProjectConfiguration) -> dict[str, Any]:
    return {field: getattr(row, field) for field in _FIELDS}


class ConfigurationService(Routed):
    @reads
    async def get(self) -> ConfigurationRead:
        async with self.db.unit_of_work() as session:
            return read_models.configuration(await store.get(session))

    @writes(command_forms.updated("update_project_configuration", None))
    async def update(self, version: int, changes: ConfigurationUpdate, actor: str) -> ConfigurationRead:
        actor = check_actor(actor)
        locking.check_version_argument(version)
        fields = changes.model_fields_set
        if not fields:
            raise ValidationError.for_field("changes", "give at least one field to change", None)
        if "default_token_budget" in fields and changes.default_token_budget is None:
            raise ValidationError.for_field("default_token_budget", "cannot be null", None)

        async def change(session: AsyncSession, row: ProjectConfiguration) -> ConfigurationRead:
            before = _snapshot(row)
            if "current_session_id" in fields:
                row.current_session_id = None
                if changes.current_session_id:
                    session_item = await resolve_item(
                        session, changes.current_session_id, "current_session_id"
                    )
                    if session_item.item_type != ItemType.SESSION.value or session_item.deleted_at:
                        raise ValidationError.for_field(
                            "current_session_id",
                            f"must name a live session work item, not a {session_item.item_type}"
                            + (" (deleted)" if session_item.deleted_at else ""),
                            changes.current_session_id,
                        )
                    row.current_session_id = session_item.id
            if "active_context_type" in fields:
                context = changes.active_context_type
                row.active_context_type = context.value if context else None
            for field in ("git_branch", "git_head_commit", "default_token_budget"):
                if field in fields:
                    setattr(row, field, getattr(changes, field))
            await locking.record_update(
                session, row, before, _snapshot(row), kind=ENTITY, entity_id="1", actor=actor
            )
            return read_models.configuration(row)

        return await locking.versioned_update(
            self.db,
            entity="configuration",
            version=version,
            load=store.get,
            ident=lambda _row: "project",
            change=change,
            missing=lambda: DatabaseError(
                "The project configuration row is missing; run `project-status db upgrade`."
            ),
        )
