"""Start the MCP server on stdio or streamable HTTP, refusing an unprotected public bind."""

from __future__ import annotations

import hmac
import logging
import sys

from project_status.board.app import TokenCheck, build_board, loopback_security, with_board
from project_status.domain.errors import ValidationError
from project_status.mcp.server import LOCAL_HOSTS, build_server
from project_status.settings import Settings


def serve(settings: Settings, *, transport: str = "stdio", host: str = "127.0.0.1", port: int = 8765) -> None:
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if transport == "stdio":
        build_server(settings).run("stdio")
        return
    token = settings.http_token
    if host not in LOCAL_HOSTS and not token:
        raise ValidationError.for_field(
            "host",
            "binding an address other than 127.0.0.1 needs a bearer token: set PROJECT_STATUS_HTTP_TOKEN "
            "(clients then send 'Authorization: Bearer <token>'), or keep the default --host 127.0.0.1",
            host,
        )
    public = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    server = build_server(settings, http_token=token, public_url=public)
    app = server.streamable_http_app(host=host)
    assert server.app_state is not None  # set by build_server
    board = build_board(
        server.app_state.tracker,
        token_check=_token_check(token),
        security=loopback_security() if host in LOCAL_HOSTS else None,
    )
    import uvicorn

    # The board's event streams never end by themselves: a stop waits on them only briefly.
    uvicorn.run(
        with_board(app, board), host=host, port=port, log_level="warning", timeout_graceful_shutdown=2
    )


def _token_check(token: str | None) -> TokenCheck | None:
    """The board asks for the token the MCP endpoint takes (when one is set), compared in
    constant time."""
    if not token:
        return None
    expected = token.encode()
    return lambda presented: hmac.compare_digest(presented.encode(), expected)
