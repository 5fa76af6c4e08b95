"""`project-status deploy ...`: the append-only deployment history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.text import Text

from project_status.cli import output
from project_status.cli.calls import run_command
from project_status.cli.options import Given, Spelling, options
from project_status.cli.params import DatabaseUrl, Json
from project_status.domain.deployments import DeploymentBrief, DeploymentRead
from project_status.domain.pages import Page
from project_status.services.commands import project as _project_commands  # noqa: F401  (its commands)

app = typer.Typer(
    help="""Deployments: what shipped when, with its commit, PR, tests, vendors and work items.

Examples:
  project-status deploy record --commit "$(git rev-parse HEAD)" --pr 42
  project-status deploy list --vendor acme
  project-status deploy show 9c8b7a6d""",
    no_args_is_help=True,
)


def _show(deployment: DeploymentRead) -> None:
    meta = deployment.metadata
    pr = meta.get("pr_number")
    output.record(
        [
            ("id", deployment.id),
            ("deployed", output.when(deployment.deployed_at)),
            ("commit", deployment.commit_hash),
            ("pr", f"#{pr} {meta.get('pr_title') or ''}".strip() if pr else meta.get("pr_title")),
            ("tests", meta.get("test_summary")),
            ("compliant", "yes" if meta.get("constitutional_compliance") else "no"),
            ("vendors", ", ".join(deployment.vendor_names)),
            ("work items", ", ".join(deployment.work_item_ids)),
            ("recorded", f"{output.when(deployment.created_at)} by {deployment.created_by}"),
        ]
    )


@app.command("record")
@options(
    "record_deployment",
    deployed_at=Spelling(
        required=False, help="When, ISO 8601 with a timezone, e.g. 2026-01-31T14:00:00Z; default now."
    ),
    commit_hash=Spelling(help="The deployed commit: 40 lowercase hex characters."),
    metadata=Spelling(
        required=False,
        help="JSON object: pr_number, pr_title, test_summary {category: count}, constitutional_compliance.",
    ),
    vendor_names=Spelling(help="A deployed vendor's name (repeatable)."),
    work_item_ids=Spelling(help="A work item it delivers (repeatable)."),
)
def record(
    ctx: typer.Context,
    given: Given,
    pr: Annotated[
        int | None, typer.Option(help="Pull request number (metadata pr_number).", show_default=False)
    ] = None,
    pr_title: Annotated[
        str | None, typer.Option(help="Pull request title (metadata pr_title).", show_default=False)
    ] = None,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Record a deployment (append-only); prints it with its new id.

    Examples:
      project-status deploy record --commit "$(git rev-parse HEAD)" --pr 42 --pr-title "Retry"
      project-status deploy record --commit "$(git rev-parse HEAD)" --vendor acme --item 1a2b3c4d
      project-status deploy record --commit "$(git rev-parse HEAD)" --deployed-at 2026-01-31T14:00Z
      project-status deploy record --commit "$(git rev-parse HEAD)" \\
        --metadata '{"test_summary": {"unit": 120}, "constitutional_compliance": true}'
    """
    meta = dict(given.get("metadata") or {})
    if pr is not None:
        meta["pr_number"] = pr
    if pr_title is not None:
        meta["pr_title"] = pr_title
    arguments = {"deployed_at": datetime.now(UTC), **given, "metadata": meta}
    deployment: DeploymentRead = run_command(ctx, database_url, "record_deployment", arguments)
    if json:
        output.model_json(deployment)
        return
    output.line(Text.assemble("Recorded deployment ", (deployment.id, "bold"), "."))
    _show(deployment)


@app.command("list")
@options(
    "list_deployments",
    since=Spelling(help="Only from this time on (ISO 8601 with a timezone)."),
    vendor_name=Spelling(help="Only deployments of this vendor."),
)
def list_deployments(
    ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None
) -> None:
    """List deployments, newest first, a page at a time, with the total.

    Examples:
      project-status deploy list
      project-status deploy list --since 2026-01-01T00:00:00Z --vendor acme
      project-status deploy list --limit 5 --json
    """
    page: Page[DeploymentBrief] = run_command(ctx, database_url, "list_deployments", given)
    output.listing(ctx, page, json, "deployment", _table)


def _table(rows: Sequence[DeploymentBrief]) -> None:
    def cells(row: DeploymentBrief) -> tuple[Any, ...]:
        pr = f"#{row.pr_number} {row.pr_title or ''}".strip() if row.pr_number else row.pr_title or ""
        return output.when(row.deployed_at), row.commit_hash[:12], Text(pr), str(row.vendor_count)

    output.id_table(rows, ("DEPLOYED", "COMMIT", "PR", "VENDORS"), cells, ("DEPLOYED", "COMMIT"))


@app.command("show")
@options("query_deployment", id=Spelling(help="Deployment id, or a unique prefix of 8+ hex characters."))
def show(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Show one deployment with its vendors and work items.

    Examples:
      project-status deploy show 9c8b7a6d
      project-status deploy show 9c8b7a6d --json
    """
    deployment: DeploymentRead = run_command(ctx, database_url, "query_deployment", given)
    output.shown(deployment, json, _show)
