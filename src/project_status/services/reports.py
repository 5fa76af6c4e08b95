"""The status report: the hand-kept `.project_status.md`, now written from the database.

The same data always renders to the same bytes (stable ordering, and the header's time is
the time of the newest change, not the wall clock), so the file diffs well in git.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from project_status.domain.errors import ValidationError
from project_status.domain.metadata import FormatSupport
from project_status.domain.report import (
    Report,
    ReportConfiguration,
    ReportDeployment,
    ReportEnhancement,
    ReportItem,
    ReportVendor,
)
from project_status.store import configuration as configuration_store
from project_status.store import deployments as deployment_store
from project_status.store import enhancements as enhancement_store
from project_status.store import events
from project_status.store import vendors as vendor_store
from project_status.store import work_items as work_item_store
from project_status.store.database import Database

REPORT_FILE = ".project_status.md"
RECENT_DEPLOYMENTS = 10
GENERATED_MARK = "*Generated at "
"""Every generated report ends with this line; a file without it was written by hand."""

_FORMATS = tuple(FormatSupport.model_fields)
_SESSION_DETAILS = (("token_budget", "Token Budget"), ("prompts_count", "Prompts"))


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("project_status", "templates"),
        autoescape=False,  # Markdown, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["stamp"] = _stamp
    environment.filters["when"] = _when
    return environment.get_template("project_status.md.j2")


def _one_line(text: str | None) -> str | None:
    """Report lines hold one line each: inner line breaks become spaces."""
    return " ".join(text.split()) if text and text.strip() else None


def _vendor(row: Any) -> ReportVendor:
    meta = row.metadata_ or {}
    tests = meta.get("test_results") or {}
    formats = meta.get("format_support") or {}
    return ReportVendor(
        name=row.name,
        status=row.status,
        extractor_version=row.extractor_version,
        passing=int(tests.get("passing", 0)),
        total=int(tests.get("total", 0)),
        skipped=int(tests.get("skipped", 0)),
        formats=[name for name in _FORMATS if formats.get(name)],
        manifest_compliant=bool(meta.get("manifest_compliant")),
    )


def _items_in_tree_order(rows: Sequence[Row[Any]]) -> list[ReportItem]:
    """Depth-first, each parent followed by its subtree; siblings oldest first."""
    by_id: dict[uuid.UUID, Row[Any]] = {row.id: row for row in rows}
    children: dict[uuid.UUID | None, list[Row[Any]]] = {}
    for row in rows:  # rows come parents first, oldest first within a level
        parent = row.parent_id if row.parent_id in by_id else None
        children.setdefault(parent, []).append(row)
    ordered: list[ReportItem] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        row = stack.pop()
        ordered.append(_item(row, by_id))
        stack.extend(reversed(children.get(row.id, [])))
    return ordered


def _item(row: Row[Any], by_id: dict[uuid.UUID, Row[Any]]) -> ReportItem:
    meta: dict[str, Any] = row.metadata_ or {}
    parent = by_id.get(row.parent_id) if row.parent_id else None
    details = [(label, str(meta[key])) for key, label in _SESSION_DETAILS if meta.get(key) is not None]
    if meta.get("yaml_frontmatter"):
        # One line of JSON: the prompt's frontmatter survives report -> import -> report.
        details.append(
            ("Frontmatter", json.dumps(meta["yaml_frontmatter"], sort_keys=True, ensure_ascii=False))
        )
    return ReportItem(
        title=row.title,
        item_type=row.item_type,
        status=row.status,
        priority=row.priority,
        depth=row.depth,
        created_at=row.created_at,
        parent=parent.title if parent is not None else None,
        description=_one_line(row.description),
        branch_name=row.branch_name,
        commit_hash=row.commit_hash,
        pr_number=row.pr_number,
        blocked_reason=_one_line(meta.get("blocked_reason")),
        details=details,
    )


class ReportService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def collect(self) -> Report:
        """Everything the report shows, read in one unit of work."""
        async with self.db.unit_of_work() as session:
            config = await configuration_store.get(session)
            session_titles = await work_item_store.titles(
                session, [config.current_session_id] if config.current_session_id else []
            )
            vendors = [_vendor(v) for v in await vendor_store.all_vendors(session)]
            items = _items_in_tree_order(await work_item_store.live_rows(session))
            deployments = await self._deployments(session)
            enhancements = await self._enhancements(session)
            last_change = await events.last_change_at(session)
        as_of = max(filter(None, (last_change, config.updated_at)))
        configuration = ReportConfiguration(
            active_context_type=config.active_context_type,
            current_session=session_titles.get(config.current_session_id)
            if config.current_session_id
            else None,
            git_branch=config.git_branch,
            git_head_commit=config.git_head_commit,
            default_token_budget=config.default_token_budget,
        )
        return Report(as_of, configuration, vendors, items, deployments, enhancements)

    async def _deployments(self, session: AsyncSession) -> list[ReportDeployment]:
        rows = await deployment_store.recent(session, RECENT_DEPLOYMENTS)
        ids = [row.id for row in rows]
        vendor_names = await deployment_store.vendor_names(session, ids)
        linked = await deployment_store.work_item_ids(session, ids)
        titles = await work_item_store.titles(
            session, [uuid.UUID(i) for ids_ in linked.values() for i in ids_]
        )
        result = []
        for row in rows:
            meta = row.metadata_ or {}
            items = sorted(titles.get(uuid.UUID(i), i) for i in linked.get(row.id, []))
            result.append(
                ReportDeployment(
                    deployed_at=row.deployed_at,
                    commit_hash=row.commit_hash,
                    pr_number=meta.get("pr_number"),
                    pr_title=meta.get("pr_title"),
                    tests=sorted((meta.get("test_summary") or {}).items()),
                    constitutional_compliance=bool(meta.get("constitutional_compliance")),
                    vendors=vendor_names.get(row.id, []),
                    work_items=items,
                )
            )
        return result

    async def _enhancements(self, session: AsyncSession) -> list[ReportEnhancement]:
        rows = await enhancement_store.pending(session)
        depends = await enhancement_store.depends_on(session, [row.id for row in rows])
        target_ids = [uuid.UUID(t) for targets in depends.values() for t in targets]
        titles = await enhancement_store.titles(session, target_ids)
        return [
            ReportEnhancement(
                title=row.title,
                priority=row.priority,
                status=row.status,
                target_quarter=row.target_quarter,
                description=_one_line(row.description) or "",
                principles=list(row.requires_constitutional_principles or []),
                depends_on=sorted(titles.get(uuid.UUID(t), t) for t in depends.get(row.id, [])),
            )
            for row in rows
        ]

    async def render(self) -> str:
        return _template().render(report=await self.collect())

    async def write(self, path: Path | None = None) -> Path:
        """Write the report atomically; a hand-kept file there is first kept as a backup."""
        target = (path or Path(REPORT_FILE)).absolute()
        text = await self.render()
        await asyncio.to_thread(write_atomically, target, text)
        return target


def report_path(path: str | None, root: Path, *, confine: bool) -> Path:
    """Where to write: `path` (relative to the project root) or the root's `.project_status.md`.

    `confine` keeps the file inside the project root, for callers that are not the local user
    (an AI client over MCP must not be able to overwrite arbitrary files).
    """
    target = (root / (path or REPORT_FILE)).resolve()
    if confine:
        if not target.is_relative_to(root.resolve()):
            raise ValidationError.for_field(
                "path", f"must stay inside the project folder {root}; give a path relative to it", path
            )
        if target.suffix.lower() != ".md":
            raise ValidationError.for_field("path", "must name a Markdown file (.md)", path)
    if target.is_dir():
        raise ValidationError.for_field("path", "is a folder; name the report file", path)
    return target


def write_atomically(target: Path, text: str) -> None:
    """Readers see the old file or the new one, never half of one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    backup_hand_kept(target)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.chmod(temporary, _file_mode(target))
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _file_mode(target: Path) -> int:
    """The mode the file has, or an ordinary new file's (mkstemp's own 0600 would hide it)."""
    if target.exists():
        return target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def backup_hand_kept(target: Path) -> Path | None:
    """Copy a hand-kept report aside before a generated one replaces it: never lose the only copy."""
    if not target.exists():
        return None
    if GENERATED_MARK in target.read_text(encoding="utf-8", errors="replace"):
        return None
    backup = target.with_name(target.name + ".hand-kept")
    counter = 1
    while backup.exists():
        counter += 1
        backup = target.with_name(f"{target.name}.hand-kept.{counter}")
    shutil.copy2(target, backup)
    return backup
