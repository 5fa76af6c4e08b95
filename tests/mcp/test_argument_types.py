"""How tool arguments are read, through the SDK's own client on each backend (in process: the
server's argument handling, the tools and the services are the real ones).

Integers come as numbers or as strings of digits (some clients send every scalar as a string),
never as booleans or decimals; booleans as true/false or the strings "true"/"false", never as
numbers; text stays the text sent, even "null" or "true"; an unknown tool gets the JSON error
shape of every other error.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import Implementation

from project_status.mcp.server import build_server
from project_status.settings import Settings
from tests.conftest import Backend
from tests.mcp.conftest import CLIENT_NAME, error_fields, failure, success

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class Tools:
    def __init__(self, client: Client) -> None:
        self.client = client

    async def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        return success(tool, await self.client.call_tool(tool, arguments))

    async def fail(self, tool: str, **arguments: Any) -> dict[str, Any]:
        return failure(tool, await self.client.call_tool(tool, arguments))

    async def refused(self, tool: str, field: str, **arguments: Any) -> dict[str, Any]:
        body = await self.fail(tool, **arguments)
        assert body["error"] == "ValidationError", body
        assert field in error_fields(body), body
        return body


@asynccontextmanager
async def serving(backend: Backend, project: Path) -> AsyncIterator[Tools]:
    """The server on `backend`, entered and left inside one test (its task groups need that)."""
    settings = Settings(
        data_dir=project / ".project-status", mirror=False, archive_interval_hours=0, report_refresh_seconds=0
    )
    server = build_server(settings, url=backend.url)
    async with Client(server, client_info=Implementation(name=CLIENT_NAME, version="1")) as client:
        yield Tools(client)


async def test_integer_strings_are_integers_for_every_integer_argument(
    backend: Backend, tmp_path: Path
) -> None:
    async with serving(backend, tmp_path) as tools:
        item = await tools.call("create_work_item", item_type="task", title="x", priority="2", pr_number="7")
        changed = await tools.call("update_work_item", id=item["id"], version="1", priority=" 4 ")
        vendor = await tools.call(
            "create_vendor", name="acme", status="operational", extractor_version="1", metadata={}
        )
        await tools.call("update_vendor_status", name="acme", version=str(vendor["version"]), status="broken")
        config = await tools.call("get_project_configuration")
        await tools.call(
            "update_project_configuration", version=str(config["version"]), default_token_budget="5000"
        )
        plan = await tools.call("create_enhancement", title="p", description="d", priority="1")
        await tools.call("update_enhancement", id=plan["id"], version="1", priority="3")
        page = await tools.call("list_work_items", limit="1")

    assert (item["priority"], item["pr_number"], changed["priority"]) == (2, 7, 4)
    assert len(page["items"]) == 1


MIXED_UP: list[tuple[str, dict[str, Any], str]] = [
    ("create_work_item", {"item_type": "task", "title": "x", "priority": True}, "priority"),
    ("create_work_item", {"item_type": "task", "title": "x", "priority": 2.0}, "priority"),
    ("create_work_item", {"item_type": "task", "title": "x", "pr_number": 1.5}, "pr_number"),
    ("create_work_item", {"item_type": "task", "title": "x", "pr_number": 2**31}, "pr_number"),
    ("list_work_items", {"limit": False}, "limit"),
    ("list_work_items", {"include_deleted": 1}, "include_deleted"),
    ("list_work_items", {"include_deleted": "yes"}, "include_deleted"),
    ("query_vendor_status", {"only_broken": 0.0}, "only_broken"),
]


async def test_booleans_numbers_and_words_are_not_taken_for_one_another(
    backend: Backend, tmp_path: Path
) -> None:
    async with serving(backend, tmp_path) as tools:
        for tool, arguments, field in MIXED_UP:
            await tools.refused(tool, field, **arguments)
        listed = await tools.call("list_work_items")

    assert listed["total"] == 0


async def test_version_true_and_deleted_minus_zero_are_refused(backend: Backend, tmp_path: Path) -> None:
    async with serving(backend, tmp_path) as tools:
        item = await tools.call("create_work_item", item_type="task", title="x")
        await tools.refused("update_work_item", "version", id=item["id"], version=True, title="y")
        await tools.refused("update_work_item", "deleted", id=item["id"], version=1, deleted=-0.0)
        after = await tools.call("query_work_item", id=item["id"])

    assert (after["version"], after["title"]) == (1, "x") and "deleted_at" not in after


async def test_deleted_takes_the_strings_true_and_false(backend: Backend, tmp_path: Path) -> None:
    async with serving(backend, tmp_path) as tools:
        item = await tools.call("create_work_item", item_type="task", title="x")
        deleted = await tools.call("update_work_item", id=item["id"], version=1, deleted="true")
        restored = await tools.call("update_work_item", id=item["id"], version=2, deleted="false")

    assert "deleted_at" in deleted and "deleted_at" not in restored


@pytest.mark.parametrize("parent_id", ["", "null", " "])
async def test_a_parent_id_that_names_nothing_is_refused(
    backend: Backend, tmp_path: Path, parent_id: str
) -> None:
    async with serving(backend, tmp_path) as tools:
        await tools.refused("create_work_item", "parent_id", item_type="task", title="x", parent_id=parent_id)
        item = await tools.call("create_work_item", item_type="task", title="x")
        await tools.refused("update_work_item", "parent_id", id=item["id"], version=1, parent_id=parent_id)
        listed = await tools.call("list_work_items")

    assert listed["total"] == 1


async def test_a_parent_id_of_null_means_no_parent(backend: Backend, tmp_path: Path) -> None:
    async with serving(backend, tmp_path) as tools:
        item = await tools.call("create_work_item", item_type="task", title="x", parent_id=None)

    assert item["depth"] == 0 and "parent_id" not in item


async def test_text_that_reads_as_json_stays_text(backend: Backend, tmp_path: Path) -> None:
    async with serving(backend, tmp_path) as tools:
        item = await tools.call("create_work_item", item_type="task", title="x", description="null")
        changed = await tools.call(
            "update_work_item", id=item["id"], version=1, title="null", description="true"
        )
        metadata_as_text = await tools.call(
            "create_work_item", item_type="task", title="y", metadata='{"estimated_hours": 2}'
        )

    assert item["description"] == "null"
    assert (changed["title"], changed["description"]) == ("null", "true")
    assert metadata_as_text["metadata"] == {"estimated_hours": 2}


UNSTORABLE: list[tuple[str, dict[str, Any], str]] = [
    ("create_work_item", {"item_type": "task", "title": "a\x00b"}, "title"),
    ("create_work_item", {"item_type": "task", "title": "\x00"}, "title"),
    ("create_work_item", {"item_type": "task", "title": "x", "description": "\x00"}, "description"),
    ("create_work_item", {"item_type": "task", "title": "x", "pr_number": 2**31}, "pr_number"),
    (
        "record_deployment",
        {"deployed_at": "9999-12-31T23:59:59-14:00", "commit_hash": COMMIT, "metadata": {}},
        "deployed_at",
    ),
    ("list_deployments", {"since": "0001-01-01T00:00:00+14:00"}, "since"),
    ("list_work_items", {"text": "x" * (10 * 1024 * 1024)}, "text"),
    ("write_project_status", {"path": "report\x00.md"}, "path"),
    (
        "create_vendor",
        {"name": "a\x00", "status": "operational", "extractor_version": "1", "metadata": {}},
        "name",
    ),
]
"""Input one store would keep and the other refuse (or both fail on): each names its field."""


async def test_input_the_store_cannot_take_is_a_validation_error_not_a_database_error(
    backend: Backend, tmp_path: Path
) -> None:
    async with serving(backend, tmp_path) as tools:
        bodies = [await tools.refused(tool, field, **arguments) for tool, arguments, field in UNSTORABLE]
        listed = await tools.call("list_work_items")

    assert listed["total"] == 0
    assert all(len(json.dumps(body)) < 4096 for body in bodies)  # a 10 MB value is not echoed whole


async def test_an_unknown_tool_answers_in_the_json_error_shape(backend: Backend, tmp_path: Path) -> None:
    async with serving(backend, tmp_path) as tools:
        body = await tools.fail("create_work_itme", item_type="task", title="x")

    assert body["error"] == "NotFoundError"
    assert "create_work_itme" in body["message"] and "tools/list" in body["message"]
    assert body["details"]["value"] == "create_work_itme"
    assert "create_work_item" in body["details"]["tools"]
