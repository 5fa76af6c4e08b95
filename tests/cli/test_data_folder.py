"""Where the data lives: never a new `.project-status/` in / or the home folder, where a client
started outside any project lands; the error says what to set instead."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from project_status import __version__
from project_status.cli.main import app
from tests.conftest import TIMEOUT_SETTINGS


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder outside any project, as the working folder, with no PROJECT_STATUS_* set."""
    folder = tmp_path / "home"
    folder.mkdir()
    for above in folder.parents:
        if (above / ".git").exists() or (above / ".project-status").is_dir():
            pytest.skip(f"{above} holds .git or .project-status, so it is the project root of {folder}")
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.chdir(folder)
    for name in [
        key for key in os.environ if key.startswith("PROJECT_STATUS_") and key not in TIMEOUT_SETTINGS
    ]:
        monkeypatch.delenv(name)
    return folder


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), prog_name="project-status")
    assert "Traceback" not in result.output
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    "command",
    # `serve` on stdio starts and learns the project from its client's roots instead
    # (tests/mcp/test_roots.py); one HTTP server for many clients refuses at start.
    [("items", "list"), ("status",), ("serve", "--transport", "http")],
)
def test_no_data_folder_is_made_in_the_home_folder(home: Path, command: tuple[str, ...]) -> None:
    code, stderr = _run(*command)
    assert code == 1
    assert "is your home folder" in stderr and "PROJECT_STATUS_DATA_DIR" in stderr, stderr
    assert not (home / ".project-status").exists()


def test_no_data_folder_is_made_in_the_filesystem_root(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if Path("/.project-status").is_dir() or Path("/.git").exists():
        pytest.skip("this machine's / holds a data folder or a git repository already")
    monkeypatch.chdir("/")
    code, stderr = _run("items", "list")
    assert code == 1 and "is the filesystem root" in stderr, stderr
    assert not Path("/.project-status").exists()


def test_the_data_folder_setting_makes_it_work_anywhere(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "project" / ".project-status"
    monkeypatch.setenv("PROJECT_STATUS_DATA_DIR", str(data))
    code, stderr = _run("items", "list")
    assert code == 0, stderr
    assert (data / "status.db").is_file()
    assert not (home / ".project-status").exists()


def test_a_data_folder_already_in_the_home_folder_is_still_used(home: Path) -> None:
    (home / ".project-status").mkdir()
    code, stderr = _run("items", "list")
    assert code == 0, stderr
    assert (home / ".project-status" / "status.db").is_file()


def test_a_project_folder_below_home_is_found_as_before(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = home / "work" / "payments"
    (project / ".git").mkdir(parents=True)
    (project / "src").mkdir()
    monkeypatch.chdir(project / "src")
    code, stderr = _run("items", "list")
    assert code == 0, stderr
    assert (project / ".project-status" / "status.db").is_file()


def test_version_prints_the_version() -> None:
    result = CliRunner().invoke(app, ["--version"], prog_name="project-status")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"project-status {__version__}"
