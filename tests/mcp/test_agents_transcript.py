"""docs/agents.md is a transcript of real calls: the script that writes it runs here against a
real server, and the committed file must be what it gives (like the README's CLI reference)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "agents_transcript.py"
DOC = ROOT / "docs" / "agents.md"


def test_the_committed_agents_doc_is_what_the_script_gives(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = importlib.util.spec_from_file_location("agents_transcript", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    doc = tmp_path / "agents.md"
    shutil.copyfile(DOC, doc)
    assert script.main(["--doc", str(doc), "--check"]) == 0, (
        "docs/agents.md is stale: run `python scripts/agents_transcript.py`"
    )
    text = doc.read_text(encoding="utf-8")
    order = [
        text.index(f"calls `{tool}`")
        for tool in (
            "list_ready_work",
            "claim_work_item",
            "add_work_item_note",
            "complete_work_item",
            "list_changes",
        )
    ]
    assert order == sorted(order), "the loop reads next -> claim -> note -> complete -> changes"
    assert '"claimed_by": "agent-a"' in text and '"error": "VersionConflictError"' in text
    doc.write_text("stale\n", encoding="utf-8")
    assert script.main(["--doc", str(doc), "--check"]) == 1
    assert "stale; run python scripts/agents_transcript.py" in capsys.readouterr().err
