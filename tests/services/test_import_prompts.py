"""Session prompt files (services/importing/prompts.py) and their import: safe YAML only, schema
versions, the skipped files' warnings, hostile files refused quickly, prompts from git history
(a temporary repository built here), and sessions created or updated on both backends.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from project_status.services.importing.importer import ImportReport
from project_status.services.importing.legacy import parse
from project_status.services.importing.prompts import (
    MAX_FILE_BYTES,
    PromptScan,
    SessionPrompt,
    parse_prompt,
    scan_folder,
    scan_git,
)
from project_status.services.tracker import Tracker
from tests.helpers import create_item, unchanged
from tests.services.import_data import ACTOR, PROMPTS, import_fixture, legacy_text, rows

VALID = ("2025-08-04-kickoff.md", "2025-09-15-table-extraction-research.md", "2025-09-29-vendor-wave-3.md")
SKIPPED = {
    "2025-09-02-broken-yaml.md": "malformed YAML at line 5",
    "2025-09-08-missing-budget.md": "missing required field(s): token_budget",
    "2025-09-10-future-schema.md": "schema_version 9.0 is not supported (supported: 1.0, 1.1)",
}
QUICK = 5.0  # seconds: "refused quickly" means no hang, not a benchmark


def prompt_text(session: str, budget: int | str = 100_000, *, version: str = "1.0", extra: str = "") -> str:
    return (
        f'---\nschema_version: "{version}"\nsession: {session}\ntoken_budget: {budget}\n{extra}---\n'
        f"Prompt for {session}.\n"
    )


def refused(text: str) -> str:
    """The reason parse_prompt gives for refusing `text`."""
    with pytest.raises(ValueError) as caught:
        parse_prompt("sample.md", text)
    return str(caught.value)


# --------------------------------------------------------------------------- one file


def test_a_valid_prompt_is_read_with_its_whole_frontmatter() -> None:
    prompt = parse_prompt("wave.md", (PROMPTS / "2025-09-29-vendor-wave-3.md").read_text(encoding="utf-8"))

    assert prompt == SessionPrompt(
        source="wave.md",
        session="Vendor onboarding wave 3",
        schema_version="1.0",
        token_budget=180_000,
        prompts_count=14,
        branch="014-vendor-wave-3",
        frontmatter={
            "schema_version": "1.0",
            "session": "Vendor onboarding wave 3",
            "token_budget": 180_000,
            "prompts_count": 14,
            "branch": "014-vendor-wave-3",
            "created_by": "claude-code",
        },
    )


def test_schema_1_1_and_optional_fields_absent() -> None:
    prompt = parse_prompt("k.md", prompt_text("Kickoff", 2_000, version="1.1"))

    assert (prompt.schema_version, prompt.prompts_count, prompt.branch) == ("1.1", None, None)


def test_an_unquoted_schema_version_and_crlf_lines_are_read() -> None:
    text = prompt_text("Kickoff").replace('"1.0"', "1.0").replace("\n", "\r\n")

    prompt = parse_prompt("k.md", text)

    assert (prompt.session, prompt.schema_version, prompt.token_budget) == ("Kickoff", "1.0", 100_000)


def test_yaml_dates_are_kept_as_text() -> None:
    prompt = parse_prompt("k.md", prompt_text("Kickoff", extra="started: 2025-08-04\n"))

    assert prompt.frontmatter["started"] == "2025-08-04"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("Just a body, no frontmatter.\n", "no YAML frontmatter", id="no-frontmatter"),
        pytest.param(
            "---\nsession: S\ntoken_budget: 1000\n---\n",
            "schema_version missing is not supported (supported: 1.0, 1.1)",
            id="no-schema-version",
        ),
        pytest.param(
            prompt_text("S", version="2.0"),
            "schema_version 2.0 is not supported (supported: 1.0, 1.1)",
            id="unknown-schema-version",
        ),
        pytest.param(
            '---\nschema_version: "1.0"\ntoken_budget: 1000\n---\n',
            "missing required field(s): session",
            id="no-session",
        ),
        pytest.param(
            '---\nschema_version: "1.1"\nsession: S\ntoken_budget:\n---\n',
            "missing required field(s): token_budget",
            id="empty-token-budget",
        ),
        pytest.param(
            prompt_text("S", "lots"),
            "must be a whole number",
            id="token-budget-not-a-number",
        ),
        pytest.param(
            prompt_text("S", extra="prompts_count: [1, 2]\n"),
            "must be a whole number",
            id="prompts-count-a-list",
        ),
        pytest.param(
            '---\nschema_version: "1.0"\nsession: S\ntoken_budget: [unclosed\n---\n',
            "malformed YAML at line 5: expected ',' or ']', but got '<stream end>'",
            id="malformed-yaml",
        ),
    ],
)
def test_an_unusable_prompt_is_refused_with_its_reason(text: str, reason: str) -> None:
    assert reason in refused(text)


# --------------------------------------------------------------------------- hostile files


BILLION_LAUGHS = """---
schema_version: "1.0"
session: Bomb
token_budget: 1000
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
---
"""


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param(BILLION_LAUGHS, "YAML aliases are not accepted", id="billion-laughs"),
        pytest.param(
            '---\nbase: &base {token_budget: 1000}\n<<: *base\nschema_version: "1.0"\nsession: S\n---\n',
            "YAML aliases are not accepted",
            id="merge-key-alias",
        ),
        pytest.param(
            prompt_text("S") + "x" * (MAX_FILE_BYTES + 1),
            f"file larger than {MAX_FILE_BYTES} bytes",
            id="file-over-1-MB",
        ),
        pytest.param(
            prompt_text("S", extra=f"padding: {'x' * 70_000}\n"),
            "frontmatter larger than 64000 bytes",
            id="frontmatter-over-64-kB",
        ),
    ],
)
def test_a_hostile_prompt_is_refused_quickly_with_a_clear_reason(text: str, reason: str) -> None:
    started = time.monotonic()

    message = refused(text)

    assert reason in message
    assert time.monotonic() - started < QUICK


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['echo unsafe']",
        "!!python/object:collections.OrderedDict {}",
        "!!python/name:os.system",
        "!!python/object/new:builtins.dict {}",
    ],
)
def test_python_tags_are_refused_as_unsafe_yaml(tag: str) -> None:
    message = refused(prompt_text("S", extra=f"payload: {tag}\n"))

    # the line is the file's: the opening --- is line 1
    assert message.startswith("malformed YAML at line 5: could not determine a constructor")
    assert "python/" in message


def test_deeply_nested_yaml_is_skipped_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "nested.md").write_text(
        prompt_text("S", extra="x: " + "{a: " * 1000 + "1" + "}" * 1000 + "\n")
    )
    shutil.copy(PROMPTS / "2025-08-04-kickoff.md", tmp_path)

    scan = scan_folder(tmp_path)

    assert [p.session for p in scan.prompts] == ["Project kickoff"]
    assert [Path(source).name for source, _ in scan.skipped] == ["nested.md"]


# --------------------------------------------------------------------------- a folder


def test_the_sample_folder_gives_three_prompts_and_three_reasons() -> None:
    scan = scan_folder(PROMPTS)

    assert [Path(p.source).name for p in scan.prompts] == list(VALID)
    assert [(p.session, p.schema_version, p.token_budget, p.prompts_count) for p in scan.prompts] == [
        ("Project kickoff", "1.1", 200_000, 3),
        ("Table extraction research", "1.0", 120_000, 6),
        ("Vendor onboarding wave 3", "1.0", 180_000, 14),
    ]
    reasons = {Path(source).name: reason for source, reason in scan.skipped}
    assert set(reasons) == set(SKIPPED)  # the README is neither read nor warned about
    for name, reason in SKIPPED.items():
        assert reason in reasons[name]
    assert {source for source, _ in scan.skipped} == {str(PROMPTS / name) for name in SKIPPED}


def test_a_huge_file_in_a_folder_is_skipped_by_its_size(tmp_path: Path) -> None:
    huge = tmp_path / "huge.md"
    with huge.open("w", encoding="utf-8") as stream:
        stream.write(prompt_text("Huge"))
        stream.write("x" * (MAX_FILE_BYTES + 1))
    (tmp_path / "nested").mkdir()
    shutil.copy(PROMPTS / "2025-08-04-kickoff.md", tmp_path / "nested")
    (tmp_path / "latin1.md").write_bytes(prompt_text("Café").encode("latin-1"))
    started = time.monotonic()

    scan = scan_folder(tmp_path)

    assert time.monotonic() - started < QUICK
    assert [p.session for p in scan.prompts] == ["Project kickoff"]  # found in a subfolder
    reasons = {Path(source).name: reason for source, reason in scan.skipped}
    assert reasons["huge.md"] == f"file larger than {MAX_FILE_BYTES} bytes"
    assert "utf-8" in reasons["latin1.md"]


def test_a_folder_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        scan_folder(tmp_path / "missing")


# --------------------------------------------------------------------------- git history


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(repo.parent),  # no user configuration (signing, hooks) gets in the way
    }
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True, timeout=30
    )
    return done.stdout.strip()


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, list[str]]:
    """A repository whose prompts/ folder held the sample prompts, then an edit of one, then the
    removal of another; also a Markdown file outside prompts/. Returns the repo and its commits."""
    repo = tmp_path / "repo"
    (repo / "prompts").mkdir(parents=True)
    git(repo, "init", "-q")
    for name in ("2025-08-04-kickoff.md", "2025-09-29-vendor-wave-3.md", "2025-09-10-future-schema.md"):
        shutil.copy(PROMPTS / name, repo / "prompts" / name)
    (repo / "docs").mkdir()
    (repo / "docs" / "notes.md").write_text("# Notes\n")
    first = commit(repo, "prompts")
    wave = repo / "prompts" / "2025-09-29-vendor-wave-3.md"
    wave.write_text(wave.read_text(encoding="utf-8").replace("prompts_count: 14", "prompts_count: 15"))
    shutil.copy(PROMPTS / "2025-09-15-table-extraction-research.md", repo / "prompts")
    second = commit(repo, "wave 3 grew; research")
    git(repo, "rm", "-q", "prompts/2025-08-04-kickoff.md")
    third = commit(repo, "kickoff is done")
    return repo, [first, second, third]


def sources(scan: PromptScan) -> dict[str, str]:
    """path → commit (12 characters) of every prompt read."""
    return {p.source.split(":", 1)[1]: p.source.split(":", 1)[0] for p in scan.prompts}


def test_git_history_gives_the_newest_version_of_every_prompt_even_deleted(
    history: tuple[Path, list[str]],
) -> None:
    repo, (first, second, _) = history
    calls: list[tuple[int, int]] = []

    scan = scan_git(repo, "prompts/*.md", progress=lambda done, total: calls.append((done, total)))

    assert (
        sources(scan)
        == {
            "prompts/2025-08-04-kickoff.md": first[:12],  # deleted since: its last version
            "prompts/2025-09-15-table-extraction-research.md": second[:12],
            "prompts/2025-09-29-vendor-wave-3.md": second[:12],  # the edited version, not the first
        }
    )
    assert {p.session: p.prompts_count for p in scan.prompts} == {
        "Project kickoff": 3,
        "Table extraction research": 6,
        "Vendor onboarding wave 3": 15,
    }
    assert scan.skipped == [
        (
            f"{first[:12]}:prompts/2025-09-10-future-schema.md",
            "schema_version 9.0 is not supported (supported: 1.0, 1.1)",
        )
    ]
    assert calls == [(n, 4) for n in range(1, 5)]  # docs/notes.md is outside the glob


def test_git_history_since_a_commit_reads_only_later_commits(history: tuple[Path, list[str]]) -> None:
    repo, (first, second, third) = history

    assert set(sources(scan_git(repo, "prompts/*.md", since=first))) == {
        "prompts/2025-09-15-table-extraction-research.md",
        "prompts/2025-09-29-vendor-wave-3.md",
    }
    assert sources(scan_git(repo, "prompts/*.md", since=second)) == {}  # only a removal since
    assert sources(scan_git(repo, "prompts/*.md", since=third)) == {}


def test_the_default_glob_reads_every_markdown_file_in_the_history(history: tuple[Path, list[str]]) -> None:
    repo, _ = history

    scan = scan_git(repo)

    assert "docs/notes.md" in {source.split(":", 1)[1] for source, _ in scan.skipped}
    assert len(scan.prompts) == 3


def test_a_huge_file_in_git_history_is_refused_by_its_size(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "huge.md").write_text(prompt_text("Huge") + "x" * (MAX_FILE_BYTES + 1))
    (repo / "bomb.md").write_text(BILLION_LAUGHS)
    head = commit(repo, "hostile")
    started = time.monotonic()

    scan = scan_git(repo)

    assert time.monotonic() - started < QUICK
    assert scan.prompts == []
    assert dict(scan.skipped) == {
        f"{head[:12]}:bomb.md": "malformed YAML at line 6: YAML aliases are not accepted in "
        "prompt frontmatter",
        f"{head[:12]}:huge.md": f"file larger than {MAX_FILE_BYTES} bytes",
    }


def test_a_folder_that_is_not_a_repository_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="not a git repository"):
        scan_git(tmp_path)


def test_a_renamed_prompt_is_found_in_its_newest_version(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    shutil.copy(PROMPTS / "2025-09-29-vendor-wave-3.md", repo / "wave.md")
    commit(repo, "wave 3")
    git(repo, "mv", "wave.md", "2025-09-29-wave.md")
    moved = repo / "2025-09-29-wave.md"
    moved.write_text(moved.read_text(encoding="utf-8").replace("prompts_count: 14", "prompts_count: 15"))
    commit(repo, "rename and edit")

    scan = scan_git(repo)

    assert [p.prompts_count for p in scan.prompts if p.session == "Vendor onboarding wave 3"] == [15]


def test_a_prompt_with_a_non_ascii_file_name_is_found(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "café notes.md").write_text(prompt_text("Café"), encoding="utf-8")
    commit(repo, "café")

    scan = scan_git(repo)

    assert [p.session for p in scan.prompts] + [s for s, _ in scan.skipped] == ["Café"]


def test_progress_reaches_its_total_with_a_readme_in_the_history(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(PROMPTS, repo)
    git(repo, "init", "-q")
    commit(repo, "sample prompts")
    calls: list[tuple[int, int]] = []

    scan_git(repo, progress=lambda done, total: calls.append((done, total)))

    assert calls[-1][0] == calls[-1][1]


# --------------------------------------------------------------------------- importing sessions


async def import_prompts(tracker: Tracker, scan: PromptScan, *, dry_run: bool = False) -> ImportReport:
    return await tracker.imports.run(None, scan, actor=ACTOR, dry_run=dry_run)


async def test_prompts_alone_create_one_session_each(tracker: Tracker) -> None:
    report = await import_prompts(tracker, scan_folder(PROMPTS))

    assert (report.committed, report.passed) == (True, True)
    assert [(c.name, c.expected, c.found) for c in report.checks] == [("session prompt count", 3, 3)]
    assert (report.created, report.existing) == ({"sessions": 3}, {})
    items = (await rows(tracker))["work_items"]
    assert {(title, t) for title, t in items} == {
        ("Project kickoff", "session"),
        ("Table extraction research", "session"),
        ("Vendor onboarding wave 3", "session"),
    }
    wave = items[("Vendor onboarding wave 3", "session")]
    assert (wave["branch_name"], wave["parent"], wave["status"]) == ("014-vendor-wave-3", None, "active")
    assert wave["metadata"] == {
        "token_budget": 180_000,
        "prompts_count": 14,
        "yaml_frontmatter": {
            "schema_version": "1.0",
            "session": "Vendor onboarding wave 3",
            "token_budget": 180_000,
            "prompts_count": 14,
            "branch": "014-vendor-wave-3",
            "created_by": "claude-code",
        },
    }


async def test_each_skipped_prompt_is_warned_about_by_file_and_reason(tracker: Tracker) -> None:
    report = await import_prompts(tracker, scan_folder(PROMPTS))

    assert len(report.warnings) == 3
    for name, reason in SKIPPED.items():
        assert any(
            str(PROMPTS / name) in w and reason in w and w.endswith("; skipped") for w in report.warnings
        )


async def test_with_the_status_file_the_matching_session_is_updated_not_added(tracker: Tracker) -> None:
    report = await import_fixture(tracker, prompts=True)

    assert report.passed and report.committed
    assert (report.created["sessions"], report.existing["sessions"]) == (2, 1)
    items = (await rows(tracker))["work_items"]
    assert len(items) == 7
    assert sorted(title for title, t in items if t == "session") == [
        "Project kickoff",
        "Table extraction research",
        "Vendor onboarding wave 3",
    ]
    wave = items[("Vendor onboarding wave 3", "session")]
    assert (wave["metadata"]["token_budget"], wave["metadata"]["prompts_count"]) == (180_000, 14)
    assert wave["metadata"]["yaml_frontmatter"]["created_by"] == "claude-code"
    # what the status file said is kept: parent, branch, creation time
    assert (wave["parent"], wave["branch_name"], wave["created_at"].isoformat()) == (
        "Commission statement extraction",
        "014-vendor-wave-3",
        "2025-09-29T10:15:00+00:00",
    )


async def test_a_prompt_updates_a_session_that_was_already_in_the_database(tracker: Tracker) -> None:
    existing = await create_item(
        tracker, "Vendor onboarding wave 3", item_type="session", metadata={"token_budget": 150_000}
    )

    report = await import_prompts(tracker, scan_folder(PROMPTS))

    assert (report.created, report.existing) == ({"sessions": 2}, {"sessions": 1})
    after = await tracker.work_items.get(existing.id)
    assert after.version == existing.version + 1
    assert (after.metadata["token_budget"], after.metadata["prompts_count"]) == (180_000, 14)
    assert after.branch_name == "014-vendor-wave-3"  # it had none


async def test_importing_the_same_prompts_twice_adds_and_changes_nothing(tracker: Tracker) -> None:
    await import_prompts(tracker, scan_folder(PROMPTS))

    async with unchanged(tracker):
        again = await import_prompts(tracker, scan_folder(PROMPTS))

    assert (again.created, again.existing, again.passed) == ({}, {"sessions": 3}, True)


async def test_a_dry_run_of_prompts_writes_nothing(tracker: Tracker) -> None:
    async with unchanged(tracker):
        report = await import_prompts(tracker, scan_folder(PROMPTS), dry_run=True)

    assert (report.dry_run, report.committed, report.passed, report.created) == (
        True,
        False,
        True,
        {"sessions": 3},
    )


async def test_a_prompt_the_database_rejects_fails_the_check_and_rolls_back(
    tracker: Tracker, tmp_path: Path
) -> None:
    shutil.copy(PROMPTS / "2025-08-04-kickoff.md", tmp_path)
    (tmp_path / "tiny.md").write_text(prompt_text("Tiny budget", 10))  # below the 1000 minimum

    async with unchanged(tracker):
        report = await tracker.imports.run(parse(legacy_text()), scan_folder(tmp_path), actor=ACTOR)

    assert not report.committed
    assert [(c.name, c.expected, c.found) for c in report.checks if not c.passed] == [
        ("session prompt count", 2, 1)
    ]
    assert any(w.startswith(f"{tmp_path / 'tiny.md'}: session 'Tiny budget': ") for w in report.warnings)


async def test_prompts_from_git_history_import_the_deleted_one_too(
    tracker: Tracker, history: tuple[Path, list[str]]
) -> None:
    repo, _ = history

    report = await import_prompts(tracker, scan_git(repo, "prompts/*.md"))

    assert report.passed and report.created == {"sessions": 3}
    items = (await rows(tracker))["work_items"]
    assert ("Project kickoff", "session") in items  # removed from the repository since
    assert items[("Vendor onboarding wave 3", "session")]["metadata"]["prompts_count"] == 15
