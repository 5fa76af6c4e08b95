"""What the offline journal stores of a write: a registry command, its input as JSON, a format version.

A journal outlives the code that wrote it (it waits on a user's machine until PostgreSQL is
back), so it names commands, the stable contract of `services.commands`, never Python methods.

Format 1, written before commands existed, stored a service method's qualified name
(`WorkItemService.update`) and its bound arguments. Such entries are translated on reading by
`SERVICE_CALLS`. Every entry written now is format 2: a routed write declares its command.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pydantic
from pydantic import BaseModel

from project_status.domain.configuration import ConfigurationRead
from project_status.domain.deployments import DeploymentRead
from project_status.domain.enhancements import EnhancementRead
from project_status.domain.validation import to_tracker_error
from project_status.domain.vendors import VendorRead
from project_status.domain.work_items import DependencyRead, NoteRead, WorkItemRead
from project_status.services.command_forms import CommandForm, created, edge, renamed, updated
from project_status.services.commands import COMMANDS, Arguments, Command
from project_status.services.commands.registry import CallOn
from project_status.services.fallback import arguments as bound_arguments
from project_status.services.routing import ServiceCall, replay_pins

if TYPE_CHECKING:
    from project_status.services.tracker import Tracker

FORMAT = 2
"""The journal format written now: a command name and its input model's JSON."""
SERVICE_CALL_FORMAT = 1


SERVICE_CALLS: dict[str, CommandForm] = {
    "WorkItemService.create": created("create_work_item"),
    "WorkItemService.update": updated("update_work_item", "item"),
    "DependencyService.add": edge("add_dependency"),
    "DependencyService.remove": edge("remove_dependency"),
    "VendorService.create": created("create_vendor"),
    "VendorService.update": updated("update_vendor_status", "name", "name"),
    "DeploymentService.record": created("record_deployment"),
    "ConfigurationService.update": updated("update_project_configuration", None),
    "EnhancementService.create": created("create_enhancement"),
    "EnhancementService.update": updated("update_enhancement", "enhancement"),
    "ArchiveService.restore": renamed("restore_archived_work_item"),
    "ClaimService.claim": renamed("claim_work_item", item="id"),
    "ClaimService.release": renamed("release_work_item", item="id"),
    "ClaimService.complete": renamed("complete_work_item", item="id"),
    "NoteService.add": renamed("add_work_item_note", item="id"),
}
"""Format 1's operation names (a service method's qualified name, as the previous release wrote
them) and the command each one is: a frozen table, so such entries replay whatever the methods
are called now. Writes made today name their command where they are declared (`routing.writes`)."""

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

    async def run(self, tracker: Tracker, actor: str) -> Any:
        """Run the command on `tracker` as `actor`; input today's rules refuse is a TrackerError."""
        try:
            return await self.command.run(self.arguments, CallOn(actor, tracker))
        except pydantic.ValidationError as invalid:
            raise to_tracker_error(invalid) from None


def _command(name: str) -> Command[Any, Any]:
    command = COMMANDS.get(name)
    if command is None:
        raise UnknownOperation(f"the journal names {name!r}, which is no command of this version")
    return command


def _as_command(form: CommandForm, bound: Mapping[str, Any]) -> Journaled:
    command = _command(form.command)
    fields = command.arguments.model_fields
    values = {key: value for key, value in form.translate(bound).items() if key in fields}
    return Journaled(command, command.arguments.model_validate(values))


def from_service_call(qualname: str, bound: Mapping[str, Any]) -> Journaled:
    """A format 1 entry as its command, from the method's name and its bound JSON arguments."""
    try:
        form = SERVICE_CALLS[qualname]
    except KeyError:
        raise UnknownOperation(f"the journal names {qualname!r}, which is no write of this version") from None
    return _as_command(form, bound)


def of_write(call: ServiceCall, answered: Any = None) -> Journaled:
    """A routed write as the command it declares; after it `answered`, pinned to what it found
    (see `routing.pinned_by_result`), to be repeated elsewhere. Input the command refuses is a
    TrackerError."""
    assert call.form is not None, "a read has no command form"
    try:
        bound = bound_arguments.dump(call.fn, bound_arguments.bind(call.fn, call.args, call.kwargs))
        if answered is not None:
            bound.update(replay_pins(call.fn, answered))
        return _as_command(call.form, bound)
    except pydantic.ValidationError as invalid:
        raise to_tracker_error(invalid) from None


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
