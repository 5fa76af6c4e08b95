"""The CLI's options are built from the registry's input models (cli/options.py): a field of a
command's model is an option of its CLI command, and the CLI checks input as the MCP tool does."""

from __future__ import annotations

import json
from typing import Any

import pydantic
import pytest
import typer
from typer.main import get_command

from project_status.cli.errors import CLI_COMMAND
from project_status.cli.main import app
from project_status.cli.options import Spelling, options
from project_status.cli.spelling import ARGUMENT, OPTION
from project_status.domain.validation import to_tracker_error
from project_status.services.commands import COMMANDS
from tests.cli.conftest import Cli

LEFT_OUT = {
    ("items", "update"): {"parent_id", "deleted"},  # `items move`, `delete` and `restore` do those
    ("vendors", "show"): {"only_broken"},
    ("conflicts", "list"): {"include_resolved"},  # spelt --all
    ("conflicts", "resolve"): {"resolution"},  # spelt --keep mine|theirs
    ("status",): {"write", "path"},  # --write [PATH]
}
"""Fields a CLI command spells its own way or leaves to another command."""


def _command(words: tuple[str, ...]) -> Any:
    command: Any = get_command(app)
    for word in words:  # get_command, not .commands[]: the root loads its subcommands on first use
        command = command.get_command(typer.Context(command), word)
    return command


@pytest.mark.parametrize("name", sorted(CLI_COMMAND), ids=str)
def test_every_field_of_a_command_is_an_option_of_its_cli_command(name: str) -> None:
    words = tuple(CLI_COMMAND[name].split())
    fields = set(COMMANDS.get(name).arguments.model_fields)  # type: ignore[union-attr]
    params = {param.name for param in _command(words).params}
    missing = fields - LEFT_OUT.get(words, set()) - params - {"actor"} - {"id", "name"}
    assert not missing, f"{' '.join(words)} lacks options for {sorted(missing)}"


def test_options_take_the_models_types_defaults_choices_and_names() -> None:
    create = {param.name: param for param in _command(("items", "create")).params}
    assert create["item_type"].opts == [OPTION["item_type"]] and create["item_type"].required
    assert create["priority"].default == 3 and not create["priority"].required
    assert create["status"].default == "active"
    claim = {param.name: param for param in _command(("items", "claim")).params}
    assert claim["id"].param_type_name == "argument" and claim["id"].metavar == ARGUMENT["id"]
    assert not claim["id"].required  # without an id, the top ready item is claimed
    assert claim["lease_minutes"].opts == ["--lease"] and claim["lease_minutes"].default == 30


def test_an_update_clears_only_the_fields_null_empties() -> None:
    clear = {param.name: param for param in _command(("items", "update")).params}["clear"]
    choices = [str(getattr(choice, "value", choice)) for choice in clear.type_descriptor.choices]
    assert choices == ["description", "branch", "commit", "pr", "assignee"]


def test_a_spelling_must_name_a_field_of_the_command() -> None:
    with pytest.raises(ValueError, match="create_work_item has no field estimate"):
        options("create_work_item", estimate=Spelling(help="x"))


def test_the_cli_refuses_bad_input_with_the_mcp_tools_error(sqlite_cli: Cli) -> None:
    """The same model checks both: the CLI's JSON error is the one the tool's arguments give."""
    big = 2**31
    result = sqlite_cli.run("items", "claim", "deadbeef", "--version", str(big), "--json")
    command = COMMANDS.get("claim_work_item")
    assert command is not None
    with pytest.raises(pydantic.ValidationError) as raised:
        command.parse({"id": "deadbeef", "version": big})
    assert result.exit_code == 1
    assert json.loads(result.stdout) == to_tracker_error(raised.value).to_dict()


def test_items_list_filters_in_progress(sqlite_cli: Cli) -> None:
    task = sqlite_cli.create("task", "held")
    sqlite_cli.ok("items", "claim", task["id"], "--actor", "agent-a")
    listed = sqlite_cli.json("items", "list", "--status", "in_progress")
    assert [row["id"] for row in listed["items"]] == [task["id"]]


def test_an_assignee_is_an_option_of_create_and_update_and_clears(cli: Cli) -> None:
    """A field added to the work item contract is an option of the CLI commands without a line of
    the CLI's own: set on create, changed and cleared by update, shown by show."""
    made = cli.create("task", "Parse the Paychex PDF", "--assignee", "claude-code")
    assert made["assignee"] == "claude-code"
    changed = cli.json("items", "update", made["id"], "--version", "1", "--assignee", "codex")
    assert "assignee  codex" in cli.ok("items", "show", made["id"]).stdout
    cleared = cli.json(
        "items", "update", made["id"], "--version", str(changed["version"]), "--clear", "assignee"
    )
    assert (changed["assignee"], cleared["assignee"]) == ("codex", None)
    assert "--assignee" in cli.fail("items", "create", "--type", "task", "--title", "x", "--assignee", "")
