"""Screenshots of the live board at a desktop and a phone width: docs/board-1280.png and
docs/board-390.png, from the small sample project the browser tests use, served by a real
`project-status board` process and taken in Debian's Chromium through Playwright.

Usage: .venv/bin/python scripts/board_screenshots.py [--out docs]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the sample project lives beside the tests that use it

from tests.board.sample import seed_sample  # noqa: E402

from project_status.services.tracker import Tracker  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
WIDTHS = {1280: 900, 390: 844}


def start_board(project: Path, url: str) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {key: value for key, value in os.environ.items() if not key.startswith("PROJECT_STATUS_")}
    env |= {"PROJECT_STATUS_DATABASE_URL": url, "PROJECT_STATUS_DATA_DIR": str(project / ".project-status")}
    process = subprocess.Popen(
        [sys.executable, "-m", "project_status", "board", "--port", str(port)],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process, port
        if process.poll() is not None:
            raise SystemExit(f"the board exited with {process.returncode}")
        time.sleep(0.1)
    process.terminate()
    raise SystemExit("the board did not start")


async def main_async(out: Path) -> None:
    from playwright.async_api import async_playwright

    project = Path(tempfile.mkdtemp(prefix="board-shots-"))
    url = f"sqlite+aiosqlite:///{project / 'status.db'}"
    tracker = await Tracker.open(url=url)
    try:
        await seed_sample(tracker)
    finally:
        await tracker.close()
    process, port = await asyncio.to_thread(start_board, project, url)
    try:
        async with async_playwright() as driver:
            browser = await driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            for width, height in WIDTHS.items():
                page = await browser.new_page(viewport={"width": width, "height": height})
                await page.goto(f"http://127.0.0.1:{port}/board/")
                await page.wait_for_selector("#live.on", timeout=60_000)
                # Sections below the fold render when scrolled to; a full-page shot scrolls nothing.
                await page.add_style_tag(content="section{content-visibility:visible!important}")
                target = out / f"board-{width}.png"
                await page.screenshot(path=str(target), full_page=True)
                print(f"wrote {target}")
            await browser.close()
    finally:
        process.terminate()
        await asyncio.to_thread(process.wait, 30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    asyncio.run(main_async(parser.parse_args().out))


if __name__ == "__main__":
    main()
