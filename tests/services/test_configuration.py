"""The project configuration singleton: defaults, versioned updates, a current session that is a session."""

from __future__ import annotations

from typing import Any

import pytest

from project_status.domain.configuration import ConfigurationRead, ConfigurationUpdate
from project_status.domain.enums import ContextType
from project_status.domain.errors import NotFoundError, ValidationError, VersionConflictError
from project_status.domain.validation import validate
from project_status.services.tracker import Tracker
from tests.helpers import ACTOR, COMMIT, create_item, events_of, only_error, unchanged, update_item


async def configure(
    tracker: Tracker, version: int, *, actor: str = ACTOR, **fields: Any
) -> ConfigurationRead:
    return await tracker.configuration.update(version, validate(ConfigurationUpdate, fields), actor)


async def test_fresh_database_has_the_default_configuration(tracker: Tracker) -> None:
    config = await tracker.configuration.get()

    assert config.version == 1
    assert config.default_token_budget == 200_000
    assert config.database_healthy is True
    assert (config.active_context_type, config.current_session_id, config.git_branch) == (None, None, None)
    assert config.created_by == "system"


async def test_update_sets_fields_and_bumps_the_version(tracker: Tracker) -> None:
    session = await create_item(tracker, "Session 1", item_type="session")

    config = await configure(
        tracker,
        1,
        actor="claude-code",
        active_context_type="feature",
        current_session_id=session.id[:8],
        git_branch="main",
        git_head_commit=COMMIT,
        default_token_budget=150_000,
    )

    assert config.version == 2
    assert config.active_context_type is ContextType.FEATURE
    assert config.current_session_id == session.id
    assert (config.git_branch, config.git_head_commit, config.default_token_budget) == (
        "main",
        COMMIT,
        150_000,
    )
    assert config.updated_by == "claude-code"
    assert await tracker.configuration.get() == config


async def test_current_session_must_be_a_session_work_item(tracker: Tracker) -> None:
    task = await create_item(tracker, "Not a session")

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await configure(tracker, 1, current_session_id=task.id)

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("current_session_id", task.id)
    assert "not a task" in error["message"]


async def test_current_session_cannot_be_deleted(tracker: Tracker) -> None:
    session = await create_item(tracker, "Old session", item_type="session")
    await update_item(tracker, session, 1, deleted=True)

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await configure(tracker, 1, current_session_id=session.id)

    assert "deleted" in only_error(caught.value)["message"]


async def test_unknown_current_session_is_not_found(tracker: Tracker) -> None:
    async with unchanged(tracker):
        with pytest.raises(NotFoundError) as caught:
            await configure(tracker, 1, current_session_id="5e5510a0")

    assert caught.value.details["field"] == "current_session_id"


async def test_current_session_can_be_cleared(tracker: Tracker) -> None:
    session = await create_item(tracker, "Session", item_type="session")
    await configure(tracker, 1, current_session_id=session.id)

    config = await configure(tracker, 2, current_session_id=None)

    assert (config.current_session_id, config.version) == (None, 3)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"default_token_budget": 999}, "default_token_budget"),
        ({"default_token_budget": 1_000_001}, "default_token_budget"),
        ({"active_context_type": "holiday"}, "active_context_type"),
        ({"git_head_commit": "HEAD"}, "git_head_commit"),
        ({"database_healthy": False}, "database_healthy"),
    ],
    ids=["budget-low", "budget-high", "unknown-context", "bad-commit", "not-updatable"],
)
async def test_bad_configuration_input_is_rejected(
    tracker: Tracker, fields: dict[str, Any], field: str
) -> None:
    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await configure(tracker, 1, **fields)

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == (field, fields[field])


async def test_token_budget_cannot_be_nulled(tracker: Tracker) -> None:
    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await configure(tracker, 1, default_token_budget=None)

    assert only_error(caught.value)["field"] == "default_token_budget"


async def test_update_with_no_fields_is_rejected(tracker: Tracker) -> None:
    async with unchanged(tracker):
        with pytest.raises(ValidationError):
            await configure(tracker, 1)


async def test_stale_version_is_a_conflict(tracker: Tracker) -> None:
    await configure(tracker, 1, actor="first", git_branch="develop")

    async with unchanged(tracker):
        with pytest.raises(VersionConflictError) as caught:
            await configure(tracker, 1, actor="second", git_branch="main")

    details = caught.value.details
    assert (details["expected_version"], details["current_version"], details["updated_by"]) == (1, 2, "first")


async def test_update_of_unchanged_values_writes_nothing(tracker: Tracker) -> None:
    async with unchanged(tracker):
        config = await configure(tracker, 1, default_token_budget=200_000)

    assert config.version == 1


async def test_update_is_audited_with_old_and_new_values(tracker: Tracker) -> None:
    await configure(tracker, 1, actor="cli:dev", active_context_type="research", default_token_budget=50_000)

    [event] = await events_of(tracker, "configuration", "1")

    assert (event.action, event.actor) == ("updated", "cli:dev")
    assert event.changes == {
        "active_context_type": {"old": None, "new": "research"},
        "default_token_budget": {"old": 200_000, "new": 50_000},
    }
