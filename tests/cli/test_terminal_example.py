"""docs/status-report-on-a-terminal.txt is what `status` shows on a terminal for the golden
report: it drifted once (a new section never reached it), so a stale copy now fails here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "report_on_terminal.py"


def test_the_terminal_example_shows_the_current_golden_report() -> None:
    spec = importlib.util.spec_from_file_location("report_on_terminal", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    shown = script.on_terminal(script.GOLDEN.read_text(encoding="utf-8"), 100)
    assert "Latest Notes" in shown  # the section the stale copy lacked
    assert (ROOT / "docs" / "status-report-on-a-terminal.txt").read_text(encoding="utf-8") == shown, (
        "docs/status-report-on-a-terminal.txt is stale: run `.venv/bin/python scripts/report_on_terminal.py`"
    )
