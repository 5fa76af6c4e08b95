"""`project-status status`: print the Markdown report, or write it atomically (--write [PATH])."""

from __future__ import annotations

from pathlib import Path

import pytest

from project_status.services.tracker import Tracker
from tests.cli.conftest import Cli


@pytest.fixture(autouse=True)
def _needs_report_service() -> None:
    if not hasattr(Tracker.create(url="sqlite+aiosqlite:///:memory:"), "reports"):
        pytest.skip("the report service (tracker.reports, services/reports.py) has not landed yet")


def _seed(cli: Cli) -> None:
    project = cli.create("project", "Payments platform")
    cli.create("task", "Retry webhooks", "--parent", project["id"])
    cli.ok("vendors", "create", "acme", "--status", "operational", "--extractor-version", "1.4.0")


def test_status_prints_the_report(cli: Cli) -> None:
    _seed(cli)
    report = cli.ok("status").stdout
    assert report.startswith("# ") and "Payments platform" in report and "Retry webhooks" in report
    assert "acme" in report
    assert cli.ok("status").stdout == report, "the same data prints the same bytes"
    assert cli.json("status") == {"schema_version": 1, "markdown": report}


def test_write_defaults_to_the_project_root(cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(cli)
    below = project / "src" / "deep"
    below.mkdir(parents=True)
    monkeypatch.chdir(below)
    result = cli.ok("status", "--write")
    target = project / ".project_status.md"
    assert result.stdout == f"Wrote {target}.\n"
    assert target.read_text(encoding="utf-8") == cli.ok("status").stdout
    assert sorted(p.name for p in project.iterdir()) == [".git", ".project_status.md", "src"], "no temp files"


def test_write_to_a_path_relative_to_the_working_directory(sqlite_cli: Cli, project: Path) -> None:
    _seed(sqlite_cli)
    body = sqlite_cli.json("status", "--write", "docs/status.md")
    target = project / "docs" / "status.md"
    assert body == {"schema_version": 1, "path": str(target)}
    assert "Payments platform" in target.read_text(encoding="utf-8")
    assert not (project / ".project_status.md").exists()


def test_write_replaces_the_previous_report(sqlite_cli: Cli, project: Path) -> None:
    _seed(sqlite_cli)
    sqlite_cli.ok("status", "--write")
    sqlite_cli.create("task", "Another task")
    sqlite_cli.ok("status", "--write")
    text = (project / ".project_status.md").read_text(encoding="utf-8")
    assert "Another task" in text
    assert text == sqlite_cli.ok("status").stdout
