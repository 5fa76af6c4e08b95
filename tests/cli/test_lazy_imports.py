"""Start-up stays light (issue 13): which modules a command imports, checked in fresh interpreters.

No timings: a command that needs none of the MCP SDK, the web stack, Alembic or the report
templates must not import them, and `--version` and `--help` import no database layer at all.
The root group lists its subcommands from summaries (cli/lazy.py), which must match their help.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import typer
from typer.main import get_command

from project_status.cli.lazy import LazyGroup
from project_status.cli.main import Commands, app
from tests.cli.test_console_script import run as run_cli
from tests.mcp.conftest import server_env

SERVER_ONLY = {"mcp", "uvicorn", "starlette", "sse_starlette", "httpx"}
RARELY_NEEDED = {"alembic", "mako", "jinja2", "yaml", "frontmatter"}
MARKDOWN = {"markdown_it", "pygments"}
"""Rich's Markdown: the `status` report on a terminal, and Typer's own `--help` rendering."""
OTHER_COMMANDS = {
    "project_status.services.commands.report",
    "project_status.services.commands.project",
    "project_status.services.commands.archive",
    "project_status.services.commands.sync",
    "project_status.services.reports",
}
"""Registry modules (and what they bring) that `items show` and `items list` do not run."""
OTHER_ENTITIES = {
    "project_status.domain.report",
    "project_status.domain.archive",
    "project_status.domain.configuration",
    "project_status.domain.enhancements",
    "project_status.domain.sync",
    "project_status.domain.vendors",
}
"""Models of other entities and of the report, which a work-item command does not read."""
DATABASE = {"sqlalchemy", "aiosqlite", "asyncpg", "pydantic", "pydantic_settings"}

RUN_AND_LIST_MODULES = """
import atexit, gc, json, sys
atexit.register(lambda: print("MODULES " + json.dumps(sorted(sys.modules)), file=sys.stderr))
atexit.register(lambda: print(f"GC {gc.isenabled()}", file=sys.stderr))
sys.argv = ["project-status", *json.loads(sys.argv[1])]
from project_status.cli.main import main
main()
"""


def python(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """This interpreter run with `args` in a fresh process, in `project`."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=project,
        env=server_env(project),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def modules_of(project: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run the CLI with `args` in a fresh interpreter; its result and every module it had
    imported when it exited."""
    done = python(project, "-c", RUN_AND_LIST_MODULES, json.dumps(args))
    line = next(text for text in done.stderr.splitlines() if text.startswith("MODULES "))
    return done, set(json.loads(line.removeprefix("MODULES ")))


def imported_by(project: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run the CLI with `args` in a fresh interpreter; its result and the top-level packages and
    `project_status` modules it had imported when it exited."""
    done, modules = modules_of(project, *args)
    return done, {name if name.startswith("project_status") else name.split(".")[0] for name in modules}


def test_version_and_help_import_no_database_layer(tmp_path: Path) -> None:
    version, modules = imported_by(tmp_path, "--version")
    assert version.returncode == 0 and version.stdout.strip().startswith("project-status ")
    assert modules & (SERVER_ONLY | RARELY_NEEDED | MARKDOWN | DATABASE | {"rich"}) == set()
    assert not {name for name in modules if name.startswith("project_status.services")}

    shown, modules = imported_by(tmp_path, "--help")
    assert shown.returncode == 0 and "items" in shown.stdout and "serve" in shown.stdout
    assert modules & (SERVER_ONLY | RARELY_NEEDED | DATABASE) == set()


def test_a_data_command_imports_only_what_it_uses(tmp_path: Path) -> None:
    created = run_cli(tmp_path, "items", "create", "--type", "task", "--title", "t", "--json")
    assert created.returncode == 0, created.stderr  # the first command creates and migrates the store
    item = json.loads(created.stdout)["id"]
    for args in (("items", "show", item), ("items", "list", "--json")):
        done, modules = imported_by(tmp_path, *args)
        assert done.returncode == 0, done.stderr
        # main() turns the collector off while the command's modules are imported, not for good.
        assert "GC True" in done.stderr.splitlines(), args
        assert modules & (SERVER_ONLY | RARELY_NEEDED | MARKDOWN) == set(), args
        assert "project_status.services.archive" not in modules  # services are built on first use
        # Only the registry modules of the commands it runs: not the report, project, archive or
        # sync commands, nor the report's services.
        assert not modules & OTHER_COMMANDS, args
        assert not modules & OTHER_ENTITIES, args
        assert "project_status.services.fallback.router" not in modules  # PostgreSQL only


def test_a_data_command_on_sqlite_imports_no_postgresql_dialect(tmp_path: Path) -> None:
    """SQLAlchemy's PostgreSQL dialect package imports every PostgreSQL driver's module (about
    20 ms): a JSONB column type or a `postgresql_where=` named at import time would load it."""
    created = run_cli(tmp_path, "items", "create", "--type", "task", "--title", "t", "--json")
    assert created.returncode == 0, created.stderr
    item = json.loads(created.stdout)["id"]
    for args in (("items", "show", item), ("items", "list", "--json")):
        done, modules = modules_of(tmp_path, *args)
        assert done.returncode == 0, done.stderr
        assert not {name for name in modules if name.startswith("sqlalchemy.dialects.postgresql")}, args
        assert "asyncpg" not in {name.split(".")[0] for name in modules}, args
        assert "rich.tree" not in modules, args  # `items tree` only


def test_the_server_path_imports_neither_the_board_nor_alembic() -> None:
    probe = "import json, sys, project_status.mcp.run; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    modules = set(json.loads(done.stdout))
    tops = {name.split(".")[0] for name in modules}
    assert tops & RARELY_NEEDED == set()
    assert not {name for name in modules if name.startswith("project_status.board")}


def test_serve_imports_neither_the_cli_output_layer_nor_alembic(tmp_path: Path) -> None:
    """`project-status serve` on stdio, run to its end (stdin closed at once): the modules it
    imported, as `-X importtime` names them (the server leaves with os._exit, so no atexit).
    Rich neither: the SDK's MCPServer would import it for a log handler that serve does not use."""
    done = python(tmp_path, "-X", "importtime", "-m", "project_status", "serve")
    assert done.returncode == 0, done.stderr
    names = {
        line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")
    }
    assert "project_status.mcp.server" in names  # the probe saw the server start
    assert {name.split(".")[0] for name in names} & (RARELY_NEEDED | {"rich"}) == set()
    assert not {"project_status.cli.output", "project_status.cli.calls", "rich.table"} & names


LIST_OUT_OF_ORDER = """
import json, sys
from project_status.services.commands import sync, agents, report  # imported out of order
from project_status.services.commands import COMMANDS
print(json.dumps([command.name for command in COMMANDS if command.listed]))
"""


BUILT_ON_IMPORT = """
import json
from project_status.services.commands import COMMANDS
print(json.dumps([command.name for command in COMMANDS if command.arguments.__pydantic_complete__]))
"""


def test_importing_the_commands_builds_no_input_validator() -> None:
    """A CLI command imports a registry module of a dozen commands to run one of them: each
    input's validator is built when it is first used (the server builds them all while idle)."""
    done = subprocess.run(
        [sys.executable, "-c", BUILT_ON_IMPORT], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout) == []


def test_the_registry_lists_in_its_module_order_whatever_was_imported_first() -> None:
    """A CLI command imports only the registry modules it runs, in its own order; the tools are
    listed in the registry's order all the same (tests/mcp/tools_list.json)."""
    done = subprocess.run(
        [sys.executable, "-c", LIST_OUT_OF_ORDER], capture_output=True, text=True, timeout=120, check=True
    )
    snapshot = json.loads((Path(__file__).parents[1] / "mcp" / "tools_list.json").read_text())
    assert json.loads(done.stdout) == [tool["name"] for tool in snapshot]


def test_the_root_help_summaries_are_the_commands_own_first_paragraphs() -> None:
    root = get_command(app)
    assert isinstance(root, LazyGroup)
    context = typer.Context(root, info_name="project-status")
    for name, lazy in Commands.table.items():
        command = root.get_command(context, name)
        assert command is not None
        first = inspect.cleandoc(command.help or "").split("\n\n")[0]
        assert inspect.cleandoc(lazy.summary) == first, name


LOAD_ONE_GROUP = textwrap.dedent(
    """
    import json, sys
    import typer
    from typer.main import get_command
    from project_status.cli.main import Commands, app

    keep = {"project_status.cli.main", "project_status.cli.lazy"}
    names = {}
    for name in Commands.table:  # each in a command tree of its own, the other cli modules unloaded
        for module in [m for m in sys.modules if m.startswith("project_status.cli.") and m not in keep]:
            del sys.modules[module]
        root = get_command(app)
        command = root.get_command(typer.Context(root), name)
        names[name] = sorted(getattr(command, "commands", {}))
    print(json.dumps(names))
    """
)


def test_each_subcommand_loaded_alone_is_complete() -> None:
    """A group loaded first, in a fresh process, has all its subcommands (agents.py adds some to
    `items`: the lazy table must name the module that completes the group)."""
    done = subprocess.run(
        [sys.executable, "-c", LOAD_ONE_GROUP], capture_output=True, text=True, timeout=120, check=True
    )
    alone = json.loads(done.stdout)
    root = get_command(app)
    context = typer.Context(root)
    for name in Commands.table:
        command = root.get_command(context, name)
        assert alone[name] == sorted(getattr(command, "commands", {})), name


def test_a_group_run_for_one_subcommand_builds_that_one_alone() -> None:
    """Typer builds every subcommand's parameters when it builds a group: `items show` builds
    `show` alone. A help, an option or a name that is no subcommand gets the whole group (a typo
    is answered with the names close to it)."""
    root = get_command(app)
    context = typer.Context(root, info_name="project-status")
    everything = sorted(getattr(root.get_command(context, "items"), "commands", {}))
    assert {"show", "list", "claim", "note"} <= set(everything)  # items.py's and agents.py's

    for args, built in (
        (["items", "show", "1a2b3c4d"], ["show"]),
        (["items", "claim"], ["claim"]),
        (["items", "--help"], everything),
        (["items", "shw"], everything),
        (["items"], everything),
    ):
        root = get_command(app)
        _, command, _ = root.resolve_command(typer.Context(root, info_name="project-status"), args)
        assert sorted(getattr(command, "commands", {})) == built, args
