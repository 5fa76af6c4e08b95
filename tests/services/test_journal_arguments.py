"""What the offline journal stores of a call must give back the same call on replay."""

from __future__ import annotations

import json

from project_status.domain.enums import DependencyType
from project_status.domain.ids import new_id
from project_status.domain.operation import Operation, running
from project_status.domain.work_items import WorkItemCreate, WorkItemUpdate
from project_status.services.clock import now
from project_status.services.dependencies import DependencyService
from project_status.services.fallback import arguments
from project_status.services.work_items import WorkItemService

UPDATE = WorkItemService.update.__wrapped__
CREATE = WorkItemService.create.__wrapped__
ADD = DependencyService.add.__wrapped__


def test_an_update_keeps_which_fields_were_sent_so_a_null_still_clears() -> None:
    changes = WorkItemUpdate.model_validate({"description": None, "priority": 2})
    saved = arguments.dump(UPDATE, arguments.bind(UPDATE, ("abcdef01", 3, changes, "alice"), {}))
    assert json.loads(json.dumps(saved)) == saved  # plain JSON
    assert saved == {
        "item": "abcdef01",
        "version": 3,
        "changes": {"description": None, "priority": 2},
        "actor": "alice",
    }
    back = arguments.load(UPDATE, saved)
    assert back["changes"].model_fields_set == {"description", "priority"}
    assert back["changes"].description is None and back["version"] == 3


def test_a_create_and_an_enum_argument_come_back_as_their_types() -> None:
    data = WorkItemCreate(
        item_type="task", title="Retry", parent_id="abcdef0123", metadata={"estimated_hours": 2}
    )
    back = arguments.load(CREATE, arguments.dump(CREATE, arguments.bind(CREATE, (data,), {"actor": "bob"})))
    assert back["data"] == data and back["actor"] == "bob"
    edge = arguments.load(
        ADD, arguments.dump(ADD, arguments.bind(ADD, ("a" * 8, "b" * 8, DependencyType.BLOCKS, "bob"), {}))
    )
    assert edge["dependency_type"] is DependencyType.BLOCKS


def test_an_operation_run_twice_issues_the_same_ids_and_time() -> None:
    op = Operation()
    with running(op):
        first = [new_id(), new_id(), now()]
    with running(op):
        second = [new_id(), new_id(), now()]
    assert first == second and first[0] != first[1]
    assert new_id() != first[0]  # outside an operation: random again
