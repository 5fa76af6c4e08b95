#!/usr/bin/env python3
"""Regenerate the command reference in README.md from the commands' --help texts.

python scripts/gen_cli_reference.py          # rewrite README.md between the markers
python scripts/gen_cli_reference.py --check  # exit 1 if README.md is stale (CI)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from project_status.cli.main import app
from project_status.cli.reference import render, splice

README = Path(__file__).resolve().parent.parent / "README.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that README.md is up to date")
    parser.add_argument("--readme", type=Path, default=README, help="the README to update")
    args = parser.parse_args(argv)
    current = args.readme.read_text(encoding="utf-8")
    updated = splice(current, render(app))
    if current == updated:
        print(f"{args.readme}: the command reference is up to date.")
        return 0
    if args.check:
        print(
            f"{args.readme}: the command reference is stale; run python scripts/gen_cli_reference.py",
            file=sys.stderr,
        )
        return 1
    args.readme.write_text(updated, encoding="utf-8")
    print(f"{args.readme}: command reference regenerated.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
