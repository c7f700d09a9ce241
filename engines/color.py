"""Colour: from a density field to RGB and I420 frames at the stream size.

Per frame (ca-prototype.md section 4, with its bugs fixed):

1. optional *thickness*: a soft dilation of the density (max-pool, blur, upsample);
2. signals: density ``d``, edges ``|grad d|`` and velocity ``|d - d_prev|``, each
   normalised by a running maximum (fast attack, 0.5% per frame release: no strobing);
3. colour coordinate ``t = w_d d + w_v vel + w_e edges + zones * Z(x)`` (Z: spatial colour
   zones) and opacity ``a = d / d_max``; a *glow* (bloom) is added to the opacity from a
   blur pyramid (five halvings, bilinear upsampling: no blocky halos);
4. ``t`` and ``a`` are resampled to the stream size (cover + crop, antialiased);
5. one gather from the palette tables gives RGB, and the same index gives the Y, U and
   V planes (the stream converts nothing).

Palette, hue, tint, brightness and the master fade live in the tables (rebuilt when one
of them changes), so they cost nothing per pixel. On CuPy steps 2, 3 and 5 are fused
kernels (``engines/gpu.py``), the running maxima stay on the device (no sync); on the
CPU the same steps (and the glow's full-size passes) are compiled loops
(``engines/cpu.py``), with this module's NumPy code running until they are loaded (and
for good without them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engines import cpu, gpu
from engines.base import Look, ParamDecl, param
from engines.fft import Spectral
from engines.frame import Fit, Upsample, block_mean
from engines.kernels import scale
from engines.palette import (
    A_LEVELS,
    OPACITY_GAMMA,
    PALETTES,
    T_LEVELS,
    T_MAX,
    T_MIN,
    TableKey,
    Tables,
    zone_field,
)
from engines.xp import Backend

COLOR_PARAMS = (
    ParamDecl(
        "color.palette", "oil_slick", kind="enum", choices=tuple(PALETTES), doc="Cosine palette."
    ),
    ParamDecl("color.hue", 0.0, 0.0, 1.0, doc="Rotates the palette (wraps around seamlessly)."),
    ParamDecl("color.drift", 1.0, 0.0, 4.0, doc="Speed of the slow automatic hue drift."),
    ParamDecl("color.brightness", 1.0, 0.1, 3.0, doc="Overall gain of the colour table."),
    ParamDecl("color.tint_r", 1.0, 0.0, 2.0, doc="Red multiplier."),
    ParamDecl("color.tint_g", 1.0, 0.0, 2.0, doc="Green multiplier."),
    ParamDecl("color.tint_b", 1.0, 0.0, 2.0, doc="Blue multiplier."),
    ParamDecl(
        "color.thickness", 0.0, 0.0, 20.0, unit=" cells", doc="Soft dilation of the structures."
    ),
    ParamDecl("color.bloom", 1.0, 0.0, 3.0, doc="Glow, relative to the engine's own."),
    ParamDecl("color.zones", 1.0, 0.0, 2.0, doc="Strength of the spatial colour zones."),
)

RELEASE = 0.995
"""Running maxima decay by 0.5% per frame (fast attack, slow release)."""
HOLD_FRAMES = 30.0
"""Frames over which a steady look's held luma follows its picture's (about a second)."""
HOLD_RANGE = 1.25
"""The most the hold lifts a frame's opacity (or lowers it, by the inverse)."""
HOLD_BOUNDS = (1.0 / HOLD_RANGE, HOLD_RANGE)
HOLD_SAMPLES = 256
"""The hold predicts a frame's luma from about this many pixels squared: every 2nd pixel
of every 2nd row up to a 512 world (every 4th of every 4th aliased with a sharp wave
train at 128: a 12-step cycle still showed 1.3, not 0.5), sparser above. It costs about
4 ms a frame at 512 on the CPU (a colour frame: 20 ms)."""
REC709 = (0.2126, 0.7152, 0.0722)
"""Luma weights of R, G and B (what the eye and the liveness check weigh)."""
GLOW_LEVELS = 5


@dataclass(frozen=True, slots=True)
class Picture:
    """One coloured frame on the device: RGB for previews, I420 for the stream."""

    rgb: Any
    """``(height, width, 3)`` uint8."""
    yuv: Any
    """``(height * 3 // 2, width)`` uint8: Y, then U, then V (yuv420p as PyAV lays it out)."""
    packed: Any = None
    """On CuPy, both in one buffer so the host copy is a single transfer."""


def lut_index(xp: Any, t: Any, a: Any) -> Any:
    """The palette tables' index of every pixel: ``t``'s level times ``A_LEVELS`` plus
    the rounded opacity level (what the GPU kernels' ``lut_index`` computes)."""
    index = t - T_MIN
    index *= (T_LEVELS - 1) / (T_MAX - T_MIN)
    xp.clip(index, 0, T_LEVELS - 1, out=index)
    xp.floor(index, out=index)
    index *= A_LEVELS
    opacity = a * (A_LEVELS - 1)
    opacity += 0.5
    index += opacity  # integer part: t level * A_LEVELS + rounded opacity level
    return index.astype(xp.intp)


def up2(xp: Any, x: Any) -> Any:
    """Bilinear x2 upsampling on the torus (cell centres stay aligned)."""
    for axis in (0, 1):
        near = 0.75 * x
        before = near + 0.25 * xp.roll(x, 1, axis)
        after = near + 0.25 * xp.roll(x, -1, axis)
        x = xp.stack([before, after], axis=axis + 1)
        shape = list(before.shape)
        shape[axis] *= 2
        x = x.reshape(shape)
    return x.astype(xp.float32, copy=False)


class Colourist:
    """Turns one organism's density into pictures (keeps the state signals need)."""

    def __init__(self, backend: Backend, n: int, seed: int, look: Look) -> None:
        self.backend = backend
        self.xp = xp = backend.xp
        self.n = int(n)
        self.look = look
        self.zones = xp.asarray(zone_field(self.n, seed))
        f32 = xp.float32
        self.prev: Any = None
        self._e = xp.empty((n, n), dtype=f32)
        self._v = xp.empty((n, n), dtype=f32)
        self._t = xp.empty((n, n), dtype=f32)
        self._a = xp.empty((n, n), dtype=f32)
        self._tmp = xp.empty((n, n), dtype=f32)
        self._thick = xp.empty((n, n), dtype=f32)
        self.maxima: Any = None
        self._level: Any = None
        self._luma_table: tuple[Any, Any] | None = None
        self.tables = Tables(xp)
        self._fits: dict[tuple[int, int], Fit] = {}
        self._up4: Upsample | None = None
        self._thick_blur: tuple[float, Spectral, Any, Upsample] | None = None

    # --- signals --------------------------------------------------------------------------
    def _thicken(self, d: Any, amount: float) -> Any:
        """A soft dilation: max over 4x4 blocks, a Gaussian blur at that quarter size
        (spectral: one small FFT pair), upsampled, and the max of that and ``d``."""
        xp, n = self.xp, self.n
        if n % 4:
            return d
        m = n // 4
        rows = xp.maximum(xp.maximum(d[0::4], d[1::4]), xp.maximum(d[2::4], d[3::4]))
        pooled = xp.maximum(
            xp.maximum(rows[:, 0::4], rows[:, 1::4]), xp.maximum(rows[:, 2::4], rows[:, 3::4])
        )
        sigma = round(max(0.5, amount * scale(n) / 4), 2)
        if self._thick_blur is None or self._thick_blur[0] != sigma:
            fft = Spectral(self.backend, m)
            self._thick_blur = (sigma, fft, fft.gaussian(sigma), Upsample(xp, m, n))
        _, fft, gaussian, upsample = self._thick_blur
        blurred = fft.inverse(fft.forward(pooled) * gaussian)
        out = self._thick
        xp.maximum(d, upsample(blurred), out=out)
        return out

    def _signals(self, d: Any, zones: float) -> tuple[Any, Any]:
        """Colour coordinate ``t`` and opacity ``a`` at world size."""
        xp = self.xp
        wd, wv, we = self.look.weights
        if self.prev is None:
            self.prev = d.copy()
            self.maxima = xp.zeros(3, dtype=xp.float32)
        if self.backend.is_gpu:
            gpu.colour_signals(d, self.prev, self._e, self._v)
            peaks = xp.stack([d.max(), self._v.max(), self._e.max()])
            self.maxima = self._follow(peaks, self.maxima)
            gpu.colour_coordinates(
                d,
                self._v,
                self._e,
                self.zones,
                self.maxima,
                (wd, wv, we),
                zones,
                self._t,
                self._a,
            )
            return self._t, self._a
        e, v, tmp, t, a = self._e, self._v, self._tmp, self._t, self._a
        if cpu.ready():  # the same two passes as on the GPU, compiled (engines/cpu.py)
            peaks = xp.array(cpu.colour_signals(d, self.prev, e, v), dtype=xp.float32)
            self.maxima = self._follow(peaks, self.maxima)
            dmax, vmax, emax = (max(float(m), 0.05) for m in self.maxima)
            weights = (wd / dmax, wv / vmax, we / emax)
            cpu.colour_coordinates(d, v, e, self.zones, weights, zones, 1.0 / dmax, t, a)
            return t, a
        xp.subtract(d[:, 2:], d[:, :-2], out=tmp[:, 1:-1])
        xp.subtract(d[:, 1], d[:, -1], out=tmp[:, 0])
        xp.subtract(d[:, 0], d[:, -2], out=tmp[:, -1])
        xp.square(tmp, out=e)
        xp.subtract(d[2:], d[:-2], out=tmp[1:-1])
        xp.subtract(d[1], d[-1], out=tmp[0])
        xp.subtract(d[0], d[-2], out=tmp[-1])
        xp.square(tmp, out=tmp)
        e += tmp
        xp.sqrt(e, out=e)
        xp.subtract(d, self.prev, out=v)
        xp.abs(v, out=v)
        self.prev[...] = d
        peaks = xp.array([d.max(), v.max(), e.max()], dtype=xp.float32)
        self.maxima = self._follow(peaks, self.maxima)
        dmax, vmax, emax = (max(float(m), 0.05) for m in self.maxima)
        xp.multiply(d, wd / dmax, out=t)
        v *= wv / vmax
        t += v
        e *= we / emax
        t += e
        if zones:
            xp.multiply(self.zones, zones, out=tmp)
            t += tmp
        xp.multiply(d, 1.0 / dmax, out=a)
        xp.minimum(a, 1.0, out=a)
        return t, a

    def _follow(self, peaks: Any, maxima: Any) -> Any:
        """The running maxima after a frame whose signals peaked at ``peaks`` (both arrays of
        three, on the device for CuPy): up to a new peak at once, down by ``RELEASE``; a
        steady look's density scale stays at 1."""
        out = self.xp.maximum(peaks, maxima * RELEASE)
        if self.look.steady:
            out[0] = 1.0
        return out

    def _apply_glow(self, a: Any, bloom: float) -> None:
        """``a = min(a + bloom * glow(a), 1)`` in place: a wide, soft glow, the mean of
        pyramid levels 2..5 upsampled (nothing when the world is under 64 or not a
        multiple of 32).

        The pyramid halves with 2x2 means; levels are summed back up with bilinear x2
        steps at low resolution, and only the last x4 upsampling touches full-size
        arrays (a separable bilinear resize with precomputed taps). CuPy and the fused
        CPU kernels run the full-size passes in one kernel each.
        """
        xp, n = self.xp, self.n
        if n % 32 or n < 64:
            return
        if self._up4 is None:
            self._up4 = Upsample(xp, n // 4, n)
        if self.backend.is_gpu:
            gpu.glow(a, GLOW_LEVELS, bloom, self._up4.taps)
        elif cpu.ready():
            cpu.glow_apply(self._glow_quarter(a), self._up4.taps, bloom, a)
        else:
            glow = self._up4(self._glow_quarter(a))
            glow *= bloom
            a += glow
            xp.minimum(a, 1.0, out=a)

    def _glow_quarter(self, a: Any) -> Any:
        """The glow at a quarter of the world's size, on the CPU."""
        xp, n = self.xp, self.n
        if cpu.ready():
            quarter = xp.empty((n // 4, n // 4), dtype=xp.float32)
            cpu.pool4(a, quarter)
        else:
            quarter = block_mean(xp, a, 4)  # level 2: the mean over 4x4 blocks
        levels = [quarter]
        for _ in range(GLOW_LEVELS - 2):
            levels.append(block_mean(xp, levels[-1], 2))
        acc = levels[-1]
        for level in reversed(levels[:-1]):
            acc = up2(xp, acc) + level
        acc *= 1.0 / len(levels)
        return acc

    # --- the frame ------------------------------------------------------------------------
    def table_key(self, params: Mapping[str, Any], hue_phase: float) -> TableKey:
        hue = (param(params, "color.hue", 0.0) + hue_phase) % 1.0
        gain = param(params, "color.brightness", 1.0) * param(params, "master.fade", 1.0)
        tint = tuple(round(param(params, f"color.tint_{c}", 1.0), 2) for c in "rgb")
        return TableKey(
            str(params.get("color.palette", "oil_slick")),
            round(hue * 1024) / 1024,
            tint,  # type: ignore[arg-type]
            round(max(gain, 0.0), 3),
        )

    def render(
        self,
        density: Any,
        params: Mapping[str, Any],
        width: int,
        height: int,
        hue_phase: float = 0.0,
    ) -> Picture:
        xp = self.xp
        thickness = param(params, "color.thickness", 0.0)
        d = self._thicken(density, thickness) if thickness > 0.5 else density
        t, a = self._signals(d, param(params, "color.zones", 1.0) * self.look.zones)
        bloom = self.look.bloom * param(params, "color.bloom", 1.0)
        if bloom > 0.01:
            self._apply_glow(a, bloom)
        fit = self._fits.get((width, height))
        if fit is None:
            fit = self._fits[(width, height)] = Fit(xp, self.n, width, height)
        tables = self.tables.get(self.table_key(params, hue_phase))
        if self.look.steady:
            self._hold(t, a, tables)
        t, a = fit(t), fit(a)
        if self.backend.is_gpu:
            return gpu.compose(t, a, tables, width, height)
        return self._compose_cpu(t, a, tables, width, height)

    def _hold(self, t: Any, a: Any, tables: Tables) -> None:
        """A steady look's luma hold: ``a`` scaled in place so the frame's mean luma stays
        at its running mean over ``HOLD_FRAMES`` (within ``HOLD_RANGE``).

        A discrete world packed with waves cycles every cell through the same states in
        step, so whatever share of the world each phase (and so each colour) happens to
        cover comes back every cycle: spiral's mean luminance pulsed by +-5 at its
        12-step period (2.5 Hz at speed 0.5), read as flicker (issue 15). The luma is
        predicted from a sample of the frame through the same tables, divided by their
        gain (so a fade or a blackout passes as asked); slower changes pass too. On CuPy
        every figure stays on the device (nothing waits for it)."""
        xp = self.xp
        gain = tables.key.gain if tables.key is not None else 0.0
        if gain <= 1e-3:
            return
        k = max(2, self.n // HOLD_SAMPLES)
        ts, sample = t[::k, ::k], a[::k, ::k]
        luma = self._luma(ts, sample, tables) / gain
        level = luma if self._level is None else self._level + (luma - self._level) / HOLD_FRAMES
        self._level = level
        first = xp.clip((level / xp.maximum(luma, 0.5)) ** (1.0 / OPACITY_GAMMA), *HOLD_BOUNDS)
        # Crests at the opacity's ceiling cannot be lifted: measure what that first lift
        # gives and take the secant through it and the frame as it is.
        got = self._luma(ts, xp.minimum(sample * first, 1.0), tables) / gain
        slope = got - luma
        steep = xp.abs(slope) > 1e-3
        lift = 1.0 + (first - 1.0) * (level - luma) / xp.where(steep, slope, 1.0)
        a *= xp.clip(xp.where(steep, lift, first), *HOLD_BOUNDS)
        xp.minimum(a, 1.0, out=a)

    def _luma(self, t: Any, a: Any, tables: Tables) -> Any:
        """The mean Rec.709 luma (0-255) of the pixels coloured from ``t`` and ``a``."""
        xp = self.xp
        if self._luma_table is None or self._luma_table[0] != tables.key:
            weights = xp.asarray(REC709, dtype=xp.float32)
            self._luma_table = (tables.key, tables.rgb.astype(xp.float32) @ weights)
        return xp.take(self._luma_table[1], lut_index(xp, t, a)).mean(dtype=xp.float32)

    def _compose_cpu(self, t: Any, a: Any, tables: Tables, width: int, height: int) -> Picture:
        xp = self.xp
        if cpu.ready() and width % 2 == 0 and height % 2 == 0:
            rgb = xp.empty((height, width, 3), dtype=xp.uint8)
            yuv = xp.empty((height * 3 // 2, width), dtype=xp.uint8)
            cpu.compose(t, a, tables, (T_MIN, T_MAX), (T_LEVELS, A_LEVELS), rgb, yuv)
            return Picture(rgb, yuv)
        ti = lut_index(xp, t, a)
        rgb = xp.take(tables.rgb, ti, axis=0)
        yuv = xp.empty((height * 3 // 2, width), dtype=xp.uint8)
        xp.take(tables.y, ti, out=yuv[:height])
        # Chroma: the mean of the 2x2 block's table entries, U and V packed in one uint32
        # (16 bits each, so four can be summed without carrying into each other).
        uv = xp.take(tables.uv, ti[0::2, 0::2])
        for corner in (ti[1::2, 0::2], ti[0::2, 1::2], ti[1::2, 1::2]):
            uv += xp.take(tables.uv, corner)
        uv += 0x00020002
        uv >>= 2
        quarter = height * width // 4
        chroma = yuv[height:].reshape(-1)
        chroma[:quarter] = (uv & 0xFF).reshape(-1)
        chroma[quarter:] = (uv >> 16).reshape(-1)
        return Picture(rgb, yuv)
