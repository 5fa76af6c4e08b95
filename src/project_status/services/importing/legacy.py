"""Read a status file of the legacy family: the hand-kept `.project_status.md` and our report.

Hand-written variations are expected: blank lines, trailing spaces, CRLF line endings,
missing optional lines, sections in any order, ✓/✗ or ✅/❌. An entry that cannot be read
is skipped with a warning naming its line; the reconciliation then counts it as a mismatch.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Lines are right-stripped before they are matched, so no pattern needs a trailing `\s*$`
# after a lazy group: that shape backtracks quadratically over a long run of spaces.
_SECTION = re.compile(r"^##\s+(?P<name>[^#\s].*)$")
_HEADING3 = re.compile(r"^###\s+(?P<text>\S.*)$")
_FIELD = re.compile(r"^\s*[-*]\s+\*\*(?P<label>[^*]+)\*\*\s*:(?P<value>.*)$")
_VENDOR = re.compile(r"^[-*]\s+\*\*(?P<name>[^*]+)\*\*\s*:\s*(?P<status>\S+)$")
_VENDOR_TESTS = re.compile(
    r"\(\s*(?P<passing>\d+)\s*/\s*(?P<total>\d+)\s+tests?(?:\s*,\s*(?P<skipped>\d+)\s+skipped)?\s*\)"
)
_VENDOR_FORMATS = re.compile(r"\[(?P<formats>[^\]]*)\]")
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
    r"^\s*(?:`[0-9a-f-]{8,36}`)?\s*:?\s*(?P<status>[a-z_]+)(?:\s*,\s*priority\s+(?P<priority>\d+))?"
    r"(?:\s*,\s*created\s+(?P<created>\S.*))?$",
    re.IGNORECASE,
)
_VENDOR_VERSION = re.compile(r"(?:^|\s)version\s+(?P<version>\S.*)$", re.IGNORECASE)
_VENDOR_MANIFEST = re.compile(r"manifest\s+(?P<manifest>non-compliant|compliant)", re.IGNORECASE)
_HEADER_COUNTS = re.compile(r"\((?P<operational>\d+)\s*/\s*(?P<total>\d+)\)")
_ITEM_TYPE = re.compile(r"\((?P<type>project|session|task|research)\)$", re.IGNORECASE)
_DEPLOY_HEADING = re.compile(
    r"^(?P<when>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?)\s*(?:UTC|Z)?(?:\s*-\s*PR\s*#(?P<pr>\d+))?$"
)
_ENHANCEMENT = re.compile(
    r"^[-*]\s+\*\*(?P<title>[^*]+)\*\*\s*\(\s*priority\s+(?P<priority>\d+)\s*,\s*(?P<status>[a-z]+)"
    r"(?:\s*,\s*(?P<quarter>\d{4}-Q[1-4]))?\s*\)$",
    re.IGNORECASE,
)
_PRINCIPLES = re.compile(r"(?:^|\s)Principles:\s*(?P<list>.*)$")
_DEPENDS = re.compile(r"^Depends on:\s*(?P<list>.*)$")
_CREATED = re.compile(r"^(?P<when>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?)\s*(?:UTC|Z)?$")
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
    warnings: list[Warning_] = field(default_factory=list)
    vendor_entries: int = 0
    vendor_total_declared: int | None = None
    work_item_entries: int = 0
    deployment_entries: int = 0
    enhancement_entries: int = 0
    incomplete_vendors: list[str] = field(default_factory=list)
    ids: dict[int, str] = field(default_factory=dict)
    """By line number, the full id written at the end of that line (`<!-- id UUID -->`)."""

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(Warning_(line, message))


def _when(text: str) -> datetime:
    text = text.strip().replace("T", " ")
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
    """Parse the whole file; never raises for content, only records warnings."""
    status = LegacyStatus()
    if len(text.encode("utf-8", errors="replace")) > MAX_FILE_BYTES:
        status.warn(1, f"file larger than {MAX_FILE_BYTES} bytes; not read")
        return status
    text = text.lstrip("\ufeff")
    sections: dict[str, tuple[int, str, list[tuple[int, str]]]] = {}
    current: list[tuple[int, str]] | None = None
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        line = raw.rstrip()
        if "<!--" in line and (marked := _ID_COMMENT.search(line)):
            status.ids[number] = str(uuid.UUID(marked["id"]))
            line = (line[: marked.start()] + line[marked.end() :]).rstrip()
        heading = _SECTION.match(line)
        if heading:
            name = heading["name"]
            kind = _section_kind(name)
            current = []
            if kind == "by_status":  # a view of the hierarchy, which is read instead
                current = None
                continue
            if kind is None:
                status.warn(number, f"unknown section {name!r} skipped")
            elif kind in sections:  # e.g. "Active" and "Completed Work Items": read both
                current = sections[kind][2]
            else:
                sections[kind] = (number, name, current)
            continue
        if line.strip() == "---":
            current = None
        elif current is not None:
            current.append((number, line))
    if "vendors" in sections:
        _vendors(status, *sections["vendors"])
    if "work_items" in sections:
        _work_items(status, sections["work_items"][2])
    if "deployments" in sections:
        _deployments(status, sections["deployments"][2])
    if "enhancements" in sections:
        _enhancements(status, sections["enhancements"][2])
    if "configuration" in sections:
        status.configuration = _configuration(status, sections["configuration"][2])
    return status


def _section_kind(name: str) -> str | None:
    lowered = name.lower()
    for marker, kind in (
        ("by status", "by_status"),
        ("vendor", "vendors"),
        ("work item", "work_items"),
        ("deploy", "deployments"),
        ("enhancement", "enhancements"),
        ("configuration", "configuration"),
    ):
        if marker in lowered:
            return kind
    return None


def _vendors(status: LegacyStatus, line: int, name: str, lines: list[tuple[int, str]]) -> None:
    counts = _HEADER_COUNTS.search(name)
    if counts:
        status.vendor_total_declared = int(counts["total"])
    for block in _blocks(status, lines, re.compile(r"^[-*]\s+\*\*")):
        status.vendor_entries += 1
        number, first = block[0]
        head = _VENDOR.match(first)
        if head is None:
            status.warn(number, "vendor entry not of the form '- **Name**: status'; skipped")
            continue
        rest = " ".join(text.strip() for _, text in block[1:])
        tests, formats = _VENDOR_TESTS.search(rest), _VENDOR_FORMATS.search(rest) or _NO_FORMATS.search(rest)
        manifest = _VENDOR_MANIFEST.search(rest)
        # "version 3.0.2 hotfix, manifest compliant": the version runs up to ", manifest".
        before_manifest = rest[: manifest.start()].rstrip().rstrip(",") if manifest else rest
        version = _VENDOR_VERSION.search(before_manifest)
        missing = [
            label
            for label, found in (
                ("test counts", tests),
                ("formats", formats),
                ("version", version),
                ("manifest", manifest),
            )
            if found is None
        ]
        vendor_name = head["name"].strip()
        if missing:
            status.incomplete_vendors.append(vendor_name)
            status.warn(number, f"vendor {vendor_name!r} lacks {', '.join(missing)}; skipped")
            continue
        assert tests and formats and version and manifest
        listed = formats.groupdict().get("formats") or ""
        chosen = {part.strip().lower() for part in listed.split(",") if part.strip()}
        unknown = sorted(chosen - set(_FORMAT_NAMES))
        if unknown:
            status.warn(number, f"vendor {vendor_name!r}: unknown format(s) {', '.join(unknown)} ignored")
        status.vendors.append(
            LegacyVendor(
                line=number,
                name=vendor_name,
                status=head["status"].strip().lower(),
                extractor_version=version["version"].strip(),
                metadata={
                    "format_support": {name: name in chosen for name in _FORMAT_NAMES},
                    "test_results": {
                        "passing": int(tests["passing"]),
                        "total": int(tests["total"]),
                        "skipped": int(tests["skipped"] or 0),
                    },
                    "manifest_compliant": manifest["manifest"].lower() == "compliant",
                },
                id=status.ids.get(number),
            )
        )


def _fields(block: list[tuple[int, str]], status: LegacyStatus) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for number, text in block[1:]:
        match = _FIELD.match(text)
        if match is None:
            status.warn(number, f"line not of the form '- **Label**: value' ignored: {text.strip()[:60]!r}")
            continue
        found[match["label"].strip().lower()] = (number, match["value"].strip())
    return found


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
            _fill_item(item, _fields(block, status))
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
        status.work_item_entries += 1
        facts = _TREE_FACTS.match(rest)
        if facts is None:
            status.warn(
                item.line, f"work item {item.title!r}: not followed by ': status, priority N'; skipped"
            )
            continue
        fields = _fields(block, status)
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
        item.priority = _int(text)
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
    if (text := value("waits for")) is not None:
        item.waits_for = _ID_PREFIX.findall(text)
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
                number, "deployment heading not of the form '### YYYY-MM-DD HH:MM:SS UTC - PR #N'; skipped"
            )
            continue
        fields = _fields(block, status)
        commit = fields.get("commit")
        if commit is None:
            status.warn(number, "deployment without a Commit line; skipped")
            continue
        metadata: dict[str, Any] = {}
        if heading["pr"]:
            metadata["pr_number"] = int(heading["pr"])
        if "title" in fields and fields["title"][1].strip():
            metadata["pr_title"] = fields["title"][1].strip()
        try:
            metadata["test_summary"] = _test_summary(fields.get("tests", (number, "none"))[1])
        except ValueError as error:
            status.warn(number, f"deployment tests unreadable ({error}); skipped")
            continue
        compliance = fields.get("constitutional compliance")
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


def _test_summary(value: str) -> dict[str, int]:
    summary: dict[str, int] = {}
    for part in _names(value):
        name, _, count = part.partition(":")
        if not count:
            raise ValueError(f"{part!r} is not 'category: count'")
        summary[name.strip()] = _int(count)
    return summary


def _enhancements(status: LegacyStatus, lines: list[tuple[int, str]]) -> None:
    seen: set[str] = set()
    for block in _blocks(status, lines, re.compile(r"^[-*]\s+\*\*")):
        status.enhancement_entries += 1
        number, first = block[0]
        head = _ENHANCEMENT.match(first.strip())
        if head is None:
            status.warn(
                number, "enhancement not of the form '- **Title** (priority N, status[, YYYY-Qn])'; skipped"
            )
            continue
        if head["title"].strip() in seen:
            status.warn(number, f"enhancement {head['title'].strip()!r} appears twice in the file; skipped")
            continue
        seen.add(head["title"].strip())
        description_parts: list[str] = []
        principles: list[str] = []
        depends: list[str] = []
        for _, text in block[1:]:
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
                title=head["title"].strip(),
                priority=int(head["priority"]),
                status=head["status"].lower(),
                target_quarter=head["quarter"],
                description=" ".join(description_parts),
                principles=principles,
                depends_on=depends,
                id=status.ids.get(number),
            )
        )


def _configuration(status: LegacyStatus, lines: list[tuple[int, str]]) -> LegacyConfiguration:
    config = LegacyConfiguration()
    for number, text in lines:
        match = _FIELD.match(text)
        if match is None:
            if text.strip():
                status.warn(number, "configuration line not of the form '- **Label**: value' ignored")
            continue
        label, value = match["label"].strip().lower(), match["value"].strip()
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
