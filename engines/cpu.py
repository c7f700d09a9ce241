"""Fused CPU kernels (Numba): the CPU twins of ``engines/gpu.py``'s elementwise kernels.

NumPy spends a whole pass over memory (and a Python call) on every ``+`` and ``*``: a
Gray-Scott sub-step was some 45 passes over 1M-cell arrays at 1024, the flow's bilinear
advection four ``np.take`` gathers plus a dozen passes, the colour LUT a float index
built in eight passes before its gathers. Here each is one compiled loop that reads its
inputs once and writes its outputs once, with the same maths, in the same float32, as the
CuPy kernel of the same name (so CPU and GPU pictures agree, and the NumPy code they
replace stays as the fallback and as the reference the tests compare them with).

The kernels live in ``engines/_cpu_kernels.py``, imported on the first call: importing
Numba costs about a second (several on a busy machine), which ``import engines`` (the
TUI, every CLI command) should not pay. They are compiled on first use and cached on
disk (``cache=True``: seconds once per installation, then a fraction of a second per
process). They release the GIL (``nogil``), so an organism stepping in a worker thread
does not stall the event loop, and run on one core on purpose: the other one is the video
encoder's (perf.md section 4).

``AVAILABLE`` is False when Numba is not installed (a platform without its wheels) or
``PERFORM_NUMBA=0`` is set: the engines then run their NumPy code.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
from typing import Any

import numpy

AVAILABLE = os.environ.get("PERFORM_NUMBA", "1") != "0" and (
    importlib.util.find_spec("numba") is not None
)
_F = numpy.float32


@functools.cache
def _k() -> Any:
    """The kernels module (Numba imported, kernels compiled lazily by Numba itself)."""
    return importlib.import_module("engines._cpu_kernels")


# --- the wrappers the engines call (Python floats in, float32 scalars to the kernels) ---


def gray_scott_substep(
    u: Any, v: Any, mask: Any, feed: float, kill: float, du: float, dv: float, h: float,
    u2: Any, v2: Any,
) -> None:  # fmt: skip
    """One Gray-Scott sub-step of ``u, v`` into ``u2, v2`` (``gpu.gray_scott_substep``)."""
    _k().gray_scott(u, v, mask, _F(feed), _F(kill), _F(du), _F(dv), _F(h), u2, v2)


def advect(field: Any, vy: Any, vx: Any, scratch: Any, sharpness: float = 1.0) -> None:
    """Bilinear back-trace into ``scratch``, then the anti-blur correction back into
    ``field`` (``gpu.advect``)."""
    _k().advect(field, vy, vx, scratch)
    _k().sharpen(scratch, vy, vx, _F(0.5 * sharpness), field)


def colour_signals(d: Any, prev: Any, e: Any, vel: Any) -> tuple[float, float, float]:
    """Edges and velocity of ``d`` (``prev`` becomes ``d``); the peaks of d, vel and e."""
    dmax, vmax, emax = _k().signals(d, prev, e, vel)
    return float(dmax), float(vmax), float(emax)


def colour_coordinates(
    d: Any, vel: Any, e: Any, zones: Any, weights: tuple[float, float, float], zs: float,
    inv_d: float, t: Any, a: Any,
) -> None:  # fmt: skip
    """``t`` and ``a`` (``weights`` already divided by the running maxima)."""
    wd, wv, we = weights
    _k().coordinates(d, vel, e, zones, _F(wd), _F(wv), _F(we), _F(zs), _F(inv_d), t, a)


def pool4(src: Any, out: Any) -> Any:
    """The mean of ``src`` over 4x4 blocks, into ``out``."""
    _k().pool4(src, out)
    return out


def glow_apply(acc: Any, taps: tuple[Any, Any, Any], gain: float, a: Any) -> None:
    """``a = min(a + gain * upsampled(acc), 1)`` with ``Upsample.taps``."""
    i0, i1, w = taps
    _k().glow_apply(acc, i0, i1, w, _F(gain), a)


def compose(
    t: Any, a: Any, tables: Any, t_range: tuple[float, float], levels: tuple[int, int],
    rgb: Any, yuv: Any,
) -> None:  # fmt: skip
    """RGB and I420 (even sizes) from the palette ``tables`` (``engines.palette.Tables``)."""
    (tmin, tmax), (tlev, alev) = t_range, levels
    tscale = _F((tlev - 1) / (tmax - tmin))
    height, width = t.shape
    quarter = height * width // 4
    chroma = yuv[height:].reshape(-1)  # U then V, each (height/2, width/2) row-major
    u_plane = chroma[:quarter].reshape(height // 2, width // 2)
    v_plane = chroma[quarter:].reshape(height // 2, width // 2)
    _k().compose(
        t, a, tables.rgb, tables.y, tables.u, tables.v, _F(tmin), tscale, tlev, alev, rgb,
        yuv[:height], u_plane, v_plane,
    )  # fmt: skip


def warm() -> bool:
    """Import Numba and load (or compile) every kernel now, on tiny arrays, so the first
    frame of a show does not pay for it (seconds on a busy machine; a host may call this
    in a background thread at start-up). Returns False when the NumPy code runs instead."""
    if not AVAILABLE:
        return False
    from engines.palette import A_LEVELS, T_LEVELS, T_MAX, T_MIN, TableKey, Tables

    f = numpy.zeros((8, 8), dtype=_F)
    u, v, a, b, c = (f.copy() for _ in range(5))
    gray_scott_substep(u, v, f, 0.03, 0.06, 0.2, 0.1, 1.0, a, b)
    advect(u, f, f, c)
    colour_signals(u, v, a, b)
    colour_coordinates(u, v, a, b, (1.0, 1.0, 1.0), 1.0, 1.0, c, f.copy())
    glow_apply(pool4(u, numpy.empty((2, 2), dtype=_F)), _taps(2, 8), 1.0, c)
    tables = Tables(numpy).get(TableKey("oil_slick", 0.0, (1.0, 1.0, 1.0), 1.0))
    rgb = numpy.empty((8, 8, 3), dtype=numpy.uint8)
    compose(
        u, v, tables, (T_MIN, T_MAX), (T_LEVELS, A_LEVELS), rgb, numpy.empty((12, 8), numpy.uint8)
    )
    return True


def _taps(m: int, n: int) -> tuple[Any, Any, Any]:
    from engines.frame import Upsample

    return Upsample(numpy, m, n).taps
