"""Convolution kernels built on wrapped (torus) coordinates, centred exactly on cell (0, 0).

The prototype padded a kernel and rolled it by ``-k//2``, which Python reads as
``(-k)//2``: every potential field came out shifted by one cell diagonally (its bug 1).
Here a kernel is evaluated directly at the torus distance from the origin, so the
delta response of every engine is centred (a test checks it).

Radii are in *reference cells*: cells of a 512-cell world. A world of ``n`` cells uses
``scale = n / 512`` real cells per reference cell, so a preset looks the same at 256,
512 and 1024 (the prototype truncated scaled radii with ``int()``; nothing is truncated
here). Soft edges are one reference cell wide, and never narrower than half a cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

REFERENCE_WORLD = 512


def scale(n: int) -> float:
    """Real cells per reference cell in an ``n``-cell world."""
    return n / REFERENCE_WORLD


def torus_radius(xp: Any, n: int) -> Any:
    """Distance of every cell from cell (0, 0) on the ``n x n`` torus, in cells (float32)."""
    i = xp.arange(n, dtype=xp.float32)
    d = xp.minimum(i, n - i)
    return xp.sqrt(d[:, None] ** 2 + d[None, :] ** 2).astype(xp.float32)


def _normalised(xp: Any, k: Any) -> Any:
    total = float(k.sum())
    if total <= 0:
        raise ValueError("kernel is empty (radius too small for this world)")
    return (k / total).astype(xp.float32)


def _logistic(xp: Any, x: Any, width: float) -> Any:
    """0 -> 1 step at ``x = 0`` about ``width`` cells wide."""
    return 1.0 / (1.0 + xp.exp(xp.clip(-x * (4.0 / width), -60.0, 60.0)))


def edge_width(n: int) -> float:
    """Soft edge of a disc or ring, in real cells: one reference cell, at least half a cell."""
    return max(0.5, scale(n))


def lenia(
    xp: Any,
    n: int,
    radius: float,
    peaks: Sequence[float],
    widths: Sequence[float],
    weights: Sequence[float] | None = None,
) -> Any:
    """Lenia's multi-peak kernel: ``sum_i b_i exp(-((D - p_i)/w_i)^2 / 2)`` for ``D = r/R <= 1``.

    ``radius`` is in reference cells; the kernel has unit mass.
    """
    r_cells = max(1.0, radius * scale(n))
    d = torus_radius(xp, n) / r_cells
    k = xp.zeros((n, n), dtype=xp.float32)
    weights = [1.0] * len(peaks) if weights is None else weights
    for p, w, b in zip(peaks, widths, weights, strict=True):
        k += (b * xp.exp(-0.5 * ((d - p) / max(w, 1e-3)) ** 2)).astype(xp.float32)
    k *= d <= 1.0
    return _normalised(xp, k)


def disc(xp: Any, n: int, radius: float) -> Any:
    """A filled disc of ``radius`` reference cells with a soft edge, unit mass."""
    r = torus_radius(xp, n)
    return _normalised(xp, _logistic(xp, radius * scale(n) - r, edge_width(n)))


def annulus(xp: Any, n: int, inner: float, outer: float) -> Any:
    """A ring between ``inner`` and ``outer`` reference cells (a disc when inner is 0)."""
    if inner <= 0:
        return disc(xp, n, outer)
    r = torus_radius(xp, n)
    w = edge_width(n)
    ring = _logistic(xp, r - inner * scale(n), w) * _logistic(xp, outer * scale(n) - r, w)
    return _normalised(xp, ring)


def stack(xp: Any, kernels: Sequence[Any]) -> Any:
    """Kernels as one contiguous float32 ``(k, n, n)`` array."""
    return xp.ascontiguousarray(xp.stack(list(kernels)).astype(xp.float32))
