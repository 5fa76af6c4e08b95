"""The board in a real browser (Chromium), served by a real `project-status board` process over
a real store on both backends; changes come from other processes (an MCP server over stdio)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from project_status.services.tracker import Tracker
from tests.board.sample import Sample, seed_sample
from tests.browser import DEADLINE_MS, BoardServer, board_server
from tests.conftest import Backend
from tests.helpers import create_item
from tests.mcp.conftest import SERVE, StdioServer, server_env

pytestmark = pytest.mark.heavy


@pytest.fixture
async def sample(tracker: Tracker) -> Sample:
    return await seed_sample(tracker)


@pytest.fixture
async def page(chromium: Any) -> AsyncIterator[Any]:
    context = await chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield await context.new_page()
    finally:
        await context.close()


def item(tree: Any, title: str) -> Any:
    """The tree's line of the item titled `title` (the innermost list item holding it)."""
    return tree.locator("li", has_text=title).last


def _env(backend: Backend) -> dict[str, str]:
    return {"PROJECT_STATUS_DATABASE_URL": backend.url, "PROJECT_STATUS_MIRROR": "false"}


async def _open(page: Any, board: BoardServer) -> None:
    await page.goto(board.url)
    await page.wait_for_selector("#live.on", timeout=DEADLINE_MS)  # the event stream is open


async def test_board_shows_the_seeded_project(
    backend: Backend, sample: Sample, page: Any, chromium: Any, tmp_path: Path
) -> None:
    with board_server(tmp_path, **_env(backend)) as board:
        await _open(page, board)
        tree = page.locator("#tree-box")
        for title in ("Payments platform", "Refund endpoint", "Ledger migration", "Write the vendor guide"):
            assert await item(tree, title).count() == 1, title
        blocked = await page.locator("#blocked").inner_text()
        assert "Settlement report" in blocked and "by Ledger migration" in blocked
        assert "waits for the ledger" in blocked
        assert "Ledger migration" in await page.locator("#ready").inner_text()
        vendors = await page.locator("#vendors").inner_text()
        assert "globex-pdf" in vendors and "broken" in vendors and "2/3 operational" in vendors
        deployments = await page.locator("#deployments").inner_text()
        assert "PR #108" in deployments and "globex-pdf" in deployments and "Refund endpoint" in deployments
        plan = await page.locator("#enhancements").inner_text()
        assert "Multi-currency ledger" in plan and "2027-Q1" in plan and "unscheduled" in plan
        assert "seed" in await page.locator("#changes").inner_text()
        # Status colours carry their word too.
        assert await page.locator("#tree .sc", has_text="completed").count() == 1

        # The filter shows matches and their ancestors only.
        await page.locator("#search").fill("idempotency")
        match = page.locator("#tree li", has_text="Idempotency keys for refunds").last
        await match.wait_for(state="visible", timeout=DEADLINE_MS)
        assert not await item(tree, "Write the vendor guide").is_visible()
        assert await item(tree, "Payments platform").is_visible()
        await page.locator("#search").fill("")
        assert await item(tree, "Write the vendor guide").is_visible()
        # A parent folds and unfolds from the keyboard (a native <details>).
        summary = page.locator(f'#tree details[data-id="{sample.project[:13]}"] > summary')
        await summary.focus()
        await page.keyboard.press("Enter")
        assert not await item(tree, "Refund endpoint").is_visible()
        await page.keyboard.press("Enter")
        assert await item(tree, "Refund endpoint").is_visible()

        # At a phone's width nothing spills sideways.
        context = await chromium.new_context(viewport={"width": 390, "height": 844})
        try:
            phone = await context.new_page()
            await _open(phone, board)
            assert await phone.evaluate("document.documentElement.scrollWidth") <= 390
            assert await item(phone.locator("#tree"), "Refund endpoint").is_visible()
        finally:
            await context.close()


async def test_change_through_mcp_appears_without_a_reload(
    backend: Backend, sample: Sample, page: Any, tmp_path: Path
) -> None:
    with board_server(tmp_path, **_env(backend)) as board:
        await _open(page, board)
        await page.evaluate("window.sameDocument = true")
        mcp = await StdioServer(tmp_path, server_env(tmp_path, **_env(backend))).start()
        try:
            await mcp.call(
                "create_work_item", item_type="task", title="Made over MCP", parent_id=sample.project
            )
        finally:
            await mcp.stop()
        await item(page.locator("#tree"), "Made over MCP").wait_for(timeout=DEADLINE_MS)
        changes = page.locator("#changes")
        await changes.get_by_text("claude-code", exact=False).first.wait_for(timeout=DEADLINE_MS)
        assert await page.evaluate("window.sameDocument") is True  # swapped in, not reloaded


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_page_reconnects_after_the_server_restarts(
    tracker: Tracker, backend: Backend, sample: Sample, page: Any, tmp_path: Path
) -> None:
    with board_server(tmp_path, **_env(backend)) as board:
        await _open(page, board)
        port = board.port
    await page.wait_for_selector("#live.off", timeout=DEADLINE_MS)
    await create_item(tracker, "Made while the board was down", parent=sample.project)
    with board_server(tmp_path, port=port, **_env(backend)):
        await item(page.locator("#tree"), "Made while the board was down").wait_for(timeout=DEADLINE_MS)
        await page.wait_for_selector("#live.on", timeout=DEADLINE_MS)


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


TOKEN = "board-test-token-0123456789"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_token_is_required_off_loopback(
    backend: Backend, sample: Sample, page: Any, tmp_path: Path
) -> None:
    serve = [*SERVE, "--transport", "http"]
    env = {**_env(backend), "PROJECT_STATUS_HTTP_TOKEN": TOKEN}
    with board_server(tmp_path, "--host", "0.0.0.0", command=serve, **env) as board:
        status, body = _get(board.url.replace("/board/", "/board/view"))
        assert status == 401
        assert "Bearer token required" in json.loads(body)["message"]
        status, _ = _get(board.url.replace("/board/", "/board/events"), {"Authorization": "Bearer wrong"})
        assert status == 401
        status, shell = _get(board.url)
        assert status == 200 and "Refund endpoint" not in shell  # the shell holds no data
        status, _ = _get(board.url, {"Host": "evil.example", "Authorization": f"Bearer {TOKEN}"})
        assert status == 421  # the MCP endpoint's Host rules hold for the board too
        await page.goto(board.url)
        await page.locator("#token").fill("not-the-token")
        await page.locator("#token-form button").click()
        await page.get_by_text("That token was not accepted").wait_for(timeout=DEADLINE_MS)
        await page.locator("#token").fill(TOKEN)
        await page.locator("#token-form button").click()
        await item(page.locator("#tree"), "Refund endpoint").wait_for(timeout=DEADLINE_MS)
        await page.wait_for_selector("#live.on", timeout=DEADLINE_MS)
        assert await page.evaluate("sessionStorage.getItem('project-status-board-token')") == TOKEN
        assert await page.evaluate("localStorage.length") == 0
        status, view = _get(board.url.replace("/board/", "/board/view"), {"Authorization": f"Bearer {TOKEN}"})
        assert status == 200 and "Refund endpoint" in view
