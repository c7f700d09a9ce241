"""SmoothLife (Rafler 2011) with a continuous-time update (ca-prototype.md section 2.2).

``m`` (inner disc of radius ``ri``) and ``n`` (annulus ``ri..ra``) come from one forward
FFT and two inverse ones; the transition

    S = lerp(s_n(n, b1, b2), s_n(n, d1, d2), s(m, 0.5, alpha_m))

(birth interval where the inside is empty, survival interval where it is full) moves the
state by ``dt * (2S - 1)``. The picture is ``blur(A)^1.4`` (a 2-cell Gaussian taken from
the last step's spectrum: one extra inverse FFT per frame, none per step).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, cast

from engines import gpu, kernels, seeds
from engines.base import Breath, FieldEngine, Look, ParamDecl, param
from engines.fft import Spectral
from engines.seeds import SeedSpec


class SmoothLife(FieldEngine):
    name = "smoothlife"
    title = "SmoothLife"
    params = (
        ParamDecl(
            "smoothlife.ri",
            8.0,
            3.0,
            20.0,
            role="structural",
            unit=" cells",
            doc="Inner radius (cells of a 512 world).",
        ),
        ParamDecl(
            "smoothlife.ra",
            24.0,
            9.0,
            60.0,
            role="structural",
            unit=" cells",
            doc="Outer radius of the neighbourhood ring (usually 3 x ri).",
        ),
        ParamDecl("smoothlife.b1", 0.278, 0.15, 0.45, role="rule", doc="Birth interval start."),
        ParamDecl("smoothlife.b2", 0.365, 0.25, 0.55, role="rule", doc="Birth interval end."),
        ParamDecl("smoothlife.d1", 0.267, 0.15, 0.45, role="rule", doc="Survival interval start."),
        ParamDecl("smoothlife.d2", 0.445, 0.30, 0.65, role="rule", doc="Survival interval end."),
        ParamDecl(
            "smoothlife.alpha_n",
            0.028,
            0.005,
            0.08,
            role="rule",
            doc="Softness of the neighbourhood thresholds.",
        ),
        ParamDecl(
            "smoothlife.alpha_m",
            0.147,
            0.02,
            0.3,
            role="rule",
            doc="Softness of the inside (birth vs survival) threshold.",
        ),
        ParamDecl("smoothlife.dt", 0.12, 0.02, 0.3, role="rule", doc="Time step."),
    )
    look = Look(weights=(0.30, 0.25, 0.45), bloom=0.25, hue_drift=1 / 23)
    breathing = (
        Breath("smoothlife.b1", 0.015 / 3, 1 / 70, relative=False),
        Breath("smoothlife.b2", 0.015 / 3, 1 / 85, relative=False),
    )
    default_seed = SeedSpec("blobs", 0.5)

    def allocate(self) -> None:
        super().allocate()
        xp, n = self.xp, self.world
        self._mn = xp.empty((2, n, n), dtype=xp.float32)
        self._tmp = xp.empty((n, n), dtype=xp.float32)
        self._tmp2 = xp.empty((n, n), dtype=xp.float32)
        self._picture_field = xp.zeros((n, n), dtype=xp.float32)
        self.fft = Spectral(self.backend, n)
        self._blur = self.fft.gaussian(2.0 * kernels.scale(n))
        self._spectrum: Any = None

    def initial(self, spec: SeedSpec, rng: Any) -> Any:
        if spec.kind == "random":
            return seeds.noise_disc(
                rng, self.world, radius=spec.size or 0.2, density=spec.density, binary=True,
                edge_power=8,
            )  # fmt: skip
        return seeds.discs(rng, self.world, radius=spec.size or 0.12)

    def load(self, host: Any) -> None:
        super().load(host)
        self._spectrum = None

    def structure_for(self, params: Mapping[str, Any]) -> Hashable:
        ri = param(params, "smoothlife.ri", 8.0)
        ra = max(param(params, "smoothlife.ra", 24.0), ri + 3.0)
        return (round(ri, 2), round(ra, 2))

    def build_structure(self, key: Hashable) -> Any:
        ri, ra = cast(tuple[float, float], key)
        xp, n = self.xp, self.world
        stack = kernels.stack(xp, [kernels.disc(xp, n, ri), kernels.annulus(xp, n, ri, ra)])
        return self.fft.spectra(stack)

    def advance(self, params: Mapping[str, Any]) -> None:
        spectrum = self.fft.forward(self.a)
        self._spectrum = spectrum
        mn = self.fft.convolve(spectrum, self.structure, self._mn)
        b1, b2 = param(params, "smoothlife.b1", 0.278), param(params, "smoothlife.b2", 0.365)
        d1, d2 = param(params, "smoothlife.d1", 0.267), param(params, "smoothlife.d2", 0.445)
        an = max(param(params, "smoothlife.alpha_n", 0.028), 1e-4)
        am = max(param(params, "smoothlife.alpha_m", 0.147), 1e-4)
        dt = param(params, "smoothlife.dt", 0.12)
        if self.backend.is_gpu:
            gpu.smoothlife_update(mn[0], mn[1], b1, b2, d1, d2, an, am, dt, self.a)
            return
        self._transition_cpu(mn[0], mn[1], (b1, b2, d1, d2), an, am, dt)

    def _transition_cpu(
        self,
        m: Any,
        n: Any,
        bounds: tuple[float, float, float, float],
        an: float,
        am: float,
        dt: float,
    ) -> None:
        """In place, reusing ``m`` and ``n`` as scratch (they are rebuilt every step)."""
        xp, tmp, a = self.xp, self._tmp, self.a
        b1, b2, d1, d2 = bounds

        def sigmoid(x: Any, edge: float, width: float, out: Any) -> Any:
            xp.subtract(edge, x, out=out)
            out *= 1.0 / width
            xp.minimum(out, 60.0, out=out)  # exp stays finite in float32
            xp.exp(out, out=out)
            out += 1.0
            xp.reciprocal(out, out=out)
            return out

        # s_m: 0 where the inside is empty (birth), 1 where it is full (survival).
        sm = sigmoid(m, 0.5, am, m)
        # birth = s(n,b1) * (1 - s(n,b2)); survival likewise with d1, d2.
        s1 = sigmoid(n, b1, an, self._tmp2)
        s2 = sigmoid(n, b2, an, tmp)
        xp.subtract(1.0, s2, out=s2)
        s1 *= s2  # birth
        s3 = sigmoid(n, d1, an, tmp)
        s4 = sigmoid(n, d2, an, n)
        xp.subtract(1.0, s4, out=s4)
        s3 *= s4  # survival
        # S = birth + sm * (survival - birth); A += dt * (2S - 1)
        s3 -= s1
        s3 *= sm
        s3 += s1
        s3 *= 2.0 * dt
        s3 -= dt
        a += s3
        xp.clip(a, 0.0, 1.0, out=a)

    def density(self) -> Any:
        xp = self.xp
        if self._spectrum is None:
            self._spectrum = self.fft.forward(self.a)
        blurred = self.fft.inverse(self._spectrum * self._blur)
        out = self._picture_field
        xp.clip(blurred, 0.0, 1.0, out=out)
        xp.power(out, 1.4, out=out)
        return out

    def nucleus(self, rng: Any, params: Mapping[str, Any]) -> Any:
        """A filled disc a little wider than the neighbourhood ring (smaller ones die)."""
        ra = param(params, "smoothlife.ra", 24.0) * kernels.scale(self.world)
        size = max(8, int(3.0 * ra)) | 1
        return seeds.filled_disc(size, 0.42) * float(rng.uniform(0.8, 0.95))
