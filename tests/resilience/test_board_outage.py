"""The board while a real PostgreSQL is stopped: it keeps showing the mirror's data, with a
banner that names the source and its age, and never an error page."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from project_status.services.tracker import Tracker
from tests.board.sample import seed_sample
from tests.browser import DEADLINE_MS, board_server, chromium
from tests.resilience.conftest import PrivatePostgres
from tests.resilience.test_offline import _mirror_copied

__all__ = ["chromium"]


async def test_board_shows_the_mirror_with_a_banner_while_postgres_is_down(
    pg: PrivatePostgres, chromium: Any, tmp_path: Path
) -> None:
    tracker = await Tracker.open(url=pg.tracker_async_url)
    try:
        await seed_sample(tracker)
    finally:
        await tracker.close()
    with board_server(tmp_path, PROJECT_STATUS_DATABASE_URL=pg.tracker_url) as board:
        deadline = time.monotonic() + 60
        while not await _mirror_copied(tmp_path):
            assert time.monotonic() < deadline, f"the board never copied the mirror:\n{board.stderr()}"
            await asyncio.sleep(0.2)
        context = await chromium.new_context(viewport={"width": 1280, "height": 900})
        try:
            page = await context.new_page()
            await page.goto(board.url)
            await page.wait_for_selector("#live.on", timeout=DEADLINE_MS)
            assert await page.locator("#banner").count() == 0
            pg.stop("fast")
            banner = page.locator("#banner")
            await banner.wait_for(timeout=DEADLINE_MS)
            text = await banner.inner_text()
            assert "Not the live database" in text
            assert "PostgreSQL" in text and "the local mirror" in text and "copied" in text, text
            assert await page.locator("#tree li", has_text="Refund endpoint").last.is_visible()
            # A reload during the outage is answered from the mirror too, not by an error page.
            await page.reload()
            await page.locator("#banner").wait_for(timeout=DEADLINE_MS)
            assert await page.locator("#tree li", has_text="Refund endpoint").last.is_visible()
        finally:
            await context.close()
