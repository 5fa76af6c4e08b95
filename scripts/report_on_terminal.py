"""docs/status-report-on-a-terminal.txt: the golden report as `project-status status` shows it on
a terminal 100 columns wide (Rich's rendering, colours dropped), so the README's example never
drifts from what the command prints.

The golden file is the report of the tests' fixed data, byte for byte on both backends
(tests/services/test_reports.py checks it), so rendering it is rendering that data.

Usage: .venv/bin/python scripts/report_on_terminal.py [--width 100] [--out FILE]
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from rich.console import Console

from project_status.cli.output import print_markdown

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "services" / "golden" / "project_status.md"


def on_terminal(markdown: str, width: int) -> str:
    """What a terminal of `width` columns shows for the report, as plain text without line-end padding."""
    out = Console(file=io.StringIO(), width=width, force_terminal=True, record=True, color_system=None)
    print_markdown(out, markdown)
    return "\n".join(line.rstrip() for line in out.export_text(styles=False).splitlines()) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--width", type=int, default=100, help="terminal columns (default 100)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "status-report-on-a-terminal.txt")
    args = parser.parse_args()
    text = on_terminal(GOLDEN.read_text(encoding="utf-8"), args.width)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text.splitlines())} lines, {args.width} columns)")


if __name__ == "__main__":
    main()
