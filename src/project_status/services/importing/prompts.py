"""Session prompt files: Markdown with YAML frontmatter, from a folder or from git history.

Only safe YAML is read, without aliases (so no "billion laughs"), and files and frontmatter
have size limits, so a hostile or broken file is refused quickly instead of hanging.
"""

from __future__ import annotations

import fnmatch
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler

SUPPORTED_SCHEMA_VERSIONS = ("1.0", "1.1")
REQUIRED_FIELDS = {
    "1.0": ("session", "token_budget"),
    "1.1": ("session", "token_budget"),
}
MAX_FILE_BYTES = 1_000_000
MAX_FRONTMATTER_BYTES = 64_000
GIT_TIMEOUT_SECONDS = 120


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases (a prompt's frontmatter never needs them)
    and keeps decimals as written, so `schema_version: 1.10` is not read as "1.1"."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:float"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.constructor.ConstructorError(
                None, None, "YAML aliases are not accepted in prompt frontmatter", event.start_mark
            )
        return super().compose_node(parent, index)


class _SafeYAML(YAMLHandler):
    def load(self, fm: str, **kwargs: object) -> Any:
        if len(fm.encode()) > MAX_FRONTMATTER_BYTES:
            raise ValueError(f"frontmatter larger than {MAX_FRONTMATTER_BYTES} bytes")
        return yaml.load(fm, Loader=_NoAliasLoader)


@dataclass(frozen=True)
class SessionPrompt:
    source: str
    session: str
    schema_version: str
    token_budget: int
    prompts_count: int | None
    branch: str | None
    frontmatter: dict[str, Any]


@dataclass
class PromptScan:
    prompts: list[SessionPrompt] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(source, reason) for every file that was not read."""


def parse_prompt(source: str, text: str) -> SessionPrompt:
    """One prompt file; raises ValueError with the reason it cannot be used."""
    if len(text.encode()) > MAX_FILE_BYTES:
        raise ValueError(f"file larger than {MAX_FILE_BYTES} bytes")
    text = text.lstrip("\ufeff")
    if not text.startswith("---"):
        raise ValueError("no YAML frontmatter (the file must start with a '---' line)")
    try:
        post = frontmatter.loads(text, handler=_SafeYAML())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""  # line of the file
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ValueError(f"malformed YAML{where}: {problem}") from None
    except RecursionError:
        raise ValueError("malformed YAML: nested too deeply") from None
    except (AttributeError, TypeError):
        raise ValueError("the frontmatter is not a mapping of field: value") from None
    meta: dict[str, Any] = dict(post.metadata)
    if not meta:
        raise ValueError("empty YAML frontmatter")
    version = str(meta.get("schema_version", "")).strip()
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        shown = version or "missing"
        raise ValueError(
            f"schema_version {shown} is not supported (supported: {', '.join(SUPPORTED_SCHEMA_VERSIONS)})"
        )
    missing = [name for name in REQUIRED_FIELDS[version] if meta.get(name) in (None, "")]
    if missing:
        raise ValueError(f"missing required field(s): {', '.join(missing)}")
    if not isinstance(meta["session"], str):
        raise ValueError("session must be text (the session's title)")
    budget, count = meta["token_budget"], meta.get("prompts_count")
    if not isinstance(budget, int) or isinstance(budget, bool):
        raise ValueError(f"token_budget must be a whole number, got {budget!r}")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool)):
        raise ValueError(f"prompts_count must be a whole number, got {count!r}")
    meta["schema_version"] = version
    plain = _jsonable(meta)
    return SessionPrompt(
        source=source,
        session=str(meta["session"]).strip(),
        schema_version=version,
        token_budget=budget,
        prompts_count=count,
        branch=str(meta["branch"]).strip() if meta.get("branch") else None,
        frontmatter=plain,
    )


def _jsonable(value: Any) -> Any:
    """YAML dates and the like become strings, so the frontmatter can be stored as JSON."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def scan_folder(folder: Path, pattern: str = "*.md") -> PromptScan:
    scan = PromptScan()
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    for path in sorted(folder.rglob(pattern)):
        if path.name.lower() == "readme.md" or not path.is_file():
            continue
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise ValueError(f"file larger than {MAX_FILE_BYTES} bytes")
            scan.prompts.append(parse_prompt(str(path), path.read_text(encoding="utf-8")))
        except (ValueError, UnicodeDecodeError) as error:
            scan.skipped.append((str(path), str(error)))
    return scan


def _git(repo: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=GIT_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr.strip() or f"git {' '.join(args)} failed")
    return completed.stdout


def _history(repo: Path, path_glob: str, since: str | None) -> Iterator[tuple[str, str]]:
    """(commit, path) of every prompt version, newest commit first."""
    revisions = f"{since}..HEAD" if since else "HEAD"
    # Renamed and copied files count under their new path; -c core.quotePath=false keeps
    # non-ASCII file names as they are instead of quoting them.
    log = _git(
        repo,
        "-c",
        "core.quotePath=false",
        "log",
        "--format=@%H",
        "--name-only",
        "--diff-filter=AMRC",
        revisions,
    )
    commit = ""
    for line in log.splitlines():
        if line.startswith("@"):
            commit = line[1:]
        elif line.strip() and fnmatch.fnmatch(line.strip(), path_glob):
            yield commit, line.strip()


def scan_git(
    repo: Path,
    path_glob: str = "*.md",
    since: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PromptScan:
    """The newest version of every prompt the history ever held, deleted ones included.

    A session known under several paths (a renamed file) is taken from its newest version.
    """
    newest: dict[str, str] = {}  # path -> newest commit, newest paths first
    for commit, path in _history(repo, path_glob, since):
        newest.setdefault(path, commit)
    scan = PromptScan()
    sessions: set[str] = set()
    for done, (path, commit) in enumerate(newest.items(), start=1):
        if progress is not None:
            progress(done, len(newest))
        if Path(path).name.lower() == "readme.md":
            continue
        source = f"{commit[:12]}:{path}"
        try:
            size = int(_git(repo, "cat-file", "-s", f"{commit}:{path}").strip())
            if size > MAX_FILE_BYTES:
                raise ValueError(f"file larger than {MAX_FILE_BYTES} bytes")
            prompt = parse_prompt(source, _git(repo, "show", f"{commit}:{path}"))
        except (ValueError, RuntimeError) as error:
            scan.skipped.append((source, str(error)))
            continue
        if prompt.session in sessions:
            continue  # an older version of a session already taken (renamed or copied file)
        sessions.add(prompt.session)
        scan.prompts.append(prompt)
    return scan
