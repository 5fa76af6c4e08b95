"""What a tool needs from the request: the tracker (opened on demand) and the actor.

They read the SDK's `ServerRequestContext` (a plain dataclass), not the `Context` model made
around it: each property of that model costs microseconds per read (pydantic private
attributes), and a tool call read three of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mcp.server import ServerRequestContext
from mcp.server.session import ServerSession

from project_status.mcp.roots import settings_from_roots
from project_status.services.tracker import Tracker
from project_status.settings import Settings

FALLBACK_ACTOR = "mcp-client"
PERSON_SCOPE_KEY = "project_status.person"
"""Where the HTTP bearer gate leaves the person its token names, in the request's ASGI scope."""
ACTOR_MAX_LENGTH = 200
"""The audit columns' width."""


@dataclass
class AppState:
    """The tracker the requests share, and how it is opened when the project is learnt late."""

    settings: Settings
    tracker: Tracker | None = None
    """None until the project is known: a server started outside any project opens it at the
    first request, in the folder its client lists as a root (mcp/roots.py)."""
    on_open: Callable[[Tracker], None] | None = None
    """Starts the tracker's background jobs (set by the lifespan, which owns them)."""
    opening: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def open(self, session: ServerSession) -> Tracker:
        """The tracker, opened in the project of the client's roots if not open yet.

        A refusal (no folder root, and / or the home folder to start from) opens nothing, so
        the next request asks again."""
        if self.tracker is not None:
            return self.tracker
        async with self.opening:
            if self.tracker is None:
                opened = Tracker.create(await settings_from_roots(self.settings, session))
                self.tracker = opened
                if self.on_open is not None:
                    self.on_open(opened)
            return self.tracker


async def tracker(request: ServerRequestContext[Any, Any]) -> Tracker:
    """The tracker, its schema checked: a database that was down at start-up is retried here."""
    state: AppState = request.lifespan_context
    opened = await state.open(request.session)
    await opened.ensure_ready()
    return opened


def _client_name(request: ServerRequestContext[Any, Any]) -> str:
    try:
        params = request.session.client_params
    except Exception:
        params = None
    name = params.client_info.name if params is not None and params.client_info is not None else None
    return name.strip() if name and name.strip() else FALLBACK_ACTOR


def authenticated_person(request: ServerRequestContext[Any, Any]) -> str | None:
    """The person whose token this HTTP request carried (a tokens file), else None."""
    scope = getattr(request.request, "scope", None)
    person = scope.get(PERSON_SCOPE_KEY) if isinstance(scope, dict) else None
    return person if isinstance(person, str) else None


def resolve_actor(request: ServerRequestContext[Any, Any], explicit: str | None) -> str:
    """Who acts, for the audit trail.

    Over HTTP with per-person tokens it is the token's person with the client's name beside it,
    `alice (claude-code)`; an `actor` argument naming anyone else cannot change the person and is
    kept only as a claim, `alice (claimed: bob)`, so the trail shows both. Otherwise: an explicit
    `actor` argument, else the client's `clientInfo.name`, else a generic name.
    """
    claimed = explicit.strip() if explicit and explicit.strip() else None
    person = authenticated_person(request)
    if person is None:
        return claimed or _client_name(request)
    own = f"{person} ({_client_name(request)})"
    label = own if claimed is None or claimed in (person, own) else f"{person} (claimed: {claimed})"
    if len(label) > ACTOR_MAX_LENGTH:
        label = label[: ACTOR_MAX_LENGTH - 2] + "…)"
    return label
