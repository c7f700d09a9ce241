"""What the mapper sees: a :class:`ControlEvent` per moved control, from MIDI or OSC.

MIDI bytes become events in :mod:`perform.mapping.decode`; OSC messages become events
in :mod:`perform.inputs.osc`. A control is identified by a :data:`ControlKey`:

* ``("cc", channel, number)``, ``("note", channel, number)``,
  ``("cc14", channel, msb)``, ``("nrpn", channel, number)``, ``("pitchbend", channel, 0)``
  with channel 0-15;
* ``("osc", address)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ControlKey = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class ControlEvent:
    device: str
    """The device id (its ``match`` pattern) or an OSC sender ``host:port``."""
    key: ControlKey
    value: float
    """Absolute position 0..1 (7-bit, 14-bit and pitch bend scaled; note velocity)."""
    raw: int = 0
    """The raw data value (a relative encoder decodes this)."""
    pressed: bool | None = None
    """Notes: True on note-on, False on note-off (or velocity 0). None for others."""
    at: float = 0.0
    """``time.perf_counter()`` when it arrived (MIDI: on the rtmidi thread)."""
    args: tuple[Any, ...] = ()
    """OSC: the message's arguments, as received."""

    @property
    def source(self) -> str:
        return "osc" if self.key[0] == "osc" else "midi"


def describe_key(key: ControlKey) -> str:
    """A short human name: ``cc ch1 #7``, ``note ch10 #36``, ``/td/fader1``."""
    if key[0] == "osc":
        return str(key[1])
    kind, channel, number = key
    if kind == "pitchbend":
        return f"pitchbend ch{channel + 1}"
    return f"{kind} ch{channel + 1} #{number}"


def describe(event: ControlEvent) -> str:
    """``cc ch1 #7 = 64`` / ``note ch1 #36 on 100`` / ``/vj/engine/speed 1.5``."""
    key = event.key
    if key[0] == "osc":
        return " ".join(
            [str(key[1]), *(repr(a) if isinstance(a, str) else str(a) for a in event.args)]
        )
    if key[0] == "note":
        state = "on" if event.pressed else "off"
        return f"{describe_key(key)} {state} {event.raw}"
    return f"{describe_key(key)} = {event.raw}"
