"""Cosine palettes with harmonics, folded into lookup tables (host side, built rarely).

A palette is ``P(t) = a + b cos(2 pi (c t + d + hue))`` per channel (Inigo Quilez's form)
plus two soft harmonics, as the prototype drew them (ca-prototype.md section 4.3). The
colour coordinate ``t`` is never wrapped with ``mod 1`` (the prototype's non-integer
frequencies made hard seams there): the table simply covers the whole range ``t`` can
take, so every colour transition is continuous.

One table holds ``T_LEVELS x A_LEVELS`` entries: colour coordinate times opacity, with
the opacity curve ``a^0.85``, tint, brightness and the master fade already multiplied
in, so colouring a pixel is a single gather. Alongside the RGB table are Y, U and V
tables (BT.601 limited range, what yuv420p encoders expect), so the stream's I420
planes come from the same gather with no colour conversion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy

#: The prototype's named palettes: (a, b, c, d) per RGB channel.
PALETTES: dict[str, tuple[tuple[float, float, float], ...]] = {
    "oil_slick": ((0.50, 0.50, 0.50), (0.50, 0.50, 0.50), (2.0, 2.0, 2.0), (0.00, 0.33, 0.67)),
    "cuttlefish": ((0.50, 0.50, 0.50), (0.50, 0.50, 0.50), (2.5, 1.8, 2.2), (0.00, 0.25, 0.55)),
    "bioluminescent": ((0.45, 0.52, 0.55), (0.50, 0.45, 0.42), (2.2, 1.6, 2.0), (0.08, 0.30, 0.55)),
    "deep_coral": ((0.52, 0.45, 0.48), (0.48, 0.42, 0.45), (2.0, 2.5, 1.8), (0.00, 0.28, 0.55)),
}

T_MIN, T_MAX = -1.0, 2.5
"""Range of the colour coordinate (signals 0..1 plus colour zones -0.8..1.4)."""
T_LEVELS = 512
A_LEVELS = 128
OPACITY_GAMMA = 0.85

#: BT.601 limited range, RGB in 0..1 -> Y, Cb, Cr in 0..255.
_YUV = numpy.array(
    [[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]],
    dtype=numpy.float64,
)
_YUV_OFFSET = numpy.array([16.0, 128.0, 128.0])


def palette_rgb(palette: str, t: Any, hue: float = 0.0, xp: Any = numpy) -> Any:
    """Evaluate a palette at ``t`` (any shape) -> ``t.shape + (3,)`` floats in [0, 1]."""
    a, b, c, d = (xp.asarray(v, dtype=xp.float64) for v in PALETTES[palette])
    t = xp.asarray(t, dtype=xp.float64)[..., None]
    phase = d + hue
    two_pi = 2 * numpy.pi
    rgb = a + b * xp.cos(two_pi * (c * t + phase))
    rgb += 0.06 * xp.cos(two_pi * (2.5 * c * t + phase + 0.3))
    rgb += 0.03 * xp.cos(two_pi * (4.0 * c * t + phase + 0.7))
    return xp.clip(rgb, 0.0, 1.0)


@dataclass(frozen=True, slots=True)
class TableKey:
    palette: str
    hue: float
    tint: tuple[float, float, float]
    gain: float


def build_tables(key: TableKey, xp: Any = numpy) -> dict[str, Any]:
    """Tables ``rgb`` (N, 3), ``y``, ``u``, ``v`` (N,) uint8 and ``uv`` (U | V << 16,
    uint32), N = T x A levels, built with ``xp`` (on the device for CuPy: no upload)."""
    t = xp.linspace(T_MIN, T_MAX, T_LEVELS)
    colour = palette_rgb(key.palette, t, key.hue, xp) * xp.asarray(key.tint)  # (T, 3)
    opacity = xp.linspace(0.0, 1.0, A_LEVELS) ** OPACITY_GAMMA * key.gain  # (A,)
    rgb = xp.clip(colour[:, None, :] * opacity[None, :, None], 0.0, 1.0).reshape(-1, 3)
    yuv = rgb @ xp.asarray(_YUV.T) + xp.asarray(_YUV_OFFSET)
    out = {"rgb": xp.rint(rgb * 255.0).astype(xp.uint8)}
    for i, name in enumerate("yuv"):
        out[name] = xp.clip(xp.rint(yuv[:, i]), 0, 255).astype(xp.uint8)
    out["uv"] = out["u"].astype(xp.uint32) | (out["v"].astype(xp.uint32) << 16)
    return out


class Tables:
    """The tables on the engine's device, rebuilt only when the key changes (about 1 ms
    on the CPU; on CuPy they are computed on the device, so nothing is uploaded)."""

    def __init__(self, xp: Any) -> None:
        self.xp = xp
        self.key: TableKey | None = None
        self.rgb: Any = None
        self.y: Any = None
        self.u: Any = None
        self.v: Any = None
        self.uv: Any = None
        """U and V packed in one uint32 (U in the low 16 bits, V in the high 16)."""

    def get(self, key: TableKey) -> Tables:
        if key != self.key:
            tables = build_tables(key, self.xp)
            self.rgb, self.y, self.u, self.v = (tables[k] for k in ("rgb", "y", "u", "v"))
            self.uv = tables["uv"]
            self.key = key
        return self


def zone_field(n: int, seed: int) -> numpy.ndarray:
    """Spatial colour zones (ca-prototype.md 4.4), relative to the frame and reproducible.

    ``0.6 * radius`` (centre and rim get different hues) plus smooth noise at two scales:
    16 and 32 zones across the frame, at +-0.5 and +-0.3.
    """
    rng = numpy.random.default_rng(seed + 104729)
    c = (numpy.arange(n) + 0.5) / n * 2 - 1
    r = numpy.sqrt(c[:, None] ** 2 + c[None, :] ** 2)
    field = 0.6 * numpy.clip(r, 0.0, 1.0)
    for cells, amplitude in ((16, 0.5), (32, 0.3)):
        grid = rng.standard_normal((cells, cells))
        grid = _smooth(_smooth(grid))
        grid /= max(float(numpy.abs(grid).max()), 1e-6)
        field += amplitude * _upsample(grid, n)
    return field.astype(numpy.float32)


def _smooth(grid: numpy.ndarray) -> numpy.ndarray:
    """A [1, 2, 1] / 4 blur along both axes (wrapped)."""
    for axis in (0, 1):
        grid = (numpy.roll(grid, 1, axis) + 2 * grid + numpy.roll(grid, -1, axis)) / 4
    return grid


def _upsample(grid: numpy.ndarray, n: int) -> numpy.ndarray:
    """Bilinear (periodic) upsampling of a small square grid to ``n x n``."""
    m = grid.shape[0]
    pos = (numpy.arange(n) + 0.5) * m / n - 0.5
    i0 = numpy.floor(pos).astype(int)
    w = pos - i0
    i0 %= m
    i1 = (i0 + 1) % m
    rows = grid[i0] * (1 - w)[:, None] + grid[i1] * w[:, None]
    return rows[:, i0] * (1 - w)[None, :] + rows[:, i1] * w[None, :]
