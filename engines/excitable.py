"""Greenberg-Hastings excitable media (the prototype's ``excitable.py``, wired in, made round).

State 0 is rest, 1 excited, 2..n-1 refractory. A resting cell fires when the excited
cells of its round neighbourhood (``excitable.range`` cells, weighted by how much of
each the disc covers) reach ``threshold``; every other state advances, wrapping to rest.
Broken wave fronts curl into spirals; a *pacemaker* (a centre disc fired every N steps)
sends concentric target rings. The picture is bright at the front and fades through the
refractory cycle.

Why still Greenberg-Hastings and not a continuous medium (Barkley, FitzHugh-Nagumo):
with a round neighbourhood of radius 3 and a threshold of a few cells, its fronts are
far rounder than a box's (12- to 16-sided polygons whose facets the blur softens; the
range-threshold scaling of Fisch, Gravner and Griffeath: larger radii, rounder), while a
performer's faders keep their meaning (states = band width, threshold = how easily a
front spreads) and a step stays a handful of shifted adds on a coarse grid, with no
time-step stability limit for a fader to break.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engines import seeds
from engines.base import Look, ParamDecl
from engines.discrete import DiscreteEngine, round_radius
from engines.seeds import SeedSpec


class Excitable(DiscreteEngine):
    name = "excitable"
    title = "Excitable medium (Greenberg-Hastings)"
    params = (
        ParamDecl(
            "excitable.states",
            8,
            3,
            20,
            role="rule",
            integer=True,
            doc="Rest + excited + refractory states (longer refractory, wider bands).",
        ),
        ParamDecl(
            "excitable.threshold",
            2,
            1,
            5,
            role="rule",
            integer=True,
            doc="Excited neighbours (in cells of the round neighbourhood) a resting cell "
            "needs to fire.",
        ),
        ParamDecl(
            "excitable.range",
            3.0,
            1.0,
            4.0,
            role="rule",
            unit=" cells",
            doc="Radius of the round neighbourhood (wider: rounder, faster fronts).",
        ),
        ParamDecl(
            "excitable.pacemaker",
            0,
            0,
            60,
            role="rule",
            integer=True,
            doc="A centre that fires every N steps (target rings; 0 = none).",
        ),
    )
    look = Look(weights=(0.70, 0.10, 0.20), bloom=0.15, hue_drift=1 / 10, zones=0.3, steady=True)
    default_seed = SeedSpec("soup", 0.15)
    smooth = True
    cell = 2

    def initial(self, spec: SeedSpec, rng: Any) -> Any:
        """Random phases in a soup (excited and refractory cells), so fronts are broken
        from the start and curl into spirals instead of annihilating."""
        g = self.grid
        alive = seeds.soup(rng, g, density=spec.density, radius=spec.size)
        states = int(round(float(self.start_params["excitable.states"])))
        phases = rng.integers(1, states, (g, g)).astype("float32")
        return alive * phases

    def allocate(self) -> None:
        super().allocate()
        xp, g = self.xp, self.grid
        self._excited = xp.empty((g, g), dtype=xp.float32)
        self._fire = xp.empty((g, g), dtype=xp.bool_)
        self._centre = xp.asarray(seeds.filled_disc(g, max(2.5 / g, 0.012)) > 0.5)
        self._states = int(round(float(self.start_params["excitable.states"])))

    def advance(self, params: Mapping[str, Any]) -> None:
        xp = self.xp
        states = self._states = int(round(float(params.get("excitable.states", 8))))
        threshold = float(params.get("excitable.threshold", 2)) - 1e-3
        radius = round_radius(params.get("excitable.range", 3.0))
        s = self.state
        excited = self._excited
        xp.equal(s, 1.0, out=excited)
        count = self._round_neighbours(excited, radius)
        fire = self._fire
        xp.greater_equal(count, threshold, out=fire)
        fire &= s == 0.0
        period = int(round(float(params.get("excitable.pacemaker", 0))))
        if period > 0 and self.generation % period == 0:
            fire |= self._centre & (s == 0.0)
        nxt = self._tmp
        xp.add(s, 1.0, out=nxt)
        xp.copyto(nxt, 0.0, where=(nxt >= states) | (s == 0.0))
        xp.copyto(nxt, 1.0, where=fire)
        s[...] = nxt
        self.after_step(params)

    def cycle(self) -> tuple[int, int]:
        """A pinwheel winds through the excited and refractory states."""
        return 1, max(self._states, 2)

    def paint(self, params: Mapping[str, Any]) -> None:
        """Excited 1.0, then fading through the refractory states; rest is black."""
        xp, s = self.xp, self.state
        states = int(round(float(params.get("excitable.states", 8))))
        xp.subtract(1.0, (s - 1.0) / max(states - 1, 1), out=self.display)
        xp.copyto(self.display, 0.0, where=s == 0.0)
