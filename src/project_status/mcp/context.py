"""What a tool needs from the request: the tracker and the actor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import Context

from project_status.services.tracker import Tracker

FALLBACK_ACTOR = "mcp-client"


@dataclass
class AppState:
    tracker: Tracker


async def tracker(ctx: Context[Any, Any]) -> Tracker:
    """The tracker, its schema checked: a database that was down at start-up is retried here."""
    state: AppState = ctx.request_context.lifespan_context
    await state.tracker.ensure_ready()
    return state.tracker


def resolve_actor(ctx: Context[Any, Any], explicit: str | None) -> str:
    """An explicit `actor` argument, else the client's `clientInfo.name`, else a generic name."""
    if explicit and explicit.strip():
        return explicit.strip()
    try:
        params = ctx.session.client_params
    except Exception:
        params = None
    name = params.client_info.name if params is not None and params.client_info is not None else None
    return name.strip() if name and name.strip() else FALLBACK_ACTOR
