"""From the square world to the stream's frame: cover and crop, antialiased, never squashed.

The world is scaled so it *covers* the output (``scale = max(width, height) / N``) and
the overflow is cropped evenly, so an 832x480 stream from a square world shows the
middle band of it at its true aspect. Upscaling is bilinear; downscaling first averages
whole blocks of cells (a box filter, so fine structure does not alias), then finishes
bilinearly. The sample positions and weights are computed once per size pair.
"""

from __future__ import annotations

import math
from typing import Any

import numpy


def _axis(n: int, out: int, scale: float) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """Source indices (i0, i1) and weights of i1 for ``out`` samples of an ``n``-cell axis."""
    centre = (numpy.arange(out, dtype=numpy.float64) + 0.5) / scale + (n - out / scale) / 2
    pos = numpy.clip(centre - 0.5, 0.0, n - 1.0)
    i0 = numpy.floor(pos).astype(numpy.int64)
    i1 = numpy.minimum(i0 + 1, n - 1)
    return i0, i1, (pos - i0).astype(numpy.float32)


def separable_lerp(xp: Any, field: Any, rows: Any, wy: Any, cols: Any, wx: Any) -> Any:
    """Linear interpolation along rows then columns: ``rows``/``cols`` are the two source
    index arrays per output line, ``wy`` (column vector) and ``wx`` the weights of the
    second one. Returns a new array."""
    top = xp.take(field, rows[0], axis=0)
    bottom = xp.take(field, rows[1], axis=0)
    bottom -= top
    bottom *= wy
    top += bottom
    left = xp.take(top, cols[0], axis=1)
    right = xp.take(top, cols[1], axis=1)
    right -= left
    right *= wx
    left += right
    return left


def block_mean(xp: Any, field: Any, b: int) -> Any:
    """The means of ``field``'s ``b x b`` blocks (its sides multiples of ``b``): a new
    float32 array. Sums of strided views: NumPy's mean over the block axes of a reshaped
    view took 8.8 ms from 1024 to 512 cells on this machine, these sums 0.9 ms."""
    rows = field[0::b].astype(xp.float32)
    for i in range(1, b):
        rows += field[i::b]
    out = rows[:, 0::b].copy()
    for j in range(1, b):
        out += rows[:, j::b]
    out *= 1.0 / (b * b)
    return out


class Fit:
    """Resample ``(N, N)`` fields to ``(height, width)`` (see the module docstring)."""

    def __init__(self, xp: Any, n: int, width: int, height: int) -> None:
        self.xp = xp
        self.n, self.width, self.height = int(n), int(width), int(height)
        self.identity = width == height == n
        scale = max(width, height) / n
        self.block = max(1, math.floor(1.0 / scale)) if scale < 1 else 1
        while n % self.block:
            self.block -= 1
        m = n // self.block
        self.blocks_only = width == height == m  # the block means are the frame
        scale *= self.block  # after the block average the world has m cells
        rows = _axis(m, height, scale)
        cols = _axis(m, width, scale)
        self._rows = tuple(xp.asarray(a) for a in rows)
        self._cols = tuple(xp.asarray(a) for a in cols)
        self._wy = self._rows[2][:, None]
        self._wx = self._cols[2][None, :]

    def __call__(self, field: Any) -> Any:
        """A new ``(height, width)`` float32 array (or ``field`` itself when sizes match)."""
        if self.identity:
            return field
        xp = self.xp
        if self.block > 1:
            field = block_mean(xp, field, self.block)
            if self.blocks_only:
                return field
        return separable_lerp(xp, field, self._rows[:2], self._wy, self._cols[:2], self._wx)


def fit(xp: Any, image: Any, width: int, height: int) -> Any:
    """Resample a square ``(N, N)`` or ``(N, N, C)`` image to ``(height, width[, C])``."""
    n = image.shape[0]
    if image.shape[:2] == (height, width):
        return image
    resample = Fit(xp, n, width, height)
    if image.ndim == 2:
        return resample(image.astype(xp.float32))
    planes = [resample(image[..., c].astype(xp.float32)) for c in range(image.shape[2])]
    out = xp.stack(planes, axis=-1)
    return xp.clip(out + 0.5, 0, 255).astype(image.dtype) if image.dtype != xp.float32 else out


class Upsample:
    """Periodic bilinear upsampling of ``(m, m)`` fields to ``(n, n)`` (cell centres aligned)."""

    def __init__(self, xp: Any, m: int, n: int) -> None:
        self.xp = xp
        pos = (numpy.arange(n) + 0.5) * m / n - 0.5
        i0 = numpy.floor(pos).astype(numpy.int64)
        w = (pos - i0).astype(numpy.float32)
        self._i0 = xp.asarray(i0 % m)
        self._i1 = xp.asarray((i0 + 1) % m)
        self._wy = xp.asarray(w)[:, None]
        self._wx = xp.asarray(w)[None, :]

    @property
    def taps(self) -> tuple[Any, Any, Any]:
        """(first source index, second source index, weight of the second) per output line,
        the same on both axes."""
        return self._i0, self._i1, self._wx.reshape(-1)

    def __call__(self, field: Any) -> Any:
        taps = (self._i0, self._i1)
        return separable_lerp(self.xp, field, taps, self._wy, taps, self._wx)
