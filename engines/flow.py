"""The seven flow fields and semi-Lagrangian advection with a truly periodic bilinear gather.

Fields are defined on centred coordinates in half-width units (``r = 1`` at the middle
of an edge), y pointing down the screen (ca-prototype.md section 4.6):

========  =====================================================================
radial    outward unit vector (negative strength pulls inward)
rotate    tangent x clip(r, 0, 1): solid-body-like rotation
swirl     tangent bent outward with the radius (a spiral), magnitude r
bubble    outward puff near the centre, exp(-r^2 / (2 * 0.3^2))
ring      alternating push/pull bands, sin(6 pi r)
vortex    tangent x clip(r, 0, 1)^2: spin accelerating outward
vertical  uniform downward drift
========  =====================================================================

The combined velocity is rebuilt only when strengths change (the prototype re-summed all
seven every sub-step), as a weighted sum of each flow's field at strength 1 (kept per
world, built on first use). Speeds are relative to the frame: strength 1 moves 0.8 cells per
step in a 512 world and 1.6 in a 1024 one. The back-traced position is wrapped modulo the
world (the prototype used SciPy's legacy ``mode='wrap'``, whose period is N-1).

Bilinear interpolation smooths: a fractional shift ``f`` blurs by ``f(1-f)/2`` cells^2
per step along each axis, which is enough to dissolve Gray-Scott's mazes and to smear
MNCA's dot lattices into axis-aligned stripes (a visible cross around the centre). The
blur is known per cell, so it is subtracted again (``- f(1-f)/2`` times the second
difference along each axis): the scheme becomes second order (Lax-Wendroff-like),
nearly free of numerical diffusion, and stable because ``0 <= f < 1``.

Two kernels do it, on the GPU (CuPy) and on the CPU (Numba, ``engines/cpu.py``): the
gather, then the correction. Until those are loaded (or without Numba) the CPU builds
the gather indices, bilinear weights and correction coefficients once per field, so a
step costs four ``np.take`` gathers and a dozen multiply-adds (about twice the fused
kernels at 1024).
An engine may keep part of the blur on purpose (MNCA keeps half: its soft "wash"
regions are part of its look; the half that is undone is what drew the cross).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engines import cpu, gpu
from engines.base import ParamDecl
from engines.kernels import scale
from engines.xp import Backend

FLOWS = ("radial", "rotate", "swirl", "bubble", "ring", "vortex", "vertical")
CELLS_PER_STEP = 0.8
"""Displacement per step at strength 1, in cells of a 512 world."""

_DOCS = {
    "radial": "Outward push (negative: inward pull, a containment).",
    "rotate": "Rotation of the whole organism.",
    "swirl": "Spiral: rotation bending outward towards the rim.",
    "bubble": "Outward puff from the centre.",
    "ring": "Alternating push/pull bands.",
    "vortex": "Spin that accelerates towards the rim.",
    "vertical": "Uniform downward drift (negative: upward).",
}

FLOW_PARAMS = tuple(
    ParamDecl(f"flow.{k}", 0.0, -1.0, 1.0, role="safe", smoothing=0.3, doc=_DOCS[k]) for k in FLOWS
)


def strengths(params: Mapping[str, Any]) -> tuple[float, ...]:
    """The seven strengths, rounded so tiny slews don't rebuild the field every step."""
    return tuple(round(float(params.get(f"flow.{k}", 0.0)), 3) for k in FLOWS)


def velocity(
    xp: Any,
    n: int,
    s: tuple[float, ...],
    terms: dict[str, tuple[Any, Any]] | None = None,
    out: tuple[Any, Any, Any] | None = None,
) -> tuple[Any, Any]:
    """Combined velocity ``(vy, vx)`` in cells per step for strengths ``s``: the sum of
    each flow's field at strength 1 times its strength. ``terms`` keeps those fields per
    flow: the organism's regulation and breathing move the strengths a little every step,
    and building the geometry again each time was a quarter of coral's frame at 1024.
    ``out`` is ``(vy, vx, scratch)`` to write into, so those steps allocate nothing."""
    terms = {} if terms is None else terms
    vy, vx, tmp = out or tuple(xp.empty((n, n), dtype=xp.float32) for _ in range(3))
    vy.fill(0.0)
    vx.fill(0.0)
    for name, strength in zip(FLOWS, s, strict=True):
        if not strength:
            continue
        if name not in terms:
            terms[name] = unit_velocity(xp, n, name)
        for v, unit in zip((vy, vx), terms[name], strict=True):
            xp.multiply(unit, strength, out=tmp)
            v += tmp
    return vy, vx


def unit_velocity(xp: Any, n: int, name: str) -> tuple[Any, Any]:
    """The velocity ``(vy, vx)`` of flow ``name`` at strength 1, in cells per step."""
    f32 = xp.float32
    c = (xp.arange(n, dtype=f32) + 0.5) / n * 2.0 - 1.0
    y, x = c[:, None], c[None, :]
    r = xp.sqrt(y * y + x * x).astype(f32)
    safe = xp.maximum(r, 1e-6)
    ry, rx = y / safe, x / safe  # outward unit vector, as (row, col) components
    # The tangent (x, y) = (-r_y, r_x) with y pointing down the screen: clockwise on
    # screen for a positive strength. As (row, col) components it is (r_x, -r_y).
    ty, tx = rx, -ry
    rc = xp.clip(r, 0.0, 1.0)
    if name == "radial":
        vy, vx = ry, rx
    elif name == "rotate":
        vy, vx = ty * rc, tx * rc
    elif name == "swirl":
        dy = ty * (1 - rc / 2) + ry * rc / 2
        dx = tx * (1 - rc / 2) + rx * rc / 2
        norm = xp.maximum(xp.sqrt(dy * dy + dx * dx), 1e-6)
        vy, vx = dy / norm * r, dx / norm * r
    elif name == "bubble":
        g = xp.exp(-(r * r) / (2 * 0.3**2))
        vy, vx = ry * g, rx * g
    elif name == "ring":
        band = xp.sin(6 * xp.pi * r)
        vy, vx = ry * band, rx * band
    elif name == "vortex":
        vy, vx = ty * rc * rc, tx * rc * rc
    elif name == "vertical":
        vy, vx = xp.ones((n, n), dtype=f32), xp.zeros((n, n), dtype=f32)
    else:
        raise ValueError(f"no flow named {name!r}; flows: {', '.join(FLOWS)}")
    k = CELLS_PER_STEP * scale(n)
    shape = (n, n)
    return (
        xp.broadcast_to(vy * k, shape).astype(f32),
        xp.broadcast_to(vx * k, shape).astype(f32),
    )


class Flow:
    """The organism's combined flow field and the advection it drives."""

    def __init__(self, backend: Backend, n: int, sharpness: float = 1.0) -> None:
        self.backend = backend
        self.sharpness = float(sharpness)
        """How much of the bilinear blur is undone (1 = all of it)."""
        self.xp = backend.xp
        self.n = int(n)
        self.key: tuple[float, ...] = (0.0,) * len(FLOWS)
        self.active = False
        self.rebuilds = 0
        self._vy: Any = None
        self._vx: Any = None
        self._index: list[Any] = []
        self._weight: list[Any] = []
        self._gather: Any = None
        self._out: Any = None
        self._terms: dict[str, tuple[Any, Any]] = {}
        self._buffers: tuple[Any, ...] | None = None

    def set(self, params: Mapping[str, Any]) -> None:
        """Adopt the strengths in ``params`` (rebuilds the field only when they changed)."""
        key = strengths(params)
        if key == self.key:
            return
        self.key = key
        self.active = any(key)
        self.rebuilds += 1
        if not self.active:
            return
        if self._buffers is None:  # vy, vx, a scratch and the advection's output
            self._buffers = tuple(
                self.xp.empty((self.n, self.n), dtype=self.xp.float32) for _ in range(4)
            )
        vy, vx, scratch, self._out = self._buffers
        self._vy, self._vx = velocity(self.xp, self.n, key, self._terms, (vy, vx, scratch))
        self._index = []  # the NumPy tables of this field: built on their first use

    def _tables(self) -> None:
        """The NumPy path's gather indices, bilinear weights and correction coefficients
        for the current field (the GPU and the fused CPU kernels need only ``vy, vx``)."""
        xp, n, vy, vx = self.xp, self.n, self._vy, self._vx
        # Back-traced source position, split into a wrapped cell index and a fraction.
        rows = xp.arange(n, dtype=xp.float32)[:, None] - vy
        cols = xp.arange(n, dtype=xp.float32)[None, :] - vx
        y0, x0 = xp.floor(rows), xp.floor(cols)
        fy, fx = (rows - y0).astype(xp.float32), (cols - x0).astype(xp.float32)
        y0i = (y0.astype(xp.int64) % n).astype(xp.int32)
        x0i = (x0.astype(xp.int64) % n).astype(xp.int32)
        y1i, x1i = (y0i + 1) % n, (x0i + 1) % n
        self._index = [  # intp: NumPy gathers with native indices fastest
            (ya.astype(xp.intp) * n + xa).ravel()
            for ya, xa in ((y0i, x0i), (y0i, x1i), (y1i, x0i), (y1i, x1i))
        ]
        gy, gx = 1.0 - fy, 1.0 - fx
        self._weight = [
            (wy * wx).astype(xp.float32) for wy, wx in ((gy, gx), (gy, fx), (fy, gx), (fy, fx))
        ]
        self._cy = (0.5 * self.sharpness * fy * gy).astype(xp.float32)
        self._cx = (0.5 * self.sharpness * fx * gx).astype(xp.float32)
        self._centre = (1.0 + 2.0 * (self._cx + self._cy)).astype(xp.float32)
        self._gather = xp.empty((n, n), dtype=xp.float32)
        self._second = xp.empty((n, n), dtype=xp.float32)

    def advect(self, fields: list[Any]) -> None:
        """Move every field along the flow by one step, in place."""
        if not self.active:
            return
        xp = self.xp
        for field in fields:
            if self.backend.is_gpu:
                gpu.advect(field, self._vy, self._vx, self._out, self.sharpness)
                continue
            if cpu.ready():  # the same two kernels, compiled for the CPU
                cpu.advect(field, self._vy, self._vx, self._out, self.sharpness)
                continue
            if not self._index:
                self._tables()
            flat = field.ravel()
            out, gather = self._out, self._gather
            xp.take(flat, self._index[0], out=out.ravel())
            out *= self._weight[0]
            for index, weight in zip(self._index[1:], self._weight[1:], strict=True):
                xp.take(flat, index, out=gather.ravel())
                gather *= weight
                out += gather
            self._sharpen(out, field)

    def _sharpen(self, out: Any, field: Any) -> None:
        """``field = out - cx * d2x(out) - cy * d2y(out)`` (undo the bilinear blur), clipped.

        Written as ``out * (1 + 2 (cx + cy)) - cx (left + right) - cy (up + down)``.
        """
        xp, pair = self.xp, self._second
        xp.multiply(out, self._centre, out=field)
        xp.add(out[:, :-2], out[:, 2:], out=pair[:, 1:-1])
        xp.add(out[:, -1], out[:, 1], out=pair[:, 0])
        xp.add(out[:, -2], out[:, 0], out=pair[:, -1])
        pair *= self._cx
        field -= pair
        xp.add(out[:-2], out[2:], out=pair[1:-1])
        xp.add(out[-1], out[1], out=pair[0])
        xp.add(out[-2], out[0], out=pair[-1])
        pair *= self._cy
        field -= pair
        xp.clip(field, 0.0, 1.0, out=field)
