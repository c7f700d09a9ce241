"""What the three discrete engines (Life-like, excitable, cyclic) share.

Their states are small integers kept in float32 arrays (one dtype for every engine).
They run on a grid of ``world / k`` cells. Life keeps ``k = world // 512`` (at least 1),
so a 1024 world shows the same cell size relative to the frame as a 512 one, and its
picture is the grid scaled up cell for cell.

The wave engines (excitable, cyclic) are *round* (issue 15 item 4): one-pixel cells with
a Moore box read as rectilinear mazes and square rings on stage, and as shimmer after
VP8 and a diffusion model. So they use

* cells ``CELL`` times larger than a pixel at 512 (``k = CELL * world // 512``), so a
  wave band is several pixels wide;
* a round neighbourhood: every cell within ``radius`` cells, weighted by the share of it
  the disc covers (:func:`disc_taps`), so fronts travel at the same speed in every
  direction and curl into round spirals and rings instead of squares and diamonds;
* a smooth picture: the state's phase, followed over a few frames (fronts glide instead
  of jumping cells at each step), blurred over a cell and upscaled bilinearly.

Their pictures are *steady* (:attr:`engines.base.Look.steady`, issue 15's flicker):
already on a fixed 0..1 scale, never divided by a running maximum, and the frame's luma
held to its running mean over a second. A nucleus the organism plants in them is a
*pinwheel* (:meth:`DiscreteEngine.planted`), the seed of a spiral.

Flows, containment and noise do not apply to them (they would smear integer states);
the organism only regulates their coverage.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from typing import Any, ClassVar

from engines import seeds
from engines.base import Engine, for_wrapped
from engines.frame import Upsample
from engines.kernels import REFERENCE_WORLD
from engines.seeds import SeedSpec


def neighbour_sum(xp: Any, a: Any, pad: Any, rows: Any, out: Any, reach: int = 1) -> Any:
    """Sum of ``a`` over the ``(2*reach+1)^2`` box around every cell (wrapped), minus the cell."""
    r = reach
    n = a.shape[0]
    wrap_pad(a, pad, r)
    xp.copyto(rows, pad[:, 0:n])
    for dx in range(1, 2 * r + 1):
        rows += pad[:, dx : dx + n]
    xp.copyto(out, rows[0:n])
    for dy in range(1, 2 * r + 1):
        out += rows[dy : dy + n]
    out -= a
    return out


def wrap_pad(a: Any, pad: Any, r: int) -> Any:
    """Copy ``a`` into the middle of ``pad`` (``r`` wider on every side), wrapped around."""
    n = a.shape[0]
    pad[r:-r, r:-r] = a
    pad[:r, r:-r] = a[-r:]
    pad[-r:, r:-r] = a[:r]
    pad[:, :r] = pad[:, n : n + r]
    pad[:, -r:] = pad[:, r : 2 * r]
    return pad


@cache
def disc_taps(radius: float) -> tuple[tuple[int, int, float], ...]:
    """The round neighbourhood: ``(dy, dx, weight)`` for every cell the disc of ``radius``
    cells touches, the weight being the share of that cell inside it (8x8 subsamples),
    the centre cell left out. Weights are rounded to 1/64 so sums stay exact in float32."""
    reach = math.ceil(radius)
    sub = [(i + 0.5) / 8 - 0.5 for i in range(8)]
    taps = []
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            if dy == dx == 0:
                continue
            inside = sum((dy + y) ** 2 + (dx + x) ** 2 <= radius * radius for y in sub for x in sub)
            share = inside / 64
            if share > 0:
                taps.append((dy, dx, share))
    return tuple(taps)


def round_radius(value: Any) -> float:
    """A neighbourhood radius from a fader, in quarter cells (so taps are cached)."""
    return max(1.0, round(float(value) * 4) / 4)


class DiscreteEngine(Engine):
    """A discrete CA on a grid of ``world // k`` cells (see the module docstring)."""

    continuous = False
    smooth: ClassVar[bool] = False
    """Round waves: coarse cells, the phase blended over steps, blurred and upscaled."""
    cell: ClassVar[int] = 1
    """Pixels per cell at a 512 world (scaled with the world)."""
    follow: ClassVar[float] = 0.35
    """Share of the way the picture moves towards the state's phase per frame (smooth
    engines): a step's change shows over about five frames (also damping the harmonics
    of the state cycle in the mean luminance that read as flicker). (Stepping slower than
    the frames, e.g. ``engine.speed`` 0.2 at 30 fps, lets the mean luminance saw at the
    step rhythm, which the liveness check reads as flicker: the presets keep 0.5.)"""

    def allocate(self) -> None:
        xp = self.xp
        k = max(1, self.world // REFERENCE_WORLD) * self.cell
        while k > 1 and (self.world % k or self.world // k < 16):
            k -= 1
        self.k = k
        g = self.grid = self.world // self.k
        self.state = xp.zeros((g, g), dtype=xp.float32)
        self.display = xp.zeros((g, g), dtype=xp.float32)
        self.shown = xp.zeros((g, g), dtype=xp.float32)
        self._count = xp.empty((g, g), dtype=xp.float32)
        self._tmp = xp.empty((g, g), dtype=xp.float32)
        self._pads: dict[int, tuple[Any, Any]] = {}
        self._round_pads: dict[int, Any] = {}
        self._up = Upsample(xp, g, self.world) if self.smooth and self.k > 1 else None
        self._winder = seeds.numpy_rng(self.seed + 7919)

    def _neighbours(self, a: Any, reach: int = 1) -> Any:
        xp, g = self.xp, self.grid
        if reach not in self._pads:
            self._pads[reach] = (
                xp.empty((g + 2 * reach, g + 2 * reach), dtype=xp.float32),
                xp.empty((g + 2 * reach, g), dtype=xp.float32),
            )
        pad, rows = self._pads[reach]
        return neighbour_sum(xp, a, pad, rows, self._count, reach)

    def _round_pad(self, a: Any, radius: float) -> tuple[Any, int]:
        """``a`` wrapped into a pad wide enough for a disc of ``radius`` cells."""
        reach = math.ceil(radius)
        pad = self._round_pads.get(reach)
        if pad is None:
            g = self.grid
            pad = self._round_pads[reach] = self.xp.empty(
                (g + 2 * reach, g + 2 * reach), dtype=self.xp.float32
            )
        return wrap_pad(a, pad, reach), reach

    def _round_neighbours(self, a: Any, radius: float) -> Any:
        """The disc-weighted sum of ``a`` around every cell (wrapped, the cell left out)."""
        g, out, tmp = self.grid, self._count, self._tmp
        pad, r = self._round_pad(a, radius)
        out.fill(0.0)
        for dy, dx, w in disc_taps(radius):
            window = pad[r + dy : r + dy + g, r + dx : r + dx + g]
            if w == 1.0:
                out += window
            else:
                self.xp.multiply(window, w, out=tmp)
                out += tmp
        return out

    def initial(self, spec: SeedSpec, rng: Any) -> Any:
        """The host array of initial states for ``spec``."""
        g = self.grid
        if spec.kind == "center":
            if self.smooth:  # a round burst (a square one sends square rings first)
                return (seeds.filled_disc(g, spec.size or 0.02) > 0.5).astype("float32")
            return seeds.center(g, radius=spec.size or 0.02)
        return seeds.soup(rng, g, density=spec.density, radius=spec.size)

    def load(self, host: Any) -> None:
        self.state[...] = self.xp.asarray(host)
        self.paint(self.start_params)
        self.shown[...] = self.display

    def paint(self, params: Mapping[str, Any]) -> None:
        """The picture of the state on the grid (``display``, in [0, 1])."""
        self.display[...] = self.state > 0

    gain: ClassVar[float] = 1.5
    """The soft picture's crests are lifted to 1 (smooth engines): its peak then stays at
    1 whatever the fronts' shapes, so the colour's running maximum never jumps (it did,
    and each jump dimmed the frame at once and let it creep back: a sawtooth of mean
    luminance that the liveness check reads as flicker)."""

    def after_step(self, params: Mapping[str, Any]) -> None:
        """Paint the new state (``display``)."""
        self.paint(params)

    def density(self) -> Any:
        """The picture. Smooth engines: ``shown`` follows ``display`` by ``follow`` per
        call (once per frame: the organism renders once a frame), softened."""
        xp = self.xp
        if self.smooth:
            shown = self.shown
            shown += (self.display - shown) * self.follow
            soft = self._soften(shown)
            soft *= self.gain
            return xp.minimum(soft, 1.0, out=soft)
        if self.k == 1:
            return self.display
        return xp.repeat(xp.repeat(self.display, self.k, axis=0), self.k, axis=1)

    def _soften(self, a: Any) -> Any:
        """``a`` blurred over about a cell (a 5-tap binomial, wrapped) and upscaled
        bilinearly to the world: no cell edges, no staircase."""
        xp = self.xp
        for axis in (0, 1):
            near = xp.roll(a, 1, axis) + xp.roll(a, -1, axis)
            far = xp.roll(a, 2, axis) + xp.roll(a, -2, axis)
            a = (6.0 * a + 4.0 * near + far) * (1.0 / 16.0)
        a = a.astype(xp.float32, copy=False)
        return a if self._up is None else self._up(a)

    def measured(self) -> Any:
        return self.state

    def nucleus(self, rng: Any, params: Mapping[str, Any]) -> Any:
        """A small soup of live cells (on the world's scale; the grid takes every k-th),
        a small burst for presets that start from one, or (round engines) a filled disc
        at least 24 cells across, which :meth:`planted` winds into a pinwheel."""
        size = max(8, int(0.12 * self.world)) | 1
        if self.seed_spec.kind == "center":
            radius = max(self.seed_spec.size, 1.5 * self.k / size)
            if self.smooth:
                return (seeds.filled_disc(size, radius) > 0.5).astype("float32")
            return seeds.center(size, radius=radius)
        if self.smooth:
            return seeds.filled_disc(max(size, 24 * self.k | 1), 0.5)
        return seeds.soup(rng, size, density=self.seed_spec.density or 0.3, radius=0.45)

    def erode(self, amount: float, rng: Any) -> None:
        """Too full: clear one round patch (a hole the rule then plays with).

        One disc per regulation, wider the fuller the world: the old square stamps (40x40
        pixels, up to eleven a frame) were the black squares of issue 15."""
        g = self.grid
        size = max(3, int(g * (0.04 + 0.6 * amount))) | 1
        hole = self.xp.asarray(seeds.filled_disc(size, 0.5) > 0.5)
        rest = self.rest_value

        def clear(window: Any, part: Any) -> None:
            window[part] = rest

        y0, x0 = (int(v) for v in rng.integers(0, g, 2))
        for_wrapped(self.state, hole, y0, x0, clear)

    def nucleate(self, blob: Any, y0: int, x0: int, amount: float) -> None:
        """Plant cells where the patch has them, on the engine's grid, in the states
        :meth:`planted` gives them."""
        cells = blob[:: self.k, :: self.k] > 0.5
        values = (self.xp.asarray(self.planted(tuple(cells.shape))) + 1.0) * cells

        def plant(window: Any, part: Any) -> None:
            mask = part > 0  # a planted cell holds its state + 1
            window[mask] = part[mask] - 1.0

        for_wrapped(self.state, values, y0 // self.k, x0 // self.k, plant)

    def planted(self, shape: tuple[int, int]) -> Any:
        """The states of a nucleus's cells: alive (excited), or on the round engines a
        pinwheel: the states of :meth:`cycle` wound once around the nucleus's centre (a
        random turn and sense), the seed of one spiral that keeps turning.

        What they planted before was all alive (excited, or state 1): on an excitable
        world one intact ring that swept it and died with nothing left to curl into
        spirals, and the next nucleus did the same (turbulent's lit fraction went
        30 % -> 1 % -> 30 % every 1.5 s, issue 15); on a cyclic world that had settled
        into one state, a patch that nothing around it could follow (whirlpool froze).
        A soup of random phases fizzled: too few excited cells together to fire."""
        if not self.smooth or self.seed_spec.kind == "center":
            return float(self.live_value)
        low, high = self.cycle()
        return seeds.pinwheel(self._winder, shape, low, high)

    def cycle(self) -> tuple[int, int]:
        """The states ``low..high-1`` a pinwheel winds through (round engines)."""
        return int(self.live_value), int(self.live_value) + 1

    live_value = 1.0
    """The state a nucleated cell gets (alive, excited)."""
    rest_value = 0.0
    """The state an eroded cell gets (dead, resting)."""
