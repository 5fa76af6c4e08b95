"""The independent count of a status file's entries, by the shape of lines alone.

The reconciliation compares what the import applied with what the file holds. Taking the
second number from the parser itself would hide every entry it drops, so it comes from here:
a top-level bullet in a section of bullet entries, a `###` heading in a section of heading
entries, nothing of the parser's own reading.
"""

from __future__ import annotations

import re

SECTION = re.compile(r"^##\s+(?P<name>[^#\s].*)$")
FRONTMATTER = "---"
_BULLET = re.compile(r"^[-*+]\s+\S")
_BULLET_KINDS = {"vendors", "enhancements"}
_HEADING_KINDS = {"work_items", "deployments", "sessions"}


def section_kind(name: str) -> str | None:
    """Which entries a `## ` section holds, from words in its name (any case)."""
    lowered = name.lower()
    for marker, kind in (
        ("vendor", "vendors"),
        ("work item", "work_items"),
        ("deploy", "deployments"),
        ("enhancement", "enhancements"),
        ("configuration", "configuration"),
        ("session", "sessions"),
    ):
        if marker in lowered:
            return kind
    return None


def count_entries(lines: list[str]) -> dict[str, int]:
    """How many entries each section holds, by the shape of lines alone.

    A `###` heading followed by a frontmatter block is a session prompt wherever it stands. An
    entry-like line outside a section that reads that shape (before the first section, after a
    closing `---`, a heading among bullets) counts as `stray`: nothing reads it.
    """
    counts: dict[str, int] = {}
    kind: str | None = None
    seen_section = headed = False  # headed: a `###` entry seen in this section
    index = 0
    while index < len(lines):
        text = lines[index]
        index += 1
        heading = SECTION.match(text)
        if heading:
            kind, seen_section, headed = section_kind(heading["name"]) or "unknown", True, False
            continue
        if text.strip() == FRONTMATTER:
            kind, headed = None, False
            continue
        if text.startswith("###"):
            following = next((later.strip() for later in lines[index:] if later.strip()), "")
            if following == FRONTMATTER:
                counts["prompts"] = counts.get("prompts", 0) + 1
                start = next(i for i in range(index, len(lines)) if lines[i].strip() == FRONTMATTER)
                end = next((i for i in range(start + 1, len(lines)) if lines[i].strip() == FRONTMATTER), None)
                index = len(lines) if end is None else end + 1
                continue
            if kind == "unknown" or not seen_section:
                continue
            counted = kind if kind in _HEADING_KINDS and kind != "sessions" else "stray"
            counts[counted] = counts.get(counted, 0) + 1
            headed = True
        elif _BULLET.match(text):
            if kind in _BULLET_KINDS or (kind in _HEADING_KINDS and kind != "sessions" and not headed):
                counts[kind] = counts.get(kind, 0) + 1
            elif kind is None and seen_section and not headed:  # under a stray heading: its field
                counts["stray"] = counts.get("stray", 0) + 1
    return counts
