"""Gray-Scott reaction-diffusion, as the prototype ran it (ca-prototype.md section 2.4).

Two explicit Euler sub-steps per ``step()`` with a 9-point Laplacian (0.2 edges, 0.05
diagonals, -1 centre) on a periodic world::

    U += Du*lap(U) - U*V^2 + F(x)*(1 - U)
    V += Dv*lap(V) + U*V^2 - (F(x) + k)*V

``F(x)`` rises towards the rim (x5 beyond 70% of the half-width), which starves V there
and keeps the organism inside the frame. Diffusion is given at the 512-cell reference
world and scaled by ``(N/512)^2`` above it, so a preset keeps its look in bigger worlds;
when the scaled diffusion would leave the stencil's stable range, the step is split in
more sub-steps instead. Below 512 the pattern's length scale would drop under one cell
(it freezes onto the grid), so smaller worlds keep the reference diffusion.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from engines import gpu, seeds
from engines.base import Breath, Engine, Look, ParamDecl
from engines.kernels import REFERENCE_WORLD
from engines.seeds import SeedSpec

STABLE_D = 1.0  # explicit Euler with this stencil is stable up to D*dt = 1.25; keep margin


class GrayScott(Engine):
    name = "gray_scott"
    title = "Gray-Scott reaction-diffusion"
    params = (
        ParamDecl(
            "gray_scott.feed",
            0.030,
            0.010,
            0.080,
            role="rule",
            doc="Feed rate F: how fast U is replenished.",
        ),
        ParamDecl(
            "gray_scott.kill",
            0.058,
            0.040,
            0.070,
            role="rule",
            doc="Kill rate k: how fast V decays.",
        ),
        ParamDecl(
            "gray_scott.du", 0.21, 0.10, 0.30, role="rule", doc="Diffusion of U (at a 512 world)."
        ),
        ParamDecl(
            "gray_scott.dv", 0.105, 0.03, 0.15, role="rule", doc="Diffusion of V (at a 512 world)."
        ),
    )
    look = Look(weights=(0.40, 0.30, 0.30), bloom=0.0, hue_drift=1 / 5)
    breathing = (Breath("gray_scott.feed", 0.002, 0.033, relative=False),)
    default_seed = SeedSpec("dense", 0.45)

    def allocate(self) -> None:
        xp, n = self.xp, self.world
        f32 = xp.float32
        self.u = xp.ones((n, n), dtype=f32)
        self.v = xp.zeros((n, n), dtype=f32)
        self._u2 = xp.empty((n, n), dtype=f32)
        self._v2 = xp.empty((n, n), dtype=f32)
        self._pad = xp.empty((n + 2, n + 2), dtype=f32)
        self._rows = xp.empty((n + 2, n), dtype=f32)
        self._lap_u = xp.empty((n, n), dtype=f32)
        self._lap_v = xp.empty((n, n), dtype=f32)
        self._uvv = xp.empty((n, n), dtype=f32)
        self._tmp = xp.empty((n, n), dtype=f32)
        self._picture_field = xp.zeros((n, n), dtype=f32)
        coords = (xp.arange(n, dtype=f32) + 0.5) / n * 2 - 1
        self._radius = xp.sqrt(coords[:, None] ** 2 + coords[None, :] ** 2).astype(f32)
        ramp = xp.clip((self._radius - 0.40) / 0.30, 0.0, 1.0)
        self._feed_mask = (1.0 + 4.0 * ramp).astype(f32)

    def initial(self, spec: SeedSpec, rng: Any) -> Any:
        """V: by default the prototype's ``dense`` seed, a noisy super-Gaussian disc."""
        n = self.world
        if spec.kind == "blobs":
            return seeds.blobs(rng, n, count=6, radius=spec.size or 0.06, scatter=0.12) * 0.5
        return seeds.sparse_disc(rng, n, radius=spec.size or 0.15, keep=spec.density) * 0.5

    def load(self, host: Any) -> None:
        self.v[...] = self.xp.asarray(host)
        self.u[...] = 1.0 - self.v

    def _laplacian(self, a: Any, out: Any) -> Any:
        """9-point Laplacian with periodic wrap, written into ``out``.

        lap = 0.05*box3x3 + 0.15*(up + down + left + centre + right) - 1.2*centre,
        which is 0.2 on edges, 0.05 on diagonals and -1 at the centre.
        """
        xp, pad, rows = self.xp, self._pad, self._rows
        pad[1:-1, 1:-1] = a
        pad[0, 1:-1] = a[-1]
        pad[-1, 1:-1] = a[0]
        pad[:, 0] = pad[:, -2]
        pad[:, -1] = pad[:, 1]
        xp.add(pad[:, :-2], pad[:, 1:-1], out=rows)
        rows += pad[:, 2:]
        box = self._tmp
        xp.add(rows[:-2], rows[1:-1], out=box)
        box += rows[2:]
        xp.add(pad[:-2, 1:-1], pad[2:, 1:-1], out=out)
        out += rows[1:-1]
        out *= 0.15
        box *= 0.05
        out += box
        xp.multiply(a, 1.2, out=box)
        out -= box
        return out

    def advance(self, params: Mapping[str, Any]) -> None:
        scale = max(1.0, self.world / REFERENCE_WORLD) ** 2
        du = float(params.get("gray_scott.du", 0.21)) * scale
        dv = float(params.get("gray_scott.dv", 0.105)) * scale
        feed = float(params.get("gray_scott.feed", 0.030))
        kill = float(params.get("gray_scott.kill", 0.058))
        splits = max(1, math.ceil(max(du, dv) / STABLE_D))
        h = 1.0 / splits
        for _ in range(2 * splits):
            if self.backend.is_gpu:
                gpu.gray_scott_substep(
                    self.u, self.v, self._feed_mask, feed, kill, du, dv, h, self._u2, self._v2
                )
                self.u, self._u2 = self._u2, self.u
                self.v, self._v2 = self._v2, self.v
            else:
                self._substep_cpu(feed, kill, du, dv, h)

    def _substep_cpu(self, feed: float, kill: float, du: float, dv: float, h: float) -> None:
        xp = self.xp
        u, v, uvv, tmp = self.u, self.v, self._uvv, self._tmp
        lap_u = self._laplacian(u, self._lap_u)
        lap_v = self._laplacian(v, self._lap_v)
        xp.multiply(v, v, out=uvv)
        uvv *= u
        # U += h*(Du*lapU - UVV + F*(1-U))
        xp.subtract(1.0, u, out=tmp)
        tmp *= self._feed_mask
        tmp *= feed
        tmp -= uvv
        lap_u *= du
        tmp += lap_u
        tmp *= h
        u += tmp
        # V += h*(Dv*lapV + UVV - (F+k)*V)
        xp.multiply(self._feed_mask, feed, out=tmp)
        tmp += kill
        tmp *= v
        xp.subtract(uvv, tmp, out=tmp)
        lap_v *= dv
        tmp += lap_v
        tmp *= h
        v += tmp
        xp.clip(u, 0.0, 1.0, out=u)
        xp.clip(v, 0.0, 1.0, out=v)

    def nucleus(self, rng: Any, params: Mapping[str, Any]) -> Any:
        """A small noisy disc of V (the dense seed in miniature)."""
        size = max(8, int(0.12 * self.world)) | 1
        return seeds.sparse_disc(rng, size, radius=0.3, keep=0.45) * 0.5

    def density(self) -> Any:
        """The prototype's pre-curve: a dead zone, then gain, for a pure black background."""
        xp, out = self.xp, self._picture_field
        xp.subtract(self.v, 0.015, out=out)
        out *= 3.5
        xp.clip(out, 0.0, 1.0, out=out)
        return out

    def measured(self) -> Any:
        return self.v

    def fields(self) -> list[Any]:
        return [self.u, self.v]
