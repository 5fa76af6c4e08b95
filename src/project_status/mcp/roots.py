"""The project folder of a server started outside any project: the client's first folder root.

A desktop client may start the server in / or the home folder, where no data folder is made.
The client knows the project it works on and lists it as an MCP root (`roots/list`), so at the
first request the server asks, takes the first `file://` root and finds the project from it by
the usual rules (the nearest folder holding `.git` or `.project-status`, else the root itself).
A client that lists no folder gets the refusal, which then also says what to set in its entry.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pydantic
from mcp.server.session import ServerSession
from mcp.shared.exceptions import MCPError
from mcp.types import ListRootsRequest, ListRootsResult

from project_status.domain.errors import ValidationError
from project_status.settings import Settings, data_dir, marked_project_root

log = logging.getLogger(__name__)

ROOTS_ANSWER_SECONDS = 30.0
"""How long the server waits for the client to list its roots before going on without them."""


def started_outside_a_project(settings: Settings) -> bool:
    """No data folder set and no `.git` or `.project-status` at or above the working folder."""
    return settings.data_dir is None and marked_project_root() is None


def folder_of(uri: str) -> Path | None:
    """The local folder a root's URI names; None for any other scheme or a remote host."""
    parts = urlsplit(uri)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost") or not parts.path:
        return None
    return Path(url2pathname(parts.path))


async def first_folder_root(session: ServerSession) -> Path | None:
    """The first `file://` root the client lists; None when it has no roots capability, lists
    no folder, or does not answer."""
    capabilities = session.client_capabilities
    if capabilities is None or capabilities.roots is None:
        return None
    try:
        listed = await session.send_request(
            ListRootsRequest(), ListRootsResult, request_read_timeout_seconds=ROOTS_ANSWER_SECONDS
        )
    except (MCPError, TimeoutError, pydantic.ValidationError) as error:
        log.warning("the client did not list its roots: %s", error)
        return None
    for root in listed.roots:
        folder = folder_of(str(root.uri))
        if folder is not None:
            return folder
    return None


async def settings_from_roots(settings: Settings, session: ServerSession) -> Settings:
    """`settings` with the data folder of the project the client's first folder root names.

    Without such a root the working folder's rules apply, and their refusal (in / or the home
    folder) names the client's entry settings as the way out.
    """
    root = await first_folder_root(session)
    try:
        folder = data_dir(settings, start=root)
    except ValidationError as refusal:
        if root is not None:
            raise
        raise ValidationError(
            f"{refusal.message}. The MCP client lists no folder among its roots (roots/list) to take "
            'the project from either: in its server entry set "env": {"PROJECT_STATUS_DATA_DIR": '
            '"/path/to/project/.project-status"}, or "cwd" to the project folder.',
            {**refusal.details, "client_roots": "none with a file:// URI"},
        ) from None
    log.info("serving the project of the client's root %s: data folder %s", root, folder)
    return settings.model_copy(update={"data_dir": folder})
