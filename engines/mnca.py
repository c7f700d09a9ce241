"""Continuous multi-neighbourhood CA with 1-3 rings (ca-prototype.md section 2.3).

For ring ``i`` the average ``avg_i = K_i * A`` (one forward FFT, one inverse per ring,
batched on the GPU); the ring is *active* where ``low_i <= avg_i <= high_i``; the state
moves by ``+delta`` per active ring and ``-delta`` per inactive one, then is clipped.
Hard thresholds make the dynamics almost binary. Ring radii are in reference cells.

Cells near a threshold flip by +-delta at every step (a period-2 oscillation of the
rule): at one step per frame (speed 0.5, or a busy CPU) the picture's mean luminance
alternated by ~4 every frame. The picture (``density``) is therefore the mean of the
last two states; the rule and coverage still use the state itself.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, cast

from engines import cpu, gpu, kernels, seeds
from engines.base import Breath, FieldEngine, Look, ParamDecl, param
from engines.fft import Spectral
from engines.seeds import SeedSpec

MAX_RINGS = 3
_DEFAULT_RINGS = ((0.0, 6.0, 0.12, 0.32), (8.0, 18.0, 0.08, 0.32), (12.0, 20.0, 0.06, 0.25))


def _ring_decls() -> tuple[ParamDecl, ...]:
    decls = []
    for i, (inner, outer, low, high) in enumerate(_DEFAULT_RINGS, start=1):
        decls += [
            ParamDecl(
                f"mnca.ring{i}_inner",
                inner,
                0.0,
                40.0,
                role="structural",
                unit=" cells",
                doc=f"Ring {i} inner radius (cells of a 512 world; 0 = a disc).",
            ),
            ParamDecl(
                f"mnca.ring{i}_outer",
                outer,
                2.0,
                48.0,
                role="structural",
                unit=" cells",
                doc=f"Ring {i} outer radius.",
            ),
            ParamDecl(
                f"mnca.ring{i}_low",
                low,
                0.0,
                1.0,
                role="rule",
                doc=f"Ring {i} is active when its average is at least this...",
            ),
            ParamDecl(
                f"mnca.ring{i}_high", high, 0.0, 1.0, role="rule", doc="...and at most this."
            ),
        ]
    return tuple(decls)


class Mnca(FieldEngine):
    name = "mnca"
    title = "Multi-neighbourhood CA"
    params = (
        ParamDecl(
            "mnca.delta",
            0.04,
            0.003,
            0.10,
            role="rule",
            doc="Force: how far one step moves a cell.",
        ),
        ParamDecl(
            "mnca.rings",
            2,
            1,
            MAX_RINGS,
            role="structural",
            integer=True,
            doc="How many rings the rule uses.",
        ),
        *_ring_decls(),
    )
    look = Look(weights=(0.30, 0.25, 0.45), bloom=0.20, hue_drift=1 / 20)
    breathing = (Breath("mnca.delta", 0.30 / 3, 1 / 60),)
    default_seed = SeedSpec("random", 0.5)
    sharpness = 0.5  # keep half the advection blur: the soft washes are MNCA's look

    def allocate(self) -> None:
        super().allocate()
        xp, n = self.xp, self.world
        self._count = xp.empty((n, n), dtype=xp.float32)
        self._mask = xp.empty((n, n), dtype=xp.bool_)
        self._mask2 = xp.empty((n, n), dtype=xp.bool_)
        self.fft = Spectral(self.backend, n)
        self._avg = self.fft.buffer(MAX_RINGS)
        self._last = xp.zeros((n, n), dtype=xp.float32)

    def load(self, host: Any) -> None:
        super().load(host)
        self._last[...] = self.a

    def density(self) -> Any:
        """The mean of the last two states (see the module docstring): a new array."""
        out = self.a + self._last
        out *= 0.5
        return out

    def initial(self, spec: SeedSpec, rng: Any) -> Any:
        n = self.world
        if spec.kind == "blobs":
            return seeds.blobs(
                rng, n, count=12, radius=spec.size or 1 / 7, scatter=0.28, density=spec.density
            )
        if spec.kind == "sparse":
            return seeds.sparse(rng, n)
        return seeds.noise_disc(rng, n, radius=spec.size or 0.25, density=spec.density)

    def structure_for(self, params: Mapping[str, Any]) -> Hashable:
        count = int(round(param(params, "mnca.rings", 2)))
        count = min(MAX_RINGS, max(1, count))
        rings = []
        for i in range(1, count + 1):
            inner = param(params, f"mnca.ring{i}_inner", _DEFAULT_RINGS[i - 1][0])
            outer = param(params, f"mnca.ring{i}_outer", _DEFAULT_RINGS[i - 1][1])
            rings.append((round(inner, 2), round(max(outer, inner + 1.0), 2)))
        return tuple(rings)

    def build_structure(self, key: Hashable) -> Any:
        xp, n = self.xp, self.world
        pairs = cast(tuple[tuple[float, float], ...], key)
        rings = [kernels.annulus(xp, n, inner, outer) for inner, outer in pairs]
        return self.fft.spectra(kernels.stack(xp, rings))

    def advance(self, params: Mapping[str, Any]) -> None:
        xp = self.xp
        k = self.structure.shape[0]
        self._last[...] = self.a
        avg = self.fft.convolve(self.fft.forward(self.a), self.structure, self._avg)
        delta = param(params, "mnca.delta", 0.04)
        bounds = [
            (param(params, f"mnca.ring{i}_low", 0.1), param(params, f"mnca.ring{i}_high", 0.3))
            for i in range(1, k + 1)
        ]
        if self.backend.is_gpu:
            gpu.mnca_update(avg, bounds, delta, self.a)
            return
        if cpu.ready():
            cpu.mnca_update(avg, bounds, delta, self.a)
            return
        count, mask, mask2 = self._count, self._mask, self._mask2
        count.fill(0.0)
        for i, (low, high) in enumerate(bounds):
            xp.greater_equal(avg[i], low, out=mask)
            xp.less_equal(avg[i], high, out=mask2)
            mask &= mask2
            count += mask
        # +delta per active ring, -delta per inactive one.
        count *= 2.0 * delta
        count -= k * delta
        self.a += count
        xp.clip(self.a, 0.0, 1.0, out=self.a)

    def nucleus(self, rng: Any, params: Mapping[str, Any]) -> Any:
        """A patch of noise a few outer ring radii wide."""
        outer = max(param(params, f"mnca.ring{i}_outer", 10.0) for i in (1, 2))
        size = max(8, int(4.0 * outer * kernels.scale(self.world))) | 1
        return seeds.noise_disc(rng, size, radius=0.3, density=0.5)
