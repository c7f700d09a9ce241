"""Greenberg-Hastings excitable media (the prototype's ``excitable.py``, wired in).

State 0 is rest, 1 excited, 2..n-1 refractory. A resting cell fires when at least
``threshold`` neighbours are excited; every other state advances, wrapping to rest.
Broken wave fronts curl into spirals. The picture fades through the refractory cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engines import seeds
from engines.base import Look, ParamDecl
from engines.discrete import DiscreteEngine
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
            doc="Excited neighbours a resting cell needs to fire.",
        ),
        ParamDecl(
            "excitable.neighbourhood",
            "moore",
            kind="enum",
            choices=("moore", "von_neumann"),
            role="rule",
            doc="8 neighbours (moore) or 4 (von_neumann).",
        ),
    )
    look = Look(weights=(0.70, 0.10, 0.20), bloom=0.15, hue_drift=1 / 10, zones=0.3)
    default_seed = SeedSpec("soup", 0.15)

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
        self._cross = xp.empty((g, g), dtype=xp.float32)

    def _von_neumann(self, a: Any) -> Any:
        xp, out = self.xp, self._cross
        xp.add(xp.roll(a, 1, 0), xp.roll(a, -1, 0), out=out)
        out += xp.roll(a, 1, 1)
        out += xp.roll(a, -1, 1)
        return out

    def advance(self, params: Mapping[str, Any]) -> None:
        xp = self.xp
        states = int(round(float(params.get("excitable.states", 8))))
        threshold = float(round(float(params.get("excitable.threshold", 2))))
        s = self.state
        excited = self._excited
        excited[...] = s == 1.0
        if params.get("excitable.neighbourhood", "moore") == "von_neumann":
            count = self._von_neumann(excited)
        else:
            count = self._neighbours(excited)
        fire = (s == 0.0) & (count >= threshold)
        nxt = self._tmp
        xp.add(s, 1.0, out=nxt)
        nxt[nxt >= states] = 0.0
        nxt[s == 0.0] = 0.0
        nxt[fire] = 1.0
        s[...] = nxt
        # Excited 1.0, then fading through the refractory states.
        xp.subtract(1.0, (s - 1.0) / max(states - 1, 1), out=self.display)
        self.display[s == 0.0] = 0.0
