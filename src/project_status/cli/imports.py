"""`project-status import`: bring the hand-kept status file and session prompts into the database."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from project_status.cli import errors, output
from project_status.cli.calls import actor, call
from project_status.cli.params import Actor, DatabaseUrl, Json
from project_status.services.importing.importer import ImportReport
from project_status.services.importing.legacy import MAX_FILE_BYTES, parse
from project_status.services.importing.prompts import PromptScan, scan_folder, scan_git
from project_status.services.reports import REPORT_FILE
from project_status.services.tracker import Tracker
from project_status.settings import find_project_root

app = typer.Typer(
    help="""Import a hand-kept .project_status.md and session prompt files.

Everything is imported in one transaction and checked at the end (vendor,
deployment, enhancement, work item and session prompt counts, vendor metadata
completeness); if any check fails, nothing is written. Running an import twice
adds nothing the second time. The file itself is never changed: the first
`project-status status --write` over it keeps it as .project_status.md.hand-kept.

Examples:
  project-status import legacy --dry-run
  project-status import legacy .project_status.md --prompts prompts/
  project-status import prompts prompts/
  project-status import prompts --git --path 'prompts/*.md'""",
    no_args_is_help=True,
)

DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Run the whole import and its checks, then write nothing.")
]


def _print(report: ImportReport, json: bool) -> None:
    if json:
        output.emit_json(
            {
                "committed": report.committed,
                "dry_run": report.dry_run,
                "passed": report.passed,
                "created": report.created,
                "existing": report.existing,
                "warnings": report.warnings,
                "checks": [{**asdict(check), "passed": check.passed} for check in report.checks],
            }
        )
    else:
        for warning in report.warnings:
            typer.echo(f"warning: {warning}", err=True)
        kinds = sorted(set(report.created) | set(report.existing))
        table = output.table("kind", "new", "already there")
        for kind in kinds:
            table.add_row(kind, str(report.created.get(kind, 0)), str(report.existing.get(kind, 0)))
        if kinds:
            output.show(table)
        checks = output.table("check", "expected", "found", "result")
        for check in report.checks:
            checks.add_row(
                check.name, str(check.expected), str(check.found), "ok" if check.passed else "MISMATCH"
            )
        output.show(checks)
        if not report.passed:
            output.line("A check failed: the import was rolled back and nothing was written.")
        elif report.dry_run:
            output.line("Dry run: every check passed; nothing was written (run again without --dry-run).")
        else:
            output.line("Imported.")
    if not report.passed:
        raise typer.Exit(errors.USER_ERROR)


def _read(path: Path) -> str:
    if not path.is_file():
        errors.fail(f"no file at {path}; give the path of the hand-kept status file")
    with path.open("rb") as stream:  # no more than the parser reads: a huge file is refused unread
        return stream.read(MAX_FILE_BYTES + 1).decode("utf-8", errors="replace")


def _folder(folder: Path) -> PromptScan:
    if not folder.is_dir():
        errors.fail(f"{folder} is not a folder; give the folder that holds the prompt files")
    return scan_folder(folder)


@app.command("legacy")
def legacy(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(
            help=f"The hand-kept status file (default {REPORT_FILE} in the project root).", show_default=False
        ),
    ] = None,
    prompts: Annotated[
        Path | None,
        typer.Option(
            "--prompts", help="Also import the session prompts of this folder, in the same transaction."
        ),
    ] = None,
    dry_run: DryRun = False,
    json: Json = False,
    actor_name: Actor = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Import a hand-kept status file (vendors, work items, deployments, enhancements).

    Entries that cannot be read are skipped with a warning naming their line, and
    make their check fail, so the import is rolled back: fix the file and run again.

    Examples:
      project-status import legacy --dry-run
      project-status import legacy .project_status.md --prompts prompts/
    """
    status = parse(_read(path or find_project_root() / REPORT_FILE))
    scan = _folder(prompts) if prompts is not None else None
    who = actor(actor_name)

    async def run(t: Tracker) -> ImportReport:
        return await t.imports.run(status, scan, actor=who, dry_run=dry_run)

    _print(call(ctx, database_url, run), json)


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        typer.echo(f"\rreading prompt history: {done}/{total}", err=True, nl=done == total)
    elif done == total or done % 50 == 0:
        typer.echo(f"reading prompt history: {done}/{total}", err=True)


@app.command("prompts")
def prompts(
    ctx: typer.Context,
    folder: Annotated[
        Path | None,
        typer.Argument(help="Folder of prompt files (with --git: the repository, default the project root)."),
    ] = None,
    git: Annotated[
        bool, typer.Option("--git", help="Read every version the git history holds, deleted files included.")
    ] = False,
    path_glob: Annotated[str, typer.Option("--path", help="With --git: which files are prompts.")] = "*.md",
    since: Annotated[
        str | None, typer.Option(help="With --git: only commits after this revision.", show_default=False)
    ] = None,
    dry_run: DryRun = False,
    json: Json = False,
    actor_name: Actor = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Import session prompts (Markdown with YAML frontmatter) as session work items.

    Supported schema versions: 1.0 and 1.1 (session and token_budget required).
    A prompt whose session matches an existing session's title updates it.
    Files with malformed YAML, missing fields or another schema version are
    skipped with a warning naming the file and the reason.

    Examples:
      project-status import prompts prompts/
      project-status import prompts --git --path 'prompts/*.md' --since v1.0
    """
    if git:
        repo = folder or find_project_root()
        with errors.reported(command="import prompts"):
            scan = scan_git(repo, path_glob, since, progress=_progress)
    else:
        if folder is None:
            raise typer.BadParameter("give the folder of prompt files, or --git", param_hint="'FOLDER'")
        scan = _folder(folder)
    who = actor(actor_name)

    async def run(t: Tracker) -> ImportReport:
        return await t.imports.run(None, scan, actor=who, dry_run=dry_run)

    _print(call(ctx, database_url, run), json)
