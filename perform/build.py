"""Build a Session for a run: the same function serves the TUI, headless runs and tests.

Each part that plugs into the session (MIDI/OSC inputs, feedback, the Scope link, the
setlist runner) adds a factory to :data:`COMPONENT_FACTORIES`; a factory looks at the
config and the run options and returns a component, or None when it has nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from engines import Backend
from perform.config import AppConfig
from perform.inputs.factories import FACTORIES as CONTROL_FACTORIES
from perform.program.component import program_factory
from perform.session import Component, Session
from perform.setlist import Setlist
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
    """``--record PATH``: write the program (what the audience sees) to an MP4 file."""
    outputs: list[str] = field(default_factory=list)
    """``--output KIND`` (repeatable): program sinks on top of ``[output] sinks``."""
    mappings: list[str] = field(default_factory=list)
    """``--mapping FILE`` (repeatable): mapping files loaded on top of ``[midi] mappings``."""
    osc_out: list[str] = field(default_factory=list)
    """``--osc-out HOST:PORT`` (repeatable): OSC feedback receivers on top of ``[osc] targets``."""
    show: Setlist | None = None
    """The show file, loaded and validated by :func:`build_session` before the components."""


ComponentFactory = Callable[[Session, RunOptions], Component | None]


def _tempo(session: Session, options: RunOptions) -> Component:
    from perform.tempo import TempoComponent

    return TempoComponent(session.config.tempo)


def _setlist(session: Session, options: RunOptions) -> Component | None:
    if options.show is None:
        return None
    from perform.show import SetlistRunner

    # Headless shows start themselves; in the TUI the first GO starts the show.
    return SetlistRunner(options.show, autostart=options.headless, bpm=options.bpm)


def _safety(session: Session, options: RunOptions) -> Component | None:
    if options.show is not None:
        return None  # the setlist runner owns panic, blackout and freeze
    from perform.safety import SafetyActions

    return SafetyActions()


def _faults(session: Session, options: RunOptions) -> Component:
    from perform.faults import FaultWatch

    return FaultWatch()


#: Factories in start order: inputs first; the setlist runner needs the tempo clock and
#: asks the Scope link (already listening) for its pipeline when it starts; the program
#: bus reads the link's returned video and asks the show why the picture is black.
COMPONENT_FACTORIES: list[ComponentFactory] = [
    *CONTROL_FACTORIES,  # live control: mapping hub, MIDI in, OSC in, LEDs, OSC out
    _tempo,
    scope_link_factory,
    _setlist,
    program_factory,
    _safety,
    _faults,
]


def _prepare_show(session: Session, path: Path) -> Setlist:
    """Load the show first: its LoRA parameters must exist before mapping files are
    checked against the store, and its mapping files join the command line's."""
    from engines import presets
    from perform.registry import register_lora
    from perform.setlist import load_setlist

    show = load_setlist(path, session.store.specs, presets())
    for name, lora in show.lora_params().items():
        register_lora(session.store, name, lora.scale)
    if show.scope is not None and show.scope.input_mode is not None:
        # Before the Scope link opens its first stream: a text-only show sends no video.
        session.store.apply("scope.input_mode", show.scope.input_mode, "setlist")
    return show


def build_session(
    config: AppConfig, options: RunOptions | None = None, *, backend: Backend | None = None
) -> Session:
    options = options or RunOptions()
    session = Session(config, backend=backend)
    if options.setlist is not None and options.show is None:
        show = _prepare_show(session, options.setlist)
        mappings = [*map(str, show.mapping_paths()), *options.mappings]
        options = replace(options, show=show, mappings=mappings)
    for factory in COMPONENT_FACTORIES:
        component = factory(session, options)
        if component is not None:
            session.add(component)
    return session
