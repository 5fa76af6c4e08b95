"""`project-status vendors ...`: vendor extractors and their health."""

from __future__ import annotations

from typing import Any

import typer
from rich.text import Text

from project_status.cli import output
from project_status.cli.calls import Current, run_change, run_command
from project_status.cli.options import Given, Spelling, options
from project_status.cli.params import DatabaseUrl, Json
from project_status.domain.vendors import VendorList, VendorRead
from project_status.services.commands import project as _project_commands  # noqa: F401  (its commands)
from project_status.services.tracker import Tracker

app = typer.Typer(
    help="""Vendor extractors: status, version, tests, formats and manifest compliance.

Examples:
  project-status vendors list --only-broken
  project-status vendors create acme --status operational --extractor-version 1.4.0
  project-status vendors update acme --status broken""",
    no_args_is_help=True,
)

NAME = Spelling(help="The vendor's name.")
METADATA = Spelling(
    help="JSON object: format_support {excel, csv, pdf, ocr}, test_results {passing, total, skipped}, "
    "manifest_compliant; merged into the stored one on update."
)


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
            *output.audit_rows(vendor),
        ]
    )


def _print(vendor: VendorRead, json: bool, verb: str) -> None:
    output.changed(vendor, json, f"{verb} vendor", vendor.name, lambda: _show(vendor))


@app.command("list")
@options("query_vendor_status", skip=("name",), only_broken=Spelling(help="Only broken vendors."))
def list_vendors(
    ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None
) -> None:
    """List vendors by name with their health, and how many are operational.

    Examples:
      project-status vendors list
      project-status vendors list --only-broken --json
    """
    vendors: VendorList = run_command(ctx, database_url, "query_vendor_status", given)
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
    what = "broken vendors" if given.get("only_broken") else "vendors"
    if vendors.total == 0:
        output.line(f"No {what}.")
    else:
        output.line(f"{vendors.total} {what}, {vendors.operational} operational.")


@app.command("show")
@options("query_vendor_status", only=("name",), name=Spelling(NAME.help, required=True))
def show(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Show one vendor by name.

    Examples:
      project-status vendors show acme
      project-status vendors show acme --json
    """
    vendor = run_command(ctx, database_url, "query_vendor_status", given).items[0]
    if json:
        output.model_json(vendor)
    else:
        _show(vendor)


@app.command("create")
@options(
    "create_vendor",
    name=NAME,
    status=Spelling(help="Current health."),
    metadata=Spelling(required=False, help=METADATA.help),
)
def create(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Register a vendor extractor under a unique name.

    Examples:
      project-status vendors create acme --status operational --extractor-version 1.4.0
      project-status vendors create globex --status broken --extractor-version 0.9
    """
    vendor = run_command(ctx, database_url, "create_vendor", {"metadata": {}, **given})
    _print(vendor, json, "Created")


def _current(name: str) -> Current:
    async def read(t: Tracker) -> int:
        return (await t.vendors.query(name)).items[0].version

    return Current(read, f"vendor {name}")


@app.command("update")
@options("update_vendor_status", name=NAME, status=Spelling(help="New health."), metadata=METADATA)
def update(ctx: typer.Context, given: Given, json: Json = False, database_url: DatabaseUrl = None) -> None:
    """Change a vendor's status, extractor version or metadata (merged).

    Examples:
      project-status vendors update acme --status broken
      project-status vendors update acme --extractor-version 1.5.0 --version 2
      project-status vendors update acme --metadata '{"manifest_compliant": true}'
      project-status vendors update acme --metadata '{"test_results": {"passing": 9, "total": 9}}'
    """
    vendor = run_change(ctx, database_url, "update_vendor_status", given, _current(given["name"]))
    _print(vendor, json, "Updated")
