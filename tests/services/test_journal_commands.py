"""The journal names registry commands; every service write has the command it journals as."""

from __future__ import annotations

import inspect

from project_status.domain.work_items import WorkItemUpdate
from project_status.services.commands import COMMANDS
from project_status.services.fallback import arguments, journaled
from project_status.services.routing import Routed
from project_status.services.tracker import SERVICES, Tracker
from project_status.services.work_items import WorkItemService


def test_every_routed_write_journals_as_a_registry_command() -> None:
    tracker = Tracker.create(url="sqlite+aiosqlite:///:memory:")
    writes = {
        f"{type(service).__name__}.{name}"
        for service in (getattr(tracker, name) for name in SERVICES)
        if isinstance(service, Routed)
        for name, method in inspect.getmembers(type(service), inspect.iscoroutinefunction)
        if getattr(method, "__qualname__", "").startswith(f"{type(service).__name__}.")
        and getattr(method, "routed_as", None) == "write"
    }
    assert writes == set(journaled.SERVICE_CALLS)
    assert {name for name, _ in journaled.SERVICE_CALLS.values()} <= {command.name for command in COMMANDS}


def test_an_update_journals_as_its_command_with_the_fields_sent_and_a_null_kept() -> None:
    fn = WorkItemService.update.__wrapped__  # type: ignore[attr-defined]
    changes = WorkItemUpdate.model_validate({"description": None, "priority": 2})
    bound = arguments.dump(fn, arguments.bind(fn, ("abcdef01", 3, changes, "alice"), {}))

    entry = journaled.from_service_call(fn.__qualname__, bound)

    assert entry.name == "update_work_item"
    assert entry.dump() == {"id": "abcdef01", "version": 3, "description": None, "priority": 2}
    back = journaled.load(entry.name, entry.dump())
    assert back.arguments.model_fields_set == {"id", "version", "description", "priority"}
    assert journaled.load(fn.__qualname__, bound, journaled.SERVICE_CALL_FORMAT).dump() == entry.dump()
