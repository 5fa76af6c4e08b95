"""What the offline journal stores of a write: a registry command, its input as JSON, a format version.

A journal outlives the code that wrote it (it waits on a user's machine until PostgreSQL is
back), so it names commands, the stable contract of `services.commands`, never Python methods.

Format 1, written before commands existed, stored a service method's qualified name
(`WorkItemService.update`) and its bound arguments. Such entries are translated on reading by
`SERVICE_CALLS`; the same table names the command of a write made by calling a service directly
(the CLI, the importer, library code), so every entry written now is format 2.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from project_status.domain.configuration import ConfigurationRead
from project_status.domain.deployments import DeploymentRead
from project_status.domain.enhancements import EnhancementRead
from project_status.domain.vendors import VendorRead
from project_status.domain.work_items import DependencyRead, NoteRead, WorkItemRead
from project_status.services.commands import COMMANDS, Arguments, Command

FORMAT = 2
"""The journal format written now: a command name and its input model's JSON."""
SERVICE_CALL_FORMAT = 1


def _data(bound: Mapping[str, Any]) -> dict[str, Any]:
    return dict(bound["data"])


def _edge(bound: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "source_id": bound["source"],
        "target_id": bound["target"],
        "dependency_type": bound["dependency_type"],
    }


def _update(ident: str | None, argument: str = "id") -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """An update call: the entity its `ident` parameter names (the command's `argument`), the
    version read and the changes sent."""

    def translate(bound: Mapping[str, Any]) -> dict[str, Any]:
        key = {argument: bound[ident]} if ident is not None else {}
        return {**key, "version": bound["version"], **dict(bound["changes"])}

    return translate


def _renamed(**names: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """A call whose arguments are the command's, some under another name (`item` for `id`)."""

    def translate(bound: Mapping[str, Any]) -> dict[str, Any]:
        return {names.get(key, key): value for key, value in bound.items()}

    return translate


SERVICE_CALLS: dict[str, tuple[str, Callable[[Mapping[str, Any]], dict[str, Any]]]] = {
    "WorkItemService.create": ("create_work_item", _data),
    "WorkItemService.update": ("update_work_item", _update("item")),
    "DependencyService.add": ("add_dependency", _edge),
    "DependencyService.remove": ("remove_dependency", _edge),
    "VendorService.create": ("create_vendor", _data),
    "VendorService.update": ("update_vendor_status", _update("name", "name")),
    "DeploymentService.record": ("record_deployment", _data),
    "ConfigurationService.update": ("update_project_configuration", _update(None)),
    "EnhancementService.create": ("create_enhancement", _data),
    "EnhancementService.update": ("update_enhancement", _update("enhancement")),
    "ArchiveService.restore": ("restore_archived_work_item", lambda bound: {"id": bound["id"]}),
    "ClaimService.claim": ("claim_work_item", _renamed(item="id")),
    "ClaimService.release": ("release_work_item", _renamed(item="id")),
    "ClaimService.complete": ("complete_work_item", _renamed(item="id")),
    "NoteService.add": ("add_work_item_note", _renamed(item="id")),
}
"""A service write (method qualified name) as the command that makes it, and how its bound
arguments (`fallback.arguments.dump`) become the command's input."""

ENTITY_OF_ANSWER: dict[type[BaseModel], str] = {
    WorkItemRead: "work_item",
    DependencyRead: "dependency",
    VendorRead: "vendor",
    DeploymentRead: "deployment",
    ConfigurationRead: "configuration",
    EnhancementRead: "enhancement",
    NoteRead: "work_item",
}
"""Which entity a write's answer is about, to keep later changes to the same one in order."""


class UnknownOperation(LookupError):
    """An entry this version cannot run (written by a newer one, or naming a retired write): the
    replay stops there rather than keeping it as a conflict, so a version that knows it can."""


@dataclass(frozen=True)
class Journaled:
    """One journaled write: the command and its validated input."""

    command: Command[Any, Any]
    arguments: Arguments

    @property
    def name(self) -> str:
        return self.command.name

    def dump(self) -> dict[str, Any]:
        """The input as JSON; fields the caller left unset stay unset (an update's null clears)."""
        return self.arguments.model_dump(mode="json", exclude_unset=True)


def _command(name: str) -> Command[Any, Any]:
    command = COMMANDS.get(name)
    if command is None:
        raise UnknownOperation(f"the journal names {name!r}, which is no command of this version")
    return command


def from_service_call(qualname: str, bound: Mapping[str, Any]) -> Journaled:
    """The command a service write makes, from the method's name and its bound JSON arguments."""
    try:
        name, translate = SERVICE_CALLS[qualname]
    except KeyError:
        raise UnknownOperation(f"the journal names {qualname!r}, which is no write of this version") from None
    command = _command(name)
    values = {key: value for key, value in translate(bound).items() if key in command.arguments.model_fields}
    return Journaled(command, command.arguments.model_validate(values))


def load(operation: str, arguments: Mapping[str, Any], schema_version: int = FORMAT) -> Journaled:
    """A stored entry (either format) as the command to replay."""
    if schema_version == SERVICE_CALL_FORMAT or "." in operation:
        return from_service_call(operation, arguments)
    command = _command(operation)
    return Journaled(command, command.arguments.model_validate(dict(arguments)))


def entity_of(result: Any) -> tuple[str, str | None]:
    """(entity type, id) a write's answer is about."""
    kind = ENTITY_OF_ANSWER.get(type(result), "unknown")
    for field in ("work_item_id", "id", "source_id"):
        value = getattr(result, field, None)
        if value is not None:
            return kind, str(value)
    return kind, "1" if kind == "configuration" else None
