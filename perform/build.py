"""Build a Session for a run: the same function serves the TUI, headless runs and tests.

Each part that plugs into the session (MIDI/OSC inputs, feedback, the Scope link, the
setlist runner) adds a factory to :data:`COMPONENT_FACTORIES`; a factory looks at the
config and the run options and returns a component, or None when it has nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engines import Backend
from perform.config import AppConfig
from perform.session import Component, Session
from perform.stream import scope_link_factory


@dataclass
class RunOptions:
    """What the command line asked for beyond the config file."""

    headless: bool = False
    seconds: float | None = None
    setlist: Path | None = None
    """Show file to run."""
    bpm: float | None = None
    """Tempo override for the show (``--bpm``)."""
    scope: str | None = None
    """``--scope URL``: stream to this Scope server (overrides [scope] url, enables the link)."""
    no_scope: bool = False
    """``--no-scope``: run without connecting to Scope."""
    record: str | None = None
    """``--record PATH``: write Scope's output to an MP4 file."""


ComponentFactory = Callable[[Session, RunOptions], Component | None]


def _tempo(session: Session, options: RunOptions) -> Component:
    from perform.tempo import TempoComponent

    return TempoComponent(session.config.tempo)


def _setlist(session: Session, options: RunOptions) -> Component | None:
    if options.setlist is None:
        return None
    from engines import presets
    from perform.setlist import load_setlist
    from perform.show import SetlistRunner

    setlist = load_setlist(options.setlist, session.store.specs, presets())
    # Headless shows start themselves; in the TUI the first GO starts the show.
    return SetlistRunner(setlist, autostart=options.headless, bpm=options.bpm)


#: Factories in start order: the setlist runner needs the tempo clock, and asks the
#: Scope link (already listening) for its pipeline when it starts.
COMPONENT_FACTORIES: list[ComponentFactory] = [_tempo, scope_link_factory, _setlist]


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
