"""Docs as tests: every command's help teaches by example, the examples are valid commands, and
the README's command reference is the one generated from the help texts."""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from project_status.cli.main import app
from project_status.cli.reference import END, START, Entry, commands, examples, parameters, render, splice

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_cli_reference.py"
ENTRIES = list(commands(app))
MAX_EXAMPLE = 100
"""Characters per example line: readable in a 100-column terminal and in the README."""

EXPECTED = {
    "items": [
        *("list", "show", "tree", "create", "update", "move", "delete", "restore", "ready", "history"),
        *("claim", "release", "done", "note", "notes"),
    ],
    "deps": ["add", "remove"],
    "vendors": ["list", "show", "create", "update"],
    "deploy": ["record", "list", "show"],
    "config": ["show", "set"],
    "enhancements": ["list", "create", "update"],
    "db": ["upgrade", "current"],
    "import": ["legacy", "prompts"],  # issue 4
    "conflicts": ["list", "show", "resolve"],  # issue 5
    "archive": ["run", "list", "restore"],  # issue 6
}


def _id(entry: Entry) -> str:
    return " ".join(entry.words) or "project-status"


def test_the_commands_are_the_ones_the_issue_lists() -> None:
    found: dict[str, list[str]] = {}
    for entry in ENTRIES:
        if len(entry.words) == 2:
            found.setdefault(entry.words[0], []).append(entry.words[1])
    assert {group: sorted(names) for group, names in found.items()} == {
        group: sorted(names) for group, names in EXPECTED.items()
    }
    top = {entry.words[0] for entry in ENTRIES if len(entry.words) == 1}
    assert top == {*EXPECTED, "status", "serve", "sync", "board", "changes", "history", "summary"}


@pytest.mark.parametrize("entry", ENTRIES, ids=_id)
def test_every_command_has_help_with_examples(entry: Entry) -> None:
    assert (entry.command.help or "").strip(), f"{entry.path} has no help text"
    assert examples(entry.command), f"{entry.path}: its help has no 'Examples:' block"
    block = (entry.command.help or "").split("Examples:", 1)[1]
    for line in block.strip().splitlines():
        assert len(line.strip()) <= MAX_EXAMPLE, (
            f"{entry.path}: example line over {MAX_EXAMPLE} characters: {line}"
        )
    for param in parameters(entry.command):
        assert (param.help or "").strip(), f"{entry.path}: {param.name} has no help text"


def parse_example(example: str) -> None:
    """Parse an example against the real command tree (types, choices, required options), without
    running it."""
    words = shlex.split(example)
    while words and re.match(r"^[A-Z_]+=", words[0]):
        words.pop(0)  # environment assignments
    assert words[0] == "project-status", example
    command: Any = get_command(app)
    context = typer.Context(command, info_name="project-status")
    rest = words[1:]
    while hasattr(command, "list_commands"):
        name, *rest = rest
        child = command.get_command(context, name)
        assert child is not None, f"no command {name!r} in: {example}"
        command, context = child, typer.Context(child, info_name=name, parent=context)
    command.make_context(context.info_name, rest, parent=context.parent)


@pytest.mark.parametrize("entry", ENTRIES, ids=_id)
def test_every_example_is_a_valid_command(entry: Entry) -> None:
    for example in examples(entry.command):
        try:
            parse_example(example)
        except Exception as exc:
            pytest.fail(f"{entry.path}: the example `{example}` does not parse: {exc}")


@pytest.mark.parametrize("entry", ENTRIES, ids=_id)
def test_help_renders(entry: Entry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app, [*entry.words, "--help"], prog_name="project-status", env={"COLUMNS": "100"}
    )
    assert result.exit_code == 0, result.output
    assert "Usage: project-status" in result.stdout and "Examples:" in result.stdout
    assert not (tmp_path / ".project-status").exists(), "help touches no database"


def test_help_shows_examples_line_by_line() -> None:
    result = CliRunner().invoke(app, ["items", "create", "--help"], env={"COLUMNS": "120"})
    lines = [line.strip() for line in result.stdout.splitlines()]
    (create,) = [entry for entry in ENTRIES if entry.words == ("items", "create")]
    for example in examples(create.command):
        assert example in lines


def test_readme_reference_is_up_to_date() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert START in readme and END in readme
    current = readme.split(START, 1)[1].split(END, 1)[0]
    assert current == "\n" + render(app), (
        "README.md's command reference is stale: run `python scripts/gen_cli_reference.py`"
    )


def test_reference_documents_every_command_and_option() -> None:
    reference = render(app)
    for entry in ENTRIES:
        assert f"`{entry.path}`" in reference
        for param in parameters(entry.command):
            if param.param_type_name == "option":
                assert f"`{param.opts[0]}" in reference


def test_reference_sits_in_its_own_readme_section() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Command reference\n", 1)[1]
    assert START in section and "\n## " not in section.split(END, 1)[1]


def test_script_checks_and_regenerates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("gen_cli_reference", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    readme = tmp_path / "README.md"
    shutil.copyfile(ROOT / "README.md", readme)

    assert script.main(["--readme", str(readme), "--check"]) == 0
    readme.write_text(splice(readme.read_text(), "stale\n"), encoding="utf-8")
    assert script.main(["--readme", str(readme), "--check"]) == 1
    assert "stale; run python scripts/gen_cli_reference.py" in capsys.readouterr().err
    assert script.main(["--readme", str(readme)]) == 0
    assert readme.read_text() == (ROOT / "README.md").read_text()
