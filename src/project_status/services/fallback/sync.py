"""Replay the offline journal on the primary, exactly once and in order, keeping conflicts.

Each journal entry is replayed in its own primary transaction that also records its id in the
ledger (`sync_applied`), so a replay cut off at any point (even by SIGKILL) can be run again:
entries the ledger holds are not run twice. A change the primary now refuses (someone changed
the entity meanwhile, a rule now fails, or the database itself will not take a value the mirror
took) is not applied and not dropped: it is kept in `sync_conflicts` with both sides, later
journal entries for the same entity wait behind it, and the replay goes on with the next entry.
Only a database that went away (or failed in a way worth retrying) stops the replay.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import pydantic
from sqlalchemy import select

from project_status.domain.errors import (
    DatabaseError,
    DatabaseUnavailableError,
    NotFoundError,
    SchemaOutdatedError,
    ValidationError,
    VersionConflictError,
)
from project_status.domain.operation import Operation, running
from project_status.domain.sync import ConflictReason, Resolution, SyncConflictRead, SyncResult
from project_status.domain.validation import to_tracker_error
from project_status.services import read_models
from project_status.services.checks import check_actor
from project_status.services.clock import now
from project_status.services.commands.registry import CallOn
from project_status.services.fallback import journaled as journaled_format
from project_status.services.fallback.mirror import Mirror
from project_status.services.routing import unrouted
from project_status.store import sync as store
from project_status.store.database import Database
from project_status.store.id_lookup import resolve_row
from project_status.store.tables import (
    JournalEntry,
    SyncConflict,
)

if TYPE_CHECKING:
    from project_status.services.tracker import Tracker

log = logging.getLogger(__name__)
T = TypeVar("T")

_REFUSED = (VersionConflictError, ValidationError, NotFoundError)


class _Blocked(Exception):
    pass


def transient(error: DatabaseError) -> bool:
    """Whether the database failed rather than refused the change: the same change may go
    through later, so a replay stops and waits instead of keeping it as a conflict."""
    return isinstance(error, DatabaseUnavailableError | SchemaOutdatedError) or bool(
        error.details.get("retryable")
    )


_REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""What PostgreSQL refuses in any text or JSON document: NUL, and surrogates without a pair."""


def _storable(value: Any) -> Any:
    """`value` with every character PostgreSQL cannot store replaced, so that a change the
    database refused for holding one can still be kept as a conflict."""
    if isinstance(value, str):
        return _UNSTORABLE.sub(_REPLACEMENT, value)
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


def _load(
    operation: str, data: dict[str, Any], schema_version: int = journaled_format.FORMAT
) -> journaled_format.Journaled:
    """The journaled command; input today's rules refuse is the change's fault, not a bug."""
    try:
        return journaled_format.load(operation, data, schema_version)
    except pydantic.ValidationError as invalid:
        raise to_tracker_error(invalid) from None


def _still_refused(reason: str, conflict_id: str, *, by: str) -> ValidationError:
    """apply_mine of a change that is still refused: nothing written, the conflict stays open."""
    return ValidationError.for_field(
        "resolution",
        f"apply_mine: {by} still refuses this change ({reason.rstrip('.')}); nothing was written and "
        "the conflict stays open. Resolve it with keep_theirs to drop the change, then make it again "
        "with values that are accepted.",
        Resolution.APPLY_MINE.value,
        conflict_id=conflict_id,
    )


class SyncService:
    def __init__(self, primary: Database, mirror: Mirror, tracker: Tracker) -> None:
        self.primary = primary
        self.mirror = mirror
        self.tracker = tracker
        """The primary's services, which the journaled commands run on again."""
        self._lock = asyncio.Lock()

    async def pending(self) -> int:
        return (await self.mirror.state()).pending

    async def sync(self, progress: Callable[[int, int], None] | None = None) -> SyncResult:
        """Replay every pending entry; then, with none left, copy the primary into the mirror."""
        return await self._sync(progress)

    async def catch_up(self) -> SyncResult:
        """Replay every pending entry, without the copy: what a call does before PostgreSQL answers
        it, so that it reads its own offline writes (the mirror is marked stale instead)."""
        async with self._lock:
            result, replayed = await self._replay_journal(None, bounded=True)
        if replayed:
            await self.mirror.mark_stale()
        return result

    async def _replay_journal(
        self, progress: Callable[[int, int], None] | None, *, bounded: bool = False
    ) -> tuple[SyncResult, bool]:
        """The replay's counts, and whether there was anything to replay.

        `bounded`: each step on PostgreSQL within its answer time, for a caller that must answer
        soon; a stalled server then ends the replay (the rest waits, the ledger keeps each entry
        exactly once) instead of hanging the call.
        """

        def within(step: Awaitable[T]) -> Awaitable[T]:
            return self.primary.within_answer_time(step) if bounded else step

        result = SyncResult()
        await self.mirror.ensure_ready()
        async with self.mirror.db.unit_of_work() as session:
            waiting = await store.count_pending(session)
        if not waiting:
            return result, False
        try:
            blocked = await within(self._open_conflict_entities())
        except DatabaseUnavailableError as down:
            where = down.details.get("database", "the primary database")
            raise DatabaseUnavailableError(
                f"The database at {where} is unavailable; check that it is running and reachable. "
                f"{waiting} change(s) made while it was down wait in the journal "
                "of the local mirror; they are written when it is back (a running server does it by "
                "itself; or run `project-status sync` again).",
                {**down.details, "pending": waiting},
            ) from down
        async with self.mirror.db.unit_of_work() as session:
            entries = list(await store.pending(session))
        for done, entry in enumerate(entries, 1):
            try:
                outcome = await within(self._replay(entry, blocked))
            except DatabaseError as error:
                if not transient(error):
                    raise
                log.warning("sync: replay stopped, the rest waits: %s", error.message)
                result.remaining = len(entries) - done + 1
                result.message = "The database went away during the replay; the rest waits for the next sync."
                break
            if outcome == "applied":
                result.applied += 1
            elif outcome == "already":
                result.already_applied += 1
            else:
                result.conflicts += 1
                result.conflict_ids.append(outcome)
            async with self.mirror.db.unit_of_work(write=True) as session:
                state = store.CONFLICT if outcome not in ("applied", "already") else store.APPLIED
                await store.settle(session, entry.seq, state, now())
            if progress is not None:
                progress(done, len(entries))
        return result, bool(entries)

    async def _open_conflict_entities(self) -> set[tuple[str, str]]:
        async with self.primary.unit_of_work() as session:
            return await store.open_conflict_entities(session)

    async def _sync(self, progress: Callable[[int, int], None] | None) -> SyncResult:
        started = time.perf_counter()
        async with self._lock:  # not held by the copy: a call catching up waits for the replay only
            result, entries = await self._replay_journal(progress)
        if not result.remaining:
            try:
                refresh = await self.mirror.refresh()
            except DatabaseUnavailableError as down:
                if entries:
                    raise
                where = down.details.get("database", "the primary database")
                raise DatabaseUnavailableError(
                    f"The database at {where} is unavailable; check that it is running and reachable. "
                    "Nothing waits in the journal of the local mirror.",
                    {**down.details, "pending": 0},
                ) from down
            result.mirror_refreshed = refresh.refreshed
        result.seconds = round(time.perf_counter() - started, 3)
        if not result.message:
            result.message = (
                f"{result.applied} change(s) written, {result.already_applied} already written by an "
                f"earlier run, {result.conflicts} kept as conflict(s)."
            )
        return result

    async def _replay(self, entry: JournalEntry, blocked: set[tuple[str, str]]) -> str:
        """'applied', 'already', or the id of the conflict recorded."""
        entity = (entry.entity_type, entry.entity_id or "")
        op = Operation(op_id=entry.op_id, at=entry.recorded_at)
        try:
            async with self.primary.transaction() as session:
                await self.primary.lock_replay(session)
                if await store.was_replayed(session, entry.op_id):
                    return "already"
                if entity in blocked:
                    raise _Blocked
                journaled = _load(entry.operation, entry.arguments, entry.schema_version)
                if journaled.command.new_row and await store.entity_row(
                    session, entry.entity_type, entry.entity_id
                ):
                    # Its id came from the client: the row is there, so this create reached the
                    # database once already (its answer was lost, e.g. cut off by a timeout).
                    store.mark_replayed(session, entry.op_id, entry.operation, "duplicate", now())
                    return "already"
                with unrouted(), running(op):
                    await journaled.run(self.tracker, entry.actor)  # what today's rules refuse: a conflict
                store.mark_replayed(session, entry.op_id, entry.operation, "applied", now())
            return "applied"
        except (*_REFUSED, _Blocked) as error:
            return await self._keep_conflict(entry, error, blocked)
        except DatabaseError as error:
            if transient(error):
                raise
            # The database itself refused the change (a value the mirror took, a constraint):
            # it never will take it as it is, so it is kept for a person, not retried forever.
            return await self._keep_conflict(entry, error, blocked)

    async def _keep_conflict(
        self, entry: JournalEntry, error: Exception, blocked: set[tuple[str, str]]
    ) -> str:
        if isinstance(error, _Blocked):
            reason = ConflictReason.BLOCKED
            message = (
                "An earlier offline change to the same entity is an unresolved conflict; resolve it first."
            )
        elif isinstance(error, VersionConflictError):
            reason, message = ConflictReason.VERSION, error.message
        else:
            reason, message = ConflictReason.REJECTED, getattr(error, "message", str(error))
        blocked.add((entry.entity_type, entry.entity_id or ""))
        arguments, mine, actor = _storable(entry.arguments), _storable(entry.result), _storable(entry.actor)
        if (arguments, mine, actor) != (entry.arguments, entry.result, entry.actor):
            reason = ConflictReason.UNSTORABLE
            message = (
                f"{message.rstrip('.')}. The change holds characters the database cannot store "
                f"(shown here as {_REPLACEMENT}), so it can only be dropped: resolve with keep_theirs, "
                "then make it again without them."
            )
        async with self.primary.transaction() as session:
            await self.primary.lock_replay(session)
            if await store.was_replayed(session, entry.op_id):
                existing = (
                    await session.execute(select(SyncConflict.id).where(SyncConflict.op_id == entry.op_id))
                ).scalar()
                return str(existing) if existing else "already"
            theirs = await store.entity_row(session, entry.entity_type, entry.entity_id)
            conflict = SyncConflict(
                id=uuid.uuid4(),
                op_id=entry.op_id,
                operation=entry.operation,
                entity_type=entry.entity_type,
                entity_id=entry.entity_id,
                actor=actor,
                offline_at=entry.recorded_at,
                detected_at=now(),
                reason=reason.value,
                message=_storable(message),
                arguments=arguments,
                mine=mine,
                theirs=theirs,
            )
            store.add_conflict(session, conflict)
            store.mark_replayed(session, entry.op_id, entry.operation, "conflict", now())
        log.warning("sync: kept a conflict for %s %s: %s", entry.entity_type, entry.entity_id, message)
        return str(conflict.id)

    # Conflicts

    async def conflicts(self, *, include_resolved: bool = False, limit: int = 100) -> list[SyncConflictRead]:
        async with self.primary.unit_of_work() as session:
            rows = await store.conflicts(session, include_resolved=include_resolved, limit=limit)
            return [read_models.sync_conflict(row) for row in rows]

    async def get(self, conflict_id: str) -> SyncConflictRead:
        async with self.primary.unit_of_work() as session:
            return read_models.sync_conflict(await self._conflict(session, conflict_id))

    async def _conflict(self, session: Any, value: str) -> SyncConflict:
        return await resolve_row(session, SyncConflict, value, field="conflict_id", what="sync conflict")

    async def resolve(self, conflict_id: str, resolution: Resolution, actor: str) -> SyncConflictRead:
        """Keep theirs (the database stays as it is) or apply mine over it, on the current version.

        All in one transaction: a change the database still refuses leaves nothing written and
        the conflict open.
        """
        actor = check_actor(actor)
        async with self.primary.transaction() as session:
            conflict = await self._conflict(session, conflict_id)
            if conflict.resolved_at is not None:
                raise ValidationError.for_field(
                    "conflict_id",
                    f"already resolved ({conflict.resolution} by {conflict.resolved_by} at "
                    f"{conflict.resolved_at:%Y-%m-%d %H:%M} UTC)",
                    conflict_id,
                )
            if resolution is Resolution.APPLY_MINE:
                await self._apply_mine(session, conflict)
            conflict.resolved_at = now()
            conflict.resolution = resolution.value
            conflict.resolved_by = actor
            await session.flush()
            answer = read_models.sync_conflict(conflict)
        await self.mirror.mark_stale()
        return answer

    async def _apply_mine(self, session: Any, conflict: SyncConflict) -> None:
        conflict_id = str(conflict.id)  # the row can't be read once a refusal ends the transaction
        if conflict.reason == ConflictReason.UNSTORABLE.value:
            raise ValidationError.for_field(
                "resolution",
                f"apply_mine: {conflict.message}",
                Resolution.APPLY_MINE.value,
                conflict_id=conflict_id,
            )
        try:
            journaled = _load(conflict.operation, conflict.arguments)
        except ValidationError as invalid:  # today's rules refuse what was journaled
            raise _still_refused(invalid.message, conflict_id, by="today's input rules") from None
        arguments = journaled.arguments
        if "version" in type(arguments).model_fields:
            current = await store.entity_row(session, conflict.entity_type, conflict.entity_id)
            if current is None:
                raise NotFoundError(
                    f"The {conflict.entity_type.replace('_', ' ')} {conflict.entity_id} no longer exists; "
                    "the change can't be applied. Resolve with keep_theirs.",
                    {"conflict_id": str(conflict.id)},
                )
            arguments = arguments.model_copy(update={"version": current["version"]})
        try:
            async with self.primary.translated_errors():
                with unrouted():
                    try:
                        on = CallOn(conflict.actor, self.tracker)
                        await journaled.command.run(arguments, on)
                    except pydantic.ValidationError as invalid:  # today's rules refuse the input
                        message = to_tracker_error(invalid).message
                        raise _still_refused(message, conflict_id, by="today's input rules") from None
                await session.flush()  # a refusal surfaces here, not at the commit past this check
        except DatabaseError as error:
            if transient(error):
                raise
            raise _still_refused(error.message, conflict_id, by="the database") from None
