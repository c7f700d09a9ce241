"""Cyclic cellular automaton (the prototype's ``cca.py``, wired in).

States 0..n-1; a cell advances to ``(s + 1) mod n`` when at least ``threshold`` cells of
its ``(2r+1)^2`` box hold that next state. From noise it self-organises into spirals.
Every state is coloured (no black background): the picture is the state's phase.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engines.base import Look, ParamDecl
from engines.discrete import DiscreteEngine
from engines.seeds import SeedSpec


class Cyclic(DiscreteEngine):
    name = "cyclic"
    title = "Cyclic CA"
    params = (
        ParamDecl(
            "cyclic.range",
            1,
            1,
            5,
            role="rule",
            integer=True,
            doc="Neighbourhood reach r: the (2r+1)^2 box.",
        ),
        ParamDecl(
            "cyclic.threshold",
            1,
            1,
            20,
            role="rule",
            integer=True,
            doc="Neighbours in the next state a cell needs to advance.",
        ),
        ParamDecl(
            "cyclic.states",
            14,
            3,
            24,
            role="rule",
            integer=True,
            doc="Number of states in the cycle.",
        ),
    )
    look = Look(weights=(1.6, 0.05, 0.10), bloom=0.10, hue_drift=1 / 10, zones=0.2)
    default_seed = SeedSpec("random", 1.0)
    live_value = 1.0

    def allocate(self) -> None:
        super().allocate()
        self._padded: dict[int, Any] = {}
        self._hits = self.xp.empty((self.grid, self.grid), dtype=self.xp.bool_)

    def initial(self, spec: SeedSpec, rng: Any) -> Any:
        # Uniform noise over the cycle (a biased start collapses into one travelling wave).
        states = int(round(float(self.start_params["cyclic.states"])))
        return rng.integers(0, states, (self.grid, self.grid)).astype("float32")

    def advance(self, params: Mapping[str, Any]) -> None:
        xp, g = self.xp, self.grid
        reach = int(round(float(params.get("cyclic.range", 1))))
        threshold = float(round(float(params.get("cyclic.threshold", 1))))
        states = int(round(float(params.get("cyclic.states", 14))))
        s = self.state
        xp.remainder(s, states, out=s)  # a smaller state count folds the cycle
        nxt = self._tmp
        xp.add(s, 1.0, out=nxt)
        nxt[nxt >= states] = 0.0
        pad = self._padded.get(reach)
        if pad is None:
            pad = self._padded[reach] = xp.empty((g + 2 * reach, g + 2 * reach), xp.float32)
        r = reach
        pad[r:-r, r:-r] = s
        pad[:r, r:-r] = s[-r:]
        pad[-r:, r:-r] = s[:r]
        pad[:, :r] = pad[:, g : g + r]
        pad[:, -r:] = pad[:, r : 2 * r]
        count = self._count
        count.fill(0.0)
        hits = self._hits
        for dy in range(2 * r + 1):
            for dx in range(2 * r + 1):
                if dy == r and dx == r:
                    continue
                xp.equal(pad[dy : dy + g, dx : dx + g], nxt, out=hits)
                count += hits
        advance = count >= threshold
        s[advance] = nxt[advance]
        xp.multiply(s, 0.75 / max(states - 1, 1), out=self.display)
        self.display += 0.25
