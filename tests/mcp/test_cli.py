"""The `project-status` console command as installed: help texts and `db upgrade` / `db current`
on a fresh SQLite file, each a real subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from project_status.store.migrate import HEAD
from tests.mcp.conftest import server_env

CONSOLE_SCRIPT = Path(sys.executable).with_name("project-status")


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CONSOLE_SCRIPT), *args],
        cwd=tmp_path,
        env=server_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_console_script_is_installed() -> None:
    assert CONSOLE_SCRIPT.exists(), f"{CONSOLE_SCRIPT} is missing: is the package installed in this venv?"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--help"], ["serve", "db", "PROJECT_STATUS_DATABASE_URL"]),
        (["serve", "--help"], ["--transport", "--host", "--port", "PROJECT_STATUS_HTTP_TOKEN"]),
        (["db", "upgrade", "--help"], ["--database-url", "migrations"]),
        (["db", "current", "--help"], ["--database-url", "revision"]),
    ],
    ids=["main", "serve", "db-upgrade", "db-current"],
)
def test_help(tmp_path: Path, args: list[str], expected: list[str]) -> None:
    completed = run(tmp_path, *args)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("\n Usage:") or "Usage:" in completed.stdout
    for word in expected:
        assert word in completed.stdout, f"{word!r} missing from `{' '.join(args)}`:\n{completed.stdout}"
    assert not (tmp_path / ".project-status").exists(), "help touches no database"


def test_no_arguments_shows_help(tmp_path: Path) -> None:
    completed = run(tmp_path)
    assert "Usage:" in completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr


def test_db_upgrade_then_up_to_date_then_current(tmp_path: Path) -> None:
    database = tmp_path / "x.db"
    url = f"sqlite:///{database}"

    first = run(tmp_path, "db", "upgrade", "--database-url", url)
    assert first.returncode == 0, first.stderr
    assert "upgraded" in first.stdout and f"revision {HEAD}" in first.stdout, first.stdout
    assert database.exists()

    second = run(tmp_path, "db", "upgrade", "--database-url", url)
    assert second.returncode == 0, second.stderr
    assert "up to date" in second.stdout and HEAD in second.stdout, second.stdout
    assert "upgraded" not in second.stdout

    current = run(tmp_path, "db", "current", "--database-url", url)
    assert current.returncode == 0, current.stderr
    assert f"revision {HEAD}" in current.stdout and "up to date" in current.stdout, current.stdout
    assert not (tmp_path / ".project-status").exists(), "the flag wins over the default location"


def test_db_current_on_an_empty_database_says_what_to_run(tmp_path: Path) -> None:
    (tmp_path / "empty.db").touch()
    completed = run(tmp_path, "db", "current", "--database-url", f"sqlite:///{tmp_path / 'empty.db'}")
    assert completed.returncode == 0, completed.stderr
    assert "revision none" in completed.stdout and "project-status db upgrade" in completed.stdout


def test_db_current_does_not_create_a_missing_sqlite_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "status.db"
    completed = run(tmp_path, "db", "current", "--database-url", f"sqlite:///{missing}")
    assert completed.returncode == 0, completed.stderr
    assert "no database yet" in completed.stdout
    assert not missing.parent.exists()


def test_db_upgrade_on_unreachable_postgresql_fails_cleanly(tmp_path: Path) -> None:
    completed = run(tmp_path, "db", "upgrade", "--database-url", "postgresql://postgres:pw@127.0.0.1:1/x")
    assert completed.returncode != 0
    assert "unavailable" in completed.stderr, completed.stderr
    assert "Traceback" not in completed.stderr, completed.stderr
    assert ":pw@" not in completed.stderr + completed.stdout
