"""A real browser for the board's tests: Debian's Chromium driven by Playwright, and the board
server in a subprocess of its own (`project-status board`).

Without Chromium or Playwright the tests skip and say what to install; with `CI=true` they fail.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import in_ci
from tests.mcp.conftest import free_port, server_env

CHROMIUM = Path(os.environ.get("PROJECT_STATUS_TEST_CHROMIUM", "/usr/bin/chromium"))
INSTALL_HINT = "apt-get install -y chromium chromium-driver; pip install -e '.[test]'"
BOARD = [sys.executable, "-m", "project_status", "board"]
START_SECONDS = 120.0
"""A server process starts in about a second; on a machine busy with other work, much later."""
DEADLINE_MS = 15_000
"""How long a test waits for the page to show something: generous, the machine is shared. The
latency itself is measured by benchmarks/bench_board.py, not asserted here."""


def browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} ({INSTALL_HINT})"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return f"Playwright for Python is not installed ({INSTALL_HINT})"
    return None


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Any]:
    """One headless Chromium for the session; each test opens its own context (own storage)."""
    missing = browser_missing()
    if missing is not None:
        if in_ci():
            pytest.fail(f"{missing} (CI=true: the browser tests must run, not skip)", pytrace=False)
        pytest.skip(missing)
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        browser = await driver.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class BoardServer:
    process: subprocess.Popen[bytes]
    port: int
    stderr_path: Path
    path: str = "/board/"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def wait_for_port(process: subprocess.Popen[bytes], port: int, stderr_path: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the board exited with {process.returncode}:\n{stderr_path.read_text()}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listened on port {port} within {START_SECONDS} s")


@contextlib.contextmanager
def board_server(
    project: Path, *args: str, command: list[str] | None = None, port: int | None = None, **env: str
) -> Iterator[BoardServer]:
    """`project-status board --port <free>` (or `command`) until the block ends."""
    port = port or free_port()
    stderr_path = project / f"board-{port}-{time.monotonic_ns()}-stderr.txt"
    with stderr_path.open("wb") as errlog:
        process = subprocess.Popen(
            [*(command or BOARD), "--port", str(port), *args],
            cwd=project,
            env=server_env(project, **env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errlog,
        )
    try:
        wait_for_port(process, port, stderr_path)
        yield BoardServer(process, port, stderr_path)
    finally:
        _stop(process)
