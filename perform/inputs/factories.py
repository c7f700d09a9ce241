"""Session component factories for live control (listed in ``perform.build``).

Order matters only in that the hub comes first: the MIDI input, the OSC server and the
feedback outputs find it with ``session.component(ControlHub)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from perform.errors import ConfigError
from perform.inputs.hub import ControlHub
from perform.inputs.midi import MidiInput
from perform.inputs.osc import OscServer
from perform.outputs.feedback import LedFeedback
from perform.outputs.osc_out import OscFeedback, parse_target

if TYPE_CHECKING:
    from perform.build import RunOptions
    from perform.session import Session


def control_hub(session: Session, options: RunOptions) -> ControlHub:
    """Load and check every mapping file now: a bad one stops the run before it starts."""
    return ControlHub(
        session.store,
        session.events,
        session.config,
        getattr(options, "mappings", ()),
        notify=session.notify,
    )


def midi_input(session: Session, options: RunOptions) -> MidiInput | None:
    hub = session.component(ControlHub)
    if hub is None or not hub.midi_patterns():
        return None
    return MidiInput(hub, session.config.midi)


def osc_server(session: Session, options: RunOptions) -> OscServer | None:
    hub = session.component(ControlHub)
    if hub is None or not session.config.osc.enabled:
        return None
    return OscServer(hub, session.config.osc)


def led_feedback(session: Session, options: RunOptions) -> LedFeedback | None:
    hub = session.component(ControlHub)
    midi = session.component(MidiInput)
    if hub is None or midi is None:
        return None
    return LedFeedback(hub.mapper, midi, session.config.midi.feedback_hz)


def osc_feedback(session: Session, options: RunOptions) -> OscFeedback | None:
    texts = [*session.config.osc.targets, *getattr(options, "osc_out", ())]
    if not texts:
        return None
    try:
        targets = [parse_target(t) for t in texts]
    except ValueError as exc:
        raise ConfigError(f"--osc-out: {exc}") from None
    return OscFeedback(session.store, session.config.osc, targets)


FACTORIES = (control_hub, midi_input, osc_server, led_feedback, osc_feedback)
