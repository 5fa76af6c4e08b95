"""Vendor extractors: unique names, validated metadata, versioned status updates, audit events."""

from __future__ import annotations

from typing import Any

import pytest

from project_status.domain.enums import VendorStatus
from project_status.domain.errors import NotFoundError, ValidationError, VersionConflictError
from project_status.domain.validation import validate
from project_status.domain.vendors import VendorCreate, VendorRead, VendorUpdate
from project_status.services.tracker import Tracker
from tests.helpers import ACTOR, events_of, only_error, unchanged

METADATA = {
    "format_support": {"excel": True, "csv": True, "pdf": False, "ocr": False},
    "test_results": {"passing": 40, "total": 45, "skipped": 3},
    "manifest_compliant": True,
}


async def create_vendor(
    tracker: Tracker, name: str = "acme", *, actor: str = ACTOR, **fields: Any
) -> VendorRead:
    payload = {"name": name, "status": "operational", "extractor_version": "1.0.0", "metadata": METADATA}
    return await tracker.vendors.create(validate(VendorCreate, payload | fields), actor)


async def update_vendor(
    tracker: Tracker, name: str, version: int, *, actor: str = ACTOR, **fields: Any
) -> VendorRead:
    return await tracker.vendors.update(name, version, validate(VendorUpdate, fields), actor)


async def test_create_stores_the_vendor_at_version_1(tracker: Tracker) -> None:
    vendor = await create_vendor(tracker, "acme")

    assert (vendor.name, vendor.status, vendor.extractor_version, vendor.version) == (
        "acme",
        VendorStatus.OPERATIONAL,
        "1.0.0",
        1,
    )
    assert vendor.metadata == METADATA
    assert vendor.created_by == vendor.updated_by == ACTOR
    assert (await tracker.vendors.query("acme")).items == [vendor]


async def test_create_fills_metadata_defaults(tracker: Tracker) -> None:
    vendor = await create_vendor(tracker, "bare", metadata={})

    assert vendor.metadata == {
        "format_support": {"excel": False, "csv": False, "pdf": False, "ocr": False},
        "test_results": {"passing": 0, "total": 0, "skipped": 0},
        "manifest_compliant": False,
    }


async def test_duplicate_vendor_name_is_rejected(tracker: Tracker) -> None:
    await create_vendor(tracker, "acme")

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await create_vendor(tracker, " acme ")

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("name", "acme")


async def test_passing_plus_skipped_above_total_is_rejected(tracker: Tracker) -> None:
    counts = {"passing": 40, "total": 45, "skipped": 6}

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await create_vendor(tracker, metadata={"test_results": counts})

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == ("metadata.test_results", counts)
    assert "passing (40) + skipped (6) must not exceed total (45)" in error["message"]


async def test_passing_plus_skipped_equal_to_total_is_accepted(tracker: Tracker) -> None:
    vendor = await create_vendor(
        tracker, metadata={"test_results": {"passing": 40, "total": 45, "skipped": 5}}
    )

    assert vendor.metadata["test_results"] == {"passing": 40, "total": 45, "skipped": 5}


@pytest.mark.parametrize(
    ("metadata", "field", "value"),
    [
        ({"test_results": {"passing": -1, "total": 3}}, "metadata.test_results.passing", -1),
        ({"test_results": {"passing": 1}}, "metadata.test_results.total", {"passing": 1}),
        ({"format_support": {"excel": "sometimes"}}, "metadata.format_support.excel", "sometimes"),
        ({"format_support": {"docx": True}}, "metadata.format_support.docx", True),
        ({"manifest_compliant": "yes please"}, "metadata.manifest_compliant", "yes please"),
        ({"owner": "me"}, "metadata.owner", "me"),
    ],
    ids=["negative-count", "missing-total", "non-bool-format", "unknown-format", "non-bool", "unknown-key"],
)
async def test_bad_vendor_metadata_is_rejected_by_field(
    tracker: Tracker, metadata: dict[str, Any], field: str, value: Any
) -> None:
    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await create_vendor(tracker, metadata=metadata)

    error = only_error(caught.value)
    assert (error["field"], error["value"]) == (field, value)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "n" * 101}, "name"),
        ({"name": "  "}, "name"),
        ({"status": "degraded"}, "status"),
        ({"extractor_version": "v" * 51}, "extractor_version"),
    ],
    ids=["long-name", "blank-name", "unknown-status", "long-version"],
)
async def test_bad_vendor_fields_are_rejected(tracker: Tracker, fields: dict[str, Any], field: str) -> None:
    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await create_vendor(tracker, **fields)

    assert only_error(caught.value)["field"] == field


async def test_query_all_counts_operational_and_filters_broken(tracker: Tracker) -> None:
    await create_vendor(tracker, "beta")
    await create_vendor(tracker, "alpha", status="broken")
    await create_vendor(tracker, "gamma")

    everything = await tracker.vendors.query()
    broken = await tracker.vendors.query(only_broken=True)

    assert [v.name for v in everything.items] == ["alpha", "beta", "gamma"]
    assert (everything.total, everything.operational) == (3, 2)
    assert [v.name for v in broken.items] == ["alpha"]
    assert (broken.total, broken.operational) == (1, 0)


async def test_query_one_by_name_with_only_broken(tracker: Tracker) -> None:
    await create_vendor(tracker, "fine")

    assert (await tracker.vendors.query("fine", only_broken=True)).items == []
    assert (await tracker.vendors.query(" fine ")).total == 1


async def test_query_of_an_unknown_vendor_is_not_found(tracker: Tracker) -> None:
    with pytest.raises(NotFoundError) as caught:
        await tracker.vendors.query("nobody")

    assert caught.value.details == {"field": "name", "value": "nobody"}


async def test_update_changes_status_and_merges_metadata(tracker: Tracker) -> None:
    await create_vendor(tracker, "acme")

    updated = await update_vendor(
        tracker, "acme", 1, actor="ci", status="broken", metadata={"manifest_compliant": False}
    )

    assert (updated.status, updated.version, updated.updated_by) == (VendorStatus.BROKEN, 2, "ci")
    assert updated.metadata == METADATA | {"manifest_compliant": False}
    assert (await tracker.vendors.query("acme")).items == [updated]


async def test_update_rejects_test_counts_that_do_not_add_up(tracker: Tracker) -> None:
    await create_vendor(tracker, "acme")
    counts = {"passing": 10, "total": 5}

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await update_vendor(tracker, "acme", 1, metadata={"test_results": counts})

    assert only_error(caught.value)["field"] == "metadata.test_results"


async def test_update_with_a_stale_version_is_a_conflict(tracker: Tracker) -> None:
    await create_vendor(tracker, "acme")
    await update_vendor(tracker, "acme", 1, actor="first", extractor_version="1.1.0")

    async with unchanged(tracker):
        with pytest.raises(VersionConflictError) as caught:
            await update_vendor(tracker, "acme", 1, actor="second", status="broken")

    details = caught.value.details
    assert (details["expected_version"], details["current_version"], details["updated_by"]) == (1, 2, "first")


async def test_update_of_an_unknown_vendor_is_not_found(tracker: Tracker) -> None:
    async with unchanged(tracker):
        with pytest.raises(NotFoundError):
            await update_vendor(tracker, "nobody", 1, status="broken")


async def test_update_cannot_null_a_field(tracker: Tracker) -> None:
    await create_vendor(tracker, "acme")

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await update_vendor(tracker, "acme", 1, status=None)

    assert only_error(caught.value)["field"] == "status"


async def test_update_of_unchanged_values_writes_nothing(tracker: Tracker) -> None:
    await create_vendor(tracker, "acme")

    async with unchanged(tracker):
        same = await update_vendor(tracker, "acme", 1, status="operational")

    assert same.version == 1


async def test_vendor_changes_are_audited_with_old_and_new_values(tracker: Tracker) -> None:
    vendor = await create_vendor(tracker, "acme", actor="registrar")
    await update_vendor(tracker, "acme", 1, actor="monitor", status="broken")

    created, updated = await events_of(tracker, "vendor", vendor.id)

    assert (created.action, created.actor) == ("created", "registrar")
    assert created.changes["name"] == {"old": None, "new": "acme"}
    assert (updated.action, updated.actor) == ("updated", "monitor")
    assert updated.changes == {"status": {"old": "operational", "new": "broken"}}


async def test_update_without_any_field_is_rejected_like_every_other_update(tracker: Tracker) -> None:
    vendor = await create_vendor(tracker, "idle")

    async with unchanged(tracker):
        with pytest.raises(ValidationError) as caught:
            await update_vendor(tracker, "idle", vendor.version)

    assert only_error(caught.value)["field"] == "changes"


async def test_duplicate_vendor_name_names_the_next_step_as_data(tracker: Tracker) -> None:
    await create_vendor(tracker, "acme")

    with pytest.raises(ValidationError) as caught:
        await create_vendor(tracker, "acme")

    assert caught.value.details["next_step"] == {
        "command": "update_vendor_status",
        "arguments": {"name": "acme"},
    }
    assert caught.value.message.endswith('use update_vendor_status with name="acme"')
    assert only_error(caught.value)["message"].endswith('use update_vendor_status with name="acme"')
