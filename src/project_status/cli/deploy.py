"""`project-status deploy ...`: the append-only deployment history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.text import Text

from project_status.cli import output
from project_status.cli.common import (
    Actor,
    Cursor,
    DatabaseUrl,
    Json,
    Limit,
    actor,
    call,
    iso_time,
    json_object,
)
from project_status.domain.deployments import DeploymentBrief, DeploymentCreate, DeploymentRead
from project_status.domain.pages import Page
from project_status.domain.validation import validate
from project_status.services.tracker import Tracker

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
def record(
    ctx: typer.Context,
    commit: Annotated[
        str, typer.Option(help="The deployed commit: 40 lowercase hex characters.", show_default=False)
    ],
    deployed_at: Annotated[
        str | None,
        typer.Option(
            help="When, ISO 8601 with a timezone, e.g. 2026-01-31T14:00:00Z; default now.", show_default=False
        ),
    ] = None,
    pr: Annotated[
        int | None, typer.Option(help="Pull request number (metadata pr_number).", show_default=False)
    ] = None,
    pr_title: Annotated[
        str | None, typer.Option(help="Pull request title (metadata pr_title).", show_default=False)
    ] = None,
    metadata: Annotated[
        str | None,
        typer.Option(
            help="JSON object: pr_number, pr_title, test_summary {category: count}, "
            "constitutional_compliance.",
            show_default=False,
        ),
    ] = None,
    vendor: Annotated[
        list[str] | None, typer.Option(help="A deployed vendor's name (repeatable).", show_default=False)
    ] = None,
    item: Annotated[
        list[str] | None, typer.Option(help="A work item it delivers (repeatable).", show_default=False)
    ] = None,
    actor_name: Actor = None,
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
    meta = json_object(metadata) or {}
    if pr is not None:
        meta["pr_number"] = pr
    if pr_title is not None:
        meta["pr_title"] = pr_title
    payload = {
        "deployed_at": deployed_at or datetime.now(UTC),
        "commit_hash": commit,
        "metadata": meta,
        "vendor_names": vendor or [],
        "work_item_ids": item or [],
    }

    async def run(t: Tracker) -> DeploymentRead:
        return await t.deployments.record(validate(DeploymentCreate, payload), actor(actor_name))

    deployment = call(ctx, database_url, run)
    if json:
        output.model_json(deployment)
        return
    output.line(Text.assemble("Recorded deployment ", (deployment.id, "bold"), "."))
    _show(deployment)


@app.command("list")
def list_deployments(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option(help="Only from this time on (ISO 8601 with a timezone).", show_default=False),
    ] = None,
    vendor: Annotated[
        str | None, typer.Option(help="Only deployments of this vendor.", show_default=False)
    ] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """List deployments, newest first, a page at a time, with the total.

    Examples:
      project-status deploy list
      project-status deploy list --since 2026-01-01T00:00:00Z --vendor acme
      project-status deploy list --limit 5 --json
    """
    start = iso_time(since, "--since")

    async def run(t: Tracker) -> Page[DeploymentBrief]:
        return await t.deployments.list(since=start, vendor_name=vendor, limit=limit, cursor=cursor)

    page = call(ctx, database_url, run)
    if json:
        output.page_json(page)
        return
    if page.items:
        grid = output.table("ID", "DEPLOYED", "COMMIT", "PR", "VENDORS", no_wrap=("ID", "DEPLOYED", "COMMIT"))
        short = output.short_ids(row.id for row in page.items)
        for row in page.items:
            pr = f"#{row.pr_number} {row.pr_title or ''}".strip() if row.pr_number else row.pr_title or ""
            grid.add_row(
                short[row.id],
                output.when(row.deployed_at),
                row.commit_hash[:12],
                Text(pr),
                str(row.vendor_count),
            )
        output.show(grid)
    output.page_footer(ctx, page, "deployment")


@app.command("show")
def show(
    ctx: typer.Context,
    id: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="Deployment id, or a unique prefix of 8+ hex characters.", show_default=False
        ),
    ],
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Show one deployment with its vendors and work items.

    Examples:
      project-status deploy show 9c8b7a6d
      project-status deploy show 9c8b7a6d --json
    """

    async def run(t: Tracker) -> DeploymentRead:
        return await t.deployments.get(id)

    deployment = call(ctx, database_url, run)
    if json:
        output.model_json(deployment)
    else:
        _show(deployment)
