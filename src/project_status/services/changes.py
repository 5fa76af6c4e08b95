"""What changed: the change feed across every entity, any entity's history, the project summary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from project_status.domain.changes import (
    MAX_CHANGES_LIMIT,
    ChangePage,
    ChangeRow,
    DeploymentLine,
    EnhancementLine,
    EntityHistory,
    Holder,
    ProjectSummary,
)
from project_status.domain.enums import ACTIONABLE_TYPES, EntityKind
from project_status.domain.errors import NotFoundError, ValidationError
from project_status.services import read_models
from project_status.services.checks import check_filters, check_limit
from project_status.services.clock import now
from project_status.services.cursors import decode_cursor, encode_cursor
from project_status.services.routing import Routed, reads
from project_status.services.work_items import resolve_item
from project_status.store import changes as store
from project_status.store import events
from project_status.store import summary as summary_store
from project_status.store import vendors as vendor_store
from project_status.store.claims import Scope
from project_status.store.database import Database
from project_status.store.id_lookup import resolve_row
from project_status.store.tables import Deployment, Enhancement, Event, Vendor

_KIND = "changes"
_ENTITY_TYPES = tuple(kind.value for kind in EntityKind)
CONFIGURATION_NAMES = ("configuration", "config")
SUMMARY_MAX_BYTES = 4096
SUMMARY_LIST = 5
_SUMMARY_TEXT = 60
"""Titles, names and actors are cut to this many characters in the summary, to keep it small."""


def _cursor(event_id: int) -> str:
    return encode_cursor(_KIND, [event_id])


def _check_types(entity_types: Sequence[str] | None) -> list[str] | None:
    if not entity_types:
        return None
    unknown = [kind for kind in entity_types if kind not in _ENTITY_TYPES]
    if unknown:
        raise ValidationError.for_field(
            "entity_types",
            f"unknown entity type(s) {unknown}; choose from {list(_ENTITY_TYPES)}",
            entity_types,
        )
    return list(dict.fromkeys(entity_types))


def _cut(text: str | None, size: int = _SUMMARY_TEXT) -> str | None:
    if text is None or len(text) <= size:
        return text
    return text[: size - 1] + "…"


class ChangeService(Routed):
    """Reads over the audit trail of every entity, and the summary that fits any AI client's budget."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @reads
    async def list_changes(
        self, since: str | None = None, limit: int = 50, entity_types: list[str] | None = None
    ) -> ChangePage:
        """Changes to any entity after the cursor `since`, oldest first, as brief rows.

        Each row names the entity (type, id, current title or name), the action, the actor, the
        time and the names of the fields changed. Without `since`, the newest `limit` changes
        (still oldest first). `next_cursor` continues from the last row (or from `since` when
        nothing new came). Cursors follow the audit trail's numbering, never skip a change that
        commits late, and mean the same on both backends. Optionally only some `entity_types`
        (work_item, dependency, vendor, deployment, configuration, enhancement).
        """
        if not 1 <= limit <= MAX_CHANGES_LIMIT:
            raise ValidationError.for_field("limit", f"must be between 1 and {MAX_CHANGES_LIMIT}", limit)
        check_filters(since=since)
        after = decode_cursor(_KIND, since, (int,))
        after_id = after[0] if after is not None else None
        kinds = _check_types(entity_types)
        # PostgreSQL: a transaction of its own, to hold the events lock while reading (readers
        # there run in autocommit). SQLite needs none, and a write one would wait for writers.
        async with self.db.unit_of_work(write=not self.db.is_sqlite) as session:
            settled = await store.settle_writers(session)
            if not settled:
                start = after_id if after_id is not None else 0
                return ChangePage(items=[], next_cursor=_cursor(start), in_flight=True)
            rows = await store.page(session, after_id, limit + 1 if after_id is not None else limit, kinds)
            has_more = after_id is not None and len(rows) > limit
            rows = rows[:limit]
            wanted: dict[str, set[str]] = {}
            for row in rows:
                wanted.setdefault(row.entity_type, set()).add(row.entity_id)
            if "dependency" in wanted:
                wanted.setdefault("work_item", set()).update(wanted["dependency"])
            names = await store.titles(session, wanted)
            if rows:
                last = rows[-1].id
            elif after_id is not None:
                last = after_id
            else:
                last = await store.newest_id(session)
        items = [_change(row, names) for row in rows]
        return ChangePage(items=items, next_cursor=_cursor(last), has_more=has_more)

    @reads
    async def history(self, entity: str, limit: int = 50) -> EntityHistory:
        """The audit events of any entity, newest first: a work item (also archived), a vendor
        (by id or name), a deployment, an enhancement, or `configuration`."""
        check_limit(limit)
        check_filters(entity=entity)
        async with self.db.unit_of_work() as session:
            kind, entity_id, title = await self._find(session, entity)
            found = await events.for_entity(session, kind, entity_id, limit)
            total = await store.count_for_entity(session, kind, entity_id)
        return EntityHistory(
            entity_type=kind,
            entity_id=entity_id,
            title=title,
            events=[read_models.event(e) for e in found],
            total=total,
        )

    async def _find(self, session: Any, entity: str) -> tuple[str, str, str | None]:
        value = (entity or "").strip()
        if value.lower() in CONFIGURATION_NAMES:
            return EntityKind.CONFIGURATION.value, "1", "project configuration"
        try:
            item = await resolve_item(session, value)
            return EntityKind.WORK_ITEM.value, str(item.id), item.title
        except NotFoundError as missing:
            if missing.details.get("archived"):
                item_id = missing.details["id"]
                names = await store.titles(session, {"work_item": {item_id}})
                return EntityKind.WORK_ITEM.value, item_id, names.get(("work_item", item_id))
        except ValidationError:
            pass  # not an id: perhaps a vendor's name
        lookups: tuple[tuple[EntityKind, Any, str], ...] = (
            (EntityKind.VENDOR, Vendor, "name"),
            (EntityKind.DEPLOYMENT, Deployment, "commit_hash"),
            (EntityKind.ENHANCEMENT, Enhancement, "title"),
        )
        for kind, model, label in lookups:
            try:
                row = await resolve_row(session, model, value, field="id", what=kind.value)
            except (NotFoundError, ValidationError):
                continue
            return kind.value, str(row.id), getattr(row, label)
        vendor = await vendor_store.by_name(session, value)
        if vendor is not None:
            return EntityKind.VENDOR.value, str(vendor.id), vendor.name
        raise NotFoundError(
            f"No work item, vendor, deployment or enhancement is named {value!r}; give an id (or a "
            "unique prefix of 8 or more hex characters), a vendor's name, or `configuration`.",
            {"field": "id", "value": value},
        )

    @reads
    async def summary(self) -> ProjectSummary:
        """The project at a glance in at most 4 KB whatever the store's size: live work items by
        type and status, items in progress with who holds them, how much is ready, vendor health,
        the newest deployments and the top pending enhancements. Lists are capped, with totals."""
        moment = now()
        async with self.db.reader() as reader:
            counts: dict[str, dict[str, int]] = {}
            for row in await summary_store.item_counts(reader):
                counts.setdefault(row[0], {})[row[1]] = int(row[2])
            holders = await summary_store.in_progress(reader, SUMMARY_LIST)
            ready = await summary_store.ready_count(
                reader, Scope([t.value for t in ACTIONABLE_TYPES]), moment
            )
            operational, vendors, broken = await summary_store.vendor_health(reader, 2 * SUMMARY_LIST)
            deployments = await summary_store.newest_deployments(reader, SUMMARY_LIST)
            enhancements = await summary_store.top_enhancements(reader, SUMMARY_LIST)
        in_progress_total = sum(by_status.get("in_progress", 0) for by_status in counts.values())
        summary = ProjectSummary(
            counts=counts,
            in_progress=[
                Holder(
                    id=str(row.id),
                    title=_cut(row.title) or "",
                    claimed_by=_cut(row.claimed_by, 40),
                    claim_expires_at=row.claim_expires_at,
                )
                for row in holders
            ],
            in_progress_total=in_progress_total,
            ready=ready,
            vendors_operational=operational,
            vendors_total=vendors,
            broken_vendors=[_cut(name, 40) or "" for name in broken],
            broken_vendors_total=vendors - operational,
            deployments=[
                DeploymentLine(
                    deployed_at=row.deployed_at,
                    commit=row.commit_hash[:12],
                    pr_number=(row.metadata or {}).get("pr_number"),
                )
                for row in deployments
            ],
            enhancements=[
                EnhancementLine(title=_cut(row.title) or "", priority=row.priority, status=row.status)
                for row in enhancements
            ],
        )
        return _within(summary)


def _within(summary: ProjectSummary) -> ProjectSummary:
    """Drop list entries (totals stay) until the answer fits `SUMMARY_MAX_BYTES`: the caps above
    keep it well under, this makes sure of it."""
    lists = ("in_progress", "broken_vendors", "enhancements", "deployments")
    while len(summary.model_dump_json()) > SUMMARY_MAX_BYTES:
        longest = max(lists, key=lambda name: len(getattr(summary, name)))
        entries = getattr(summary, longest)
        if not entries:
            break
        entries.pop()
    return summary


def _change(row: Event, names: dict[tuple[str, str], str]) -> ChangeRow:
    kind = "work_item" if row.entity_type == "dependency" else row.entity_type
    return ChangeRow(
        cursor=_cursor(row.id),
        occurred_at=row.occurred_at,
        actor=row.actor,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        title=names.get((kind, row.entity_id)),
        action=row.action,
        fields=sorted((row.changes or {}).keys()),
    )
