"""The CLI gets the same input checks as MCP: they live in the contracts both hand to the services."""

from __future__ import annotations

from tests.cli.conftest import Cli


def test_a_boolean_in_metadata_is_not_a_number(cli: Cli) -> None:
    metadata = '{"token_budget": true}'

    line = cli.fail("items", "create", "--type", "session", "--title", "x", "--metadata", metadata)

    assert "token_budget" in line and "boolean" in line
    assert cli.json("items", "list")["total"] == 0


def test_a_nul_in_metadata_is_refused_on_both_backends(cli: Cli) -> None:
    metadata = '{"blocked_reason": "a\\u0000b"}'

    line = cli.fail("items", "create", "--type", "task", "--title", "x", "--metadata", metadata)

    assert "--metadata" in line and "U+0000" in line
    assert cli.json("items", "list")["total"] == 0


def test_a_text_filter_over_1_kib_is_refused_with_the_limit(cli: Cli) -> None:
    line = cli.fail("items", "list", "--text", "x" * 2000)

    assert "--text" in line and "1024" in line
