"""Every use case as a named command, declared once and served by each interface.

A command is an input model (a pydantic `Arguments` subclass: the fields are the arguments,
`model_fields_set` tells a field left out from one sent as null), a handler that runs it on the
tracker, hints about its effect (read-only, destructive, idempotent) and a one-line description.
The MCP server lists and calls the tools from `COMMANDS`; its `tools/list` is committed in
tests/mcp/tools_list.json.

Adding a command:
1. In the module of its aggregate (or a new one), write the input model, named for the action
   (`ClaimWorkItem`), with `Field(description=...)` where a name alone does not say the format.
2. Write the handler below it, decorated with `@command("claim_work_item", UPDATE)`; its docstring
   is the tool description:
   `async def claim_work_item(args: ClaimWorkItem, call: Call) -> WorkItemRead`. Check the input
   before `await call.tracker()`, so bad input is reported even while the database is down.
3. A new module is named in `COMMANDS` (registry.py), where its tools are to be listed. The
   modules are imported when the registry is first iterated or asked for a name it does not hold
   yet; a CLI command imports the modules of the commands it runs (issue 13: start-up).
4. Refresh the snapshot (see tests/mcp/test_tools_list_snapshot.py) and review its diff.
5. A command that writes through a new service method declares itself on that method,
   `@writes(command_forms.renamed("claim_work_item", item="id"))` (see services/command_forms.py):
   the fallback router repeats the write on the mirror and journals it as this command.
   tests/services/test_journal_commands.py also compares the routed writes with the format 1
   names in `services/fallback/journaled.py` `SERVICE_CALLS`.
"""

from __future__ import annotations

from project_status.services.commands.registry import COMMANDS, Arguments, Call, Command, Hints

__all__ = ["COMMANDS", "Arguments", "Call", "Command", "Hints"]
