"""Build a Session for a run: the same function serves the TUI, headless runs and tests.

Each part that plugs into the session (MIDI/OSC inputs, feedback, the Scope link, the
setlist runner) adds a factory to :data:`COMPONENT_FACTORIES`; a factory looks at the
config and the run options and returns a component, or None when it has nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from engines import Backend
from perform.config import AppConfig
from perform.inputs.factories import FACTORIES as CONTROL_FACTORIES
from perform.session import Component, Session


@dataclass
class RunOptions:
    """What the command line asked for beyond the config file."""

    headless: bool = False
    seconds: float | None = None
    mappings: list[str] = field(default_factory=list)
    """``--mapping FILE`` (repeatable): mapping files loaded on top of ``[midi] mappings``."""
    osc_out: list[str] = field(default_factory=list)
    """``--osc-out HOST:PORT`` (repeatable): OSC feedback receivers on top of ``[osc] targets``."""


ComponentFactory = Callable[[Session, RunOptions], Component | None]

#: Factories in start order (inputs before the things they drive is not required:
#: everything talks through the store and the event bus).
COMPONENT_FACTORIES: list[ComponentFactory] = [
    *CONTROL_FACTORIES,  # live control: mapping hub, MIDI in, OSC in, LEDs, OSC out
]


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
