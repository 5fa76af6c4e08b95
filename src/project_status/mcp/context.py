"""What a tool needs from the request: the tracker and the actor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import Context

from project_status.services.tracker import Tracker

FALLBACK_ACTOR = "mcp-client"
PERSON_SCOPE_KEY = "project_status.person"
"""Where the HTTP bearer gate leaves the person its token names, in the request's ASGI scope."""
ACTOR_MAX_LENGTH = 200
"""The audit columns' width."""


@dataclass
class AppState:
    tracker: Tracker


async def tracker(ctx: Context[Any, Any]) -> Tracker:
    """The tracker, its schema checked: a database that was down at start-up is retried here."""
    state: AppState = ctx.request_context.lifespan_context
    await state.tracker.ensure_ready()
    return state.tracker


def _client_name(ctx: Context[Any, Any]) -> str:
    try:
        params = ctx.session.client_params
    except Exception:
        params = None
    name = params.client_info.name if params is not None and params.client_info is not None else None
    return name.strip() if name and name.strip() else FALLBACK_ACTOR


def authenticated_person(ctx: Context[Any, Any]) -> str | None:
    """The person whose token this HTTP request carried (a tokens file), else None."""
    try:
        request = ctx.request_context.request
    except Exception:
        return None
    scope = getattr(request, "scope", None)
    person = scope.get(PERSON_SCOPE_KEY) if isinstance(scope, dict) else None
    return person if isinstance(person, str) else None


def resolve_actor(ctx: Context[Any, Any], explicit: str | None) -> str:
    """Who acts, for the audit trail.

    Over HTTP with per-person tokens it is the token's person with the client's name beside it,
    `alice (claude-code)`; an `actor` argument naming anyone else cannot change the person and is
    kept only as a claim, `alice (claimed: bob)`, so the trail shows both. Otherwise: an explicit
    `actor` argument, else the client's `clientInfo.name`, else a generic name.
    """
    claimed = explicit.strip() if explicit and explicit.strip() else None
    person = authenticated_person(ctx)
    if person is None:
        return claimed or _client_name(ctx)
    own = f"{person} ({_client_name(ctx)})"
    label = own if claimed is None or claimed in (person, own) else f"{person} (claimed: {claimed})"
    if len(label) > ACTOR_MAX_LENGTH:
        label = label[: ACTOR_MAX_LENGTH - 2] + "…)"
    return label
