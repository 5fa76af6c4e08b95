"""Marks each service method as a read or a write, so a router can serve it elsewhere.

With PostgreSQL as the primary database a `Router` is attached to every service: reads that
find PostgreSQL down are answered by a fallback layer, writes are journaled in the local mirror.
Without a router (SQLite primary, the mirror itself, replays) the methods run as written.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Concatenate, Literal, ParamSpec, Protocol, TypeVar, cast

from project_status.store.database import Database

P = ParamSpec("P")
R = TypeVar("R")

_unrouted: ContextVar[bool] = ContextVar("unrouted", default=False)
"""Implicit because one service call runs others (an update resolves items through another
service): a call run on one layer must keep all of its inner calls on that layer."""


class Router(Protocol):
    async def read(
        self, service: Any, fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any: ...

    async def write(
        self, service: Any, fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any: ...


class Routed:
    """A service whose public methods a router may serve from another layer."""

    router: Router | None = None

    def __init__(self, db: Database) -> None:
        self.db = db


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
    kind: Literal["read", "write"], fn: Callable[Concatenate[S, P], Awaitable[R]]
) -> Callable[Concatenate[S, P], Awaitable[R]]:
    @functools.wraps(fn)
    async def wrapper(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        router = _routable(self)
        if router is None:
            return await _direct_call(self, fn(self, *args, **kwargs))
        serve = router.read if kind == "read" else router.write
        return cast(R, await serve(self, fn, args, kwargs))

    wrapper.routed_as = kind  # type: ignore[attr-defined]
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
    return _served("read", fn)


def writes(fn: Callable[Concatenate[S, P], Awaitable[R]]) -> Callable[Concatenate[S, P], Awaitable[R]]:
    """A write: repeated on the mirror, or journaled there when the primary is down."""
    return _served("write", fn)
