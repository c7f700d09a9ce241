"""Soft takeover: what a fader does when the parameter moved without it.

None of the supported controllers has motorised faders, so after a setlist scene, a
TUI edit, an OSC write or another controller moved a parameter, the fader's physical
position no longer matches the value. Three modes (as in Ableton Live):

* ``jump``: the first move writes the fader's value (the parameter jumps);
* ``pickup``: nothing is written until the fader reaches (or crosses) the value;
* ``value-scaling``: moves are scaled so fader and value converge at the ends of travel,
  then the fader is in control again.

**Where the policy lives.** The store records the facts every writer needs
(:meth:`ParamStore.last_source`, :meth:`ParamStore.get`, :meth:`ParamStore.ramp_target`);
the *decision* needs the control's physical position expressed on the binding's own
range and curve, which only the binding knows (two faders on one parameter, or one
macro fader on several parameters with different ranges, each need their own state).
So the store stays the single arbiter of values, and this small per-(binding, target)
state asks it one question: "is the value still the one I wrote?".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from perform.params import ParamStore

TOLERANCE = 2.5 / 127
"""How close (0..1 of the range) a fader must come to pick a value up."""

_NOTHING = object()


@dataclass
class TakeoverState:
    mode: str
    tolerance: float = TOLERANCE
    written: Any = _NOTHING
    synced: bool = False
    """The fader and the value agree (after a pickup or a converged scaling)."""
    control_y: float | None = None
    param_y: float | None = None
    """Last seen positions, for the UI's "hardware vs software" offset."""

    def owned(self, store: ParamStore, name: str, source: str) -> bool:
        """True while the parameter still holds (or ramps to) the value this target wrote."""
        if self.written is _NOTHING:
            return False
        if store.last_source(name) != source:
            return False
        return store.get(name) == self.written or store.ramp_target(name) == self.written

    def resolve(
        self, y_new: float, y_prev: float | None, y_param: float, owned: bool
    ) -> float | None:
        """The position to write for a control now at ``y_new``, or None to write nothing."""
        self.control_y, self.param_y = y_new, y_param
        if self.mode == "jump":
            self.synced = True
            return y_new
        if not owned:
            self.synced = False
        if self.synced:
            return y_new
        near = abs(y_new - y_param) <= self.tolerance
        crossed = y_prev is not None and (y_prev - y_param) * (y_new - y_param) <= 0.0
        if near or (self.mode == "pickup" and crossed):
            self.synced = True
            return y_new
        if self.mode == "pickup" or y_prev is None or y_new == y_prev:
            return None
        scaled = _scale(y_new, y_prev, y_param)
        if abs(scaled - y_new) <= self.tolerance or crossed:
            self.synced = True
            return y_new
        return scaled

    def in_control(self, store: ParamStore, name: str, source: str) -> bool:
        """The control drives the value right now (synced, and nobody wrote since)."""
        return self.synced and self.owned(store, name, source)

    def wrote(self, value: Any) -> None:
        self.written = value

    @property
    def offset(self) -> float | None:
        """Fader minus value (0..1 of the range) while not synced, for the UI."""
        if self.synced or self.control_y is None or self.param_y is None:
            return None
        return self.control_y - self.param_y


def _scale(y_new: float, y_prev: float, y_param: float) -> float:
    """Move the value by the fader's move, scaled to reach the end the fader is heading to."""
    if y_new > y_prev:
        room = 1.0 - y_prev
        return y_param if room <= 0 else y_param + (1.0 - y_param) * (y_new - y_prev) / room
    room = y_prev
    return y_param if room <= 0 else y_param - y_param * (y_prev - y_new) / room
