"""Docs as tests: the README's quick start is what CI runs and what the package provides."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_console_script import CONSOLE_SCRIPT
from tests.cli.test_help import parse_example
from tests.mcp.conftest import StdioServer, server_env

ROOT = Path(__file__).resolve().parent.parent


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S)]


def test_quick_start_has_exactly_two_commands() -> None:
    commands = _quick_start_commands()
    assert len(commands) == 2, commands
    assert all("\n" not in command for command in commands)


def test_ci_runs_the_readme_test_command() -> None:
    test_command = _quick_start_commands()[1]
    assert "pytest" in test_command
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_run_command_starts_the_server_of_the_declared_console_script() -> None:
    run_command = _quick_start_commands()[0]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["project-status"] == "project_status.cli.main:main"
    assert run_command.endswith("project-status serve")


def _section(title: str) -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def _readme_command_lines() -> list[str]:
    """Every `project-status ...` line of the README's code blocks, before the generated reference
    (which tests/cli/test_help.py checks)."""
    before_reference = (ROOT / "README.md").read_text().split("## Command reference", 1)[0]
    blocks = re.findall(r"```(?:sh|text)\n(.*?)```", before_reference, flags=re.S)
    lines = [line.split(" -- ", 1)[-1] for block in blocks for line in block.splitlines()]
    return [line.strip() for line in lines if line.strip().startswith("project-status ")]


def test_every_command_the_readme_shows_is_a_valid_command() -> None:
    lines = _readme_command_lines()
    assert any(line.startswith("project-status archive") for line in lines), lines
    for line in lines:
        try:
            parse_example(shlex.join(shlex.split(line, comments=True)))
        except Exception as exc:
            pytest.fail(f"the README's `{line}` does not parse: {exc}")


def _client_entries() -> dict[str, dict[str, Any]]:
    """Each client's server entry as the README gives it: command, args and env."""
    section = _section("Connecting an AI client")
    claude_code = re.search(r"\*\*Claude Code\*\*.*?```text\n(.*?)```", section, flags=re.S)
    assert claude_code is not None, "no Claude Code entry"
    words = shlex.split(claude_code.group(1))
    assert words[:4] == ["claude", "mcp", "add", "project-status"] and "--" in words, words
    after = words[words.index("--") + 1 :]
    entries = {"Claude Code": {"command": after[0], "args": after[1:], "env": {}}}
    for client, block in re.findall(r"\*\*([^*]+)\*\* \([^\n]*\n\n```json\n(.*?)```", section, flags=re.S):
        config = json.loads(block)
        servers = config.get("mcpServers") or config["servers"]
        entries[client] = servers["project-status"]
    return entries


def _started_as_written(value: str, project: Path) -> str:
    """A README path or command as it is on this machine: the venv's script, the test's project."""
    if value in ("project-status", "/path/to/project/.venv/bin/project-status"):
        return str(CONSOLE_SCRIPT)
    return value.replace("/path/to/project", str(project)).replace("${workspaceFolder}", str(project))


@pytest.mark.parametrize("client", ["Claude Code", "Claude Desktop", "Cursor", "VS Code"])
async def test_each_client_entry_starts_a_server_that_works(client: str, tmp_path: Path) -> None:
    """The entry started the way its client starts it: Claude Code in the project folder, the
    others anywhere (here: a home folder outside any project, listing no roots)."""
    entry = _client_entries()[client]
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    home = tmp_path / "home"
    home.mkdir()
    env = {key: value for key, value in server_env(project).items() if key != "PROJECT_STATUS_DATA_DIR"}
    env["HOME"] = str(home)
    env.update({name: _started_as_written(value, project) for name, value in entry.get("env", {}).items()})
    assert entry.get("type", "stdio") == "stdio"
    command = [_started_as_written(entry["command"], project), *entry["args"]]
    cwd = project if client == "Claude Code" else home

    server = await StdioServer(tmp_path, env, cwd=cwd, command=command, client_name=client).start()
    try:
        created = await server.call("create_work_item", item_type="task", title=f"From {client}")
        ready = await server.call("list_ready_work")
    finally:
        await server.stop()

    assert [row["id"] for row in ready["items"]] == [created["id"]]
    assert (project / ".project-status" / "status.db").is_file()
    assert not (home / ".project-status").exists()
