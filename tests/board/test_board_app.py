"""The board without a browser: what its one read gathers, that reading writes nothing, that
titles are escaped, and the HTTP rules of its routes (token, Host), on both backends."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from project_status.board.app import build_board, loopback_security, with_board
from project_status.board.view import gather, render_page, render_view
from project_status.cli.main import app as cli
from project_status.services.tracker import Tracker
from project_status.store.tables import Event
from tests.board.sample import seed_sample
from tests.conftest import Backend
from tests.helpers import create_item, unchanged

TOKEN = "a-board-token-of-some-length"


async def test_the_snapshot_holds_the_tree_in_order_with_blockers_and_changes(tracker: Tracker) -> None:
    sample = await seed_sample(tracker)
    view = await gather(tracker)
    items = view.board.items
    titles = [item.title for item in items]
    # Depth-first: each parent before its subtree, siblings by priority then title.
    assert (
        titles.index("Payments platform")
        < titles.index("Session: refunds API")
        < titles.index("Ledger migration")
    )
    assert titles.index("Ledger migration") < titles.index("Refund endpoint")  # P1 before P2
    assert titles.index("Idempotency keys for refunds") == titles.index("Refund endpoint") + 1
    blocked = {item.title: item for item in view.blocked}
    assert blocked["Settlement report"].blockers == ["Ledger migration"]
    assert blocked["Settlement report"].blocked_reason == "waits for the ledger"
    assert view.counts["task"] == {"active": 5, "completed": 1}
    assert "Retire the old gateway" not in {item.title for item in view.ready}
    assert view.board.change_marker[0] > 0 and view.warnings == []
    assert view.board.changes[0].action == "created" and view.board.changes[0].entity_type == "enhancement"
    changed = {change.title for change in view.board.changes if change.entity_type == "work_item"}
    assert "Write the vendor guide" in changed
    assert sample.project in {item.id for item in items}


async def test_reading_the_board_writes_nothing(tracker: Tracker) -> None:
    await seed_sample(tracker)
    app = build_board(tracker)
    async with unchanged(tracker):
        await gather(tracker)
        assert (await _get(app, "/board/")).status == 200
        assert (await _get(app, "/board/view")).status == 200


async def test_titles_are_escaped(tracker: Tracker) -> None:
    await create_item(tracker, "<script>alert(1)</script> & co", item_type="project")
    html = render_page(await gather(tracker), token_required=False, base="/board")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html


async def test_a_deep_tree_closes_every_list_it_opens(tracker: Tracker) -> None:
    parent = None
    for depth in range(6):
        parent = await create_item(
            tracker, f"level {depth}", item_type="project" if depth == 0 else "task", parent=parent
        )
    html = render_view(await gather(tracker))
    assert html.count("<details") == html.count("</details>") == 5
    assert html.count("<ul") == html.count("</ul>")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


async def _get(
    app: Any, path: str, headers: dict[str, str] | None = None, host: str = "127.0.0.1:8766"
) -> Answer:
    """One GET through the ASGI app as uvicorn would send it (no network, no client library)."""
    raw = [(b"host", host.encode())] + [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": raw,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8766),
    }
    sent: list[dict[str, Any]] = []
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await with_board(_nothing, app)(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Answer(start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body.decode())


async def _nothing(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError(f"not a board path: {scope.get('path')}")


async def test_with_a_token_the_page_is_a_shell_and_the_data_needs_the_bearer(tracker: Tracker) -> None:
    await seed_sample(tracker)
    app = build_board(tracker, token_check=lambda presented: presented == TOKEN)
    shell = await _get(app, "/board/")
    assert shell.status == 200 and "Refund endpoint" not in shell.text and "token-form" in shell.text
    missing = await _get(app, "/board/view")
    assert missing.status == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="project-status"'
    assert "Bearer token required" in missing.json()["message"]
    wrong = await _get(app, "/board/view", headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401 and "not valid" in wrong.json()["message"]
    stream = await _get(app, "/board/events", headers={"Authorization": "Bearer nope"})
    assert stream.status == 401
    ok = await _get(app, "/board/view", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status == 200 and "Refund endpoint" in ok.text


@pytest.mark.parametrize("host", ["evil.example:8766", "127.0.0.1.nip.io:8766"])
async def test_a_request_for_another_host_is_refused(tracker: Tracker, host: str) -> None:
    app = build_board(tracker, security=loopback_security(8766))
    assert (await _get(app, "/board/", host=host)).status == 421
    assert (await _get(app, "/board/")).status == 200
    assert (await _get(app, "/board")).status == 307


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_the_change_marker_moves_for_a_change_that_commits_after_a_newer_one(
    tracker: Tracker, backend: Backend
) -> None:
    """PostgreSQL hands out event ids at insert time: a transaction can take an id before
    another one and commit after it. The board must still see that change."""
    engine = create_async_engine(backend.url)
    row = {
        "entity_type": "work_item",
        "entity_id": "x",
        "action": "created",
        "actor": "test",
        "occurred_at": datetime.now(UTC),
        "changes": {},
    }
    try:
        async with engine.connect() as slow, engine.connect() as quick:
            await slow.begin()
            await slow.execute(insert(Event).values(**row))  # takes the lower id, commits later
            await quick.begin()
            await quick.execute(insert(Event).values(**row))
            await quick.commit()
            before = await tracker.board.change_marker()
            await slow.commit()
        after = await tracker.board.change_marker()
    finally:
        await engine.dispose()
    assert after[0] == before[0] and after != before


def test_the_board_command_creates_no_database(tmp_path: Path) -> None:
    folder = tmp_path / ".project-status"
    result = CliRunner().invoke(
        cli,
        ["board", "--port", "1"],
        env={"PROJECT_STATUS_DATA_DIR": str(folder), "PROJECT_STATUS_DATABASE_URL": None},
        prog_name="project-status",
    )
    assert result.exit_code == 1, result.output
    assert "there is no project-status database at" in result.stderr
    assert "the board only reads" in result.stderr and "Traceback" not in result.output
    assert not (folder / "status.db").exists()


async def test_a_claim_shows_with_its_holder_and_lease_left(tracker: Tracker) -> None:
    sample = await seed_sample(tracker)
    await tracker.claims.claim("alice", item=sample.blocker)
    view = await gather(tracker)
    held = {item.title: item for item in view.in_progress}
    assert held["Ledger migration"].claimed_by == "alice"
    assert view.summary.in_progress_total == 1
    html = render_view(view)
    assert "held by alice, 29 min left" in html or "held by alice, 30 min left" in html
    assert "In progress <small>1</small>" in html
