"""A TCP proxy on 127.0.0.1 in front of a private PostgreSQL, that can stall its connections.

A stalled server (a long lock, a frozen VM, a dropped route) accepts connections and bytes but
answers nothing; `stall()` makes the proxy do that for every connection. `stall_replies_after`
lets one statement through (COMMIT) and then holds the server's answers: the write is made in
the database but the client never learns it, as when a timeout cuts the answer off.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

CHUNK = 65536


@dataclass
class StallingProxy:
    target_port: int
    port: int = 0
    requests_flow: asyncio.Event = field(default_factory=asyncio.Event)
    replies_flow: asyncio.Event = field(default_factory=asyncio.Event)
    trigger: bytes | None = None
    triggered: asyncio.Event = field(default_factory=asyncio.Event)
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _writers: list[asyncio.StreamWriter] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.requests_flow.set()
        self.replies_flow.set()

    def url(self, database: str, user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def stall(self) -> None:
        """Hold every byte both ways, on every connection, new ones too, until `resume`."""
        self.requests_flow.clear()
        self.replies_flow.clear()

    def stall_replies_after(self, marker: bytes) -> None:
        """Let requests through; once one holds `marker`, hold the answers until `resume`."""
        self.trigger = marker
        self.triggered.clear()

    def resume(self) -> None:
        self.trigger = None
        self.requests_flow.set()
        self.replies_flow.set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        self.resume()
        if self._server is not None:
            self._server.close()
        for writer in self._writers:
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_writer.close()
            return
        self._writers += [client_writer, server_writer]
        for pump in (
            self._pump(client_reader, server_writer, self.requests_flow, inspect=True),
            self._pump(server_reader, client_writer, self.replies_flow, inspect=False),
        ):
            task = asyncio.ensure_future(pump)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        flow: asyncio.Event,
        *,
        inspect: bool,
    ) -> None:
        try:
            while data := await reader.read(CHUNK):
                await flow.wait()
                writer.write(data)
                await writer.drain()
                if inspect and self.trigger is not None and self.trigger in data:
                    self.trigger = None
                    self.replies_flow.clear()
                    self.triggered.set()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def stalling_proxy(target_port: int) -> AsyncIterator[StallingProxy]:
    proxy = StallingProxy(target_port)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()
