"""Vendor extractor use cases."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from project_status.domain.enums import EntityKind, VendorStatus
from project_status.domain.errors import NextStep, NotFoundError, ValidationError
from project_status.domain.ids import new_id
from project_status.domain.metadata import VendorMetadata, dump_metadata
from project_status.domain.validation import validate
from project_status.domain.vendors import VendorCreate, VendorList, VendorRead, VendorUpdate
from project_status.domain.work_items import merge_metadata
from project_status.services import command_forms, locking, read_models
from project_status.services.checks import check_actor, check_filters
from project_status.services.clock import now
from project_status.services.routing import Routed, reads, writes
from project_status.store import vendors as store
from project_status.store.tables import Vendor

ENTITY = EntityKind.VENDOR.value


def _not_found(name: str) -> NotFoundError:
    return NotFoundError(
        f"No vendor named {name!r}; a query without a name lists them all.",
        {"field": "name", "value": name},
    )


def _snapshot(row: Vendor) -> dict[str, object]:
    return {
        "name": row.name,
        "status": row.status,
        "extractor_version": row.extractor_version,
        "metadata": dict(row.metadata_ or {}),
    }


class VendorService(Routed):
    @writes(command_forms.created("create_vendor"))
    async def create(self, data: VendorCreate, actor: str) -> VendorRead:
        actor = check_actor(actor)
        metadata = dump_metadata(validate(VendorMetadata, data.metadata, prefix="metadata"))
        async with self.db.unit_of_work(write=True) as session:
            if await store.by_name(session, data.name) is not None:
                raise ValidationError.for_field(
                    "name",
                    "a vendor with this name already exists; use {next_step}",
                    data.name,
                    next_step=NextStep("update_vendor_status", {"name": data.name}),
                )
            stamp = now()
            row = Vendor(
                id=new_id(),
                name=data.name,
                status=data.status.value,
                extractor_version=data.extractor_version,
                metadata_=metadata,
                created_at=stamp,
                created_by=actor,
                updated_at=stamp,
                updated_by=actor,
            )
            await locking.record_created(session, row, _snapshot(row), kind=ENTITY, actor=actor)
            return read_models.vendor(row)

    @writes(command_forms.updated("update_vendor_status", "name", "name"))
    async def update(self, name: str, version: int, changes: VendorUpdate, actor: str) -> VendorRead:
        actor = check_actor(actor)
        locking.check_version_argument(version)
        check_filters(name=name)
        fields = changes.model_fields_set
        if not fields:
            raise ValidationError.for_field("changes", "give at least one field to change", None)
        for field in fields:
            if getattr(changes, field) is None:
                raise ValidationError.for_field(field, "cannot be null", None)

        async def load(session: AsyncSession) -> Vendor:
            row = await store.by_name(session, name)
            if row is None:
                raise _not_found(name)
            return row

        async def change(session: AsyncSession, row: Vendor) -> VendorRead:
            before = _snapshot(row)
            if changes.status is not None:
                row.status = changes.status.value
            if changes.extractor_version is not None:
                row.extractor_version = changes.extractor_version
            if changes.metadata is not None:
                merged = merge_metadata(row.metadata_ or {}, changes.metadata)
                row.metadata_ = dump_metadata(validate(VendorMetadata, merged, prefix="metadata"))
            await locking.record_update(
                session, row, before, _snapshot(row), kind=ENTITY, entity_id=str(row.id), actor=actor
            )
            return read_models.vendor(row)

        return await locking.versioned_update(
            self.db,
            entity="vendor",
            version=version,
            load=load,
            ident=lambda _row: name,
            change=change,
            missing=lambda: _not_found(name),
        )

    @reads
    async def query(self, name: str | None = None, *, only_broken: bool = False) -> VendorList:
        """One vendor by name (the hot path), or all of them, optionally only the broken ones."""
        check_filters(name=name)
        async with self.db.reader() as reader:
            if name is not None:
                row = await store.read_by_name(reader, name.strip())
                if row is None:
                    raise _not_found(name)
                rows = [row] if not only_broken or row.status == VendorStatus.BROKEN.value else []
            else:
                rows = list(await store.read_all(reader, only_broken=only_broken))
        items = [read_models.vendor(r) for r in rows]
        operational = sum(1 for v in items if v.status == VendorStatus.OPERATIONAL)
        return VendorList(items=items, total=len(items), operational=operational)
