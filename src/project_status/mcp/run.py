"""Start the MCP server on stdio or streamable HTTP, refusing an unprotected public bind."""

from __future__ import annotations

import logging
import sys

from project_status.domain.errors import ValidationError
from project_status.mcp.http import (
    HTTP_POOL_SIZE,
    LOCAL_HOSTS,
    BearerGate,
    load_tokens,
    serve_http,
    transport_security,
)
from project_status.mcp.server import build_server
from project_status.settings import Settings


def serve(settings: Settings, *, transport: str = "stdio", host: str = "127.0.0.1", port: int = 8765) -> None:
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if transport == "stdio":
        build_server(settings).run("stdio")
        return
    tokens = load_tokens(settings)  # checked before anything else: a bad file stops the start
    if host not in LOCAL_HOSTS and tokens is None:
        raise ValidationError.for_field(
            "host",
            "binding an address other than 127.0.0.1 needs a bearer token: a tokens file (--tokens FILE "
            "or PROJECT_STATUS_TOKENS_FILE, one `name token` per line) or PROJECT_STATUS_HTTP_TOKEN "
            "(clients then send 'Authorization: Bearer <token>'), or keep the default --host 127.0.0.1",
            host,
        )
    # One process serves every session from one pool: larger than a stdio server's by default.
    shared = settings.model_copy(update={"pool_size": settings.pool_size or HTTP_POOL_SIZE})
    server = build_server(shared)
    app = server.streamable_http_app(
        transport_security=transport_security(host, port, settings.allowed_hosts), host=host
    )
    serve_http(BearerGate(app, tokens) if tokens is not None else app, settings, host, port)
