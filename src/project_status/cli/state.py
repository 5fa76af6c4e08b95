"""The global CLI state and the settings one invocation runs with: light, for the root callback
and `serve`, which must not import the output layer (Rich) or the services (issue 13)."""

from __future__ import annotations

from dataclasses import dataclass

import typer

from project_status.settings import Settings


@dataclass
class State:
    """Global options, kept on the root context."""

    debug: bool = False


def state(ctx: typer.Context) -> State:
    return ctx.obj if isinstance(ctx.obj, State) else State()


def settings(database_url: str | None) -> Settings:
    current = Settings()
    if database_url:
        current.database_url = database_url
    return current
