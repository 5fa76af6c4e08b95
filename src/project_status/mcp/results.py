"""Tool results: structured content plus its compact JSON text, or the tracker's JSON error."""

from __future__ import annotations

import json
import logging

import pydantic
import pydantic_core
from mcp.types import CallToolResult, TextContent

from project_status.domain.errors import DatabaseError, TrackerError
from project_status.domain.validation import to_tracker_error
from project_status.services import notices

log = logging.getLogger(__name__)


def ok(model: pydantic.BaseModel) -> CallToolResult:
    """The answer; one served from a fallback layer, or written offline, carries `warnings`, and
    `data_source` and `data_age_seconds` (null when the layer's age is unknown)."""
    data = model.model_dump(mode="json", exclude_none=True)
    if warnings := notices.current():
        data["warnings"] = warnings
    if source := notices.source():
        data.update(source.fields())
    # pydantic-core's encoder: compact and UTF-8 like json.dumps(separators, ensure_ascii=False),
    # in a third of the time on a parent with its children (the structured content holds only
    # JSON types: model_dump(mode="json") made it).
    text = pydantic_core.to_json(data).decode()
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


def fail(error: TrackerError) -> CallToolResult:
    body = error.to_dict()
    if warnings := notices.current():
        # Inside `details`: the error object keeps exactly the three keys of DESIGN.md section 5.
        body["details"] = {**body.get("details", {}), "warnings": warnings}
    if source := notices.source():
        body["details"] = {**body.get("details", {}), **source.fields()}
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str)
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


def as_tracker_error(exc: BaseException) -> TrackerError:
    if isinstance(exc, TrackerError):
        return exc
    if isinstance(exc, pydantic.ValidationError):
        return to_tracker_error(exc)
    log.error("unexpected error in a tool", exc_info=exc)
    return DatabaseError(
        "The server failed unexpectedly; nothing was written. The server log has the details."
    )
