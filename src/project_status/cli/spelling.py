"""How the command line spells the fields of the commands' input models, where it differs from
`--field-name`: one table for the options the CLI builds and the errors that name them."""

from __future__ import annotations

OPTION = {
    "item_type": "--type",
    "parent_id": "--parent",
    "branch_name": "--branch",
    "commit_hash": "--commit",
    "pr_number": "--pr",
    "dependency_type": "--type",
    "vendor_names": "--vendor",
    "vendor_name": "--vendor",
    "work_item_ids": "--item",
    "requires_constitutional_principles": "--principle",
    "lease_minutes": "--lease",
    "entity_types": "--type",
    "older_than_days": "--older-than",
    "tokens_file": "--tokens",
}
"""Fields given as an option of another name (shorter, or the name a person types)."""

ARGUMENT = {
    "id": "ID",
    "name": "NAME",
    "source_id": "SOURCE",
    "target_id": "TARGET",
    "path": "PATH",
    "item": "ID",
    "entity": "ID",
}
"""Fields given as a positional argument, by their metavar."""

SETTING = {
    "archive_after_days": "PROJECT_STATUS_ARCHIVE_AFTER_DAYS",
    "archive_interval_hours": "PROJECT_STATUS_ARCHIVE_INTERVAL_HOURS",
    "http_token": "PROJECT_STATUS_HTTP_TOKEN",
}
"""Fields set in the environment, not on the command line."""

HELP = {
    "id": "Work item id, or a unique prefix of 8+ hex characters.",
    "include_children": "Show the items below it (up to 5 levels).",
    "include_dependencies": "Show its dependencies.",
    "item_type": "What kind of item.",
    "title": "Title (1-200 characters).",
    "description": "Longer text.",
    "priority": "1 (highest) to 5.",
    "metadata": "A JSON object, e.g. '{\"estimated_hours\": 2}'; an update merges it into the stored one "
    "(null drops a key).",
    "branch_name": "Git branch the work happens on.",
    "commit_hash": "Git commit: 40 lowercase hex characters.",
    "pr_number": "Pull request number.",
    "limit": "Rows per page (1-200).",
    "cursor": "Go on from a previous page: its next_cursor.",
    "dependency_type": "blocks: SOURCE blocks TARGET; depends_on: SOURCE depends on TARGET.",
    "source_id": "The source work item (id or prefix).",
    "target_id": "The target work item (id or prefix).",
    "extractor_version": "Extractor version, e.g. 1.4.0.",
    "target_quarter": "Target quarter, YYYY-Qn (e.g. 2026-Q3).",
    "requires_constitutional_principles": "A constitutional principle it requires (repeatable).",
    "note": "A handoff note to leave (at most 8 KiB).",
}
"""The CLI's wording of a field where the model's description (written tight for MCP clients)
or its name alone would teach less; a command may still word it its own way."""
