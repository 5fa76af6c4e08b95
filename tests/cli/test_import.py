"""`project-status import legacy|prompts` end to end through the CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.cli.conftest import Cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LEGACY = FIXTURES / "legacy-project-status.md"
PROMPTS = FIXTURES / "session-prompts"


def test_dry_run_reports_the_checks_and_writes_nothing(cli: Cli) -> None:
    result = cli.ok("import", "legacy", str(LEGACY), "--prompts", str(PROMPTS), "--dry-run")

    assert "Dry run: every check passed; nothing was written" in result.stdout
    for check in ("vendor count", "deployment count", "enhancement count", "session prompt count"):
        assert check in result.stdout
    assert "2025-09-02-broken-yaml.md: malformed YAML" in result.stderr
    assert cli.json("items", "list")["total"] == 0


def test_import_then_again_adds_nothing_the_second_time(cli: Cli) -> None:
    first = cli.json("import", "legacy", str(LEGACY), "--prompts", str(PROMPTS))
    second = cli.json("import", "legacy", str(LEGACY), "--prompts", str(PROMPTS))

    assert first["committed"] and first["passed"]
    assert first["created"] == {
        "vendors": 12,
        "work items": 5,
        "deployments": 3,
        "enhancements": 3,
        "sessions": 2,
    }
    assert second["created"] == {} and second["existing"]["vendors"] == 12
    assert cli.json("items", "list")["total"] == 7
    assert cli.json("vendors", "list")["total"] == 12


def test_default_path_is_the_status_file_of_the_project_root(cli: Cli, project: Path) -> None:
    shutil.copyfile(LEGACY, project / ".project_status.md")

    assert cli.json("import", "legacy")["committed"]


def test_a_failed_check_exits_1_and_writes_nothing(cli: Cli, project: Path) -> None:
    broken = project / "broken.md"
    text = LEGACY.read_text(encoding="utf-8")
    broken.write_text(text.replace("(10/12)", "(10/13)"), encoding="utf-8")
    before = broken.read_bytes()

    result = cli.run("import", "legacy", str(broken))

    assert result.exit_code == 1
    assert "MISMATCH" in result.stdout and "rolled back" in result.stdout
    assert broken.read_bytes() == before
    assert cli.json("vendors", "list")["total"] == 0


def test_a_missing_file_is_one_error_line(cli: Cli, project: Path) -> None:
    line = cli.fail("import", "legacy", str(project / "nowhere.md"))

    assert "no file at" in line and "nowhere.md" in line


def test_prompts_from_a_folder_create_sessions(cli: Cli) -> None:
    body = cli.json("import", "prompts", str(PROMPTS))

    assert body["committed"] and body["created"] == {"sessions": 3}
    assert len(body["warnings"]) == 3
    sessions = cli.json("items", "list", "--type", "session")
    assert sessions["total"] == 3


def test_prompts_without_folder_or_git_is_a_usage_error(cli: Cli) -> None:
    cli.fail("import", "prompts", code=2)


def test_a_file_too_large_to_read_exits_1_and_never_says_passed(cli: Cli, project: Path) -> None:
    huge = project / "huge.md"
    with huge.open("wb") as stream:
        stream.truncate(50 * 1024 * 1024)

    for args in (("import", "legacy", str(huge)), ("import", "legacy", "--dry-run", str(huge))):
        result = cli.run(*args)

        assert result.exit_code == 1, result.output
        assert "larger than 10000000 bytes" in result.stderr
        assert "passed" not in result.stdout and "Imported" not in result.stdout
        assert "rolled back" in result.stdout


def test_a_binary_file_exits_1_instead_of_importing_nothing(cli: Cli, project: Path) -> None:
    binary = project / "binary.md"
    binary.write_bytes(bytes(range(256)) * 8192)  # 2 MiB

    result = cli.run("import", "legacy", str(binary))

    assert result.exit_code == 1, result.output
    assert "not UTF-8 text" in result.stderr and "Imported." not in result.stdout


def test_the_upstream_layout_imports(cli: Cli, project: Path) -> None:
    upstream = Path(__file__).resolve().parents[1] / "fixtures" / "upstream-project-status.md"

    answer = cli.json("import", "legacy", str(upstream))

    assert (answer["committed"], answer["passed"], answer["warnings"]) == (True, True, [])
    assert answer["created"] == {"vendors": 3, "deployments": 2, "enhancements": 3, "sessions": 2}
