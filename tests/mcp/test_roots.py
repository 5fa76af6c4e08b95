"""A server started outside any project (cwd `/`, as a desktop client may start it) learns the
project folder from its client's MCP roots at the first request; a client with none gets the
clear refusal, and no data folder is ever made in `/`."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp.types import ReadResourceResult

from project_status.mcp.roots import folder_of
from tests.mcp.conftest import StdioServer, server_env

FILESYSTEM_ROOT = Path("/")


@pytest.fixture
def outside_any_project() -> None:
    if (FILESYSTEM_ROOT / ".project-status").exists() or (FILESYSTEM_ROOT / ".git").exists():
        pytest.skip("this machine's / holds a data folder or a git repository already")


def _env(folder: Path) -> dict[str, str]:
    """A server environment with no data folder setting: where the data goes is the server's choice."""
    env = server_env(folder)
    del env["PROJECT_STATUS_DATA_DIR"]
    return env


@pytest.mark.usefixtures("outside_any_project")
async def test_the_data_lands_in_the_folder_the_client_lists_as_its_root(tmp_path: Path) -> None:
    project = tmp_path / "my project"  # a space, percent-encoded in the file:// URI
    project.mkdir()
    roots = [project.as_uri(), (tmp_path / "second").as_uri()]
    server = await StdioServer(tmp_path, _env(tmp_path), cwd=FILESYSTEM_ROOT, roots=roots).start()
    try:
        report = await server.session.read_resource("project-status://report")  # first: opens it too
        opened_by_the_report = (project / ".project-status").is_dir()
        created = await server.call("create_work_item", item_type="task", title="Found by roots")
        listed = await server.call("list_work_items")
    finally:
        await server.stop()

    assert [row["id"] for row in listed["items"]] == [created["id"]]
    assert isinstance(report, ReadResourceResult) and opened_by_the_report
    assert (project / ".project-status" / "status.db").is_file(), server.stderr()
    assert not (tmp_path / "second" / ".project-status").exists()
    assert not (FILESYSTEM_ROOT / ".project-status").exists()


@pytest.mark.usefixtures("outside_any_project")
@pytest.mark.parametrize("roots", [None, []], ids=["no-roots-capability", "no-roots"])
async def test_a_client_without_a_folder_root_gets_the_clear_refusal(
    tmp_path: Path, roots: list[str] | None
) -> None:
    server = await StdioServer(tmp_path, _env(tmp_path), cwd=FILESYSTEM_ROOT, roots=roots).start()
    try:
        body = await server.fail("list_work_items")
        again = await server.fail("create_work_item", item_type="task", title="Nowhere to go")
    finally:
        await server.stop()

    assert body["error"] == "ValidationError"
    assert "is the filesystem root" in body["message"] and "PROJECT_STATUS_DATA_DIR" in body["message"]
    assert "roots" in body["message"]
    assert body["details"]["field"] == "PROJECT_STATUS_DATA_DIR"
    assert again["error"] == "ValidationError"
    assert not (FILESYSTEM_ROOT / ".project-status").exists()


async def test_started_in_the_home_folder_the_refusal_names_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    if any((folder / ".git").exists() or (folder / ".project-status").is_dir() for folder in home.parents):
        pytest.skip(f"a folder above {home} holds .git or .project-status")
    env = {**_env(tmp_path), "HOME": str(home)}
    server = await StdioServer(tmp_path, env, cwd=home, roots=[]).start()
    try:
        body = await server.fail("list_ready_work")
    finally:
        await server.stop()

    assert "is your home folder" in body["message"] and "PROJECT_STATUS_DATA_DIR" in body["message"]
    assert not (home / ".project-status").exists()


@pytest.mark.usefixtures("outside_any_project")
async def test_the_data_folder_setting_wins_over_the_clients_roots(tmp_path: Path) -> None:
    data = tmp_path / "chosen" / ".project-status"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**_env(tmp_path), "PROJECT_STATUS_DATA_DIR": str(data)}
    server = await StdioServer(tmp_path, env, cwd=FILESYSTEM_ROOT, roots=[elsewhere.as_uri()]).start()
    try:
        await server.call("create_work_item", item_type="task", title="Where the setting says")
    finally:
        await server.stop()

    assert (data / "status.db").is_file()
    assert not (elsewhere / ".project-status").exists()


@pytest.mark.parametrize(
    ("uri", "folder"),
    [
        ("file:///home/ann/my%20project", Path("/home/ann/my project")),
        ("file://localhost/srv/app", Path("/srv/app")),
        ("file://fileserver/share/app", None),
        ("https://example.com/app", None),
        ("file://", None),
    ],
)
def test_only_a_local_file_uri_names_a_folder(uri: str, folder: Path | None) -> None:
    assert folder_of(uri) == folder
