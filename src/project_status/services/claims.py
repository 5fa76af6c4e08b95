"""Claims with leases: agents take ready work one item each, give it back or finish it.

A claim sets the item `in_progress`, `claimed_by` the actor and `claim_expires_at` a lease
ahead. Exactly one claimer wins an item, on either backend: the claim without an id picks and
updates its item in one transaction that other claimers cannot share (PostgreSQL: the row is
locked FOR UPDATE SKIP LOCKED; SQLite: writers take turns), and the claim of a named item locks
that row first. An expired lease blocks nobody; whoever next writes the item (claims, releases,
completes or updates it) records its expiry as an event before their own (services/leases.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from project_status.domain.enums import ACTIONABLE_TYPES, ItemType, WorkItemStatus
from project_status.domain.errors import NEXT_STEP, ClaimedError, NextStep, NotFoundError, ValidationError
from project_status.domain.ids import parse_id
from project_status.domain.types import ItemRef
from project_status.domain.work_items import WorkItemRead
from project_status.services import command_forms, leases, locking, read_models
from project_status.services.change_sets import diff, json_value
from project_status.services.checks import check_actor, checked
from project_status.services.clock import now
from project_status.services.leases import expire_if_due, live
from project_status.services.notes import append_note, check_note_text
from project_status.services.routing import Routed, pinned_by_result, writes
from project_status.services.work_items import resolve_item
from project_status.store import claims as store
from project_status.store import events, one_statement
from project_status.store import work_items as work_items_store
from project_status.store.database import Database
from project_status.store.tables import WorkItem

DEFAULT_LEASE_MINUTES = 30
MAX_LEASE_MINUTES = 24 * 60
_CLAIM_FIELDS = ("status", "claimed_by", "claim_expires_at")
ITEM_ARGUMENT = "id"
"""How callers name the item (the tools' `id`, the CLI's ID): the field an error about it names."""


def check_lease(lease_minutes: int) -> int:
    if (
        isinstance(lease_minutes, bool)
        or not isinstance(lease_minutes, int)
        or not (1 <= lease_minutes <= MAX_LEASE_MINUTES)
    ):
        raise ValidationError.for_field(
            "lease_minutes", f"must be a whole number of minutes from 1 to {MAX_LEASE_MINUTES}", lease_minutes
        )
    return lease_minutes


def _claim_state(row: WorkItem) -> dict[str, Any]:
    return {field: getattr(row, field) for field in _CLAIM_FIELDS}


def claimed_error(row: WorkItem, what: str, way_out: str, next_step: NextStep | None = None) -> ClaimedError:
    """`way_out` may name `{next_step}`, which each interface spells as its own command."""
    assert row.claim_expires_at is not None
    until = row.claim_expires_at.isoformat()
    return ClaimedError(
        f"Work item {row.id} is claimed by {row.claimed_by} until {until}, so it can't be {what}. {way_out}",
        next_step=next_step,
        details={
            "reason": "claimed",
            "id": str(row.id),
            "claimed_by": row.claimed_by,
            "claim_expires_at": until,
            "current_version": row.version,
        },
    )


def _pins(result: WorkItemRead) -> dict[str, Any]:
    """A claim repeated elsewhere takes the item it took here, at the version it found (a claim
    changes the version by exactly one); the filters that chose it no longer apply."""
    return {"item": result.id, "version": result.version - 1, "item_type": None, "parent_id": None}


async def _end_claim(
    session: AsyncSession, row: WorkItem, actor: str, moment: datetime, status: str | None
) -> dict[str, Any]:
    """Clear the claim (a lapsed lease is recorded first) and set `status` (None: kept); the changes."""
    expire_if_due(session, row, actor, moment)
    before = _claim_state(row)
    if status is not None:
        row.status = status
    row.claimed_by = None
    row.claim_expires_at = None
    row.updated_at = moment
    row.updated_by = actor
    await locking.flush(session)
    return diff(before, _claim_state(row))


def _checked_note(note: str | None) -> str | None:
    return None if note is None else check_note_text(note)


def _check_open(row: WorkItem, value: str, *, restore: str, completed_by: str, reopen: str = "") -> None:
    """Claiming and completing both refuse a deleted or a completed item; each words its way out."""
    ident = str(row.id)
    if row.deleted_at is not None:
        raise ValidationError.for_field(ITEM_ARGUMENT, f"work item {ident} is deleted; {restore}", value)
    if row.status == WorkItemStatus.COMPLETED.value:
        raise ValidationError.for_field(
            ITEM_ARGUMENT,
            f"work item {ident} is already completed ({completed_by} {row.updated_by} at "
            f"{row.updated_at.isoformat()}){reopen}",
            value,
            reason="completed",
        )


L = TypeVar("L")


async def _locked(
    session: AsyncSession,
    item: str,
    lock: Callable[[AsyncSession, uuid.UUID], Awaitable[L | None]],
) -> L:
    """The item `item` names, locked for this transaction (`lock`: how, and what it answers). A
    whole UUID of a live item takes one statement, the lock's own read (a round trip saved on
    PostgreSQL); a prefix, or an id with no live row, goes through `resolve_item` first, whose
    answers name ambiguous prefixes and archived items."""
    ref = parse_id(item, "id")
    if ref.exact is not None:
        found = await lock(session, ref.exact)
        if found is not None:
            return found
    item_id = (await resolve_item(session, item)).id
    found = await lock(session, item_id)
    if found is None:
        raise LookupError(f"work item {item_id} vanished")  # read in this transaction already
    return found


def _claimable(row: WorkItem, actor: str, moment: datetime) -> bool:
    """What `_check_claimable` lets through, but blockers (checked apart)."""
    return (
        row.deleted_at is None
        and row.status not in (WorkItemStatus.COMPLETED.value, WorkItemStatus.BLOCKED.value)
        and not (live(row, moment) and row.claimed_by != actor)
    )


async def _claim_at_once(
    writer: one_statement.Writer,
    found: Any,
    actor: str,
    version: int | None,
    lease_minutes: int,
    moment: datetime,
) -> WorkItemRead | None:
    """The claim of a named item as one statement (`store.one_statement`): the same row and events
    as the transactional claim, written only while the item is at the version read and no open
    blocker holds it back. None: the transactional claim answers (no live row by that id, a
    refusal, which it words, or a race lost between the read and the write). `found`: the
    item's row as `READ_TO_CLAIM` reads it."""
    if found is None:
        return None
    read = found._asdict()
    blocked = read.pop("blocked")
    row = one_statement.draft(read)  # a place to apply the claim
    if version is not None:
        locking.check("work item", str(row.id), version, row)
    if blocked or not _claimable(row, actor, moment):
        return None
    renewing = row.claimed_by == actor and live(row, moment)
    written = _lapsed_claim_dropped(row, actor, moment)
    before = _claim_state(row)
    values = {
        "status": WorkItemStatus.IN_PROGRESS.value,
        "claimed_by": actor,
        "claim_expires_at": moment + timedelta(minutes=lease_minutes),
        "updated_at": moment,
        "updated_by": actor,
    }
    changes = diff(before, {field: values[field] for field in _CLAIM_FIELDS})
    changes["lease_minutes"] = {"old": None, "new": lease_minutes}
    written.append(one_statement.Event("claim_renewed" if renewing else "claimed", actor, moment, changes))
    new = await writer.update_item(row.id, row.version, values, written, claimable=True)
    return None if new is None else read_models.work_item(new)


def _lapsed_claim_dropped(row: Any, actor: str, moment: datetime) -> list[one_statement.Event]:
    """Clear a lapsed claim from the `row` a one-statement claim or release drafts, and the
    `claim_expired` event that says so (none for a live claim, or no claim)."""
    if row.claimed_by is None or live(row, moment):
        return []
    expired = leases.expiry(row.claimed_by, row.claim_expires_at)
    row.claimed_by = None
    row.claim_expires_at = None
    return [one_statement.Event("claim_expired", actor, moment, expired)]


async def _release_at_once(
    writer: one_statement.Writer, found: Any, actor: str, moment: datetime
) -> WorkItemRead | None:
    """The release of a named item as one statement (`store.one_statement`): the same row and
    events as the transactional release, written only while the item is at the version read.
    None: the transactional release answers (no live row by that id, a refusal, which it words,
    or a race lost between the read and the write). `found`: the row as `READ_BY_ID` reads it."""
    if found is None:
        return None
    row = one_statement.draft(found)  # a place to apply the release
    if row.claimed_by is None or (live(row, moment) and row.claimed_by != actor):
        return None
    in_progress = row.status == WorkItemStatus.IN_PROGRESS.value
    written = _lapsed_claim_dropped(row, actor, moment)
    before = _claim_state(row)
    after = {
        "status": WorkItemStatus.ACTIVE.value if in_progress else row.status,
        "claimed_by": None,
        "claim_expires_at": None,
    }
    values = after | {"updated_at": moment, "updated_by": actor}
    written.append(one_statement.Event("released", actor, moment, diff(before, after)))
    new = await writer.update_item(row.id, row.version, values, written)
    return None if new is None else read_models.work_item(new)


class ClaimService(Routed):
    """Claim, release and complete work items, each an audited write with the actor's name."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @writes(command_forms.renamed("claim_work_item", item="id"))
    @pinned_by_result(_pins)
    async def claim(
        self,
        actor: str,
        item: str | None = None,
        item_type: ItemType | None = None,
        parent_id: str | None = None,
        lease_minutes: int = DEFAULT_LEASE_MINUTES,
        version: int | None = None,
    ) -> WorkItemRead:
        """Claim a work item for `actor`: status in_progress, claimed_by, a lease of lease_minutes.

        Without `item`, takes the highest-priority ready item nobody holds (oldest first among
        equal priorities), of the actionable types (task, research) unless `item_type` names
        one, and within the subtree of `parent_id` when given. With `item`, claims that item,
        or renews the lease when `actor` already holds it. `version`, when given, must be the
        item's current version. Answers the item with its new version.
        Refused: another actor's live lease (ClaimedError), an open blocker, a completed,
        deleted or hand-blocked item (ValidationError); nothing ready (NotFoundError, with
        counts of what is held by others and what is blocked).
        """
        actor = check_actor(actor)
        check_lease(lease_minutes)
        if version is not None:
            locking.check_version_argument(version)
            if item is None:
                raise ValidationError.for_field(
                    "version",
                    f"applies to the claim of a named item; give {ITEM_ARGUMENT} too, or leave version out",
                    version,
                )
        if item is not None and (item_type is not None or parent_id is not None):
            field = "item_type" if item_type is not None else "parent_id"
            raise ValidationError.for_field(
                field,
                f"narrows the choice of a claim without {ITEM_ARGUMENT}; "
                f"leave it out when giving {ITEM_ARGUMENT}",
                json_value(item_type if item_type is not None else parent_id),
            )
        if item is not None:
            checked(item, ItemRef, ITEM_ARGUMENT)
        if parent_id is not None:
            checked(parent_id, ItemRef, "parent_id")
        moment = now()
        exact = None if item is None else parse_id(item, ITEM_ARGUMENT).exact
        if exact is not None:
            done = await one_statement.attempt(
                self.db,
                store.READ_TO_CLAIM,
                {"item_id": exact},
                lambda writer, found: _claim_at_once(writer, found, actor, version, lease_minutes, moment),
            )
            if done is not None:
                return done
        async with self.db.unit_of_work(write=True) as session:
            if item is None:
                row = await self._next(session, actor, item_type, parent_id, moment)
            else:
                row, blocked = await _locked(session, item, store.lock_to_claim)
                if version is not None:
                    locking.check("work item", str(row.id), version, row)
                await self._check_claimable(session, row, actor, moment, blocked)
            renewing = row.claimed_by == actor and live(row, moment)
            expire_if_due(session, row, actor, moment)
            before = _claim_state(row)
            row.status = WorkItemStatus.IN_PROGRESS.value
            row.claimed_by = actor
            row.claim_expires_at = moment + timedelta(minutes=lease_minutes)
            row.updated_at = moment
            row.updated_by = actor
            await locking.flush(session)
            changes = diff(before, _claim_state(row))
            changes["lease_minutes"] = {"old": None, "new": lease_minutes}
            events.record_work_item(
                session, row.id, "claim_renewed" if renewing else "claimed", actor, moment, changes
            )
            return read_models.work_item(row)

    async def _next(
        self,
        session: AsyncSession,
        actor: str,
        item_type: ItemType | None,
        parent_id: str | None,
        moment: datetime,
    ) -> WorkItem:
        types = [item_type.value] if item_type else [t.value for t in ACTIONABLE_TYPES]
        under = (await resolve_item(session, parent_id, "parent_id")).path if parent_id else None
        scope = store.Scope(types, under)
        row = await store.take_next(session, scope, moment)
        if row is not None:
            return row
        unready = await store.count_unready(session, scope, moment, actor)
        narrowed = f" of type {', '.join(types)}" + (f" under {parent_id}" if parent_id else "")
        yours = f", {unready.claimed_by_you} by you," if unready.claimed_by_you else ""
        raise NotFoundError(
            f"Nothing ready to claim{narrowed}: {unready.claimed_by_others} open item(s) are claimed "
            f"by others{yours} and {unready.blocked} wait on an open blocker. {NEXT_STEP} shows what "
            "is ready; a claim ends when its lease runs out.",
            next_step=NextStep("list_ready_work"),
            details={
                "reason": "nothing_ready",
                "item_types": types,
                "parent_id": parent_id,
                "claimed_by_others": unready.claimed_by_others,
                "claimed_by_you": unready.claimed_by_you,
                "blocked": unready.blocked,
            },
        )

    async def _check_claimable(
        self, session: AsyncSession, row: WorkItem, actor: str, moment: datetime, blocked: bool
    ) -> None:
        """Refuse what can't be claimed; `blocked`: the item has an open blocker (named here)."""
        ident = str(row.id)
        _check_open(
            row,
            ident,
            restore="restore it before claiming it",
            completed_by="last changed by",
            reopen="; set its status active first to work on it again",
        )
        if row.status == WorkItemStatus.BLOCKED.value:
            raise ValidationError.for_field(
                ITEM_ARGUMENT,
                f"work item {ident} has status blocked; set it active before claiming it",
                ident,
                reason="blocked",
            )
        if live(row, moment) and row.claimed_by != actor:
            raise claimed_error(
                row,
                "claimed",
                f"Choose another item ({NEXT_STEP}), or wait for the lease to end.",
                NextStep("list_ready_work"),
            )
        blockers = await store.open_blockers(session, row.id) if blocked else ()
        if blockers:
            names = ", ".join(f"{b.id} ({b.title!r}, {b.status})" for b in blockers)
            raise ValidationError.for_field(
                ITEM_ARGUMENT,
                f"work item {ident} waits on open blocker(s): {names}; complete them first",
                ident,
                reason="blocked_by",
                blockers=[{"id": str(b.id), "title": b.title, "status": b.status} for b in blockers],
            )

    @writes(command_forms.renamed("release_work_item", item="id"))
    async def release(self, item: str, actor: str, note: str | None = None) -> WorkItemRead:
        """Give a claimed item back: status active, claim cleared, and an optional handoff note.

        Refused while another actor's lease is live (ClaimedError); an item nobody holds is a
        ValidationError. An expired lease anyone may release.
        """
        actor, note = check_actor(actor), _checked_note(note)
        moment = now()
        exact = parse_id(item, ITEM_ARGUMENT).exact if note is None else None
        if exact is not None:  # a handoff note: the transactional path writes it with the release
            done = await one_statement.attempt(
                self.db,
                work_items_store.READ_BY_ID,
                {"id": exact},
                lambda writer, found: _release_at_once(writer, found, actor, moment),
            )
            if done is not None:
                return done
        async with self.db.unit_of_work(write=True) as session:
            row = await _locked(session, item, store.lock_if_live)
            if row.claimed_by is None:
                raise ValidationError.for_field(
                    ITEM_ARGUMENT, f"work item {row.id} is not claimed, so there is nothing to release", item
                )
            if live(row, moment) and row.claimed_by != actor:
                raise claimed_error(
                    row, "released by you", "Only the holder may release it before its lease ends."
                )
            in_progress = row.status == WorkItemStatus.IN_PROGRESS.value
            changes = await _end_claim(
                session, row, actor, moment, WorkItemStatus.ACTIVE.value if in_progress else None
            )
            events.record_work_item(session, row.id, "released", actor, moment, changes)
            if note is not None:
                append_note(session, row.id, note, actor, moment)
            return read_models.work_item(row)

    @writes(command_forms.renamed("complete_work_item", item="id"))
    async def complete(
        self, item: str, actor: str, note: str | None = None, force: bool = False
    ) -> WorkItemRead:
        """Complete a work item and end its claim in one step, with an optional handoff note.

        Refused while another actor holds a live lease (ClaimedError) unless `force`, which the
        audit event records (action `force_completed`, with the holder it overrode). Completing
        an item that is already completed or deleted is a ValidationError.
        """
        actor, note = check_actor(actor), _checked_note(note)
        moment = now()
        async with self.db.unit_of_work(write=True) as session:
            row = await _locked(session, item, store.lock_if_live)
            ident = str(row.id)
            _check_open(row, item, restore="restore it first", completed_by="by")
            overridden = live(row, moment) and row.claimed_by != actor
            if overridden and not force:
                raise claimed_error(
                    row,
                    "completed by you",
                    f"{NEXT_STEP} completes it anyway; that is recorded.",
                    NextStep("complete_work_item", {"id": ident, "force": True}),
                )
            changes = await _end_claim(session, row, actor, moment, WorkItemStatus.COMPLETED.value)
            if overridden:
                changes["forced"] = {"old": False, "new": True}
            events.record_work_item(
                session, row.id, "force_completed" if overridden else "completed", actor, moment, changes
            )
            if note is not None:
                append_note(session, row.id, note, actor, moment)
            return read_models.work_item(row)
