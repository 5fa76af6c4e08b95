"""The warm-up's quiet: it waits for the request being served, then for a pause after it."""

from __future__ import annotations

import time
from typing import Any, cast

import anyio
import anyio.lowlevel
from mcp.server import ServerRequestContext

from project_status.mcp.warm import QUIET_SECONDS, Activity

SERVED_SECONDS = 0.1


def _request(method: str) -> ServerRequestContext[Any, Any]:
    return ServerRequestContext(
        session=cast(Any, None), lifespan_context=None, protocol_version="2025-11-25", method=method
    )


async def test_quiet_waits_for_the_request_then_a_pause_after_it() -> None:
    activity = Activity()
    ended: list[float] = []

    async def handler(_: ServerRequestContext[Any, Any]) -> None:
        await anyio.sleep(SERVED_SECONDS)
        ended.append(time.monotonic())

    async with anyio.create_task_group() as group:
        group.start_soon(activity, _request("tools/call"), handler)
        await anyio.lowlevel.checkpoint()  # the request is in
        assert activity.busy == 1
        await activity.quiet()
        quiet_at = time.monotonic()
    assert activity.busy == 0
    assert quiet_at - ended[0] >= QUIET_SECONDS * 0.9


async def test_the_handshake_is_seen() -> None:
    activity = Activity()
    activity.handshake = anyio.Event()

    async def handler(_: ServerRequestContext[Any, Any]) -> None:
        return None

    await activity(_request("tools/list"), handler)
    assert not activity.handshake.is_set()
    await activity(_request("notifications/initialized"), handler)
    assert activity.handshake.is_set()
