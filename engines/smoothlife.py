"""SmoothLife (Rafler 2011) with a continuous-time update (ca-prototype.md section 2.2).

``m`` (inner disc of radius ``ri``) and ``n`` (annulus ``ri..ra``) come from one forward
FFT and two inverse ones; the transition

    S = lerp(s_n(n, b1, b2), s_n(n, d1, d2), s(m, 0.5, alpha_m))

(birth interval where the inside is empty, survival interval where it is full) moves the
state by ``dt * (2S - 1)``. The picture is ``blur(A)^1.4`` (a 2-cell Gaussian taken from
the last step's spectrum: one extra inverse FFT per frame, none per step).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Any, cast

from engines import gpu, kernels, seeds
from engines.base import Breath, FieldEngine, Look, ParamDecl, param
from engines.fft import Spectral
from engines.seeds import SeedSpec

FACTORED_ALPHA_MIN = 1.0 / 64.0
"""``smoothlife.alpha_n`` from which the CPU transition takes one ``exp`` for its four
neighbourhood thresholds (:meth:`SmoothLife._intervals_factored`); the range goes down to
0.005, where the terms would overflow float32, and takes the four ``exp`` there."""


def _sigmoid(xp: Any, x: Any, edge: float, width: float, out: Any) -> Any:
    """``1 / (1 + exp((edge - x) / width))`` into ``out``."""
    xp.subtract(edge, x, out=out)
    out *= 1.0 / width
    xp.minimum(out, 60.0, out=out)  # exp stays finite in float32
    xp.exp(out, out=out)
    out += 1.0
    xp.reciprocal(out, out=out)
    return out


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
        self._tmp = xp.empty((n, n), dtype=xp.float32)
        self._tmp2 = xp.empty((n, n), dtype=xp.float32)
        self._tmp3 = xp.empty((n, n), dtype=xp.float32)
        self._picture_field = xp.zeros((n, n), dtype=xp.float32)
        self.fft = Spectral(self.backend, n)
        self._mn = self.fft.buffer(2)
        self._blur = self.fft.gaussian(2.0 * kernels.scale(n))
        self._blurred = xp.empty_like(self._blur)
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
        xp, a = self.xp, self.a
        # s_m: 0 where the inside is empty (birth), 1 where it is full (survival).
        sm = _sigmoid(xp, m, 0.5, am, m)
        if an >= FACTORED_ALPHA_MIN:
            s = self._intervals_factored(n, bounds, an)
        else:
            s = self._intervals(n, bounds, an)
        # s = birth + sm * (survival - birth) (survival in ``s``, birth in _tmp2)
        birth = self._tmp2
        s -= birth
        s *= sm
        s += birth
        # A += dt * (2S - 1)
        s *= 2.0 * dt
        s -= dt
        a += s
        xp.clip(a, 0.0, 1.0, out=a)

    def _intervals(self, n: Any, bounds: tuple[float, float, float, float], an: float) -> Any:
        """Birth ``s(n,b1)(1 - s(n,b2))`` into _tmp2, survival (d1, d2) into (and as) ``n``."""
        xp, tmp = self.xp, self._tmp
        b1, b2, d1, d2 = bounds
        s1 = _sigmoid(xp, n, b1, an, self._tmp2)
        s2 = _sigmoid(xp, n, b2, an, tmp)
        xp.subtract(1.0, s2, out=s2)
        s1 *= s2
        s3 = _sigmoid(xp, n, d1, an, tmp)
        s4 = _sigmoid(xp, n, d2, an, n)
        xp.subtract(1.0, s4, out=s4)
        s4 *= s3
        return s4

    def _intervals_factored(
        self, n: Any, bounds: tuple[float, float, float, float], an: float
    ) -> Any:
        """:meth:`_intervals` with one ``exp`` instead of four (same values to float32
        rounding; a third of the passes over the world).

        With ``E = exp(-n/an)``, ``R = 1/E`` and ``K_x = exp(x/an)``:
        ``s(n,lo) (1 - s(n,hi)) = 1 / (1 + K_lo/K_hi + K_lo E + R/K_hi)``, a sum of
        positive terms. Every term stays finite in float32 while ``1/an`` and
        ``hi/an`` stay under ~88; :data:`FACTORED_ALPHA_MIN` keeps them under 64.
        """
        xp, r, scratch = self.xp, self._tmp, self._tmp3
        b1, b2, d1, d2 = bounds
        e = xp.multiply(n, -1.0 / an, out=n)
        xp.exp(e, out=e)
        xp.reciprocal(e, out=r)

        def interval(lo: float, hi: float, out: Any) -> Any:
            k_lo, k_hi = math.exp(lo / an), math.exp(hi / an)
            xp.multiply(r, 1.0 / k_hi, out=scratch)  # before ``out`` may overwrite ``e``
            xp.multiply(e, k_lo, out=out)
            out += 1.0 + k_lo / k_hi
            out += scratch
            return xp.reciprocal(out, out=out)

        interval(b1, b2, self._tmp2)
        return interval(d1, d2, e)

    def density(self) -> Any:
        xp = self.xp
        if self._spectrum is None:
            self._spectrum = self.fft.forward(self.a)
        blurred = self.fft.inverse(xp.multiply(self._spectrum, self._blur, out=self._blurred))
        out = self._picture_field
        xp.clip(blurred, 0.0, 1.0, out=out)
        if self.backend.is_gpu:
            xp.power(out, 1.4, out=out)
            return out
        # exp(1.4 log x): NumPy's float32 power is a scalar powf per cell, its exp and
        # log are vectorised (half the time at 1024); log 0 = -inf gives exp(-inf) = 0.
        with xp.errstate(divide="ignore"):  # xp is NumPy here
            xp.log(out, out=out)
        out *= 1.4
        xp.exp(out, out=out)
        return out

    def nucleus(self, rng: Any, params: Mapping[str, Any]) -> Any:
        """A filled disc a little wider than the neighbourhood ring (smaller ones die)."""
        ra = param(params, "smoothlife.ra", 24.0) * kernels.scale(self.world)
        size = max(8, int(3.0 * ra)) | 1
        return seeds.filled_disc(size, 0.42) * float(rng.uniform(0.8, 0.95))
