"""Settings from `PROJECT_STATUS_*` environment variables; command-line flags override them."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from project_status.domain.bounds import DEFAULT_ARCHIVE_AFTER_DAYS, MAX_ARCHIVE_AFTER_DAYS
from project_status.domain.errors import ValidationError

DATA_DIR_NAME = ".project-status"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PROJECT_STATUS_", extra="ignore")

    database_url: str | None = None
    data_dir: Path | None = None
    http_token: str | None = None
    tokens_file: Path | None = None
    """`name token` per line: one shared HTTP server, each request acting as the token's person."""
    allowed_hosts: str = ""
    """Comma-separated extra Host names (or host:port) the HTTP server answers, besides its bind
    address: the name a reverse proxy forwards, for example."""
    http_max_connections: int = Field(1000, ge=1)
    """Open HTTP connections the server accepts at once; more are answered 503 and closed."""
    http_request_timeout: float = Field(10.0, gt=0)
    """Seconds a client has to send a whole request (headers and body) once it starts one."""
    http_keep_alive_timeout: float = Field(5.0, gt=0)
    """Seconds an idle keep-alive connection stays open between requests."""
    pool_size: int | None = Field(None, ge=1, le=1000)
    """PostgreSQL connections one server process may hold (default 2; 10 for the HTTP server)."""
    pool_idle_seconds: float = Field(60.0, gt=0)
    """Idle PostgreSQL connections of a process are closed after this many seconds."""
    mirror: bool = True
    """With PostgreSQL as the primary, keep the local SQLite mirror (read cache, offline journal)."""
    mirror_ttl_minutes: float = 30.0
    """Reads fall back to the mirror only if it was copied from PostgreSQL this recently."""
    mirror_refresh_minutes: float = 5.0
    """How often a running server copies PostgreSQL into the mirror."""
    archive_after_days: int = Field(DEFAULT_ARCHIVE_AFTER_DAYS, ge=1, le=MAX_ARCHIVE_AFTER_DAYS)
    """Completed or deleted items untouched for this many days are archived (with their subtree)."""
    archive_interval_hours: float = Field(24.0, ge=0)
    """How often the MCP server's archive job runs; 0 turns the job off."""
    answer_timeout_seconds: float = Field(1.5, gt=0, le=600)
    """PostgreSQL: a call with no answer this long is given up, and the fallback chain answers."""
    connect_timeout_seconds: float = Field(1.5, gt=0, le=600)
    """PostgreSQL: how long opening a connection may take before the database counts as down."""
    sqlite_busy_seconds: float = Field(10.0, gt=0, le=3600)
    """SQLite: how long a write waits for another process's write lock before "database is locked"
    (read by the store from PROJECT_STATUS_SQLITE_BUSY_SECONDS; declared here so a bad value is
    refused at start-up with the setting's name)."""
    report_refresh_seconds: float = Field(2.0, ge=0, le=3600)
    """A generated `.project_status.md` is rewritten this long after the last change; 0 turns it off."""


def marked_project_root(start: Path | None = None) -> Path | None:
    """The nearest folder at or above `start` holding `.git` or `.project-status`, else None."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists() or (folder / DATA_DIR_NAME).is_dir():
            return folder
    return None


def find_project_root(start: Path | None = None) -> Path:
    """The nearest folder holding `.git` or `.project-status`, else the starting folder."""
    return marked_project_root(start) or (start or Path.cwd()).resolve()


def _no_place_for_data(root: Path) -> str | None:
    """Why `root` must not get a new data folder: the filesystem root or the home folder is where
    a client started outside any project lands, and data made there would be everyone's."""
    resolved = root.resolve()
    if resolved == Path(resolved.anchor):
        return "the filesystem root"
    try:
        if resolved == Path.home().resolve():
            return "your home folder"
    except RuntimeError:  # no home folder known
        return None
    return None


def data_dir(settings: Settings, start: Path | None = None) -> Path:
    """The data folder: PROJECT_STATUS_DATA_DIR, else `.project-status/` in the project root
    found from `start` (the working folder unless given).

    Started outside any project (in / or the home folder, as a desktop client may start a
    server), a new data folder is not made there: the error says what to set instead. An
    existing one there is used, as before.
    """
    if settings.data_dir is not None:
        return settings.data_dir
    root = find_project_root(start)
    folder = root / DATA_DIR_NAME
    where = None if folder.is_dir() else _no_place_for_data(root)
    if where is not None:
        raise ValidationError(
            f"No project folder: {root} is {where}, and project-status does not create its data "
            f"folder {DATA_DIR_NAME}/ there. Run it inside your project (a folder holding .git or "
            f"{DATA_DIR_NAME}), or set PROJECT_STATUS_DATA_DIR to the data folder to use, e.g. "
            f"PROJECT_STATUS_DATA_DIR=/path/to/project/{DATA_DIR_NAME}",
            {"field": "PROJECT_STATUS_DATA_DIR", "value": None, "working_folder": str(root)},
        )
    return folder


def normalize_database_url(url: str) -> str:
    """Add the async driver the user should not have to know about."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+asyncpg://" + url[len(plain) :]
    if url.startswith("postgresql+psycopg2://") or url.startswith("postgresql+psycopg://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


def database_url(settings: Settings) -> str:
    if settings.database_url:
        return normalize_database_url(settings.database_url)
    return f"sqlite+aiosqlite:///{data_dir(settings) / 'status.db'}"
