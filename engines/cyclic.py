"""Cyclic cellular automaton (the prototype's ``cca.py``, wired in, made round).

States 0..n-1; a cell advances to ``(s + 1) mod n`` when the cells of its round
neighbourhood (radius ``cyclic.range`` cells, each weighted by how much of it the disc
covers) holding that next state reach ``threshold``. From noise it self-organises into
spirals; with the old ``(2r+1)^2`` box they were square, on a disc they are round
(many-sided: a slight octagonal bias remains at radius 3, softened by the blur).
Every state is coloured (no black background): the picture is the state's phase.
Nothing is ever "too full" here (every cell is a colour), so the organism's erosion does
not apply: it stamped the 40x40 blocks of issue 15.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engines.base import Look, ParamDecl
from engines.discrete import DiscreteEngine, disc_taps, round_radius
from engines.seeds import SeedSpec


class Cyclic(DiscreteEngine):
    name = "cyclic"
    title = "Cyclic CA"
    params = (
        ParamDecl(
            "cyclic.range",
            3.0,
            1.0,
            5.0,
            role="rule",
            unit=" cells",
            doc="Radius of the round neighbourhood.",
        ),
        ParamDecl(
            "cyclic.threshold",
            1,
            1,
            20,
            role="rule",
            integer=True,
            doc="Neighbours in the next state (cells of the round neighbourhood) a cell "
            "needs to advance.",
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
    look = Look(weights=(1.6, 0.05, 0.10), bloom=0.10, hue_drift=1 / 10, zones=0.2, steady=True)
    default_seed = SeedSpec("random", 1.0)
    live_value = 1.0
    smooth = True
    cell = 2
    gain = 1.1  # its phases span 0.25-1 and wide patches hold the top one: a small lift

    def allocate(self) -> None:
        super().allocate()
        self._hits = self.xp.empty((self.grid, self.grid), dtype=self.xp.float32)
        self._advance = self.xp.empty((self.grid, self.grid), dtype=self.xp.bool_)
        self._states = int(round(float(self.start_params["cyclic.states"])))

    def initial(self, spec: SeedSpec, rng: Any) -> Any:
        # Uniform noise over the cycle (a biased start collapses into one travelling wave).
        states = int(round(float(self.start_params["cyclic.states"])))
        return rng.integers(0, states, (self.grid, self.grid)).astype("float32")

    def advance(self, params: Mapping[str, Any]) -> None:
        xp, g = self.xp, self.grid
        radius = round_radius(params.get("cyclic.range", 3.0))
        threshold = float(params.get("cyclic.threshold", 1)) - 1e-3
        states = self._states = int(round(float(params.get("cyclic.states", 14))))
        s = self.state
        xp.remainder(s, states, out=s)  # a smaller state count folds the cycle
        nxt = self._tmp
        xp.add(s, 1.0, out=nxt)
        xp.copyto(nxt, 0.0, where=nxt >= states)
        pad, r = self._round_pad(s, radius)
        count, hits = self._count, self._hits
        count.fill(0.0)
        for dy, dx, w in disc_taps(radius):
            xp.equal(pad[r + dy : r + dy + g, r + dx : r + dx + g], nxt, out=hits)
            if w != 1.0:
                hits *= w
            count += hits
        xp.greater_equal(count, threshold, out=self._advance)
        xp.copyto(s, nxt, where=self._advance)  # no mask read-back: stays on the device
        self.after_step(params)

    def cycle(self) -> tuple[int, int]:
        """A pinwheel winds through the whole cycle."""
        return 0, self._states

    def paint(self, params: Mapping[str, Any]) -> None:
        states = int(round(float(params.get("cyclic.states", 14))))
        self.xp.multiply(self.state, 0.75 / max(states - 1, 1), out=self.display)
        self.display += 0.25

    def erode(self, amount: float, rng: Any) -> None:
        """Nothing to thin out: every state is a colour (see the module docstring)."""
