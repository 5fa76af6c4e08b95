"""A tool's answer: its text is its structured content as compact JSON, non-ASCII text kept."""

from __future__ import annotations

import json

from mcp.types import TextContent
from pydantic import BaseModel

from project_status.mcp.results import ok


class Answer(BaseModel):
    title: str
    hours: float
    notes: list[str]
    parent_id: str | None = None


def test_the_text_is_the_structured_content_as_compact_json() -> None:
    answer = Answer(title="Bücher “quoted” \\ 日本", hours=2.5, notes=["a\nb", "\u2028"])
    result = ok(answer)
    assert result.structured_content == {"title": answer.title, "hours": 2.5, "notes": ["a\nb", "\u2028"]}
    [block] = result.content
    assert isinstance(block, TextContent)
    assert json.loads(block.text) == result.structured_content
    assert block.text == json.dumps(result.structured_content, separators=(",", ":"), ensure_ascii=False)
