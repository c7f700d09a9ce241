"""What the three discrete engines (Life-like, excitable, cyclic) share.

Their states are small integers kept in float32 arrays (one dtype for every engine).
They run on a grid of ``world / k`` cells with ``k = world // 512`` (at least 1), so a
1024 world shows the same cell size relative to the frame as a 512 one; the picture is
scaled back up to the world. Flows, containment and noise do not apply to them (they
would smear integer states); the organism only regulates their coverage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engines import seeds
from engines.base import Engine, for_wrapped
from engines.kernels import REFERENCE_WORLD
from engines.seeds import SeedSpec


def neighbour_sum(xp: Any, a: Any, pad: Any, rows: Any, out: Any, reach: int = 1) -> Any:
    """Sum of ``a`` over the ``(2*reach+1)^2`` box around every cell (wrapped), minus the cell."""
    r = reach
    n = a.shape[0]
    pad[r:-r, r:-r] = a
    pad[:r, r:-r] = a[-r:]
    pad[-r:, r:-r] = a[:r]
    pad[:, :r] = pad[:, n : n + r]
    pad[:, -r:] = pad[:, r : 2 * r]
    xp.copyto(rows, pad[:, 0:n])
    for dx in range(1, 2 * r + 1):
        rows += pad[:, dx : dx + n]
    xp.copyto(out, rows[0:n])
    for dy in range(1, 2 * r + 1):
        out += rows[dy : dy + n]
    out -= a
    return out


class DiscreteEngine(Engine):
    """A discrete CA on a grid of ``world // k`` cells (see the module docstring)."""

    continuous = False

    def allocate(self) -> None:
        xp = self.xp
        k = max(1, self.world // REFERENCE_WORLD)
        self.k = k if self.world % k == 0 else 1
        g = self.grid = self.world // self.k
        self.state = xp.zeros((g, g), dtype=xp.float32)
        self.display = xp.zeros((g, g), dtype=xp.float32)
        self._count = xp.empty((g, g), dtype=xp.float32)
        self._tmp = xp.empty((g, g), dtype=xp.float32)
        self._pads: dict[int, tuple[Any, Any]] = {}

    def _neighbours(self, a: Any, reach: int = 1) -> Any:
        xp, g = self.xp, self.grid
        if reach not in self._pads:
            self._pads[reach] = (
                xp.empty((g + 2 * reach, g + 2 * reach), dtype=xp.float32),
                xp.empty((g + 2 * reach, g), dtype=xp.float32),
            )
        pad, rows = self._pads[reach]
        return neighbour_sum(xp, a, pad, rows, self._count, reach)

    def initial(self, spec: SeedSpec, rng: Any) -> Any:
        """The host array of initial states for ``spec``."""
        g = self.grid
        if spec.kind == "center":
            return seeds.center(g, radius=spec.size or 0.02)
        return seeds.soup(rng, g, density=spec.density, radius=spec.size)

    def load(self, host: Any) -> None:
        self.state[...] = self.xp.asarray(host)
        self.display[...] = self.state > 0

    def density(self) -> Any:
        if self.k == 1:
            return self.display
        xp = self.xp
        return xp.repeat(xp.repeat(self.display, self.k, axis=0), self.k, axis=1)

    def measured(self) -> Any:
        return self.state

    def nucleus(self, rng: Any, params: Mapping[str, Any]) -> Any:
        """A small soup of live cells (on the world's scale; the grid takes every k-th),
        or a small burst for presets that start from one."""
        size = max(8, int(0.12 * self.world)) | 1
        if self.seed_spec.kind == "center":
            return seeds.center(size, radius=max(self.seed_spec.size, 1.5 * self.k / size))
        return seeds.soup(rng, size, density=self.seed_spec.density or 0.3, radius=0.45)

    def erode(self, amount: float, rng: Any) -> None:
        """Too full: clear one small patch (a hole the rule then plays with)."""
        g = self.grid
        size = max(2, int(0.08 * g))
        hole = self.xp.ones((size, size), dtype=self.xp.bool_)

        def clear(window: Any, part: Any) -> None:
            window[part] = 0.0

        for _ in range(1 + int(amount * 200)):
            y0, x0 = (int(v) for v in rng.integers(0, g, 2))
            for_wrapped(self.state, hole, y0, x0, clear)

    def nucleate(self, blob: Any, y0: int, x0: int, amount: float) -> None:
        """Plant live (or excited) cells where the patch has them, on the engine's grid."""
        cells = blob[:: self.k, :: self.k] > 0.5

        def plant(window: Any, part: Any) -> None:
            window[part] = self.live_value

        for_wrapped(self.state, cells, y0 // self.k, x0 // self.k, plant)

    live_value = 1.0
    """The state a nucleated cell gets (alive, excited)."""
