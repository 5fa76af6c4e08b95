"""Read a status file of the legacy family: the hand-kept `.project_status.md`, our report, and
the layout the upstream quickstart describes, or any mixture of them.

Hand-written variations are expected: blank lines, trailing spaces, CRLF line endings,
missing optional lines, sections in any order, ✓/✗ or ✅/❌, labels and names in any case,
bold or plain labels, an entry on one line or wrapped over several, priorities as numbers
(1-5) or words (critical 1, high 2, medium 3, low 4, lowest 5). Upstream's shapes:
`- name: operational (10/12 tests passed, 2 skipped) [Excel, CSV] v1.2.3`,
`### 2025-10-01 - PR #100` deployment blocks with plain `- Label: value` lines,
`- Title (Priority: High, Q1 2026)` enhancements, and session prompts embedded as a `###`
heading followed by a YAML frontmatter block.

An entry that cannot be read is skipped with a warning naming its line, and so is any other
line the parser does not understand. The entry counts the reconciliation expects come from
`entry_count`, a separate scan of entry-like lines, so an entry the parser drops (or never sees,
such as one after the report's closing `---`) makes a check fail.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from project_status.domain.report import ITEM_LINES
from project_status.services.importing.entry_count import FRONTMATTER as _FRONTMATTER
from project_status.services.importing.entry_count import SECTION as _SECTION
from project_status.services.importing.entry_count import count_entries, section_kind
from project_status.services.importing.prompts import SessionPrompt, parse_prompt

# Lines are right-stripped before they are matched, so no pattern needs a trailing `\s*$`
# after a lazy group: that shape backtracks quadratically over a long run of spaces.
_HEADING3 = re.compile(r"^###\s+(?P<text>\S.*)$")
_FIELD = re.compile(
    r"^\s*[-*+]\s+(?:\*\*(?P<label>[^*:]+?)\s*(?::\*\*|\*\*\s*:)|(?P<plain>[A-Za-z][A-Za-z ]{0,40}?)\s*:)"
    r"(?P<value>.*)$"
)
_ENTRY_BULLET = re.compile(r"^[-*+]\s+\S")
_VENDOR = re.compile(
    r"^[-*+]\s+(?:\*\*(?P<bold>[^*]+)\*\*|(?P<plain>[^\s*:(\[][^:(\[]*?))\s*:\s*(?P<status>[A-Za-z][\w-]*)"
    r"(?P<rest>(?:[\s,;(\[].*)?)$"
)
_VENDOR_TESTS = re.compile(
    r"\(\s*(?P<passing>\d+)\s*/\s*(?P<total>\d+)\s+tests?(?:\s+pass(?:ed|ing))?"
    r"(?:\s*,\s*(?P<skipped>\d+)\s+skipped)?\s*\)",
    re.IGNORECASE,
)
_VENDOR_SHORT_VERSION = re.compile(r"(?:^|\s)v(?P<version>\d[\w.+-]*)")
_NO_FORMATS = re.compile(r"\bno formats\b", re.IGNORECASE)
_ID_COMMENT = re.compile(
    r"\s*<!--\s*id:?\s*(?P<id>[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})\s*-->"
)
"""The full id the report writes after each entry's first line, hidden when rendered."""
_ID_PREFIX = re.compile(r"`([0-9a-f][0-9a-f-]{7,35})`")
_TREE_ITEM = re.compile(
    r"^(?P<indent>\s*)[-*+]\s+\*\*(?P<title>.+)\*\*\s+\((?P<type>project|session|task|research)\)(?P<rest>.*)$",
    re.IGNORECASE,
)
"""A work item of the nested hierarchy: `- **Title** (type) `1a2b3c4d`: status, priority N, created T`."""
_TREE_FACTS = re.compile(
    r"^\s*(?:`[0-9a-f-]{8,36}`)?\s*:?\s*(?P<status>[a-z_]+)(?:\s*,\s*priority\s+(?P<priority>\w+))?"
    r"(?:\s*,\s*created\s+(?P<created>\S.*))?$",
    re.IGNORECASE,
)
_VENDOR_FORMATS = re.compile(r"\[(?P<formats>[^\]]*)\]")
_VENDOR_VERSION = re.compile(r"(?:^|\s)version\s+(?P<version>\S.*)$", re.IGNORECASE)
_VENDOR_MANIFEST = re.compile(r"manifest\s+(?P<manifest>non-compliant|compliant)", re.IGNORECASE)
_HEADER_COUNTS = re.compile(r"\((?P<operational>\d+)\s*/\s*(?P<total>\d+)\)")
_ITEM_TYPE = re.compile(r"\((?P<type>project|session|task|research)\)$", re.IGNORECASE)
_DEPLOY_HEADING = re.compile(
    r"^(?P<when>\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?)\s*(?:UTC|Z)?"
    r"(?:\s*[-\u2013\u2014:]\s*PR\s*#?\s*(?P<pr>\d+))?(?:\s*[-\u2013\u2014:]\s*(?P<title>\S.*))?$",
    re.IGNORECASE,
)
_ENHANCEMENT = re.compile(
    r"^[-*+]\s+(?:\*\*(?P<bold>[^*]+)\*\*|(?P<plain>[^\s*(][^(]*?))\s*\((?P<inside>[^)]*)\)(?P<after>.*)$"
)
_PRIORITY_PART = re.compile(r"^priority\s*[:=]?\s*(?P<value>\S+)$", re.IGNORECASE)
_QUARTER = re.compile(
    r"^(?:(?P<year>\d{4})\s*-?\s*Q(?P<q>[1-4])|Q(?P<q2>[1-4])\s*[-/ ]?\s*(?P<year2>\d{4}))$", re.I
)
_PRIORITY_WORDS = {"critical": 1, "highest": 1, "high": 2, "medium": 3, "normal": 3, "low": 4, "lowest": 5}
_ENHANCEMENT_STATUSES = ("planned", "approved", "implementing", "completed")
_PRINCIPLES = re.compile(r"(?:^|\s)Principles:\s*(?P<list>.*)$")
_DEPENDS = re.compile(r"^Depends on:\s*(?P<list>.*)$")
_CREATED = re.compile(r"^(?P<when>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?)\s*(?:UTC|Z)?$")
_FOOTER = re.compile(r"^\*[^*].*\*$")
"""The report's closing line, e.g. `*Generated at 2025-10-06T17:42:10Z*`."""
MAX_FILE_BYTES = 10_000_000
_PLACEHOLDER = re.compile(r"^_No [^_]*\._$")
"""What the report writes in an empty section, e.g. `_No vendors._`."""
_YES = {"✓", "✅", "yes", "true", "compliant"}
_NO = {"✗", "❌", "✘", "no", "false", "non-compliant"}
_FORMAT_NAMES = ("excel", "csv", "pdf", "ocr")
_NONE = {"none", "-", "n/a", ""}


@dataclass
class Warning_:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class LegacyVendor:
    line: int
    name: str
    status: str
    extractor_version: str
    metadata: dict[str, Any]
    id: str | None = None


@dataclass
class LegacyWorkItem:
    line: int
    title: str
    item_type: str
    status: str = "active"
    priority: int = 3
    created_at: datetime | None = None
    parent: str | None = None
    branch_name: str | None = None
    commit_hash: str | None = None
    pr_number: int | None = None
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    """The full id the file gives (our report does), kept by an import."""
    parent_id: str | None = None
    waits_for: list[str] = field(default_factory=list)
    """Id prefixes of the unfinished items it depends on (`- **Waits for**: `1a2b3c4d` Title`)."""
    claimed_by: str | None = None
    claim_expires_at: datetime | None = None
    lines: dict[str, str] = field(default_factory=dict)
    """By field name, the values of the report's own lines under the item (`ITEM_LINES`) that the
    legacy format has no reading of its own for: an import gives them to the new item as they are."""


@dataclass
class LegacyDeployment:
    line: int
    deployed_at: datetime
    commit_hash: str
    metadata: dict[str, Any]
    vendor_names: list[str]
    work_item_titles: list[str]
    id: str | None = None


@dataclass
class LegacyEnhancement:
    line: int
    title: str
    priority: int
    status: str
    target_quarter: str | None
    description: str
    principles: list[str]
    depends_on: list[str]
    id: str | None = None


@dataclass
class LegacyConfiguration:
    active_context_type: str | None = None
    current_session: str | None = None
    git_branch: str | None = None
    git_head_commit: str | None = None
    default_token_budget: int | None = None


@dataclass
class LegacyStatus:
    """Everything read from one file, what could not be read, and what the file says it holds."""

    vendors: list[LegacyVendor] = field(default_factory=list)
    work_items: list[LegacyWorkItem] = field(default_factory=list)
    deployments: list[LegacyDeployment] = field(default_factory=list)
    enhancements: list[LegacyEnhancement] = field(default_factory=list)
    configuration: LegacyConfiguration | None = None
    prompts: list[SessionPrompt] = field(default_factory=list)
    """Session prompts embedded in the file (a `###` heading, then a frontmatter block)."""
    warnings: list[Warning_] = field(default_factory=list)
    unreadable: str | None = None
    """Why the file as a whole was not read (too large, not text, no section of the family)."""
    vendor_entries: int = 0
    vendor_total_declared: int | None = None
    work_item_entries: int = 0
    deployment_entries: int = 0
    enhancement_entries: int = 0
    prompt_entries: int = 0
    stray_entries: int = 0
    """Entry-like lines outside any section that reads them (e.g. after the closing `---`)."""
    incomplete_vendors: list[str] = field(default_factory=list)
    ids: dict[int, str] = field(default_factory=dict)
    """By line number, the full id written at the end of that line (`<!-- id UUID -->`)."""

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(Warning_(line, message))


def _when(text: str) -> datetime:
    text = text.strip().replace("T", " ")
    if ":" not in text:  # a date alone (upstream's deployment headings): midnight UTC
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    pattern = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
    return datetime.strptime(text, pattern).replace(tzinfo=UTC)


def _flag(value: str) -> bool | None:
    lowered = value.strip().lower()
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    return None


def _names(value: str, separator: str = ",") -> list[str]:
    """Split a list; a name in backticks may hold the separator (the report quotes such names)."""
    if value.strip().lower() in _NONE:
        return []
    names: list[str] = []
    rest = value.strip()
    while rest:
        if rest.startswith("`") and (end := rest.find("`", 1)) > 0:
            names.append(rest[1:end])
            rest = rest[end + 1 :].lstrip()
            rest = rest[len(separator) :].lstrip() if rest.startswith(separator) else rest
            continue
        part, _, rest = rest.partition(separator)
        if part.strip():
            names.append(part.strip())
        rest = rest.lstrip()
    return names


def _strip_code(value: str) -> str:
    return value.strip().strip("`").strip()


def _blocks(
    status: LegacyStatus, lines: list[tuple[int, str]], starts: re.Pattern[str]
) -> list[list[tuple[int, str]]]:
    """Split a section into entries, each starting at a line that matches `starts`.

    Text before the first entry is not silently dropped: a bullet there is an entry written in
    another shape (it becomes an unreadable entry, so its count check fails), other text a warning.
    """
    blocks: list[list[tuple[int, str]]] = []
    for number, text in lines:
        if starts.match(text):
            blocks.append([(number, text)])
        elif blocks and text.strip():
            blocks[-1].append((number, text))
        elif text.strip() and not _PLACEHOLDER.match(text.strip()):
            if re.match(r"^\s*[-*]\s", text):
                blocks.append([(number, text)])
            else:
                status.warn(number, f"text outside any entry ignored: {text.strip()[:60]!r}")
    return blocks


def parse(text: str) -> LegacyStatus:
    """Parse the whole file; never raises for content, only records warnings (and `unreadable`)."""
    status = LegacyStatus()
    if len(text.encode("utf-8", errors="replace")) > MAX_FILE_BYTES:
        status.unreadable = f"the file is larger than {MAX_FILE_BYTES} bytes; not read"
        status.warn(1, status.unreadable)
        return status
    if "\x00" in text or text.count("\ufffd") > max(8, len(text) // 100):
        status.unreadable = "the file is not UTF-8 text (it looks binary); not read"
        status.warn(1, status.unreadable)
        return status
    text = text.lstrip("\ufeff")
    lines = [raw.rstrip() for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    for index, line in enumerate(lines):
        if "<!--" in line and (marked := _ID_COMMENT.search(line)):
            status.ids[index + 1] = str(uuid.UUID(marked["id"]))
            lines[index] = (line[: marked.start()] + line[marked.end() :]).rstrip()
    sections: dict[str, tuple[int, str, list[tuple[int, str]]]] = {}
    current: list[tuple[int, str]] | None = None
    known = False  # inside a section this parser reads (False before the first, after `---`)
    in_frontmatter = False
    for number, line in enumerate(lines, start=1):
        if in_frontmatter:
            if current is not None:
                current.append((number, line))
            in_frontmatter = line.strip() != _FRONTMATTER
            continue
        heading = _SECTION.match(line)
        if heading:
            name = heading["name"]
            kind = section_kind(name)
            current, known = [], kind is not None
            if kind == "by_status":  # a view of the hierarchy, which is read instead
                continue
            if kind is None:
                status.warn(number, f"unknown section {name!r} skipped")
            elif kind in sections:  # e.g. "Active" and "Completed Work Items": read both
                current = sections[kind][2]
            else:
                sections[kind] = (number, name, current)
            continue
        if line.strip() == _FRONTMATTER:
            if current is not None and _last_text(current).startswith("###"):
                current.append((number, line))
                in_frontmatter = True
            else:
                current, known = None, False
            continue
        if current is not None:
            current.append((number, line))
        elif line.strip() and not known and not _outside_text_expected(line):
            status.warn(number, f"text outside any section not read: {line.strip()[:60]!r}")
    if not sections:
        status.unreadable = (
            "no section of a status file found (## Vendors, ## Work Items, ## Deployments, "
            "## Enhancements, ## Configuration, ## Session Prompts); nothing to import"
        )
        status.warn(1, status.unreadable)
        return status
    for kind, (start, name, body) in sections.items():
        body[:] = _take_embedded_prompts(status, body)
        if kind == "vendors":
            _vendors(status, start, name, body)
        elif kind == "work_items":
            _work_items(status, body)
        elif kind == "deployments":
            _deployments(status, body)
        elif kind == "enhancements":
            _enhancements(status, body)
        elif kind == "configuration":
            status.configuration = _configuration(status, body)
        elif kind == "sessions":
            for number, text in body:
                if text.strip() and not _PLACEHOLDER.match(text.strip()):
                    status.warn(
                        number, f"session prompt line outside a '### Session' entry: {text.strip()[:60]!r}"
                    )
    counts = count_entries(lines)
    status.vendor_entries = counts.get("vendors", 0)
    status.work_item_entries = counts.get("work_items", 0)
    status.deployment_entries = counts.get("deployments", 0)
    status.enhancement_entries = counts.get("enhancements", 0)
    status.prompt_entries = counts.get("prompts", 0)
    status.stray_entries = counts.get("stray", 0)
    return status


def _last_text(lines: list[tuple[int, str]]) -> str:
    for _, text in reversed(lines):
        if text.strip():
            return text.strip()
    return ""


def _outside_text_expected(line: str) -> bool:
    """The file's title, its closing `*Generated at ...*` line, or an HTML comment (our marker)."""
    text = line.strip()
    return text.startswith("# ") or text.startswith("<!--") or bool(_FOOTER.match(text))


def _take_embedded_prompts(status: LegacyStatus, body: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Read each `###` heading followed by a frontmatter block as a session prompt; the rest stays."""
    kept: list[tuple[int, str]] = []
    index = 0
    while index < len(body):
        number, text = body[index]
        rest = [(n, t) for n, t in body[index + 1 :] if t.strip()]
        if text.startswith("###") and rest and rest[0][1].strip() == _FRONTMATTER:
            start = body.index(rest[0])
            end = next((i for i in range(start + 1, len(body)) if body[i][1].strip() == _FRONTMATTER), None)
            stop = next(
                (i for i in range((end or start) + 1, len(body)) if body[i][1].startswith(("###", "## "))),
                len(body),
            )
            source = f"line {number}"
            if end is None:
                status.warn(
                    number, "embedded session prompt: its frontmatter block is not closed with '---'; skipped"
                )
            else:
                prompt_text = "\n".join(t for _, t in body[start:stop])
                try:
                    status.prompts.append(parse_prompt(source, prompt_text))
                except ValueError as error:
                    status.warn(number, f"embedded session prompt: {error}; skipped")
            index = stop
            continue
        kept.append((number, text))
        index += 1
    return kept


def _vendors(status: LegacyStatus, line: int, name: str, lines: list[tuple[int, str]]) -> None:
    counts = _HEADER_COUNTS.search(name)
    if counts:
        status.vendor_total_declared = int(counts["total"])
    for block in _blocks(status, lines, _ENTRY_BULLET):
        number = block[0][0]
        # One entry, however it was wrapped: our three lines, one line, or breaks anywhere.
        whole = " ".join(text.strip() for _, text in block)
        head = _VENDOR.match(whole)
        if head is None:
            status.warn(
                number, "vendor entry not of the form '- **Name**: status (tests) [formats] version'; skipped"
            )
            continue
        vendor_name = (head["bold"] or head["plain"]).strip()
        rest = head["rest"]
        tests, formats = _VENDOR_TESTS.search(rest), _VENDOR_FORMATS.search(rest)
        no_formats = formats is None and _NO_FORMATS.search(rest) is not None
        manifest = _VENDOR_MANIFEST.search(rest)
        # "version 3.0.2 hotfix, manifest compliant": the version runs up to ", manifest".
        before_manifest = rest[: manifest.start()].rstrip().rstrip(",") if manifest else rest
        version = _VENDOR_VERSION.search(before_manifest) or _VENDOR_SHORT_VERSION.search(before_manifest)
        missing = [
            label
            for label, found in (
                ("test counts", tests),
                ("formats", formats or no_formats),
                ("version", version),
            )
            if not found
        ]
        if missing:
            status.incomplete_vendors.append(vendor_name)
            status.warn(number, f"vendor {vendor_name!r} lacks {', '.join(missing)}; skipped")
            continue
        assert tests and version
        chosen = (
            {part.strip().lower() for part in formats["formats"].split(",") if part.strip()}
            if formats
            else set()
        )
        unknown = sorted(chosen - set(_FORMAT_NAMES))
        if unknown:
            status.warn(number, f"vendor {vendor_name!r}: unknown format(s) {', '.join(unknown)} ignored")
        metadata: dict[str, Any] = {
            "format_support": {name: name in chosen for name in _FORMAT_NAMES},
            "test_results": {
                "passing": int(tests["passing"]),
                "total": int(tests["total"]),
                "skipped": int(tests["skipped"] or 0),
            },
        }
        if manifest is not None:  # upstream's one-line entries do not say; the default stands
            metadata["manifest_compliant"] = manifest["manifest"].lower() == "compliant"
        status.vendors.append(
            LegacyVendor(
                line=number,
                name=vendor_name,
                status=head["status"].strip().lower(),
                extractor_version=version["version"].strip(),
                metadata=metadata,
                id=status.ids.get(number),
            )
        )


def _fields(
    block: list[tuple[int, str]], status: LegacyStatus, labels: frozenset[str]
) -> dict[str, tuple[int, str]]:
    """`- **Label**: value` or `- Label: value` lines; a value may wrap onto lines that are not
    bullets, and several fields may share one line, separated by `;` before a known label."""
    found: dict[str, tuple[int, str]] = {}
    last: str | None = None
    for number, text in block[1:]:
        if not text.strip():
            continue
        match = _FIELD.match(text)
        if match is None:
            if last is not None and not _ENTRY_BULLET.match(text.strip()):
                found[last] = (found[last][0], f"{found[last][1]} {text.strip()}".strip())
                continue
            status.warn(number, f"line not of the form '- **Label**: value' ignored: {text.strip()[:60]!r}")
            continue
        for label, value in _split_fields(
            (match["label"] or match["plain"]).strip().lower(), match["value"], labels
        ):
            if label not in labels:
                status.warn(number, f"unknown label {label!r} ignored")
                last = None
                continue
            found[label] = (number, value.strip())
            last = label
    return found


_SHARED_LINE = re.compile(
    r";\s*(?:\*\*(?P<label>[^*:]+?)\s*(?::\*\*|\*\*\s*:)|(?P<plain>[A-Za-z][A-Za-z ]{0,40}?)\s*:)"
)


_FREE_TEXT = frozenset({"description", "frontmatter", "title", "blocked"})
"""Values that run to the end of their line: a `;` in them is text, not a field separator."""


def _split_fields(label: str, value: str, labels: frozenset[str]) -> list[tuple[str, str]]:
    """`Status: active; Priority: 2` on one line: split only where a known label follows `;`."""
    parts: list[tuple[str, str]] = []
    rest = value
    while label not in _FREE_TEXT:
        cut = next(
            (m for m in _SHARED_LINE.finditer(rest) if (m["label"] or m["plain"]).strip().lower() in labels),
            None,
        )
        if cut is None:
            parts.append((label, rest))
            return parts
        parts.append((label, rest[: cut.start()]))
        label, rest = (cut["label"] or cut["plain"]).strip().lower(), rest[cut.end() :]
    parts.append((label, rest))
    return parts


def _priority(value: str) -> int:
    """A priority as a number (1-5) or a word (critical, high, medium, low, lowest)."""
    text = value.strip().lower()
    if text in _PRIORITY_WORDS:
        return _PRIORITY_WORDS[text]
    try:
        return _int(text)
    except ValueError:
        raise ValueError(
            f"priority {value.strip()!r} is neither a number 1-5 nor one of {', '.join(_PRIORITY_WORDS)}"
        ) from None


def _int(value: str) -> int:
    return int(value.strip().lstrip("#").replace(",", "").replace("_", ""))


def _work_items(status: LegacyStatus, lines: list[tuple[int, str]]) -> None:
    first = next((text for _, text in lines if text.strip() and not _PLACEHOLDER.match(text.strip())), "")
    if _TREE_ITEM.match(first):
        _work_item_tree(status, lines)
        return
    seen: set[tuple[str, str, str | None]] = set()
    for block in _blocks(status, lines, _HEADING3):
        status.work_item_entries += 1
        number, first = block[0]
        text = _HEADING3.match(first)["text"]  # type: ignore[index]
        kind = _ITEM_TYPE.search(text)
        title = text[: kind.start()].strip() if kind else ""
        if kind is None or not title:
            status.warn(number, "work item heading not of the form '### Title (type)'; skipped")
            continue
        item = LegacyWorkItem(
            line=number, title=title, item_type=kind["type"].lower(), id=status.ids.get(number)
        )
        try:
            _fill_item(item, _fields(block, status, _WORK_ITEM_LABELS))
        except (ValueError, KeyError) as error:
            status.warn(number, f"work item {item.title!r}: {error}; skipped")
            continue
        key = (title, item.item_type, item.parent)  # the same title may recur under other parents
        if key in seen:
            status.warn(
                number, f"work item {title!r} ({item.item_type}) appears twice under one parent; skipped"
            )
            continue
        seen.add(key)
        status.work_items.append(item)


_WORK_ITEM_LABELS = frozenset(
    {
        "id",
        "status",
        "priority",
        "created",
        "parent",
        "branch",
        "commit",
        "pr",
        "description",
        "blocked",
        "token budget",
        "prompts",
        "frontmatter",
        "claimed by",
        "holder",
        "blocked by",
        "waits for",
        *(line.label.lower() for line in ITEM_LINES),
    }
)
_OWN_READING = frozenset({"branch_name", "commit_hash", "pr_number"})
"""Report lines the legacy format has too, read as loosely as hand-kept files spell them."""
_DEPLOYMENT_LABELS = frozenset(
    {"id", "title", "commit", "tests", "constitutional compliance", "compliance", "vendors", "work items"}
)


def _work_item_tree(status: LegacyStatus, lines: list[tuple[int, str]]) -> None:
    """The nested layout: an item per bullet, its parent the bullet it is nested in, its other
    fields the `- **Label**: value` bullets right under it."""
    parents: list[tuple[int, LegacyWorkItem]] = []  # the open bullets, outermost first
    blocks: list[tuple[LegacyWorkItem, str, list[tuple[int, str]]]] = []
    for number, text in lines:
        stripped = text.strip()
        if not stripped or _PLACEHOLDER.match(stripped):
            continue
        head = None if _FIELD.match(text) else _TREE_ITEM.match(text)
        if head is None:
            if blocks:
                blocks[-1][2].append((number, text))
            else:
                status.warn(number, f"text outside any entry ignored: {stripped[:60]!r}")
            continue
        indent = len(head["indent"].expandtabs(4))
        while parents and parents[-1][0] >= indent:
            parents.pop()
        parent = parents[-1][1] if parents else None
        item = LegacyWorkItem(
            line=number,
            title=head["title"].strip(),
            item_type=head["type"].lower(),
            id=status.ids.get(number),
            parent=parent.title if parent else None,
            parent_id=parent.id if parent else None,
        )
        parents.append((indent, item))
        blocks.append((item, head["rest"], [(number, text)]))
    seen: set[str] = set()
    for item, rest, block in blocks:
        facts = _TREE_FACTS.match(rest)
        if facts is None:
            status.warn(item.line, f"work item {item.title!r}: no ': status, priority N' after it; skipped")
            continue
        fields = _fields(block, status, _WORK_ITEM_LABELS)
        fields.setdefault("status", (item.line, facts["status"]))
        if facts["priority"]:
            fields.setdefault("priority", (item.line, facts["priority"]))
        if facts["created"]:
            fields.setdefault("created", (item.line, facts["created"]))
        try:
            _fill_item(item, fields)
        except (ValueError, KeyError) as error:
            status.warn(item.line, f"work item {item.title!r}: {error}; skipped")
            continue
        key = item.id or f"{item.title}\0{item.item_type}\0{item.parent_id or item.parent}"
        if key in seen:
            status.warn(item.line, f"work item {item.title!r} ({item.item_type}) appears twice; skipped")
            continue
        seen.add(key)
        status.work_items.append(item)


def _fill_item(item: LegacyWorkItem, fields: dict[str, tuple[int, str]]) -> None:
    def value(label: str) -> str | None:
        found = fields.get(label)
        return found[1].strip() if found and found[1].strip() else None

    if (text := value("status")) is not None:
        item.status = text.lower()
    if (text := value("priority")) is not None:
        item.priority = _priority(text)
    if (text := value("created")) is not None:
        created = _CREATED.match(text)
        if created is None:
            raise ValueError(f"unreadable Created time {text!r}")
        item.created_at = _when(created["when"])
    if "parent" in fields:
        item.parent = value("parent")
    item.branch_name = value("branch")
    if (text := value("commit")) is not None:
        item.commit_hash = _strip_code(text)
    if (text := value("pr")) is not None:
        item.pr_number = _int(text)
    item.description = value("description")
    if (text := value("blocked")) is not None:
        item.metadata["blocked_reason"] = text
    if (text := value("claimed by")) is not None:
        holder, _, until = text.rpartition(" until ")
        expires = _CREATED.match(until.strip())
        if not holder.strip() or expires is None:
            raise ValueError(f"Claimed by {text!r} is not 'actor until YYYY-MM-DD HH:MM:SS UTC'")
        item.claimed_by, item.claim_expires_at = holder.strip(), _when(expires["when"])
    if (text := value("waits for")) is not None:
        item.waits_for = _ID_PREFIX.findall(text)
    for line in ITEM_LINES:
        if line.field not in _OWN_READING and (text := value(line.label.lower())) is not None:
            item.lines[line.field] = line.read(text)
    if (text := value("token budget")) is not None:
        item.metadata["token_budget"] = _int(text)
    if (text := value("prompts")) is not None:
        item.metadata["prompts_count"] = _int(text)
    if (text := value("frontmatter")) is not None:
        frontmatter = json.loads(text)
        if not isinstance(frontmatter, dict):
            raise ValueError("Frontmatter is not a JSON object")
        item.metadata["yaml_frontmatter"] = frontmatter


def _deployments(status: LegacyStatus, lines: list[tuple[int, str]]) -> None:
    seen: set[tuple[datetime, str]] = set()
    for block in _blocks(status, lines, _HEADING3):
        status.deployment_entries += 1
        number, first = block[0]
        start = _HEADING3.match(first)
        heading = _DEPLOY_HEADING.match(start["text"]) if start else None
        if heading is None:
            status.warn(
                number, "deployment heading not of the form '### YYYY-MM-DD[ HH:MM:SS UTC] - PR #N'; skipped"
            )
            continue
        fields = _fields(block, status, _DEPLOYMENT_LABELS)
        commit = fields.get("commit")
        if commit is None:
            status.warn(number, "deployment without a Commit line; skipped")
            continue
        metadata: dict[str, Any] = {}
        if heading["pr"]:
            metadata["pr_number"] = int(heading["pr"])
        if "title" in fields and fields["title"][1].strip():
            metadata["pr_title"] = fields["title"][1].strip()
        elif heading["title"]:
            metadata["pr_title"] = heading["title"].strip()
        try:
            metadata["test_summary"] = _test_summary(fields.get("tests", (number, "none"))[1])
        except ValueError as error:
            status.warn(number, f"deployment tests unreadable ({error}); skipped")
            continue
        compliance = fields.get("constitutional compliance") or fields.get("compliance")
        if compliance is not None:
            flag = _flag(compliance[1])
            if flag is None:
                status.warn(compliance[0], f"compliance mark {compliance[1]!r} not one of ✓ ✗ ✅ ❌; skipped")
                continue
            metadata["constitutional_compliance"] = flag
        key = (_when(heading["when"]), _strip_code(commit[1]))
        if key in seen:
            status.warn(number, "the same deployment (time and commit) appears twice in the file; skipped")
            continue
        seen.add(key)
        status.deployments.append(
            LegacyDeployment(
                line=number,
                deployed_at=key[0],
                commit_hash=key[1],
                metadata=metadata,
                vendor_names=_names(fields.get("vendors", (number, "none"))[1]),
                work_item_titles=_names(fields.get("work items", (number, "none"))[1]),
                id=status.ids.get(number),
            )
        )


_COUNT_FIRST = re.compile(r"^(?P<count>\d[\d,_]*)\s+(?P<name>[A-Za-z][\w -]*)$")


def _test_summary(value: str) -> dict[str, int]:
    """`unit: 412, integration: 37` (ours) or `45 passed, 0 failed` (upstream's)."""
    summary: dict[str, int] = {}
    for part in _names(value):
        name, _, count = part.partition(":")
        if count:
            summary[name.strip()] = _int(count)
        elif match := _COUNT_FIRST.match(part.strip()):
            summary[match["name"].strip()] = _int(match["count"])
        else:
            raise ValueError(f"{part!r} is not 'category: count' or 'count category'")
    return summary


def _enhancements(status: LegacyStatus, lines: list[tuple[int, str]]) -> None:
    seen: set[str] = set()
    for block in _blocks(status, lines, _ENTRY_BULLET):
        number = block[0][0]
        # The head may wrap: join lines until its parenthesis closes; the rest is description.
        head = None
        for taken in range(1, len(block) + 1):
            head = _ENHANCEMENT.match(" ".join(text.strip() for _, text in block[:taken]))
            if head is not None:
                break
        if head is None:
            status.warn(
                number,
                "enhancement not of the form '- **Title** (priority N, status[, YYYY-Qn])' or "
                "'- Title (Priority: High, Q1 2026)'; skipped",
            )
            continue
        title = (head["bold"] or head["plain"]).strip()
        try:
            priority, state, quarter = _enhancement_terms(head["inside"])
        except ValueError as error:
            status.warn(number, f"enhancement {title!r}: {error}; skipped")
            continue
        if title in seen:
            status.warn(number, f"enhancement {title!r} appears twice in the file; skipped")
            continue
        seen.add(title)
        description_parts: list[str] = []
        principles: list[str] = []
        depends: list[str] = []
        for text in [head["after"], *(text for _, text in block[taken:])]:
            text = text.strip()
            if match := _DEPENDS.match(text):
                depends = _names(match["list"], ";")
                continue
            if match := _PRINCIPLES.search(text):
                principles = _names(match["list"])
                text = text[: match.start()].strip()
            if text:
                description_parts.append(text)
        status.enhancements.append(
            LegacyEnhancement(
                line=number,
                title=title,
                priority=priority,
                status=state,
                target_quarter=quarter,
                description=" ".join(description_parts),
                principles=principles,
                depends_on=depends,
                id=status.ids.get(number),
            )
        )


def _enhancement_terms(inside: str) -> tuple[int, str, str | None]:
    """`priority 1, planned, 2026-Q1` or `Priority: High, Q1 2026`: priority, status, quarter."""
    priority: int | None = None
    state, quarter = "planned", None
    for part in (piece.strip() for piece in inside.split(",")):
        if not part:
            continue
        if match := _PRIORITY_PART.match(part):
            priority = _priority(match["value"])
        elif part.lower() in _ENHANCEMENT_STATUSES:
            state = part.lower()
        elif match := _QUARTER.match(part):
            quarter = f"{match['year'] or match['year2']}-Q{match['q'] or match['q2']}"
        else:
            raise ValueError(
                f"{part!r} is not a priority, a status ({', '.join(_ENHANCEMENT_STATUSES)}) or a quarter"
            )
    if priority is None:
        raise ValueError("no priority (write 'priority 2' or 'Priority: High')")
    return priority, state, quarter


def _configuration(status: LegacyStatus, lines: list[tuple[int, str]]) -> LegacyConfiguration:
    config = LegacyConfiguration()
    for number, text in lines:
        match = _FIELD.match(text)
        if match is None:
            if text.strip():
                status.warn(number, "configuration line not of the form '- **Label**: value' ignored")
            continue
        label, value = (match["label"] or match["plain"]).strip().lower(), match["value"].strip()
        if value.lower() in _NONE:
            continue
        if label == "context":
            config.active_context_type = value.lower()
        elif label == "current session":
            config.current_session = value
        elif label == "git branch":
            config.git_branch = value
        elif label == "git head":
            config.git_head_commit = _strip_code(value)
        elif label == "default token budget":
            try:
                config.default_token_budget = _int(value)
            except ValueError:
                status.warn(number, f"default token budget {value!r} is not a number; ignored")
    return config
