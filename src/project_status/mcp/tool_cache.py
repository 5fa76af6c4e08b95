"""The tool list, kept between starts in a file of the project's data folder.

Building it imports every command module and makes two JSON schemas per tool: about a tenth of
a stdio server's way to its first answer. A server finds the list it would build on file when the
file was written by the same code: the same package files (path, size, modification time) under
the same pydantic and SDK, which make and shape the schemas. Anything else (no file,
another fingerprint, a damaged file, a folder it cannot write) means building it, as before.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import Any

import mcp
import pydantic
from mcp.types import Tool as MCPTool

import project_status

FILE_NAME = "mcp-tools.json"
COMMAND_MODULES = "project_status.services.commands."
"""Where every command is defined: a module named on file is imported only from here."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Catalog:
    """Every tool by name (the unlisted aliases too), the listed names in order, and the module
    that defines each tool's command."""

    tools: dict[str, MCPTool]
    listed: list[str]
    modules: dict[str, str]


def fingerprint() -> str:
    """What the tool list is made from (a few milliseconds: it stats each source file). The
    SDK is named by its package file, which an install of any other version rewrites."""
    sdk = os.stat(mcp.__file__)
    digest = sha256(f"{pydantic.VERSION} {sdk.st_size} {sdk.st_mtime_ns}\n".encode())
    root = Path(project_status.__file__).parent
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                found = os.stat(os.path.join(folder, name))
                where = os.path.relpath(os.path.join(folder, name), root)
                digest.update(f"{where} {found.st_size} {found.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def read(path: Path, key: str) -> Catalog | None:
    """The catalog on file if `key` made it, else None."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("fingerprint") != key:
            return None
        modules = {name: str(module) for name, module in data["modules"].items()}
        if not all(module.startswith(COMMAND_MODULES) for module in modules.values()):
            return None
        tools = {wire["name"]: MCPTool.model_validate(wire) for wire in data["tools"]}
        listed = [str(name) for name in data["listed"]]
        if not set(listed) <= tools.keys() or tools.keys() != modules.keys():
            return None
        return Catalog(tools, listed, modules)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, pydantic.ValidationError):
        return None


def wire(tool: MCPTool) -> dict[str, Any]:
    """A tool as tools/list sends it."""
    return tool.model_dump(mode="json", by_alias=True, exclude_none=True)


def write(path: Path, key: str, catalog: Catalog) -> None:
    """Atomically (several servers may start at once); a failure only means no file."""
    data: dict[str, Any] = {
        "fingerprint": key,
        "tools": [wire(tool) for tool in catalog.tools.values()],
        "listed": catalog.listed,
        "modules": catalog.modules,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{FILE_NAME}.", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(data, stream, ensure_ascii=False, separators=(",", ":"))
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:
        log.debug("tool list not kept in %s: %s", path, error)
