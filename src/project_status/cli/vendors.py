"""`project-status vendors ...`: vendor extractors and their health."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.text import Text

from project_status.cli import output
from project_status.cli.common import (
    Actor,
    DatabaseUrl,
    Json,
    Version,
    actor,
    call,
    given,
    json_object,
    require_changes,
    version_or_current,
)
from project_status.domain.enums import VendorStatus
from project_status.domain.validation import validate
from project_status.domain.vendors import VendorCreate, VendorList, VendorRead, VendorUpdate
from project_status.services.tracker import Tracker

app = typer.Typer(
    help="""Vendor extractors: status, version, tests, formats and manifest compliance.

Examples:
  project-status vendors list --only-broken
  project-status vendors create acme --status operational --extractor-version 1.4.0
  project-status vendors update acme --status broken""",
    no_args_is_help=True,
)

Name = Annotated[str, typer.Argument(metavar="NAME", help="The vendor's name.", show_default=False)]
VendorMetadata = Annotated[
    str | None,
    typer.Option(
        "--metadata",
        help="JSON object: format_support {excel, csv, pdf, ocr}, test_results {passing, total, skipped}, "
        "manifest_compliant; merged into the stored one on update.",
        show_default=False,
    ),
]
ExtractorVersion = Annotated[
    str | None, typer.Option(help="Extractor version, e.g. 1.4.0.", show_default=False)
]


def _tests(metadata: dict[str, Any]) -> str:
    results = metadata.get("test_results") or {}
    if not results:
        return ""
    text = f"{results.get('passing', 0)}/{results.get('total', 0)}"
    return text + (f" ({results['skipped']} skipped)" if results.get("skipped") else "")


def _formats(metadata: dict[str, Any]) -> str:
    return ", ".join(name for name, on in (metadata.get("format_support") or {}).items() if on)


def _show(vendor: VendorRead) -> None:
    output.record(
        [
            ("name", Text(vendor.name, style="bold")),
            ("id", vendor.id),
            ("status", output.status(vendor.status)),
            ("extractor version", vendor.extractor_version),
            ("tests", _tests(vendor.metadata)),
            ("formats", _formats(vendor.metadata)),
            ("manifest compliant", "yes" if vendor.metadata.get("manifest_compliant") else "no"),
            ("version", vendor.version),
            ("created", f"{output.when(vendor.created_at)} by {vendor.created_by}"),
            ("updated", f"{output.when(vendor.updated_at)} by {vendor.updated_by}"),
        ]
    )


def _print(vendor: VendorRead, json: bool, verb: str) -> None:
    if json:
        output.model_json(vendor)
        return
    output.line(Text.assemble(f"{verb} vendor ", (vendor.name, "bold"), f" (version {vendor.version})."))
    _show(vendor)


@app.command("list")
def list_vendors(
    ctx: typer.Context,
    only_broken: Annotated[bool, typer.Option(help="Only broken vendors.")] = False,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """List vendors by name with their health, and how many are operational.

    Examples:
      project-status vendors list
      project-status vendors list --only-broken --json
    """

    async def run(t: Tracker) -> VendorList:
        return await t.vendors.query(only_broken=only_broken)

    vendors = call(ctx, database_url, run)
    if json:
        output.list_json(vendors.items, vendors.total, operational=vendors.operational)
        return
    if vendors.items:
        grid = output.table(
            "NAME",
            "STATUS",
            "VERSION",
            "TESTS",
            "FORMATS",
            "MANIFEST",
            no_wrap=("STATUS", "VERSION", "TESTS"),
        )
        for vendor in vendors.items:
            grid.add_row(
                Text(vendor.name),
                output.status(vendor.status),
                Text(vendor.extractor_version),
                _tests(vendor.metadata),
                _formats(vendor.metadata),
                "yes" if vendor.metadata.get("manifest_compliant") else "no",
            )
        output.show(grid)
    what = "broken vendors" if only_broken else "vendors"
    if vendors.total == 0:
        output.line(f"No {what}.")
    else:
        output.line(f"{vendors.total} {what}, {vendors.operational} operational.")


@app.command("show")
def show(ctx: typer.Context, name: Name, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Show one vendor by name.

    Examples:
      project-status vendors show acme
      project-status vendors show acme --json
    """

    async def run(t: Tracker) -> VendorRead:
        return (await t.vendors.query(name)).items[0]

    vendor = call(ctx, database_url, run)
    if json:
        output.model_json(vendor)
    else:
        _show(vendor)


@app.command("create")
def create(
    ctx: typer.Context,
    name: Name,
    status: Annotated[VendorStatus, typer.Option(help="Current health.", show_default=False)],
    extractor_version: Annotated[
        str, typer.Option(help="Extractor version, e.g. 1.4.0.", show_default=False)
    ],
    metadata: VendorMetadata = None,
    actor_name: Actor = None,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Register a vendor extractor under a unique name.

    Examples:
      project-status vendors create acme --status operational --extractor-version 1.4.0
      project-status vendors create globex --status broken --extractor-version 0.9
    """
    payload = {
        "name": name,
        "status": status,
        "extractor_version": extractor_version,
        "metadata": json_object(metadata) or {},
    }

    async def run(t: Tracker) -> VendorRead:
        return await t.vendors.create(validate(VendorCreate, payload), actor(actor_name))

    _print(call(ctx, database_url, run), json, "Created")


@app.command("update")
def update(
    ctx: typer.Context,
    name: Name,
    status: Annotated[VendorStatus | None, typer.Option(help="New health.", show_default=False)] = None,
    extractor_version: ExtractorVersion = None,
    metadata: VendorMetadata = None,
    version: Version = None,
    actor_name: Actor = None,
    json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Change a vendor's status, extractor version or metadata (merged).

    Examples:
      project-status vendors update acme --status broken
      project-status vendors update acme --extractor-version 1.5.0 --version 2
      project-status vendors update acme --metadata '{"manifest_compliant": true}'
      project-status vendors update acme --metadata '{"test_results": {"passing": 9, "total": 9}}'
    """
    changes = require_changes(
        given(status=status, extractor_version=extractor_version, metadata=json_object(metadata))
    )

    async def run(t: Tracker) -> VendorRead:
        update = validate(VendorUpdate, changes)

        async def current() -> int:
            return (await t.vendors.query(name)).items[0].version

        expected = await version_or_current(version, current, f"vendor {name}")
        return await t.vendors.update(name, expected, update, actor(actor_name))

    _print(call(ctx, database_url, run), json, "Updated")
