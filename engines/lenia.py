"""Lenia with multi-peak kernels (ca-prototype.md section 2.1).

``U = K * A`` by FFT with a kernel of up to three Gaussian rings at relative radii
``peak_i`` (widths ``width_i``, weights ``weight_i``), then
``A <- clip(A + (2 exp(-(U - mu)^2 / 2 sigma^2) - 1) / T, 0, 1)``.

Ring weights let a performer morph a one-ring kernel into a two- or three-ring one
continuously. ``T`` is continuous (the prototype cast it to int). The kernel radius is in
reference cells (1/512 of the frame).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, cast

from engines import gpu, kernels, seeds
from engines.base import Breath, FieldEngine, Look, ParamDecl, param
from engines.fft import Spectral
from engines.seeds import SeedSpec


class Lenia(FieldEngine):
    name = "lenia"
    title = "Lenia"
    params = (
        ParamDecl(
            "lenia.mu",
            0.15,
            0.05,
            0.40,
            role="rule",
            doc="Growth centre: the potential a cell thrives at.",
        ),
        ParamDecl(
            "lenia.sigma",
            0.017,
            0.003,
            0.08,
            role="rule",
            doc="Growth width: how tolerant growth is around mu.",
        ),
        ParamDecl(
            "lenia.t",
            10.0,
            3.0,
            40.0,
            role="rule",
            doc="Time resolution T: the update is growth / T (bigger is smoother and slower).",
        ),
        ParamDecl(
            "lenia.radius",
            13.0,
            4.0,
            40.0,
            role="structural",
            unit=" cells",
            doc="Kernel radius in cells of a 512 world (relative to the frame).",
        ),
        ParamDecl("lenia.peak1", 0.5, 0.05, 1.0, role="structural", doc="Ring 1 position (0-1)."),
        ParamDecl("lenia.width1", 0.15, 0.02, 0.5, role="structural", doc="Ring 1 width."),
        ParamDecl("lenia.peak2", 0.85, 0.05, 1.0, role="structural", doc="Ring 2 position."),
        ParamDecl("lenia.width2", 0.10, 0.02, 0.5, role="structural", doc="Ring 2 width."),
        ParamDecl(
            "lenia.weight2",
            0.0,
            0.0,
            1.0,
            role="structural",
            doc="Ring 2 weight (0 = a one-ring kernel).",
        ),
        ParamDecl("lenia.peak3", 0.9, 0.05, 1.0, role="structural", doc="Ring 3 position."),
        ParamDecl("lenia.width3", 0.10, 0.02, 0.5, role="structural", doc="Ring 3 width."),
        ParamDecl("lenia.weight3", 0.0, 0.0, 1.0, role="structural", doc="Ring 3 weight."),
    )
    look = Look(weights=(0.30, 0.25, 0.45), bloom=0.20, hue_drift=1 / 28)
    breathing = (
        Breath("lenia.mu", 0.15 / 3, 0.015),
        Breath("lenia.sigma", 0.15 / 3, 0.012),
        Breath("lenia.t", 0.25 / 3, 0.014),
    )
    default_seed = SeedSpec("blobs", 0.5)

    def allocate(self) -> None:
        super().allocate()
        self.fft = Spectral(self.backend, self.world)
        self._u = self.fft.buffer(1)

    def initial(self, spec: SeedSpec, rng: Any) -> Any:
        n = self.world
        if spec.kind == "random":
            return seeds.noise_disc(rng, n, radius=spec.size or 0.25, density=spec.density)
        if spec.kind == "ring":
            return seeds.ring(rng, n, radius=spec.size or 0.2)
        if spec.kind == "dense":
            return seeds.noise_disc(rng, n, radius=spec.size or 0.33, density=0.8)
        return seeds.blobs(rng, n, radius=spec.size or 0.10, density=spec.density)

    # --- kernel ---------------------------------------------------------------------------
    def structure_for(self, params: Mapping[str, Any]) -> Hashable:
        rings = [(param(params, "lenia.peak1", 0.5), param(params, "lenia.width1", 0.15), 1.0)]
        for i in (2, 3):
            weight = param(params, f"lenia.weight{i}", 0.0)
            if weight > 1e-3:
                rings.append(
                    (
                        param(params, f"lenia.peak{i}", 0.8),
                        param(params, f"lenia.width{i}", 0.1),
                        weight,
                    )
                )
        radius = param(params, "lenia.radius", 13.0)
        return (round(radius, 2), tuple(tuple(round(v, 3) for v in r) for r in rings))

    def build_structure(self, key: Hashable) -> Any:
        radius, rings = cast(tuple[float, tuple[tuple[float, float, float], ...]], key)
        peaks, widths, weights = zip(*rings, strict=True)
        k = kernels.lenia(self.xp, self.world, radius, peaks, widths, weights)
        return self.fft.spectra(kernels.stack(self.xp, [k]))

    # --- the rule -------------------------------------------------------------------------
    def advance(self, params: Mapping[str, Any]) -> None:
        xp = self.xp
        mu = param(params, "lenia.mu", 0.15)
        sigma = max(param(params, "lenia.sigma", 0.017), 1e-4)
        inv_t = 1.0 / max(param(params, "lenia.t", 10.0), 1.0)
        u = self.fft.convolve(self.fft.forward(self.a), self.structure, self._u)[0]
        if self.backend.is_gpu:
            gpu.lenia_update(u, mu, -0.5 / (sigma * sigma), inv_t, self.a)
            return
        a = self.a
        u -= mu
        xp.square(u, out=u)
        u *= -0.5 / (sigma * sigma)
        xp.exp(u, out=u)
        u *= 2.0 * inv_t
        u -= inv_t
        a += u
        xp.clip(a, 0.0, 1.0, out=a)

    def nucleus(self, rng: Any, params: Mapping[str, Any]) -> Any:
        """A disc of noise about three kernel radii across: it organises into the preset's
        life (narrow growth functions need that much; smaller or fainter seeds die)."""
        r = param(params, "lenia.radius", 13.0) * kernels.scale(self.world)
        size = max(8, int(8.0 * r)) | 1
        return seeds.noise_disc(rng, size, radius=0.4, density=0.45)
