"""Serve every service call with PostgreSQL as the primary, and keep answering when it is down.

Reads go to PostgreSQL, then fall through: the local mirror (if copied within the TTL), the
report as last committed in git, the report file on disk. An answer from a fallback layer
carries a warning naming the layer and the age of its data.

Writes go to PostgreSQL and are then repeated on the mirror (write-through). When PostgreSQL
is down, the write is applied to the mirror and appended to its journal in one transaction,
the report file is regenerated from the mirror, and the caller is told it is pending sync.

While the journal holds changes, PostgreSQL answers no call before they are replayed on it:
a caller then reads its own offline writes, and its new writes land after them, in order.
Each write on PostgreSQL records its operation id in the replay ledger in the same transaction,
so the replay of a write whose answer was lost (cut off by a timeout) knows it is already there.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from project_status.domain.errors import DatabaseUnavailableError, NotFoundError, TrackerError
from project_status.domain.operation import Operation, running
from project_status.services import notices
from project_status.services.common import now
from project_status.services.fallback import arguments
from project_status.services.fallback import journaled as journaled_format
from project_status.services.fallback.markdown import MarkdownLayers
from project_status.services.fallback.mirror import Mirror
from project_status.services.reports import REPORT_FILE
from project_status.services.routing import replay_pins, unrouted
from project_status.store import sync as store
from project_status.store.breaker import Breaker
from project_status.store.tables import JournalEntry

if TYPE_CHECKING:
    from project_status.services.fallback.sync import SyncService

log = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(minutes=30)
WRITE_THROUGH_WAIT_SECONDS = 0.5
"""How long a write-through waits for a copy running in this process (a routine one is short)
before it leaves the change to the next copy."""


@dataclass(frozen=True)
class _Call:
    """One service method call, to be run on one layer or another."""

    fn: Callable[..., Awaitable[Any]]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    service_name: str

    def on(self, service: Any) -> Awaitable[Any]:
        return self.fn(service, *self.args, **self.kwargs)


async def _on_primary(service: Any, call: _Call, op: Operation | None = None) -> Any:
    """Run on the primary within its answer time; a pooled connection found dead (a restart
    since the last call) gets one more try at once on a new connection, with the same ids.

    A write (`op` given) runs in one transaction that also records its operation id in the
    replay ledger: if its answer is lost and it is journaled and replayed, the replay finds it.
    """
    with running(op) if op is not None else nullcontext():
        try:
            return await service.db.within_answer_time(_run(service, call, op))
        except DatabaseUnavailableError as first:
            if not first.dropped_connection:
                raise
            with Breaker.probing():
                return await service.db.within_answer_time(_run(service, call, op))


async def _run(service: Any, call: _Call, op: Operation | None) -> Any:
    if op is None:
        return await call.on(service)
    async with service.db.transaction() as session:
        result = await call.on(service)
        store.mark_replayed(session, op.op_id, call.fn.__qualname__, store.LIVE, op.at)
    return result


@dataclass
class _Layer:
    name: str
    describe: str
    services: dict[str, Any]
    age: timedelta | None
    """How old the layer's data is (None: unknown)."""


def _pinned(call: _Call, result: Any) -> _Call:
    """`call` as it must be repeated after answering `result` (see `routing.pinned_by_result`)."""
    pins = replay_pins(call.fn, result)
    if not pins:
        return call
    bound = arguments.bind(call.fn, call.args, call.kwargs)
    return _Call(call.fn, (), {**bound, **pins}, call.service_name)


def _actor(call: dict[str, Any]) -> str:
    value = call.get("actor")
    return str(value) if value else "unknown"


class FallbackRouter:
    def __init__(
        self,
        *,
        primary_name: str,
        mirror: Mirror,
        mirror_services: dict[str, Any],
        markdown: MarkdownLayers | None,
        project_root: Path,
        ttl: timedelta = DEFAULT_TTL,
    ) -> None:
        self.primary_name = primary_name
        self.mirror = mirror
        self.mirror_services = mirror_services
        self.markdown = markdown
        self.project_root = project_root
        self.ttl = ttl
        self.regenerate_report = True
        self.sync: SyncService | None = None
        """Replays the journal before PostgreSQL answers a call (none: calls go straight to it)."""
        self._journal_may_hold_changes = True
        """False once this process saw the journal empty and has not journaled since: the check
        is then skipped. (A server's upkeep round replays what another process journals.)"""

    # Reads

    async def read(
        self,
        service: Any,
        fn: Callable[..., Awaitable[Any]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        call = _Call(fn, args, kwargs, type(service).__name__)
        try:
            await self._catch_up()
            return await _on_primary(service, call)
        except DatabaseUnavailableError as down:
            return await self._read_fallback(call, down)

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
                yield _Layer(
                    "mirror", f"{self.mirror.describe()}, {state.describe()}", self.mirror_services, age
                )
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
            yield _Layer(kind, layer.describe(), layer.services.services_by_name(), now() - layer.written_at)

    async def _read_fallback(self, call: _Call, down: DatabaseUnavailableError) -> Any:
        skipped: list[str] = []
        missing: NotFoundError | None = None
        async for layer in self._layers(skipped):
            target = layer.services.get(call.service_name)
            if target is None:
                continue
            try:
                with unrouted():
                    result = await call.on(target)
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

    async def write(
        self,
        service: Any,
        fn: Callable[..., Awaitable[Any]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        call = _Call(fn, args, kwargs, type(service).__name__)
        op = Operation()
        try:
            await self._catch_up()
            result = await _on_primary(service, call, op)
        except DatabaseUnavailableError as down:
            return await self._write_offline(call, op, down)
        await self._write_through(_pinned(call, result), op)
        return result

    async def _write_through(self, call: _Call, op: Operation) -> None:
        """Repeat the write on the mirror; if it does not apply there, the mirror is marked stale."""
        if self.mirror.refreshing and not await self.mirror.wait_for_copy(WRITE_THROUGH_WAIT_SECONDS):
            # A long copy (a big store's first) holds the mirror's lock: don't make the client
            # wait for it; the copy is marked stale and runs again.
            await self.mirror.mark_stale()
            return
        try:
            await self.mirror.ensure_ready()
            with unrouted(), running(op):
                await call.on(self.mirror_services[call.service_name])
        except Exception as error:  # the mirror is a cache: never fail a committed write for it
            log.info(
                "mirror: write-through of %s did not apply (%s); marked stale", call.fn.__qualname__, error
            )
            await self.mirror.mark_stale()

    async def _write_offline(self, call: _Call, op: Operation, down: DatabaseUnavailableError) -> Any:
        """Apply to the mirror and append to its journal, in one transaction."""
        bound = arguments.bind(call.fn, call.args, call.kwargs)
        saved = arguments.dump(call.fn, bound)
        try:
            await self.mirror.ensure_ready()
            async with self.mirror.db.transaction() as session:
                with unrouted(), running(op):
                    result = await call.on(self.mirror_services[call.service_name])
                kind, entity_id = journaled_format.entity_of(result)
                saved.update(replay_pins(call.fn, result))
                journaled = journaled_format.from_service_call(call.fn.__qualname__, saved)
                await store.append(
                    session,
                    JournalEntry(
                        op_id=op.op_id,
                        operation=journaled.name,
                        arguments=journaled.dump(),
                        schema_version=journaled_format.FORMAT,
                        entity_type=kind,
                        entity_id=entity_id,
                        actor=_actor(bound),
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
        reports = self.mirror_services["ReportService"]
        target = self.project_root / REPORT_FILE
        try:
            with unrouted():
                await reports.write(target, project_root=self.project_root)
        except Exception as error:  # the change is safe in the journal; the file is a courtesy
            notices.warn(f"{target} could not be regenerated: {error}")
