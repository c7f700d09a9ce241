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

from engines import cpu, gpu, seeds
from engines.base import Breath, Engine, Look, ParamDecl
from engines.kernels import REFERENCE_WORLD
from engines.seeds import SeedSpec

STABLE_D = 1.0  # explicit Euler with this stencil is stable up to D*dt = 1.25; keep margin
V_FLOOR = 1e-18
"""V under this is set to 0 on the CPU. Where V dies it decays geometrically (each step keeps
``1 - h (F + k)`` of it) into float32's subnormal range, and x86 does arithmetic on subnormals
about ten times slower: a 1024 world of tentacles held 17 % subnormal V after 5 s, and the
flow's advection of it took 88 ms against 8 ms flushed, the sub-step 11 ms against 1.9. At
1e-18 even ``u v^2`` stays normal, and such V is invisible (the picture starts at 0.015) and
cannot regrow (the reaction is quadratic in V). The GPU is left alone: it does subnormal
arithmetic at full speed."""
BLOCK_ROWS = 128
"""Rows per block of the CPU sub-step: 32 rows of a 1024 world are 128 KiB per array,
so a block's dozen intermediates stay in L2 (measured best of 16/32/64/128 at 1024)."""


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
        rows = min(n, BLOCK_ROWS)
        self._ext = xp.empty((rows + 2, n), dtype=f32)
        self._vert = xp.empty((rows, n), dtype=f32)
        self._lap = xp.empty((rows, n), dtype=f32)
        self._uvv = xp.empty((rows, n), dtype=f32)
        self._tmp = xp.empty((rows, n), dtype=f32)
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
        disc = seeds.sparse_disc(
            rng, n, radius=spec.size or 0.15, keep=spec.density, grain=self._grain()
        )
        return disc * 0.5

    def load(self, host: Any) -> None:
        self.v[...] = self.xp.asarray(host)
        self.u[...] = 1.0 - self.v

    def _halo(self, a: Any, r0: int, r1: int) -> Any:
        """Rows ``r0 - 1 .. r1`` of ``a`` on the torus: a view inside the world, a small
        copy for the first and last block (whose halo rows wrap around)."""
        n = self.world
        if r0 > 0 and r1 < n:
            return a[r0 - 1 : r1 + 1]
        ext = self._ext[: r1 - r0 + 2]
        ext[1:-1] = a[r0:r1]
        ext[0] = a[r0 - 1]
        ext[-1] = a[r1 % n]
        return ext

    def _stencil(self, ext: Any, out: Any, weight: float) -> Any:
        """``weight`` x the 9-point Laplacian of the middle rows of ``ext`` into ``out``.

        The stencil (0.2 edges, 0.05 diagonals, -1 centre) is separable up to its
        centre: ``0.05 * ([1, 4, 1] x [1, 4, 1]) - 1.8 * centre``, so it costs one
        vertical and one horizontal 3-tap pass (columns wrap around here).
        """
        xp = self.xp
        vert = self._vert[: ext.shape[0] - 2]
        centre = ext[1:-1]
        xp.add(ext[:-2], ext[2:], out=vert)
        xp.multiply(centre, 4.0, out=out)
        vert += out
        xp.multiply(vert, 4.0, out=out)
        out[:, 1:] += vert[:, :-1]
        out[:, :-1] += vert[:, 1:]
        out[:, 0] += vert[:, -1]
        out[:, -1] += vert[:, 0]
        out *= 0.05 * weight
        xp.multiply(centre, 1.8 * weight, out=vert)
        out -= vert
        return out

    def _blocks(self) -> range:
        return range(0, self.world, BLOCK_ROWS)

    def _laplacian(self, a: Any, out: Any) -> Any:
        """The 9-point Laplacian of the whole periodic field ``a``, written into ``out``."""
        for r0 in self._blocks():
            r1 = min(self.world, r0 + BLOCK_ROWS)
            self._stencil(self._halo(a, r0, r1), self._lap[: r1 - r0], 1.0)
            out[r0:r1] = self._lap[: r1 - r0]
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
            if self.backend.is_gpu or cpu.ready():
                substep = gpu.gray_scott_substep if self.backend.is_gpu else cpu.gray_scott_substep
                substep(self.u, self.v, self._feed_mask, feed, kill, du, dv, h, self._u2, self._v2)
                self.u, self._u2 = self._u2, self.u
                self.v, self._v2 = self._v2, self.v
            else:
                self._substep_cpu(feed, kill, du, dv, h)

    def _substep_cpu(self, feed: float, kill: float, du: float, dv: float, h: float) -> None:
        """One Euler sub-step from ``u, v`` into ``_u2, _v2`` (then swapped), a block of
        ``BLOCK_ROWS`` rows at a time so every intermediate stays in the CPU's cache
        (whole-field passes were memory-bound: about twice the time at 1024)."""
        xp = self.xp
        u, v, u2, v2 = self.u, self.v, self._u2, self._v2
        for r0 in self._blocks():
            r1 = min(self.world, r0 + BLOCK_ROWS)
            c = r1 - r0
            ub, vb = u[r0:r1], v[r0:r1]
            uvv, tmp, lap, f = self._uvv[:c], self._tmp[:c], self._lap[:c], self._vert[:c]
            xp.multiply(vb, vb, out=uvv)
            uvv *= ub
            # U += h*(Du*lapU - UVV + F*(1-U))
            xp.subtract(1.0, ub, out=tmp)
            tmp *= self._feed_mask[r0:r1]
            tmp *= feed
            tmp -= uvv
            tmp += self._stencil(self._halo(u, r0, r1), lap, du)
            tmp *= h
            xp.add(ub, tmp, out=u2[r0:r1])
            # V += h*(Dv*lapV + UVV - (F+k)*V)
            lap = self._stencil(self._halo(v, r0, r1), lap, dv)
            lap += uvv
            xp.multiply(self._feed_mask[r0:r1], feed, out=f)
            f += kill
            f *= vb
            lap -= f
            lap *= h
            xp.add(vb, lap, out=v2[r0:r1])
        xp.clip(u2, 0.0, 1.0, out=u2)
        xp.clip(v2, 0.0, 1.0, out=v2)
        xp.copyto(v2, 0.0, where=v2 < V_FLOOR)
        self.u, self._u2 = u2, u
        self.v, self._v2 = v2, v

    def nucleus(self, rng: Any, params: Mapping[str, Any]) -> Any:
        """A small noisy disc of V (the dense seed in miniature)."""
        size = max(8, int(0.12 * self.world)) | 1
        return seeds.sparse_disc(rng, size, radius=0.3, keep=0.45, grain=self._grain()) * 0.5

    def _grain(self) -> int:
        """Cells per noise value in seeds and nuclei: the pattern's length scale grows with
        the world above the reference (the diffusion is scaled), so the noise does too. With
        one value per cell a 1024 world's seed and nuclei were noise twice as fine as the
        pattern, half smoothed away before they grew: deep_sea's least lit share 10-20 s into
        a 1024 show was 1.7 % on NumPy (0.9 % in one H200 run), 2.5 % with grains."""
        return max(1, self.world // REFERENCE_WORLD)

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
