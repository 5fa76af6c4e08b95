"""One shared HTTP server for a team: a token per person decides the actor, a 401 is a plain
bearer challenge, Host and Origin are checked on any bind, and a client can hold no connection
open by sending nothing or half a request. A real server subprocess and the SDK's HTTP client."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.types import Implementation

from tests.mcp.conftest import SERVE, HttpServer, free_port, http_server, server_env, success
from tests.mcp.test_http import INITIALIZE, MCP_HEADERS

ALICE = "alice-token-0123456789abcdef"
BOB = "bob-token-0123456789abcdef00"
DEADLINE = 30.0


def tokens_file(folder: Path, text: str, mode: int = 0o600) -> Path:
    path = folder / "tokens"
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.fixture(scope="module")
def team_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    project = tmp_path_factory.mktemp("mcp-http-team")
    path = tokens_file(project, f"# name token\nalice {ALICE}\n\nbob {BOB}\n")
    with http_server(
        project,
        "--host",
        "0.0.0.0",
        "--tokens",
        str(path),
        PROJECT_STATUS_ALLOWED_HOSTS="status.example.com",
        PROJECT_STATUS_HTTP_REQUEST_TIMEOUT="1",
    ) as running:
        yield running


async def create_as(url: str, token: str, client: str, **arguments: str) -> dict[str, object]:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write, client_info=Implementation(name=client, version="1")) as session,
    ):
        await session.initialize()
        return success(
            "create_work_item",
            await session.call_tool("create_work_item", {"item_type": "task", "title": "t", **arguments}),
        )


async def test_the_actor_is_the_tokens_person_beside_the_client(team_server: HttpServer) -> None:
    assert (await create_as(team_server.url, ALICE, "claude-code"))["created_by"] == "alice (claude-code)"
    assert (await create_as(team_server.url, BOB, "cursor"))["created_by"] == "bob (cursor)"
    own = await create_as(team_server.url, ALICE, "claude-code", actor="alice")
    assert own["created_by"] == "alice (claude-code)"


async def test_an_actor_argument_cannot_name_someone_else(team_server: HttpServer) -> None:
    claimed = await create_as(team_server.url, ALICE, "claude-code", actor="bob")
    assert claimed["created_by"] == "alice (claimed: bob)"
    assert claimed["updated_by"] == "alice (claimed: bob)"


async def test_a_missing_token_gets_a_plain_bearer_challenge(team_server: HttpServer) -> None:
    async with httpx2.AsyncClient(timeout=10) as http:
        missing = await http.post(team_server.url, json=INITIALIZE, headers=MCP_HEADERS)
        wrong = await http.post(
            team_server.url, json=INITIALIZE, headers={**MCP_HEADERS, "Authorization": "Bearer nope-nope"}
        )
        base = team_server.url.removesuffix("/mcp")
        metadata = await http.get(f"{base}/.well-known/oauth-protected-resource/mcp")
        server_metadata = await http.get(f"{base}/.well-known/oauth-authorization-server")
    assert missing.status_code == 401
    challenge = missing.headers["www-authenticate"]
    assert challenge.lower().startswith("bearer") and "resource_metadata" not in challenge
    assert "Bearer token required" in missing.json()["message"]
    assert wrong.status_code == 401 and "not valid" in wrong.json()["message"]
    assert "invalid_token" in wrong.headers["www-authenticate"]
    for response in (missing, wrong):
        assert ALICE not in response.text and BOB not in response.text
    assert metadata.status_code == 404 and server_metadata.status_code == 404


async def test_host_and_origin_are_checked_on_a_public_bind(team_server: HttpServer) -> None:
    auth = {**MCP_HEADERS, "Authorization": f"Bearer {ALICE}"}
    async with httpx2.AsyncClient(timeout=10) as http:
        rebound = await http.post(team_server.url, json=INITIALIZE, headers={**auth, "Host": "evil.example"})
        foreign = await http.post(
            team_server.url, json=INITIALIZE, headers={**auth, "Origin": "http://evil.example"}
        )
        proxied = await http.post(
            team_server.url,
            json=INITIALIZE,
            headers={**auth, "Host": "status.example.com", "Origin": "https://status.example.com"},
        )
    assert rebound.status_code in (400, 421), rebound.text
    assert foreign.status_code == 403, foreign.text
    assert proxied.status_code == 200, proxied.text


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closes the connection within the deadline (reads until EOF)."""
    sock.settimeout(DEADLINE)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return True


def test_silent_and_half_sent_requests_are_closed(team_server: HttpServer) -> None:
    silent = socket.create_connection(("127.0.0.1", team_server.port))
    half = socket.create_connection(("127.0.0.1", team_server.port))
    with silent, half:
        half.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
        assert closed_by_server(silent)
        assert closed_by_server(half)
    body = socket.create_connection(("127.0.0.1", team_server.port))
    with body:
        body.sendall(
            b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {ALICE}\r\nContent-Length: 500\r\n\r\n{{".encode()
        )
        assert closed_by_server(body)


def test_connections_over_the_limit_are_refused(tmp_path: Path) -> None:
    with http_server(tmp_path, PROJECT_STATUS_HTTP_MAX_CONNECTIONS="3") as running:
        held = [socket.create_connection(("127.0.0.1", running.port)) for _ in range(3)]
        try:
            extra = socket.create_connection(("127.0.0.1", running.port))
            with extra:
                extra.settimeout(DEADLINE)
                answer = extra.recv(4096)
            assert answer.startswith(b"HTTP/1.1 503"), answer
            assert b"Too many open connections" in answer
        finally:
            for sock in held:
                sock.close()
        deadline = time.monotonic() + DEADLINE
        while True:  # the held ones gone, it serves again
            with socket.create_connection(("127.0.0.1", running.port)) as again:
                again.settimeout(DEADLINE)
                again.sendall(b"GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                if again.recv(4096).startswith(b"HTTP/1.1 404"):
                    break
            assert time.monotonic() < deadline, "the server never accepted a connection again"
            time.sleep(0.1)


@pytest.mark.parametrize(
    ("mode", "text", "expected"),
    [
        (0o644, f"alice {ALICE}\n", "chmod 600"),
        (0o600, "alice short-token\n", "at least 16 characters"),
        (0o600, f"alice {ALICE} extra\n", "line 1: expected `name token`"),
        (0o600, f"alice {ALICE}\nbob {ALICE}\n", "same token"),
        (0o600, "# nobody yet\n", "lists no"),
    ],
)
def test_a_bad_tokens_file_stops_the_start(tmp_path: Path, mode: int, text: str, expected: str) -> None:
    path = tokens_file(tmp_path, text, mode)
    completed = subprocess.run(
        [*SERVE, "--transport", "http", "--port", str(free_port()), "--tokens", str(path)],
        cwd=tmp_path,
        env=server_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert completed.returncode != 0
    assert expected in completed.stderr, completed.stderr
    assert ALICE not in completed.stderr and "short-token" not in completed.stderr
    assert "Traceback" not in completed.stderr


def test_a_short_http_token_is_refused(tmp_path: Path) -> None:
    completed = subprocess.run(
        [*SERVE, "--transport", "http", "--port", str(free_port())],
        cwd=tmp_path,
        env=server_env(tmp_path, PROJECT_STATUS_HTTP_TOKEN="abc"),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert completed.returncode != 0
    assert "PROJECT_STATUS_HTTP_TOKEN" in completed.stderr and "at least 16" in completed.stderr
    assert "Traceback" not in completed.stderr
