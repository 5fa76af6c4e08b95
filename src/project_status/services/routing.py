"""Marks each service method as a read or a write, so a router can serve it elsewhere.

With PostgreSQL as the primary database a `Router` is attached to every service: each call is
handed to it as a `ServiceCall`, which it runs on PostgreSQL, or (PostgreSQL down) a read on a
fallback layer's database and a write, as the registry command it declares, in the mirror's
journal. Without a router (SQLite primary, the mirror itself, replays) the methods run as written.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, Protocol, Self, TypeVar, cast

from project_status.services.command_forms import CommandForm
from project_status.store.database import Database

P = ParamSpec("P")
R = TypeVar("R")

_unrouted: ContextVar[bool] = ContextVar("unrouted", default=False)
"""Implicit because one service call runs others (an update resolves items through another
service): a call run on one layer must keep all of its inner calls on that layer."""


class Routed:
    """A service whose public methods a router may serve from another layer."""

    router: Router | None = None

    def __init__(self, db: Database) -> None:
        self.db = db

    def on(self, db: Database) -> Self:
        """This service on another layer's database (the mirror, a copy of the report file)."""
        other = copy.copy(self)
        other.db = db
        other.router = None
        return other


@dataclass(frozen=True)
class ServiceCall:
    """One call of a routed service method, as the router receives it."""

    service: Routed
    fn: Callable[..., Awaitable[Any]]
    """The method as written (not routed)."""
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    form: CommandForm | None
    """A write's registry command (see `command_forms`); None for a read."""

    def here(self) -> Awaitable[Any]:
        """The call run on its own service's database (the primary)."""
        return self.fn(self.service, *self.args, **self.kwargs)

    def on(self, db: Database) -> Awaitable[Any]:
        """The call run on `db` (a read answered by a fallback layer)."""
        return self.fn(self.service.on(db), *self.args, **self.kwargs)


class Router(Protocol):
    async def run(self, call: ServiceCall) -> Any: ...


S = TypeVar("S", bound=Routed)


@contextmanager
def unrouted() -> Iterator[None]:
    """Run service methods as written, on the database they were built on (no routing)."""
    token = _unrouted.set(True)
    try:
        yield
    finally:
        _unrouted.reset(token)


def _routable(service: Routed) -> Router | None:
    router = service.router
    if router is None or _unrouted.get() or service.db.in_shared_transaction():
        # Inside one shared transaction (an import) every step must stay on that transaction.
        return None
    return router


async def _direct_call(service: Routed, call: Awaitable[R]) -> R:
    """As written; on PostgreSQL within its answer time (not inside a shared transaction, whose
    steps are parts of one long unit of work)."""
    if service.db.in_shared_transaction():
        return await call
    return await service.db.within_answer_time(call)


def _served(
    form: CommandForm | None, fn: Callable[Concatenate[S, P], Awaitable[R]]
) -> Callable[Concatenate[S, P], Awaitable[R]]:
    @functools.wraps(fn)
    async def wrapper(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        router = _routable(self)
        if router is None:
            return await _direct_call(self, fn(self, *args, **kwargs))
        return cast(R, await router.run(ServiceCall(self, fn, args, kwargs, form)))

    wrapper.routed_as = "read" if form is None else "write"  # type: ignore[attr-defined]
    return wrapper


PINS = "__replay_pins__"


def pinned_by_result(
    pins: Callable[[Any], dict[str, Any]],
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Mark a write whose effect depends on what it found, such as "claim the next ready item".

    Run again elsewhere (the write-through to the mirror, a replay of the offline journal), it
    must act on what it found the first time: `pins(result)` gives the arguments that say so
    (the item's id, the version it saw), and the router adds them to the repeated call.
    """

    def mark(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        setattr(fn, PINS, pins)
        return fn

    return mark


def replay_pins(fn: Callable[..., Any], result: Any) -> dict[str, Any]:
    """The arguments a repeat of `fn` must carry after it answered `result` (none for most)."""
    pins = getattr(fn, PINS, None)
    return pins(result) if pins is not None else {}


def reads(fn: Callable[Concatenate[S, P], Awaitable[R]]) -> Callable[Concatenate[S, P], Awaitable[R]]:
    """A read: served by the fallback chain when the primary is down."""
    return _served(None, fn)


def writes(
    form: CommandForm,
) -> Callable[[Callable[Concatenate[S, P], Awaitable[R]]], Callable[Concatenate[S, P], Awaitable[R]]]:
    """A write, made as the registry command `form` names: run so on the primary, repeated on the
    mirror, or journaled there when the primary is down."""

    def mark(fn: Callable[Concatenate[S, P], Awaitable[R]]) -> Callable[Concatenate[S, P], Awaitable[R]]:
        return _served(form, fn)

    return mark
