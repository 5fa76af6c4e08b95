"""Input that one store would keep and the other refuse is refused before either is touched.

Each case runs on both backends and must be a ValidationError naming the field (with the limit
when a limit was passed), never a DatabaseError, and must write nothing. Inputs go the way the
interfaces send them: raw values validated into the contract, then handed to the service.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from project_status.domain.deployments import DeploymentCreate
from project_status.domain.enhancements import EnhancementCreate
from project_status.domain.errors import ValidationError
from project_status.domain.validation import validate
from project_status.domain.vendors import VendorCreate
from project_status.services.reports import report_path
from project_status.services.tracker import Tracker
from tests.helpers import ACTOR, COMMIT, create_item, only_error, unchanged, update_item

INT4_MAX = 2**31 - 1
# The documented limits (README, "Limits"), spelt out so that a change to them shows here.
MAX_DESCRIPTION_BYTES = 64 * 1024
MAX_METADATA_BYTES = 64 * 1024
MAX_METADATA_DEPTH = 16
MAX_FILTER_BYTES = 1024


async def refused(tracker: Tracker, action: Any) -> dict[str, Any]:
    """Run `action()`; it must raise ValidationError and leave every table as it was."""
    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await action()
    return only_error(caught.value)


def nested(levels: int) -> dict[str, Any]:
    """A yaml_frontmatter of `levels` nested objects (the frontmatter itself counts as one)."""
    inner: dict[str, Any] = {"schema_version": "1"}
    for _ in range(levels - 1):
        inner = {"schema_version": "1", "next": inner}
    return inner


# --- text a store cannot keep -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "a\x00b"}, "title"),
        ({"title": "\x00"}, "title"),
        ({"title": "tab\tinside"}, "title"),
        ({"title": "line\u2028separator"}, "title"),
        ({"title": "paragraph\u2029separator"}, "title"),
        ({"title": "bell\x07"}, "title"),
        ({"title": "lone \ud800 surrogate"}, "title"),
        ({"description": "a\x00b"}, "description"),
        ({"description": "carriage\rreturn"}, "description"),
        ({"description": "escape \x1b[31m"}, "description"),
        ({"branch_name": "feature/\x00"}, "branch_name"),
        ({"metadata": {"blocked_reason": "a\x00b"}}, "metadata"),
        ({"metadata": {"blocked_reason": "x", "a\x00": 1}}, "metadata"),
    ],
    ids=[
        "nul-in-title",
        "title-only-nul",
        "tab-in-title",
        "u2028-in-title",
        "u2029-in-title",
        "bell-in-title",
        "surrogate-in-title",
        "nul-in-description",
        "cr-in-description",
        "escape-in-description",
        "nul-in-branch",
        "nul-in-metadata-value",
        "nul-in-metadata-key",
    ],
)
async def test_characters_a_store_cannot_keep_are_refused(
    tracker: Tracker, fields: dict[str, Any], field: str
) -> None:
    error = await refused(tracker, lambda: create_item(tracker, **{"title": "ok", **fields}))

    assert error["field"] == field
    assert "U+" in error["message"] or "unicode" in error["message"]


async def test_line_breaks_and_tabs_are_kept_in_a_description(tracker: Tracker) -> None:
    text = "first line\n\tindented\nU+2028 is fine here:\u2028done"

    item = await create_item(tracker, description=text)

    assert (await tracker.work_items.get(item.id)).description == text


async def test_nul_in_a_vendor_name_is_refused(tracker: Tracker) -> None:
    payload = {"name": "acme\x00", "status": "operational", "extractor_version": "1", "metadata": {}}

    async def create() -> None:
        await tracker.vendors.create(validate(VendorCreate, payload), ACTOR)

    assert (await refused(tracker, create))["field"] == "name"


async def test_nul_in_an_enhancement_description_is_refused(tracker: Tracker) -> None:
    payload = {"title": "plan", "description": "a\x00b", "priority": 2}

    async def create() -> None:
        await tracker.enhancements.create(validate(EnhancementCreate, payload), ACTOR)

    assert (await refused(tracker, create))["field"] == "description"


async def test_nul_in_the_actor_is_refused(tracker: Tracker) -> None:
    error = await refused(tracker, lambda: create_item(tracker, actor="agent\x00"))

    assert error["field"] == "actor"


# --- numbers and datetimes ----------------------------------------------------------------------


async def test_a_pr_number_beyond_the_integer_column_is_refused_with_its_limit(tracker: Tracker) -> None:
    error = await refused(tracker, lambda: create_item(tracker, pr_number=INT4_MAX + 1))

    assert (error["field"], error["limit"]) == ("pr_number", INT4_MAX)


async def test_the_largest_pr_number_the_column_holds_is_kept(tracker: Tracker) -> None:
    item = await create_item(tracker, pr_number=INT4_MAX)

    assert (await tracker.work_items.get(item.id)).pr_number == INT4_MAX


async def test_a_version_beyond_the_integer_column_is_refused(tracker: Tracker) -> None:
    item = await create_item(tracker)

    error = await refused(tracker, lambda: update_item(tracker, item, INT4_MAX + 1, title="new"))

    assert error["field"] == "version"


@pytest.mark.parametrize(
    "metadata",
    [
        {"yaml_frontmatter": {"schema_version": "1", "big": 2**63}},
        {"yaml_frontmatter": {"schema_version": "1", "nan": float("nan")}},
        {"yaml_frontmatter": {"schema_version": "1", "inf": float("inf")}},
    ],
    ids=["int-beyond-64-bits", "nan", "infinity"],
)
async def test_numbers_json_cannot_carry_exactly_are_refused_in_metadata(
    tracker: Tracker, metadata: dict[str, Any]
) -> None:
    error = await refused(tracker, lambda: create_item(tracker, item_type="session", metadata=metadata))

    assert error["field"] == "metadata"


async def test_a_deployment_whose_utc_time_leaves_the_calendar_is_refused(tracker: Tracker) -> None:
    payload = {"deployed_at": "9999-12-31T23:59:59-14:00", "commit_hash": COMMIT, "metadata": {}}

    async def record() -> None:
        await tracker.deployments.record(validate(DeploymentCreate, payload), ACTOR)

    error = await refused(tracker, record)

    assert error["field"] == "deployed_at"
    assert "9999-01-01" in error["message"]


async def test_a_since_before_year_one_in_utc_is_refused(tracker: Tracker) -> None:
    since = datetime.fromisoformat("0001-01-01T00:00:00+14:00")

    error = await refused(tracker, lambda: tracker.deployments.list(since=since))

    assert error["field"] == "since"


async def test_a_since_inside_the_bounds_lists_deployments(tracker: Tracker) -> None:
    page = await tracker.deployments.list(since=datetime(1900, 1, 1, tzinfo=UTC))

    assert page.total == 0


# --- sizes --------------------------------------------------------------------------------------


async def test_a_text_filter_over_1_kib_is_refused_with_its_limit(tracker: Tracker) -> None:
    error = await refused(tracker, lambda: tracker.work_items.list(text="x" * (10 * 1024 * 1024)))

    assert (error["field"], error["limit"]) == ("text", MAX_FILTER_BYTES)


async def test_a_text_filter_of_1_kib_is_searched(tracker: Tracker) -> None:
    page = await tracker.work_items.list(text="x" * MAX_FILTER_BYTES)

    assert page.total == 0


async def test_a_nul_in_a_text_filter_is_refused(tracker: Tracker) -> None:
    error = await refused(tracker, lambda: tracker.work_items.list(text="a\x00"))

    assert error["field"] == "text"


async def test_a_nul_in_a_vendor_name_filter_is_refused(tracker: Tracker) -> None:
    error = await refused(tracker, lambda: tracker.vendors.query("acme\x00"))

    assert error["field"] == "name"


async def test_a_description_over_64_kib_is_refused_with_its_limit(tracker: Tracker) -> None:
    error = await refused(
        tracker, lambda: create_item(tracker, description="d" * (MAX_DESCRIPTION_BYTES + 1))
    )

    assert (error["field"], error["limit"]) == ("description", MAX_DESCRIPTION_BYTES)


async def test_a_description_of_64_kib_is_kept(tracker: Tracker) -> None:
    item = await create_item(tracker, description="d" * MAX_DESCRIPTION_BYTES)

    assert len((await tracker.work_items.get(item.id)).description or "") == MAX_DESCRIPTION_BYTES


async def test_the_description_limit_counts_utf8_bytes(tracker: Tracker) -> None:
    text = "é" * (MAX_DESCRIPTION_BYTES // 2 + 1)  # fewer characters than the limit, more bytes

    error = await refused(tracker, lambda: create_item(tracker, description=text))

    assert error["limit"] == MAX_DESCRIPTION_BYTES


async def test_metadata_over_64_kib_is_refused_with_its_limit(tracker: Tracker) -> None:
    metadata = {"yaml_frontmatter": {"schema_version": "1", "blob": "b" * MAX_METADATA_BYTES}}

    error = await refused(tracker, lambda: create_item(tracker, item_type="session", metadata=metadata))

    assert (error["field"], error["limit"]) == ("metadata", MAX_METADATA_BYTES)


async def test_metadata_deeper_than_16_levels_is_refused_with_its_limit(tracker: Tracker) -> None:
    metadata = {"yaml_frontmatter": nested(MAX_METADATA_DEPTH)}  # 17 levels with the outer object

    error = await refused(tracker, lambda: create_item(tracker, item_type="session", metadata=metadata))

    assert (error["field"], error["limit"]) == ("metadata", MAX_METADATA_DEPTH)


async def test_metadata_of_16_levels_is_kept(tracker: Tracker) -> None:
    metadata = {"yaml_frontmatter": nested(MAX_METADATA_DEPTH - 1)}

    item = await create_item(tracker, item_type="session", metadata=metadata)

    assert (await tracker.work_items.get(item.id)).metadata == metadata


def test_a_nul_in_the_report_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        report_path("report\x00.md", tmp_path, confine=True)

    assert only_error(caught.value)["field"] == "path"


# --- small holes --------------------------------------------------------------------------------


@pytest.mark.parametrize("parent_id", ["", "   ", "null"])
async def test_a_parent_id_that_names_nothing_is_refused_not_taken_for_no_parent(
    tracker: Tracker, parent_id: str
) -> None:
    error = await refused(tracker, lambda: create_item(tracker, parent_id=parent_id))

    assert error["field"] == "parent_id"


async def test_a_parent_id_of_empty_text_is_refused_on_update(tracker: Tracker) -> None:
    parent = await create_item(tracker, "parent", item_type="project")
    item = await create_item(tracker, parent=parent)

    error = await refused(tracker, lambda: update_item(tracker, item, item.version, parent_id=""))

    assert error["field"] == "parent_id"


async def test_a_parent_id_of_null_still_means_no_parent(tracker: Tracker) -> None:
    item = await create_item(tracker, parent_id=None)

    assert item.parent_id is None and item.depth == 0


@pytest.mark.parametrize(("value", "field"), [(True, "priority"), (2.0, "priority"), ("1.5", "priority")])
async def test_booleans_and_decimals_are_not_integers(tracker: Tracker, value: Any, field: str) -> None:
    error = await refused(tracker, lambda: create_item(tracker, priority=value))

    assert error["field"] == field


async def test_an_integer_in_a_string_is_an_integer(tracker: Tracker) -> None:
    item = await create_item(tracker, priority="2", pr_number=" 17 ")

    assert (item.priority, item.pr_number) == (2, 17)


@pytest.mark.parametrize("value", [-0.0, 0, 1, "yes", "1"])
async def test_deleted_takes_only_true_or_false(tracker: Tracker, value: Any) -> None:
    item = await create_item(tracker)

    error = await refused(tracker, lambda: update_item(tracker, item, item.version, deleted=value))

    assert error["field"] == "deleted"


async def test_deleted_takes_the_strings_true_and_false(tracker: Tracker) -> None:
    item = await create_item(tracker)

    deleted = await update_item(tracker, item, item.version, deleted="true")
    restored = await update_item(tracker, item, deleted.version, deleted="False")

    assert deleted.deleted_at is not None and restored.deleted_at is None


async def test_a_boolean_in_metadata_is_not_a_number(tracker: Tracker) -> None:
    error = await refused(tracker, lambda: create_item(tracker, metadata={"estimated_hours": True}))

    assert error["field"] == "metadata.estimated_hours"


def crafted_cursor(kind: str, key: list[Any]) -> str:
    """A cursor a client wrote itself (cursors are base64 JSON, easy to forge)."""
    raw = json.dumps([kind, key]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("ready", [2**40, "2026-01-01T00:00:00+00:00", "00000000-0000-0000-0000-000000000000"]),
        ("ready", [1, "0001-01-01T00:00:00+14:00", "00000000-0000-0000-0000-000000000000"]),
        ("ready", [1, "2026-01-01T00:00:00", "00000000-0000-0000-0000-000000000000"]),
    ],
    ids=["priority-beyond-int4", "time-before-year-1", "time-without-zone"],
)
async def test_a_forged_cursor_whose_keys_no_column_holds_is_refused(
    tracker: Tracker, kind: str, key: list[Any]
) -> None:
    error = await refused(tracker, lambda: tracker.work_items.ready(cursor=crafted_cursor(kind, key)))

    assert error["field"] == "cursor"


async def test_metadata_that_merging_grows_over_64_kib_is_refused(tracker: Tracker) -> None:
    half = "q" * (MAX_METADATA_BYTES // 2)
    item = await create_item(tracker, item_type="research", metadata={"research_questions": [half]})

    error = await refused(
        tracker, lambda: update_item(tracker, item, item.version, metadata={"references": [half]})
    )

    assert (error["field"], error["limit"]) == ("metadata", MAX_METADATA_BYTES)
