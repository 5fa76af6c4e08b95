"""The shared HTTP server queues many sessions on one pool: its defaults are wider than a stdio
server's, and whatever a deployment sets explicitly is kept."""

from __future__ import annotations

import pytest

from project_status.mcp.http import HTTP_POOL_SIZE, HTTP_TIMEOUT_SECONDS, shared_server_settings
from project_status.services.tracker import Tracker
from project_status.settings import Settings

URL = "postgresql+asyncpg://nobody@127.0.0.1:9/none"
LIMITS = ("PROJECT_STATUS_ANSWER_TIMEOUT_SECONDS", "PROJECT_STATUS_CONNECT_TIMEOUT_SECONDS")


def test_a_shared_server_waits_longer_before_it_takes_its_queue_for_an_outage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (*LIMITS, "PROJECT_STATUS_POOL_SIZE"):
        monkeypatch.delenv(name, raising=False)
    shared = shared_server_settings(Settings())
    assert (shared.answer_timeout_seconds, shared.connect_timeout_seconds) == (HTTP_TIMEOUT_SECONDS,) * 2
    assert shared.pool_size == HTTP_POOL_SIZE
    db = Tracker.create(shared, url=URL).db
    assert (db.answer_timeout, db.connect_timeout) == (HTTP_TIMEOUT_SECONDS,) * 2


def test_limits_a_deployment_sets_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROJECT_STATUS_ANSWER_TIMEOUT_SECONDS", "3")
    monkeypatch.delenv("PROJECT_STATUS_CONNECT_TIMEOUT_SECONDS", raising=False)
    monkeypatch.setenv("PROJECT_STATUS_POOL_SIZE", "4")
    shared = shared_server_settings(Settings())
    assert shared.answer_timeout_seconds == 3
    assert shared.connect_timeout_seconds == HTTP_TIMEOUT_SECONDS
    assert shared.pool_size == 4
