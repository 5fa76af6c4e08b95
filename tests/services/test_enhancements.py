"""Planned enhancements: versioned updates, acyclic depends_on, filtered pages, audit events."""

from __future__ import annotations

from typing import Any

import pytest

from project_status.domain.enhancements import EnhancementCreate, EnhancementRead, EnhancementUpdate
from project_status.domain.enums import EnhancementStatus
from project_status.domain.errors import NotFoundError, ValidationError, VersionConflictError
from project_status.domain.validation import validate
from project_status.services.tracker import Tracker
from project_status.store.tables import EnhancementDependency
from tests.helpers import ACTOR, count_rows, events_of, only_error, unchanged


async def plan(
    tracker: Tracker, title: str = "Idea", *, actor: str = ACTOR, **fields: Any
) -> EnhancementRead:
    payload = {"title": title, "description": f"About {title}", "priority": 3} | fields
    return await tracker.enhancements.create(validate(EnhancementCreate, payload), actor)


async def revise(
    tracker: Tracker, enhancement: EnhancementRead | str, version: int, *, actor: str = ACTOR, **fields: Any
) -> EnhancementRead:
    ident = enhancement if isinstance(enhancement, str) else enhancement.id
    return await tracker.enhancements.update(ident, version, validate(EnhancementUpdate, fields), actor)


async def test_create_stores_the_enhancement_with_its_dependencies(tracker: Tracker) -> None:
    base = await plan(tracker, "Base")

    built = await plan(
        tracker,
        "Built on base",
        priority=1,
        target_quarter="2026-Q4",
        requires_constitutional_principles=["library first"],
        depends_on=[base.id[:8], base.id],
    )

    assert (built.version, built.priority, built.status) == (1, 1, EnhancementStatus.PLANNED)
    assert (built.target_quarter, built.requires_constitutional_principles) == ("2026-Q4", ["library first"])
    assert built.depends_on == [base.id]
    assert await count_rows(tracker, EnhancementDependency) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "t" * 201}, "title"),
        ({"priority": 0}, "priority"),
        ({"priority": 6}, "priority"),
        ({"status": "someday"}, "status"),
        ({"target_quarter": "2026-Q0"}, "target_quarter"),
        ({"requires_constitutional_principles": "one"}, "requires_constitutional_principles"),
    ],
    ids=[
        "empty-title",
        "long-title",
        "priority-0",
        "priority-6",
        "unknown-status",
        "bad-quarter",
        "not-list",
    ],
)
async def test_bad_enhancement_input_is_rejected(
    tracker: Tracker, fields: dict[str, Any], field: str
) -> None:
    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await plan(tracker, **({"title": "Idea"} | fields))

    assert only_error(caught.value)["field"] == field


async def test_unknown_dependency_is_not_found(tracker: Tracker) -> None:
    async with unchanged(tracker):
        with pytest.raises(NotFoundError) as caught:
            await plan(tracker, depends_on=["0123456789ab"])

    assert (caught.value.details["field"], caught.value.details["value"]) == ("depends_on.0", "0123456789ab")


async def test_update_changes_fields_and_bumps_the_version(tracker: Tracker) -> None:
    idea = await plan(tracker, "Idea")

    updated = await revise(tracker, idea, 1, actor="pm", status="approved", priority=2, target_quarter=None)

    assert (updated.status, updated.priority, updated.version, updated.updated_by) == (
        EnhancementStatus.APPROVED,
        2,
        2,
        "pm",
    )


async def test_update_replaces_the_dependencies(tracker: Tracker) -> None:
    first, second = await plan(tracker, "First"), await plan(tracker, "Second")
    idea = await plan(tracker, "Idea", depends_on=[first.id])

    updated = await revise(tracker, idea, 1, depends_on=[second.id])

    assert (updated.depends_on, updated.version) == ([second.id], 2)
    assert await count_rows(tracker, EnhancementDependency) == 1


async def test_self_dependency_is_rejected(tracker: Tracker) -> None:
    idea = await plan(tracker, "Idea")

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await revise(tracker, idea, 1, depends_on=[idea.id])

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("depends_on.0", idea.id)


async def test_dependency_cycle_is_rejected_and_named(tracker: Tracker) -> None:
    a = await plan(tracker, "A")
    b = await plan(tracker, "B", depends_on=[a.id])
    c = await plan(tracker, "C", depends_on=[b.id])

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await revise(tracker, a, 1, depends_on=[c.id])

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("depends_on.0", c.id)
    assert error["cycle"] == [a.id, c.id, b.id, a.id]
    assert f"{a.id} depends_on {c.id} depends_on {b.id} depends_on {a.id}" in caught.value.message


async def test_stale_version_is_a_conflict(tracker: Tracker) -> None:
    idea = await plan(tracker, "Idea")
    await revise(tracker, idea, 1, actor="first", status="approved")

    async with unchanged(tracker):
        with pytest.raises(VersionConflictError) as caught:
            await revise(tracker, idea, 1, actor="second", status="implementing")

    details = caught.value.details
    assert (details["expected_version"], details["current_version"], details["updated_by"]) == (1, 2, "first")


@pytest.mark.parametrize("field", ["title", "priority", "status", "depends_on"])
async def test_update_cannot_null_a_required_field(tracker: Tracker, field: str) -> None:
    idea = await plan(tracker, "Idea")

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await revise(tracker, idea, 1, **{field: None})

    assert only_error(caught.value)["field"] == field


async def test_update_of_a_missing_enhancement_is_not_found(tracker: Tracker) -> None:
    with pytest.raises(NotFoundError):
        await revise(tracker, "0123456789abcdef", 1, status="approved")


async def test_list_orders_by_priority_and_filters(tracker: Tracker) -> None:
    await plan(tracker, "Later", priority=4, target_quarter="2027-Q1")
    await plan(tracker, "Soon", priority=1, target_quarter="2026-Q3")
    approved = await plan(tracker, "Approved", priority=2, status="approved", target_quarter="2026-Q3")

    everything = await tracker.enhancements.list()
    quarter = await tracker.enhancements.list(target_quarter="2026-Q3")
    by_status = await tracker.enhancements.list(status=EnhancementStatus.APPROVED)
    by_priority = await tracker.enhancements.list(priority=4)

    assert [e.title for e in everything.items] == ["Soon", "Approved", "Later"]
    assert everything.total == 3
    assert [e.title for e in quarter.items] == ["Soon", "Approved"]
    assert [e.id for e in by_status.items] == [approved.id]
    assert [e.title for e in by_priority.items] == ["Later"]


async def test_list_pages_with_a_cursor(tracker: Tracker) -> None:
    for i in range(5):
        await plan(tracker, f"Idea {i}", priority=i % 2 + 1)

    first = await tracker.enhancements.list(limit=3)
    second = await tracker.enhancements.list(limit=3, cursor=first.next_cursor)

    assert [len(first.items), len(second.items)] == [3, 2]
    assert second.next_cursor is None
    assert [e.priority for e in first.items + second.items] == [1, 1, 1, 2, 2]
    assert len({e.id for e in first.items + second.items}) == 5


async def test_changes_are_audited_with_old_and_new_values(tracker: Tracker) -> None:
    base = await plan(tracker, "Base")
    idea = await plan(tracker, "Idea", actor="planner")
    await revise(tracker, idea, 1, actor="reviewer", status="approved", depends_on=[base.id])

    created, updated = await events_of(tracker, "enhancement", idea.id)

    assert (created.action, created.actor) == ("created", "planner")
    assert created.changes["title"] == {"old": None, "new": "Idea"}
    assert (updated.action, updated.actor) == ("updated", "reviewer")
    assert updated.changes == {
        "status": {"old": "planned", "new": "approved"},
        "depends_on": {"old": [], "new": [base.id]},
    }
