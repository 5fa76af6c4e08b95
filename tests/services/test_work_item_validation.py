"""Bad work item input is rejected field by field, with the value given, and writes nothing.

Inputs go the way the interfaces send them: raw values validated into the Pydantic contract
(`domain.validation.validate`), then handed to the service.
"""

from __future__ import annotations

from typing import Any

import pytest

from project_status.domain.errors import ValidationError
from project_status.services.tracker import Tracker
from tests.helpers import COMMIT, create_item, only_error, unchanged, update_item


async def rejected_create(tracker: Tracker, **payload: Any) -> ValidationError:
    """Create with bad input; assert it raises ValidationError and changes nothing."""
    payload.setdefault("title", "bad input")
    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await create_item(tracker, **payload)
    return caught.value


async def rejected_update(tracker: Tracker, item: Any, **fields: Any) -> ValidationError:
    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await update_item(tracker, item, item.version, **fields)
    return caught.value


async def test_empty_title_is_rejected(tracker: Tracker) -> None:
    error = only_error(await rejected_create(tracker, title=""))

    assert (error["field"], error["value"]) == ("title", "")
    assert "at least 1 character" in error["message"]


async def test_title_of_201_characters_is_rejected(tracker: Tracker) -> None:
    error = only_error(await rejected_create(tracker, title="t" * 201))

    assert error["field"] == "title"
    assert "at most 200 characters" in error["message"]
    assert error["value"].startswith("ttt") and "201 characters" in error["value"]


async def test_title_of_200_characters_is_accepted(tracker: Tracker) -> None:
    item = await create_item(tracker, "t" * 200)

    assert len(item.title) == 200


async def test_empty_title_on_update_is_rejected(tracker: Tracker) -> None:
    item = await create_item(tracker)

    error = only_error(await rejected_update(tracker, item, title=""))

    assert (error["field"], error["value"]) == ("title", "")


async def test_unknown_item_type_is_rejected(tracker: Tracker) -> None:
    error = only_error(await rejected_create(tracker, item_type="epic"))

    assert (error["field"], error["value"]) == ("item_type", "epic")
    assert "'project'" in error["message"] and "'research'" in error["message"]


async def test_unknown_status_is_rejected_on_create(tracker: Tracker) -> None:
    error = only_error(await rejected_create(tracker, status="done"))

    assert (error["field"], error["value"]) == ("status", "done")


async def test_unknown_status_is_rejected_on_update(tracker: Tracker) -> None:
    item = await create_item(tracker)

    error = only_error(await rejected_update(tracker, item, status="archived"))

    assert (error["field"], error["value"]) == ("status", "archived")


@pytest.mark.parametrize("priority", [0, 6])
async def test_priority_outside_1_to_5_is_rejected(tracker: Tracker, priority: int) -> None:
    error = only_error(await rejected_create(tracker, priority=priority))

    assert (error["field"], error["value"]) == ("priority", priority)


@pytest.mark.parametrize(
    "commit_hash",
    [
        COMMIT.upper(),
        COMMIT[:-1],
        COMMIT + "0",
        "g" * 40,
        "0123456",
    ],
    ids=["uppercase", "39-chars", "41-chars", "not-hex", "short-sha"],
)
async def test_commit_hash_must_be_40_lowercase_hex(tracker: Tracker, commit_hash: str) -> None:
    error = only_error(await rejected_create(tracker, commit_hash=commit_hash))

    assert (error["field"], error["value"]) == ("commit_hash", commit_hash)


async def test_bad_commit_hash_on_update_is_rejected(tracker: Tracker) -> None:
    item = await create_item(tracker, commit_hash=COMMIT)

    error = only_error(await rejected_update(tracker, item, commit_hash="HEAD"))

    assert (error["field"], error["value"]) == ("commit_hash", "HEAD")


@pytest.mark.parametrize("pr_number", [0, -3])
async def test_pr_number_must_be_positive(tracker: Tracker, pr_number: int) -> None:
    error = only_error(await rejected_create(tracker, pr_number=pr_number))

    assert (error["field"], error["value"]) == ("pr_number", pr_number)


async def test_unknown_field_is_rejected(tracker: Tracker) -> None:
    error = only_error(await rejected_create(tracker, owner="me"))

    assert (error["field"], error["value"]) == ("owner", "me")


async def test_several_bad_fields_are_all_reported(tracker: Tracker) -> None:
    exc = await rejected_create(tracker, item_type="epic", title="", priority=9)

    fields = {error["field"]: error["value"] for error in exc.details["errors"]}
    assert fields == {"item_type": "epic", "title": "", "priority": 9}


# Metadata: each item type has its own schema; errors are named `metadata.<field>`.

GOOD_METADATA = {
    "project": {
        "description": "d" * 1000,
        "target_quarter": "2026-Q3",
        "constitutional_principles": ["library first"],
    },
    "session": {"token_budget": 1000, "prompts_count": 0, "yaml_frontmatter": {"schema_version": "1.0"}},
    "task": {"estimated_hours": 0, "actual_hours": 1000, "blocked_reason": "r" * 500},
    "research": {
        "research_questions": ["why?"],
        "references": ["https://example.org"],
        "findings_summary": "f" * 2000,
    },
}


@pytest.mark.parametrize("item_type", sorted(GOOD_METADATA))
async def test_metadata_at_the_limits_is_accepted_for_each_type(tracker: Tracker, item_type: str) -> None:
    item = await create_item(tracker, item_type=item_type, metadata=GOOD_METADATA[item_type])

    assert item.metadata == GOOD_METADATA[item_type]
    assert (await tracker.work_items.get(item.id)).metadata == GOOD_METADATA[item_type]


BAD_METADATA = [
    ("project", "description", "d" * 1001),
    ("project", "target_quarter", "2026-Q5"),
    ("project", "target_quarter", "Q3 2026"),
    ("project", "constitutional_principles", "library first"),
    ("session", "token_budget", 999),
    ("session", "token_budget", 1_000_001),
    ("session", "token_budget", "lots"),
    ("session", "prompts_count", -1),
    ("session", "yaml_frontmatter", {"title": "no schema version"}),
    ("task", "estimated_hours", -0.5),
    ("task", "actual_hours", 1000.5),
    ("task", "estimated_hours", "a day"),
    ("task", "blocked_reason", "r" * 501),
    ("research", "findings_summary", "f" * 2001),
    ("research", "research_questions", "one question"),
    ("research", "references", [1, 2]),
]


@pytest.mark.parametrize(
    ("item_type", "field", "value"),
    BAD_METADATA,
    ids=[f"{t}-{f}-{i}" for i, (t, f, _) in enumerate(BAD_METADATA)],
)
async def test_metadata_out_of_range_or_of_wrong_type_is_rejected_by_field(
    tracker: Tracker, item_type: str, field: str, value: Any
) -> None:
    exc = await rejected_create(tracker, item_type=item_type, metadata={field: value})

    errors = exc.details["errors"]
    assert errors, exc.details
    assert all(error["field"].startswith(f"metadata.{field}") for error in errors), errors
    if isinstance(value, str) and len(value) > 120:
        assert f"{len(value)} characters" in errors[0]["value"]
    elif field == "references":
        assert [error["value"] for error in errors] == value
    else:
        assert errors[0]["value"] == value
    assert f"metadata.{field}" in exc.message


@pytest.mark.parametrize(
    ("item_type", "field", "value"),
    [("task", "target_quarter", "2026-Q1"), ("project", "token_budget", 5000), ("task", "estimated_hour", 3)],
    ids=["project-key-on-task", "session-key-on-project", "typo"],
)
async def test_metadata_key_of_another_type_or_typo_is_rejected(
    tracker: Tracker, item_type: str, field: str, value: Any
) -> None:
    error = only_error(await rejected_create(tracker, item_type=item_type, metadata={field: value}))

    assert (error["field"], error["value"], error["type"]) == (f"metadata.{field}", value, "extra_forbidden")


async def test_metadata_errors_name_every_bad_field(tracker: Tracker) -> None:
    exc = await rejected_create(
        tracker, item_type="session", metadata={"token_budget": 10, "prompts_count": -2}
    )

    fields = {error["field"]: error["value"] for error in exc.details["errors"]}
    assert fields == {"metadata.token_budget": 10, "metadata.prompts_count": -2}


async def test_metadata_update_is_validated_against_the_item_type(tracker: Tracker) -> None:
    item = await create_item(tracker, item_type="session", metadata={"token_budget": 5000})

    error = only_error(await rejected_update(tracker, item, metadata={"token_budget": 2_000_000}))

    assert (error["field"], error["value"]) == ("metadata.token_budget", 2_000_000)
    assert (await tracker.work_items.get(item.id)).metadata == {"token_budget": 5000}


async def test_metadata_update_cannot_smuggle_a_key_of_another_type(tracker: Tracker) -> None:
    item = await create_item(tracker, item_type="research")

    error = only_error(await rejected_update(tracker, item, metadata={"estimated_hours": 2}))

    assert error["field"] == "metadata.estimated_hours"


async def test_title_of_blanks_only_is_rejected(tracker: Tracker) -> None:
    error = only_error(await rejected_create(tracker, title="   "))

    assert error["field"] == "title"
    assert "at least 1 character" in error["message"]


@pytest.mark.parametrize("field", ["title", "branch_name"])
async def test_line_breaks_in_one_line_fields_are_rejected(tracker: Tracker, field: str) -> None:
    fields = {"title": "ok", field: "first line\nsecond line"}
    title = fields.pop("title")
    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await create_item(tracker, title, **fields)

    error = only_error(caught.value)
    assert error["field"] == field and "single line" in error["message"]
