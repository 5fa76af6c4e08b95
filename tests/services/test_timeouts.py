"""PostgreSQL's answer and connect limits come from the settings, so a deployment (or a test on
a busy machine) can widen them; the production defaults stay 1.5 s."""

from __future__ import annotations

import pytest

from project_status.services.tracker import Tracker
from project_status.settings import Settings

URL = "postgresql+asyncpg://nobody@127.0.0.1:9/none"


def test_the_defaults_are_the_production_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PROJECT_STATUS_ANSWER_TIMEOUT_SECONDS", "PROJECT_STATUS_CONNECT_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert (settings.answer_timeout_seconds, settings.connect_timeout_seconds) == (1.5, 1.5)
    assert Tracker.create(settings, url=URL).db.answer_timeout == 1.5


def test_the_environment_widens_them_for_every_tracker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROJECT_STATUS_ANSWER_TIMEOUT_SECONDS", "12")
    monkeypatch.setenv("PROJECT_STATUS_CONNECT_TIMEOUT_SECONDS", "7")
    tracker = Tracker.create(url=URL)
    assert tracker.db.answer_timeout == 12
    assert tracker.db.connect_timeout == 7


def test_a_limit_must_be_positive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROJECT_STATUS_ANSWER_TIMEOUT_SECONDS", "0")
    with pytest.raises(ValueError, match="answer_timeout_seconds"):
        Settings()
