"""What keeps a continuous organism alive and moving: containment, stir, noise, nuclei.

* **Containment**: a radial multiplicative mask (1 inside, decaying towards the rim),
  relative to the frame.
* **Stir and noise**: a slowly rotating additive ramp under a Gaussian envelope, centre
  noise, and extra noise where living cells stopped changing (velocity-gated), all only
  where there is life, so empty space stays black.

* **Noise** comes from a pool of two large host-seeded frames read through random
  windows (offset, frame and sign chosen by a seeded host generator): aperiodic,
  reproducible, identical on NumPy and CuPy, and free to draw per step.
* **Nuclei**: where coverage is too low a new nucleus *grows in* over a few dozen steps
  at one spot (never a full-frame reseed, so no restart is ever visible).

Both run at every step, with the prototype's per-step amplitudes. (They used to run every
fourth step with four steps' worth: the containment and the clip of the stirred field
then pulsed the mean luminance every fourth step, a 15 Hz flicker of up to 4.5 at two
steps per frame and a dip every fourth frame at one; issue 15.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engines import cpu, gpu, seeds
from engines.base import Engine
from engines.kernels import scale
from engines.xp import Backend

STIR_EVERY = 1
"""Steps between two perturbations (containment, stir, noise); amplitudes scale with it."""
POOL_MARGIN = 64
STILL = 0.003
"""A living cell that changed less than this in a step counts as still (gets a shake)."""


@dataclass(frozen=True, slots=True)
class Containment:
    inner: float
    outer: float
    floor: float


CONTAINMENT = {
    "mnca": Containment(0.60, 0.85, 0.96),
    "default": Containment(0.35, 0.65, 0.95),
}


def _radius(xp: Any, n: int) -> Any:
    c = (xp.arange(n, dtype=xp.float32) + 0.5) / n * 2.0 - 1.0
    return xp.sqrt(c[:, None] ** 2 + c[None, :] ** 2).astype(xp.float32)


class LifeSupport:
    """Containment, stir and noise for one continuous engine."""

    def __init__(self, backend: Backend, engine: Engine, seed: int) -> None:
        self.backend = backend
        self.xp = xp = backend.xp
        self.engine = engine
        n = self.n = engine.world
        self.rng = seeds.numpy_rng(seed + 15485863)
        r = _radius(xp, n)
        shape = CONTAINMENT.get(engine.name, CONTAINMENT["default"])
        ramp = xp.clip((r - shape.inner) / (shape.outer - shape.inner), 0.0, 1.0)
        self._decay = (ramp * (1.0 - shape.floor)).astype(xp.float32)  # per-step loss
        self._contain_level: float | None = None
        self.contain = xp.ones((n, n), dtype=xp.float32)
        # Stir basis: a ramp along x (and y) under a Gaussian envelope of 0.25 half-widths.
        c = (xp.arange(n, dtype=xp.float32) + 0.5) / n * 2.0 - 1.0
        envelope = xp.exp(-(r * r) / (2 * 0.25**2)).astype(xp.float32)
        self._sx = (c[None, :] / 0.25 * envelope).astype(xp.float32)
        self._sy = (c[:, None] / 0.25 * envelope).astype(xp.float32)
        self._centre = xp.exp(-(r * r) / (2 * 0.35**2)).astype(xp.float32)
        host = seeds.numpy_rng(seed + 32452843)
        size = n + POOL_MARGIN
        self._pool = xp.asarray(host.standard_normal((2, size, size), dtype="float32"))
        self._prev = xp.zeros((n, n), dtype=xp.float32)
        self._tmp = xp.empty((n, n), dtype=xp.float32)
        self._gate = xp.empty((n, n), dtype=xp.bool_)
        self.phase = 0.0
        self.steps = 0

    def noise(self) -> Any:
        """A fresh-looking N(0, 1) field: a random window of the pool (a view, no copy)."""
        k = int(self.rng.integers(0, 2))
        oy, ox = (int(v) for v in self.rng.integers(0, POOL_MARGIN, 2))
        view = self._pool[k, oy : oy + self.n, ox : ox + self.n]
        return view if self.rng.random() < 0.5 else view.T

    def _containment(self, level: float) -> Any:
        """``(1 - level * decay)^STIR_EVERY``, rebuilt only when the level changes."""
        if level != self._contain_level:
            xp = self.xp
            base = xp.clip(1.0 - level * self._decay, 0.0, 1.0)
            self.contain = (base**STIR_EVERY).astype(xp.float32)
            self._contain_level = level
        return self.contain

    def after_step(self, params: Mapping[str, Any]) -> None:
        """Containment, stir, centre and velocity-gated noise (every ``STIR_EVERY`` steps)."""
        self.steps += 1
        if self.steps % STIR_EVERY:
            return
        xp = self.xp
        a = self.engine.fields()[0]
        stir = float(params.get("organism.stir", 1.0))
        contain = self._containment(round(float(params.get("organism.contain", 1.0)), 3))
        self.phase += 0.005 * STIR_EVERY
        k = scale(self.n)
        # Per-step amplitudes of the prototype, over STIR_EVERY steps: a drift adds up
        # linearly, noise as a random walk (square root).
        ramp = 0.01 * STIR_EVERY * stir
        walk = math.sqrt(STIR_EVERY)
        centre = 0.003 * walk * stir * k
        shake = (0.003 if self.engine.name == "smoothlife" else 0.006) * walk * stir * k
        cos_p, sin_p = math.cos(self.phase), math.sin(self.phase)
        fused = gpu.perturb if self.backend.is_gpu else cpu.perturb if cpu.ready() else None
        if fused is not None:
            fused(
                a,
                self._prev,
                contain,
                self._sx,
                self._sy,
                self._centre,
                self.noise(),
                self.noise(),
                ramp * cos_p,
                ramp * sin_p,
                centre,
                shake,
                STILL * STIR_EVERY,
            )
            return
        a *= contain
        gate, tmp = self._gate, self._tmp
        xp.greater(a, 0.03, out=gate)
        # stir + centre noise, only where there is life
        xp.multiply(self._sx, ramp * cos_p, out=tmp)
        tmp += self._sy * (ramp * sin_p)
        tmp += self._centre * self.noise() * centre
        # velocity-gated noise: living cells that barely changed get a shake
        still = xp.abs(a - self._prev) < STILL * STIR_EVERY
        still &= gate
        tmp += still * self.noise() * shake
        tmp *= gate
        a += tmp
        xp.clip(a, 0.0, 1.0, out=a)
        self._prev[...] = a
