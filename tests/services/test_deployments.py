"""Deployments: append-only history linked to vendors and work items, newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from project_status.domain.deployments import DeploymentCreate, DeploymentRead
from project_status.domain.errors import NotFoundError, ValidationError
from project_status.domain.validation import validate
from project_status.domain.vendors import VendorCreate
from project_status.services.tracker import Tracker
from project_status.store.tables import deployment_vendors, deployment_work_items
from tests.helpers import ACTOR, COMMIT, count_rows, create_item, events_of, only_error, unchanged

BASE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
METADATA = {
    "pr_number": 42,
    "pr_title": "Add the OCR extractor",
    "test_summary": {"unit": 120, "integration": 8},
    "constitutional_compliance": True,
}


async def add_vendor(tracker: Tracker, name: str) -> None:
    payload = {"name": name, "status": "operational", "extractor_version": "1.0", "metadata": {}}
    await tracker.vendors.create(validate(VendorCreate, payload), ACTOR)


async def deploy(tracker: Tracker, *, actor: str = ACTOR, **fields: Any) -> DeploymentRead:
    payload: dict[str, Any] = {"deployed_at": BASE, "commit_hash": COMMIT, "metadata": METADATA} | fields
    return await tracker.deployments.record(validate(DeploymentCreate, payload), actor)


async def test_record_links_vendors_and_work_items(tracker: Tracker) -> None:
    await add_vendor(tracker, "zeta")
    await add_vendor(tracker, "alpha")
    task = await create_item(tracker, "Ship OCR")

    deployment = await deploy(tracker, vendor_names=["zeta", "alpha", "zeta"], work_item_ids=[task.id[:8]])

    assert deployment.vendor_names == ["alpha", "zeta"]
    assert deployment.work_item_ids == [task.id]
    assert (deployment.deployed_at, deployment.commit_hash, deployment.metadata) == (BASE, COMMIT, METADATA)
    assert deployment.created_by == ACTOR
    assert await tracker.deployments.get(deployment.id) == deployment
    assert await count_rows(tracker, deployment_vendors) == 2
    assert await count_rows(tracker, deployment_work_items) == 1


async def test_record_answers_deployed_at_in_utc_like_every_read(tracker: Tracker) -> None:
    local = BASE.astimezone(timezone(timedelta(hours=2)))

    deployment = await deploy(tracker, deployed_at=local)

    assert deployment.deployed_at == BASE
    assert deployment.deployed_at.utcoffset() == timedelta(0)
    assert (await tracker.deployments.get(deployment.id)).deployed_at.isoformat() == BASE.isoformat()
    [event] = await events_of(tracker, "deployment", deployment.id)
    recorded = datetime.fromisoformat(event.changes["deployed_at"]["new"])
    assert (recorded, recorded.utcoffset()) == (BASE, timedelta(0))


async def test_record_without_links_is_accepted(tracker: Tracker) -> None:
    deployment = await deploy(tracker, metadata={})

    assert (deployment.vendor_names, deployment.work_item_ids) == ([], [])
    assert deployment.metadata == {"test_summary": {}, "constitutional_compliance": False}


async def test_unknown_vendor_is_rejected_and_nothing_is_recorded(tracker: Tracker) -> None:
    await add_vendor(tracker, "known")

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await deploy(tracker, vendor_names=["known", "ghost", "phantom"])

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("vendor_names", ["ghost", "phantom"])


async def test_unknown_work_item_is_not_found_and_nothing_is_recorded(tracker: Tracker) -> None:
    task = await create_item(tracker, "Real")

    async with unchanged(tracker):
        with pytest.raises(NotFoundError) as caught:
            await deploy(tracker, work_item_ids=[task.id, "deadbeef"])

    assert (caught.value.details["field"], caught.value.details["value"]) == ("work_item_ids.1", "deadbeef")


@pytest.mark.parametrize(
    ("fields", "field", "value"),
    [
        ({"commit_hash": COMMIT.upper()}, "commit_hash", COMMIT.upper()),
        ({"commit_hash": "abc123"}, "commit_hash", "abc123"),
        ({"deployed_at": "2026-03-01T12:00:00"}, "deployed_at", "2026-03-01T12:00:00"),
        ({"metadata": {"pr_number": 0}}, "metadata.pr_number", 0),
        ({"metadata": {"pr_title": ""}}, "metadata.pr_title", ""),
        ({"metadata": {"test_summary": {"unit": -1}}}, "metadata.test_summary.unit", -1),
        (
            {"metadata": {"constitutional_compliance": "mostly"}},
            "metadata.constitutional_compliance",
            "mostly",
        ),
        ({"metadata": {"reviewer": "me"}}, "metadata.reviewer", "me"),
    ],
    ids=[
        "uppercase-commit",
        "short-commit",
        "naive-time",
        "pr-number-0",
        "empty-pr-title",
        "negative-test-count",
        "non-bool-compliance",
        "unknown-key",
    ],
)
async def test_bad_deployment_input_is_rejected_by_field(
    tracker: Tracker, fields: dict[str, Any], field: str, value: Any
) -> None:
    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await deploy(tracker, **fields)

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == (field, value)


async def test_pr_title_of_201_characters_is_rejected(tracker: Tracker) -> None:
    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await deploy(tracker, metadata={"pr_title": "p" * 201})

    assert only_error(caught.value)["field"] == "metadata.pr_title"


async def test_get_of_a_missing_deployment_is_not_found(tracker: Tracker) -> None:
    with pytest.raises(NotFoundError):
        await tracker.deployments.get("0123456789abcdef")


async def test_list_is_newest_first_with_brief_rows(tracker: Tracker) -> None:
    await add_vendor(tracker, "acme")
    older = await deploy(tracker, deployed_at=BASE, metadata={"pr_number": 1, "pr_title": "Older"})
    newer = await deploy(
        tracker,
        deployed_at=BASE + timedelta(days=1),
        metadata={"pr_number": 2, "pr_title": "Newer"},
        vendor_names=["acme"],
    )

    page = await tracker.deployments.list()

    assert [d.id for d in page.items] == [newer.id, older.id]
    assert page.total == 2
    brief = page.items[0]
    assert (brief.pr_number, brief.pr_title, brief.vendor_count, brief.commit_hash) == (2, "Newer", 1, COMMIT)


async def test_list_filters_by_since_and_vendor(tracker: Tracker) -> None:
    await add_vendor(tracker, "acme")
    await add_vendor(tracker, "other")
    await deploy(tracker, deployed_at=BASE, vendor_names=["acme"])
    late = await deploy(tracker, deployed_at=BASE + timedelta(days=2), vendor_names=["acme"])
    await deploy(tracker, deployed_at=BASE + timedelta(days=3), vendor_names=["other"])

    since = await tracker.deployments.list(since=BASE + timedelta(days=1), vendor_name="acme")

    assert [d.id for d in since.items] == [late.id]
    assert since.total == 1
    assert (await tracker.deployments.list(vendor_name="acme")).total == 2


async def test_list_by_an_unknown_vendor_is_not_found(tracker: Tracker) -> None:
    with pytest.raises(NotFoundError):
        await tracker.deployments.list(vendor_name="ghost")


async def test_list_since_a_naive_time_is_rejected(tracker: Tracker) -> None:
    with pytest.raises(ValidationError) as caught:
        await tracker.deployments.list(since=datetime(2026, 1, 1))  # naive on purpose

    assert only_error(caught.value)["field"] == "since"


async def test_list_pages_with_a_cursor_through_all_deployments(tracker: Tracker) -> None:
    recorded = [await deploy(tracker, deployed_at=BASE + timedelta(hours=h)) for h in range(5)]

    first = await tracker.deployments.list(limit=2)
    second = await tracker.deployments.list(limit=2, cursor=first.next_cursor)
    third = await tracker.deployments.list(limit=2, cursor=second.next_cursor)

    walked = [d.id for page in (first, second, third) for d in page.items]
    assert walked == [d.id for d in reversed(recorded)]
    assert third.next_cursor is None
    assert {page.total for page in (first, second, third)} == {5}


async def test_list_pages_within_max_bytes(tracker: Tracker) -> None:
    for h in range(3):
        await deploy(tracker, deployed_at=BASE + timedelta(hours=h), metadata={"pr_title": "t" * 200})

    page = await tracker.deployments.list(max_bytes=400)

    assert len(page.items) == 1
    assert page.next_cursor is not None


async def test_record_writes_a_recorded_event(tracker: Tracker) -> None:
    await add_vendor(tracker, "acme")

    deployment = await deploy(tracker, actor="release-bot", vendor_names=["acme"])

    [event] = await events_of(tracker, "deployment", deployment.id)
    assert (event.action, event.actor) == ("recorded", "release-bot")
    assert event.changes["commit_hash"] == {"old": None, "new": COMMIT}
    assert event.changes["vendor_names"] == {"old": None, "new": ["acme"]}
