"""The installed `project-status` script in real subprocesses: exit codes and clean stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.mcp.conftest import server_env

CONSOLE_SCRIPT = Path(sys.executable).with_name("project-status")


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CONSOLE_SCRIPT), *args],
        cwd=project,
        env=server_env(project),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_create_then_list_on_the_default_database(tmp_path: Path) -> None:
    created = run(tmp_path, "items", "create", "--type", "project", "--title", "From a shell", "--json")
    assert created.returncode == 0, created.stderr
    item = json.loads(created.stdout)
    listed = json.loads(run(tmp_path, "items", "list", "--json").stdout)
    assert listed["items"][0]["id"] == item["id"] and listed["schema_version"] == 1
    assert (tmp_path / ".project-status" / "status.db").exists()


def test_exit_codes_and_clean_stderr(tmp_path: Path) -> None:
    user_error = run(tmp_path, "items", "show", "deadbeef")
    assert user_error.returncode == 4  # not found
    assert user_error.stderr.splitlines() == [
        "error: No work item with id 'deadbeef'; list them with `project-status items list`"
    ]
    usage_error = run(tmp_path, "items", "list", "--bogus")
    assert usage_error.returncode == 2 and "No such option: --bogus" in usage_error.stderr
    for completed in (user_error, usage_error):
        assert "Traceback" not in completed.stderr and completed.stdout == ""
