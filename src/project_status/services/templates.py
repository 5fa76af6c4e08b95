"""The Jinja environments the project renders with (the Markdown report, the board's HTML)."""

from __future__ import annotations

from typing import Any

import jinja2


def strict_templates(package: str, *, autoescape: bool, **options: Any) -> jinja2.Environment:
    """The `templates` folder of `package`: block tags leave no blank lines behind, and an unknown
    name is an error (a typo must fail a test, not render as nothing)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        **options,
    )
