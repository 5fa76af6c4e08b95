"""Drive `project-status` end to end through typer's CliRunner on real databases.

`cli` runs against an empty migrated database of each backend (the `backend` fixture of
tests/conftest.py: a SQLite copy, or the run's throw-away PostgreSQL database, emptied);
`sqlite_cli` only on SQLite, for the many small checks whose SQL is the same on both.
Every invocation runs in the test's own folder with its own data directory, so nothing
lands in the repository.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import typer.testing
from typer.main import get_command
from typer.testing import CliRunner, Result

from project_status.cli.main import app
from tests.conftest import TIMEOUT_SETTINGS, Backend, sqlite_url

_COMMAND = get_command(app)


@pytest.fixture(autouse=True)
def _build_the_command_tree_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """typer rebuilds the whole command tree from the function signatures on every invocation
    (about 45 ms here, two thirds of a typical command); the tree does not change, so the
    tests reuse one. A real process builds it once anyway."""
    monkeypatch.setattr(
        typer.testing,
        "_get_command",
        lambda typer_app: _COMMAND if typer_app is app else get_command(typer_app),
    )


@dataclass
class Cli:
    """`project-status` bound to one database; each call is one whole CLI invocation."""

    url: str
    project: Path
    env: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, env: Mapping[str, str] | None = None) -> Result:
        environment = {
            "PROJECT_STATUS_DATABASE_URL": self.url,
            "PROJECT_STATUS_DATA_DIR": str(self.project / ".project-status"),
            "PROJECT_STATUS_HTTP_TOKEN": None,
            "NO_COLOR": None,
            "FORCE_COLOR": None,
            "COLUMNS": "100",
            **self.env,
            **(env or {}),
        }
        return CliRunner().invoke(app, list(args), env=environment, prog_name="project-status")

    def ok(self, *args: str, env: Mapping[str, str] | None = None) -> Result:
        result = self.run(*args, env=env)
        assert result.exit_code == 0, describe(args, result)
        assert "Traceback" not in result.output, describe(args, result)
        return result

    def json(self, *args: str) -> dict[str, Any]:
        """Run with --json; the whole stdout is one JSON object carrying schema_version 1."""
        result = self.ok(*args, "--json")
        body = json.loads(result.stdout)
        assert isinstance(body, dict) and body.get("schema_version") == 1, result.stdout
        return body

    def fail(self, *args: str, code: int = 1) -> str:
        """Run a command that must fail with `code`; for user errors (1, 3 conflict, 4 not found)
        the one stderr line."""
        result = self.run(*args)
        assert result.exit_code == code, describe(args, result)
        assert "Traceback" not in result.output, describe(args, result)
        if code in (1, 3, 4):
            lines = [line for line in result.stderr.splitlines() if not line.startswith("note: ")]
            assert len(lines) == 1 and lines[0].startswith("error: "), describe(args, result)
            return lines[0]
        return result.stderr

    def create(self, item_type: str = "task", title: str = "an item", *args: str) -> dict[str, Any]:
        return self.json("items", "create", "--type", item_type, "--title", title, *args)


def describe(args: Sequence[str], result: Result) -> str:
    return (
        f"`project-status {' '.join(args)}` exited {result.exit_code}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}\n--- exception {result.exception!r}"
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's project folder (holding .git, so it is the project root), as the working directory."""
    folder = tmp_path / "project"
    (folder / ".git").mkdir(parents=True)
    monkeypatch.chdir(folder)
    for name in [
        key for key in os.environ if key.startswith("PROJECT_STATUS_") and key not in TIMEOUT_SETTINGS
    ]:
        monkeypatch.delenv(name)
    return folder


@pytest.fixture
def cli(backend: Backend, project: Path) -> Cli:
    return Cli(backend.url, project)


@pytest.fixture
def sqlite_cli(tmp_path: Path, sqlite_template: Path, project: Path) -> Cli:
    path = tmp_path / "status.db"
    shutil.copyfile(sqlite_template, path)
    return Cli(sqlite_url(path), project)
