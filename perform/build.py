"""Build a Session for a run: the same function serves the TUI, headless runs and tests.

Each part that plugs into the session (MIDI/OSC inputs, feedback, the Scope link, the
setlist runner) adds a factory to :data:`COMPONENT_FACTORIES`; a factory looks at the
config and the run options and returns a component, or None when it has nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engines import Backend
from perform.config import AppConfig
from perform.session import Component, Session
from perform.stream import scope_link_factory


@dataclass
class RunOptions:
    """What the command line asked for beyond the config file."""

    headless: bool = False
    seconds: float | None = None
    scope: str | None = None
    """``--scope URL``: stream to this Scope server (overrides [scope] url, enables the link)."""
    no_scope: bool = False
    """``--no-scope``: run without connecting to Scope."""
    record: str | None = None
    """``--record PATH``: write Scope's output to an MP4 file."""


ComponentFactory = Callable[[Session, RunOptions], Component | None]

#: Factories in start order (inputs before the things they drive is not required:
#: everything talks through the store and the event bus).
COMPONENT_FACTORIES: list[ComponentFactory] = [scope_link_factory]


def build_session(
    config: AppConfig, options: RunOptions | None = None, *, backend: Backend | None = None
) -> Session:
    options = options or RunOptions()
    session = Session(config, backend=backend)
    for factory in COMPONENT_FACTORIES:
        component = factory(session, options)
        if component is not None:
            session.add(component)
    return session
