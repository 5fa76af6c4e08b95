"""Serve every service call with PostgreSQL as the primary, and keep answering when it is down.

Reads go to PostgreSQL, then fall through: the local mirror (if copied within the TTL), the
report as last committed in git, the report file on disk. An answer from a fallback layer
carries a warning naming the layer and the age of its data.

Writes go to PostgreSQL and are then repeated on the mirror (write-through), once the caller has
its answer (see `fallback.mirror` for why that loses nothing). When PostgreSQL
is down, the write is applied to the mirror and appended to its journal in one transaction,
the report file is regenerated from the mirror, and the caller is told it is pending sync.

While the journal holds changes, PostgreSQL answers no call before they are replayed on it:
a caller then reads its own offline writes, and its new writes land after them, in order.
Each write on PostgreSQL records its operation id in the replay ledger in the same transaction,
so the replay of a write whose answer was lost (cut off by a timeout) knows it is already there.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from project_status.domain.errors import DatabaseUnavailableError, NotFoundError, TrackerError
from project_status.domain.operation import Operation, running
from project_status.services import notices
from project_status.services.clock import now
from project_status.services.fallback import arguments, repeat
from project_status.services.fallback import journaled as journaled_format
from project_status.services.fallback.markdown import MarkdownLayers
from project_status.services.fallback.mirror import Mirror
from project_status.services.reports import REPORT_FILE
from project_status.services.routing import ServiceCall, unrouted
from project_status.store import events, one_statement
from project_status.store import sync as store
from project_status.store.breaker import Breaker
from project_status.store.database import Database
from project_status.store.tables import JournalEntry

if TYPE_CHECKING:
    from project_status.services.fallback.sync import SyncService
    from project_status.services.tracker import Tracker

log = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(minutes=30)


async def _on_primary(
    call: ServiceCall,
    op: Operation | None = None,
    written: list[dict[str, Any]] | None = None,
    guess: one_statement.Guess | None = None,
) -> Any:
    """The call on the primary within its answer time; a pooled connection found dead (a restart
    since the last call) gets one more try at once on a new connection, with the same ids.

    A write (`op` given) runs in one transaction that also records its operation id and command
    in the replay ledger: if its answer is lost and it is journaled and replayed, the replay
    finds it there. The events it writes are collected in `written` (for the write-through).
    `guess`: where a write made of one statement may read its row first (the mirror).
    """
    db = call.service.db

    async def once() -> Any:
        if op is None or call.form is None:
            return await call.here()
        async with db.transaction() as session:
            if written is not None:
                written.clear()  # a second try starts again
                events.capture(session, written)
            ledger = one_statement.offer(session, op.op_id, call.form.command, op.at, guess)
            result = await call.here()
            if not ledger.recorded:  # else the write's own statement recorded it
                await store.mark_live(session, op.op_id, call.form.command, op.at)
        return result

    with running(op) if op is not None else nullcontext():
        try:
            return await db.within_answer_time(once())
        except DatabaseUnavailableError as first:
            if not first.dropped_connection:
                raise
            with Breaker.probing():
                return await db.within_answer_time(once())


@dataclass
class _Layer:
    name: str
    describe: str
    db: Database
    age: timedelta | None
    """How old the layer's data is (None: unknown)."""


def _actor(call: ServiceCall) -> str:
    value = arguments.bind(call.fn, call.args, call.kwargs).get("actor")
    return str(value) if value else "unknown"


class FallbackRouter:
    def __init__(
        self,
        *,
        primary_name: str,
        mirror: Mirror,
        mirrored: Tracker,
        markdown: MarkdownLayers | None,
        project_root: Path,
        ttl: timedelta = DEFAULT_TTL,
    ) -> None:
        self.primary_name = primary_name
        self.mirror = mirror
        self.mirrored = mirrored
        """The services on the mirror: where writes are repeated and journaled."""
        self.markdown = markdown
        self.project_root = project_root
        self.ttl = ttl
        self.regenerate_report = True
        self.sync: SyncService | None = None
        """Replays the journal before PostgreSQL answers a call (none: calls go straight to it)."""
        self._journal_may_hold_changes = True
        """False once this process saw the journal empty and has not journaled since: the check
        is then skipped. (A server's upkeep round replays what another process journals.)"""

    async def run(self, call: ServiceCall) -> Any:
        """Where a call runs, decided in one place.

        On PostgreSQL, once the journal is replayed there (a write records its command in the
        replay ledger, and is then repeated on the mirror). PostgreSQL down: a read is answered
        by the first fallback layer that can; a write is applied to the mirror and journaled as
        its registry command.
        """
        with self.mirror.serving():
            return await self._run(call)

    async def _run(self, call: ServiceCall) -> Any:
        op = None if call.form is None else Operation()
        written: list[dict[str, Any]] = []
        try:
            await self._catch_up()
            guess = None if op is None else self.mirror.caught_up_reader()
            result = await _on_primary(call, op, written, guess)
        except DatabaseUnavailableError as down:
            if op is None:
                return await self._read_fallback(call, down)
            return await self._write_offline(call, op, down)
        if op is not None:
            assert call.form is not None, "only a write has an operation"
            bound = functools.partial(arguments.bind, call.fn, call.args, call.kwargs)
            put = repeat.row_put(call.form.command, result, written, bound)
            self.mirror.repeat_later(functools.partial(self._write_through, call, result, op, put), put)
        return result

    async def _catch_up(self) -> None:
        """Replay what the journal holds before PostgreSQL answers anything: else a caller that
        wrote during an outage would not find its change, and its next writes would overtake it.
        Raises DatabaseUnavailableError while that can't be done, so the call is served as if
        PostgreSQL were down (from the mirror, or into the journal behind the others)."""
        if self.sync is None or not self._journal_may_hold_changes:
            return
        result = await self.sync.catch_up()
        if result.remaining:
            raise DatabaseUnavailableError(
                f"{self.primary_name} did not take all the changes waiting in {self.mirror.describe()} "
                f"({result.remaining} still pending); they are written when it answers again.",
                {"pending": result.remaining},
            )
        if result.conflicts:
            notices.warn(
                f"{result.conflicts} change(s) made while {self.primary_name} was unavailable were kept "
                "as sync conflicts; review them with `project-status conflicts list`."
            )
        self._journal_may_hold_changes = False

    async def _layers(self, skipped: list[str]) -> AsyncIterator[_Layer]:
        try:
            state = await self.mirror.state()
        except TrackerError as error:
            skipped.append(f"{self.mirror.describe()} (unreadable: {error.message})")
        else:
            age = state.age()
            if state.pending or (age is not None and age <= self.ttl):
                # Changes journaled here are newer than any other layer, whatever the copy's age.
                yield _Layer("mirror", f"{self.mirror.describe()}, {state.describe()}", self.mirror.db, age)
            else:
                skipped.append(
                    f"{self.mirror.describe()} ({state.describe()}; older than the "
                    f"{int(self.ttl.total_seconds() // 60)} min limit)"
                )
        if self.markdown is None:
            return
        for kind in ("git", "file"):
            layer = await self.markdown.layer(kind)
            if layer is None:
                skipped.append(
                    f"{REPORT_FILE} in git history (none committed)"
                    if kind == "git"
                    else f"{self.project_root / REPORT_FILE} (missing or unreadable)"
                )
                continue
            yield _Layer(kind, layer.describe(), layer.tracker.db, now() - layer.written_at)

    async def _read_fallback(self, call: ServiceCall, down: DatabaseUnavailableError) -> Any:
        await self.mirror.settled()  # what this process wrote on PostgreSQL is in the mirror too
        skipped: list[str] = []
        missing: NotFoundError | None = None
        async for layer in self._layers(skipped):
            try:
                with unrouted():
                    result = await call.on(layer.db)
            except NotFoundError as error:
                missing = missing or error
                skipped.append(f"{layer.describe} (does not hold it)")
                continue
            except DatabaseUnavailableError as error:
                skipped.append(f"{layer.describe} (unavailable: {error.message})")
                continue
            not_used = f" Not used: {'; '.join(skipped)}." if skipped else ""
            notices.served_from(layer.name, layer.age)
            notices.warn(
                f"{self.primary_name} is unavailable; this answer comes from {layer.describe}.{not_used}"
            )
            return result
        tried = "; ".join(skipped) or "no fallback layer"
        if missing is not None:
            notices.warn(f"{self.primary_name} is unavailable; looked in: {tried}.")
            raise NotFoundError(
                f"{missing.message.rstrip('.')} (not found: database unavailable, and no fallback "
                f"layer holds it). Looked in: {tried}.",
                {**missing.details, "database_unavailable": True},
            ) from None
        where = down.details.get("database", self.primary_name)
        raise DatabaseUnavailableError(
            f"The database at {where} is unavailable; check that it is running and reachable. "
            f"No fallback layer could answer either: {tried}.",
            {**down.details, "fallbacks_tried": skipped},
        ) from None

    # Writes

    async def _write_through(
        self, call: ServiceCall, answered: Any, op: Operation, put: repeat.RowPut | None
    ) -> None:
        """Put the write's row and its events (`put`) in the mirror as the primary made them
        (`fallback.repeat`), or else repeat its command there, pinned to what it `answered` on the
        primary; if it does not apply there, the mirror is marked stale. Run from the mirror's
        queue, after the caller has its answer (`Mirror.repeat_later`), or there for a gathered
        `put` alone when its batch failed."""
        if await self.mirror.left_to_a_copy():
            return
        assert call.form is not None, "a read is not repeated"
        try:
            await self.mirror.ensure_ready()
            if put is not None:
                await repeat.put(self.mirror.db, put)
                return
            repeated = journaled_format.of_write(call, answered)
            with unrouted(), running(op):
                await repeated.run(self.mirrored, _actor(call))
        except Exception as error:  # the mirror is a cache: never fail a committed write for it
            log.info("mirror: write-through of %s did not apply (%s); marked stale", call.form, error)
            await self.mirror.mark_stale()

    async def _write_offline(self, call: ServiceCall, op: Operation, down: DatabaseUnavailableError) -> Any:
        """Apply the write's command to the mirror and append it to its journal, in one transaction."""
        actor = _actor(call)
        command = journaled_format.of_write(call)
        await self.mirror.settled()  # after the online writes before it, which it may build on
        try:
            await self.mirror.ensure_ready()
            async with self.mirror.db.transaction() as session:
                with unrouted(), running(op):
                    result = await command.run(self.mirrored, actor)
                kind, entity_id = journaled_format.entity_of(result)
                journaled = journaled_format.of_write(call, result)
                await store.append(
                    session,
                    JournalEntry(
                        op_id=op.op_id,
                        operation=journaled.name,
                        arguments=journaled.dump(),
                        schema_version=journaled_format.FORMAT,
                        entity_type=kind,
                        entity_id=entity_id,
                        actor=actor,
                        recorded_at=op.at,
                        result=result.model_dump(mode="json") if hasattr(result, "model_dump") else None,
                        state=store.PENDING,
                    ),
                )
                pending = await store.count_pending(session)
        except NotFoundError as missing:
            raise NotFoundError(
                f"{missing.message.rstrip('.')} (not found: {self.primary_name} is unavailable and "
                f"{self.mirror.describe()} does not hold it, so the change was not made).",
                {**missing.details, "database_unavailable": True},
            ) from None
        except DatabaseUnavailableError:
            raise down from None
        self._journal_may_hold_changes = True
        notices.served_from("mirror", timedelta(0))  # the answer is the change just made there
        notices.warn(
            f"{self.primary_name} is unavailable: the change was saved in {self.mirror.describe()} "
            f"and is pending sync ({pending} change(s) waiting); it is written to the database when "
            "it is back (automatically in a running server, or `project-status sync`)."
        )
        await self._regenerate_report()
        return result

    async def _regenerate_report(self) -> None:
        if not self.regenerate_report:
            return
        target = self.project_root / REPORT_FILE
        try:
            with unrouted():
                await self.mirrored.reports.write(target, project_root=self.project_root)
        except Exception as error:  # the change is safe in the journal; the file is a courtesy
            notices.warn(f"{target} could not be regenerated: {error}")
