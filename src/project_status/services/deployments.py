"""Deployment use cases: record (append-only), show, list."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from project_status.domain.bounds import StoredDatetime
from project_status.domain.deployments import DeploymentBrief, DeploymentCreate, DeploymentRead
from project_status.domain.enums import EntityKind
from project_status.domain.errors import NextStep, NotFoundError, ValidationError
from project_status.domain.ids import new_id
from project_status.domain.metadata import DeploymentMetadata, dump_metadata
from project_status.domain.pages import Page
from project_status.domain.validation import validate
from project_status.services import command_forms
from project_status.services.change_sets import created
from project_status.services.checks import check_actor, check_aware, check_filters, check_limit, checked
from project_status.services.clock import now
from project_status.services.cursors import Listing, parse_datetime, parse_uuid
from project_status.services.routing import Routed, reads, writes
from project_status.store import deployments as store
from project_status.store import events
from project_status.store import vendors as vendor_store
from project_status.store.id_lookup import resolve
from project_status.store.tables import Deployment, WorkItem

_LIST: Listing[DeploymentBrief] = Listing(
    "deployments", (("deployed_at", parse_datetime), ("id", parse_uuid))
)
"""Its brief rows count their vendors, which each page reads apart."""

ENTITY = EntityKind.DEPLOYMENT.value


def _brief(row: Deployment, vendor_count: int) -> DeploymentBrief:
    meta = row.metadata_ or {}
    return DeploymentBrief(
        id=str(row.id),
        deployed_at=row.deployed_at,
        commit_hash=row.commit_hash,
        pr_number=meta.get("pr_number"),
        pr_title=meta.get("pr_title"),
        vendor_count=vendor_count,
    )


class DeploymentService(Routed):
    @writes(command_forms.created("record_deployment"))
    async def record(self, data: DeploymentCreate, actor: str) -> DeploymentRead:
        actor = check_actor(actor)
        metadata = dump_metadata(validate(DeploymentMetadata, data.metadata, prefix="metadata"))
        names = sorted({n.strip() for n in data.vendor_names})
        async with self.db.unit_of_work(write=True) as session:
            vendors = await vendor_store.by_names(session, names)
            missing = sorted(set(names) - {v.name for v in vendors})
            if missing:
                raise ValidationError.for_field(
                    "vendor_names",
                    "unknown vendor(s); register them with {next_step} first",
                    missing,
                    next_step=NextStep("create_vendor"),
                )
            item_ids: list[uuid.UUID] = []
            for i, ref in enumerate(data.work_item_ids):
                item_id = await resolve(
                    session, WorkItem.id, ref, field=f"work_item_ids.{i}", what="work item"
                )
                if item_id not in item_ids:
                    item_ids.append(item_id)
            stamp = now()
            row = Deployment(
                id=new_id(),
                deployed_at=data.deployed_at.astimezone(UTC),  # answers, like reads, in UTC
                commit_hash=data.commit_hash,
                metadata_=metadata,
                created_at=stamp,
                created_by=actor,
            )
            session.add(row)
            await session.flush()
            await store.link(session, row.id, [v.id for v in vendors], item_ids)
            result = DeploymentRead(
                id=str(row.id),
                deployed_at=row.deployed_at,
                commit_hash=row.commit_hash,
                metadata=metadata,
                vendor_names=[v.name for v in sorted(vendors, key=lambda v: v.name)],
                work_item_ids=[str(i) for i in item_ids],
                created_at=stamp,
                created_by=actor,
            )
            events.record(
                session,
                entity_type=ENTITY,
                entity_id=str(row.id),
                action="recorded",
                actor=actor,
                at=stamp,
                changes=created(result.model_dump(mode="json", exclude={"id", "created_at", "created_by"})),
            )
            return result

    @reads
    async def get(self, deployment: str) -> DeploymentRead:
        async with self.db.unit_of_work() as session:
            deployment_id = await resolve(session, Deployment.id, deployment, field="id", what="deployment")
            row = await session.get(Deployment, deployment_id)
            assert row is not None
            names = await store.vendor_names(session, [row.id])
            items = await store.work_item_ids(session, [row.id])
        return DeploymentRead(
            id=str(row.id),
            deployed_at=row.deployed_at,
            commit_hash=row.commit_hash,
            metadata=dict(row.metadata_ or {}),
            vendor_names=names.get(row.id, []),
            work_item_ids=items.get(row.id, []),
            created_at=row.created_at,
            created_by=row.created_by,
        )

    @reads
    async def list(
        self,
        *,
        since: datetime | None = None,
        vendor_name: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
        max_bytes: int | None = None,
    ) -> Page[DeploymentBrief]:
        check_limit(limit)
        check_filters(vendor_name=vendor_name, cursor=cursor)
        check_aware("since", since)
        if since is not None:
            checked(since, StoredDatetime, "since")
        resume = _LIST.resume(cursor)
        async with self.db.unit_of_work() as session:
            vendor_id = None
            if vendor_name is not None:
                vendor = await vendor_store.by_name(session, vendor_name.strip())
                if vendor is None:
                    raise NotFoundError(
                        f"No vendor named {vendor_name!r}.", {"field": "vendor_name", "value": vendor_name}
                    )
                vendor_id = vendor.id
            rows, total = await store.page(
                session, since=since, vendor_id=vendor_id, limit=limit + 1, resume=resume
            )
            names = await store.vendor_names(session, [r.id for r in rows])
        return _LIST.page(
            rows,
            limit=limit,
            total=total,
            max_bytes=max_bytes,
            brief=lambda r: _brief(r, len(names.get(r.id, []))),
        )
