"""Homeostasis: the organism holds a killing fader back to its preset's value, not the range.

Every rule, structural and flow parameter has a range a performer can ride end to end,
and inside those ranges lie values that kill a given preset (Lenia's growth centre above
what its kernel can reach, a flow that pushes all life into the containment, issue 15).
Which values kill depends on the preset, not on the engine: a range tight enough to keep
every preset alive would take away most of each one's expressive room. So the ranges stay
and the organism regulates instead:

* it watches its living fraction against its own recent *norm* (which follows a rise
  within seconds and a fall only over a minute, so a look a performer chose slowly
  becomes the new norm, while a collapse does not);
* when the living fraction falls under ``DANGER`` of that norm (or the world is nearly
  empty, or has stood still for ``STILL_SECONDS``: a rule that froze it) it is
  *strained*: the strain rises within half a second, and the rule, the kernel shape and
  the flows it is stepped with are pulled from the performer's values towards its
  preset's own (``strain`` 0 = the performer's, 1 = the preset's);
* a fader position that caused a crisis stays held (the strain does not fall again)
  until the performer moves away from it: letting go by itself would let the same value
  kill the organism again a few seconds later, a slow pulse of dying and regrowing;
* when the performer moves on, the strain falls over ``FALL_SECONDS`` and the new values
  come through gradually, so a survivable position is played as asked.

Colour, containment, stir and coverage parameters are not held: they cannot kill (the
coverage band is reconciled by :func:`engines.organism.coverage_band`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engines.base import ParamDecl

DANGER = 0.6
"""A living fraction under this share of the organism's norm is a crisis."""
EMPTY = 0.002
"""A living fraction under this is a crisis whatever the norm."""
STILL_SECONDS = 0.5
"""Standing still this long (a rule that froze the world) is a crisis too."""
RISE_SECONDS = 0.5
"""Simulated seconds from no strain to the preset's values in a crisis."""
FALL_SECONDS = 10.0
"""Simulated seconds from full strain back to the performer's values once they move."""
NORM_UP_SECONDS = 10.0
NORM_DOWN_SECONDS = 60.0
MOVED = 0.05
"""The performer has moved on when a held parameter moved this share of its range away
from where it was at the crisis (an enum: to another choice)."""
STRUCTURE_STEPS = 8
"""Structural values move in this many steps of strain (each step rebuilds a kernel)."""
RULE_STEPS = 64


@dataclass
class Homeostasis:
    """The strain an organism holds its faders back with (see the module docstring)."""

    decls: tuple[ParamDecl, ...]
    """The parameters it may hold (the engine's own and the flows)."""
    strain: float = 0.0
    held: bool = False
    """A crisis happened at the performer's present values: the strain stays."""
    norm: float | None = None
    crises: int = 0
    still_for: float = 0.0
    """Simulated seconds the world has stood still."""
    in_crisis: bool = False
    """The last update found the living fraction collapsing or the world frozen (when a
    performer's value is to blame, the organism also plants nuclei then, whatever its
    coverage floor, so it regrows or moves again sooner)."""
    _at_crisis: dict[str, Any] = field(default_factory=dict)

    def update(
        self, alive: float, dt: float, params: Mapping[str, Any], *, still: bool = False
    ) -> None:
        """After a regulation that measured ``alive`` (and found the world ``still`` or
        not), ``dt`` simulated seconds after the last one."""
        dt = max(0.0, dt)
        if self.norm is None:
            self.norm = alive
        self.still_for = self.still_for + dt if still else 0.0
        collapse = alive < EMPTY or alive < DANGER * self.norm
        crisis = collapse or self.still_for > STILL_SECONDS
        if crisis:
            if not self.in_crisis:
                self.crises += 1
                self._at_crisis = {d.name: params.get(d.name) for d in self.decls}
            self.held = True
            self.strain = min(1.0, self.strain + dt / RISE_SECONDS)
        else:
            tau = NORM_UP_SECONDS if alive > self.norm else NORM_DOWN_SECONDS
            self.norm += (alive - self.norm) * min(1.0, dt / tau)
            if self.held and self._moved(params):
                self.held = False
            if not self.held:
                self.strain = max(0.0, self.strain - dt / FALL_SECONDS)
        self.in_crisis = crisis

    def _moved(self, params: Mapping[str, Any]) -> bool:
        for d in self.decls:
            then, now = self._at_crisis.get(d.name), params.get(d.name)
            if then is None or now is None or then == now:
                continue
            if d.kind == "enum" or not isinstance(now, int | float):
                return True
            if abs(float(now) - float(then)) > MOVED * (d.max - d.min):
                return True
        return False

    def differs(self, params: Mapping[str, Any], home: Mapping[str, Any]) -> bool:
        """Whether the performer's values differ from ``home`` in a parameter it holds."""
        return any(
            params.get(d.name) is not None
            and home.get(d.name) is not None
            and params.get(d.name) != home.get(d.name)
            for d in self.decls
        )

    def apply(self, params: Mapping[str, Any], home: Mapping[str, Any]) -> Mapping[str, Any]:
        """``params`` with the held parameters pulled towards ``home`` by the strain."""
        if self.strain <= 0.0:
            return params
        out = dict(params)
        for d in self.decls:
            value, target = params.get(d.name), home.get(d.name)
            if value is None or target is None or value == target:
                continue
            if d.kind == "enum" or not isinstance(value, int | float):
                out[d.name] = target if self.strain >= 0.5 else value
                continue
            steps = STRUCTURE_STEPS if d.role == "structural" else RULE_STEPS
            s = round(self.strain * steps) / steps
            mixed = float(value) * (1.0 - s) + float(target) * s
            out[d.name] = float(round(mixed)) if d.integer else mixed
        return out
