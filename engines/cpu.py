"""Fused CPU kernels (Numba): the CPU twins of ``engines/gpu.py``'s elementwise kernels.

NumPy spends a whole pass over memory (and a Python call) on every ``+`` and ``*``: a
Gray-Scott sub-step was some 45 passes over 1M-cell arrays at 1024, the flow's bilinear
advection four ``np.take`` gathers plus a dozen passes, the colour LUT a float index
built in eight passes before its gathers. Here each is one compiled loop that reads its
inputs once and writes its outputs once, with the same maths, in the same float32, as the
CuPy kernel of the same name (so CPU and GPU pictures agree, and the NumPy code they
replace stays as the fallback and as the reference the tests compare them with).

Nothing waits for them. Importing Numba costs about a second and compiling the kernels
seconds (half a minute on a busy two-core machine with no cache yet): a show's first
frames, its growth and starved-CPU watches, or a test, must not pay for that. So the
engines ask :func:`ready` every time they would use one; its first call starts a
background thread that imports ``engines/_cpu_kernels.py`` and compiles (or loads from the
on-disk cache, ``cache=True``) every kernel, and until that thread is done ``ready`` says
False and the engines run their NumPy code (the same picture, to float rounding). Only a
caller that wants the kernels' speed and nothing else (``perform bench engines``, the
kernel tests) calls :func:`wait`.

The NumPy code runs for good, with the reason logged once and kept in :func:`reason`,
when ``PERFORM_NUMBA=0`` is set, Numba is not installed (a platform without its wheels),
or the load fails (no writable cache folder, a compiler error). The kernels release the
GIL (``nogil``), so an organism stepping in a worker thread does not stall the event
loop, and run on one core on purpose: the other one is the video encoder's (perf.md
section 4).
"""

from __future__ import annotations

import atexit
import importlib
import importlib.util
import logging
import os
import threading
from typing import Any

import numpy

log = logging.getLogger(__name__)
_F = numpy.float32

_lock = threading.Lock()
_done = threading.Event()
"""Set when the loader has finished, either way."""
_stop = threading.Event()
"""Set at interpreter exit: the loader stops between two kernels."""
_kernels: Any = None
"""The compiled kernels module once every kernel is loaded (read without the lock: a
module reference is swapped atomically)."""
_thread: threading.Thread | None = None
_reason: str | None = None


KERNELS = ("gray_scott", "mnca", "measure", "perturb", "advect", "sharpen", "signals",
           "coordinates", "pool4", "glow_apply", "compose")  # fmt: skip
"""Every kernel of ``engines/_cpu_kernels.py``, each compiled by the loader."""


def ready() -> bool:
    """Whether the kernels are loaded. The first call starts loading them in the
    background; until then (and for good if they cannot load) the caller runs NumPy."""
    if _kernels is not None:
        return True
    if _thread is None and not _done.is_set():
        _start()
    return False


def wait(timeout: float | None = None) -> bool:
    """Start loading the kernels if needed and wait for them (at most ``timeout`` s).
    Only for callers that measure or test the kernels themselves: a show never waits.
    True when they are loaded."""
    if not ready():
        _done.wait(timeout)
    return _kernels is not None


def reason() -> str | None:
    """Why the NumPy code runs instead of the kernels (None while loading, or loaded)."""
    return _reason


def _start() -> None:
    global _thread
    with _lock:
        if _thread is not None or _done.is_set():
            return
        if os.environ.get("PERFORM_NUMBA", "1") == "0":
            _fail("PERFORM_NUMBA=0", logging.INFO)
            return
        if importlib.util.find_spec("numba") is None:
            _fail("Numba is not installed")
            return
        _thread = threading.Thread(target=_load, name="numba-kernels", daemon=True)
        atexit.register(_join)
        _thread.start()


def _fail(why: str, level: int = logging.WARNING) -> None:
    global _reason
    _reason = why
    log.log(level, "fused CPU kernels off (%s): the engines run their NumPy code", why)
    _done.set()


def _load() -> None:
    """The loader thread: import Numba and the kernels, compile each on tiny arrays."""
    global _kernels
    try:
        module = importlib.import_module("engines._cpu_kernels")
        for call in _warm_calls(module):
            if _stop.is_set():
                return
            call()
        for name in KERNELS:  # a call with other argument types must fail, not compile
            getattr(module, name).disable_compile()
    except Exception as exc:  # any failure leaves the NumPy code running, said once
        _fail(f"{type(exc).__name__}: {exc}")
        return
    _kernels = module
    _done.set()


def _join() -> None:
    """At exit: let the loader finish the kernel it is compiling (LLVM must not be torn
    down under it), skip the rest."""
    _stop.set()
    if _thread is not None:
        _thread.join()


def _k() -> Any:
    if _kernels is None:
        raise RuntimeError("the fused CPU kernels are not loaded: ask cpu.ready() first")
    return _kernels


# --- the wrappers the engines call (Python floats in, float32 scalars to the kernels) ---


def gray_scott_substep(
    u: Any, v: Any, mask: Any, feed: float, kill: float, du: float, dv: float, h: float,
    u2: Any, v2: Any,
) -> None:  # fmt: skip
    """One Gray-Scott sub-step of ``u, v`` into ``u2, v2`` (``gpu.gray_scott_substep``)."""
    _k().gray_scott(u, v, mask, _F(feed), _F(kill), _F(du), _F(dv), _F(h), u2, v2)


def mnca_update(avg: Any, bounds: list[tuple[float, float]], delta: float, a: Any) -> None:
    """MNCA's rule on ``a`` from 1-3 rings' averages ``avg`` and their ``(low, high)``
    bands (``gpu.mnca_update``)."""
    rings = len(bounds)
    planes = [avg[min(i, rings - 1)] for i in range(3)]
    padded = list(bounds) + [(1.0, 0.0)] * (3 - rings)
    flat = [_F(x) for pair in padded for x in pair]
    _k().mnca(a, *planes, rings, *flat, _F(2.0 * delta), _F(rings * delta))


def measure(field: Any, last: Any) -> tuple[float, float, float]:
    """Coverage, mass and mean change of ``field`` since ``last``; ``last`` becomes
    ``field`` (``Organism._measure``)."""
    alive, mass, changed = _k().measure(field, last)
    return float(alive), float(mass), float(changed)


def perturb(
    a: Any, prev: Any, contain: Any, sx: Any, sy: Any, centre: Any, n1: Any, n2: Any,
    rc: float, rs: float, camp: float, shake: float, still: float,
) -> None:  # fmt: skip
    """Containment, stir and noise of ``a`` in one pass; ``prev`` becomes ``a``
    (``gpu.perturb``). ``n1, n2`` are windows of the noise pool (strided views)."""
    _k().perturb(
        a, prev, contain, sx, sy, centre, n1, n2, _F(rc), _F(rs), _F(camp), _F(shake), _F(still)
    )


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


def _warm_calls(k: Any) -> list[Any]:
    """One call per kernel on tiny arrays (each compiles, or loads from the cache, on its
    first call), straight to the module ``k`` (the wrappers need :func:`ready`)."""
    from engines.palette import A_LEVELS, T_LEVELS, T_MAX, T_MIN, TableKey, Tables

    f = numpy.zeros((8, 8), dtype=_F)
    wide = numpy.zeros((8, 16), dtype=_F)
    pool = numpy.zeros((2, 10, 10), dtype=_F)
    u, v, a, b, c = (f.copy() for _ in range(5))
    one = _F(1.0)
    i0, i1, w = _taps(2, 8)
    tables = Tables(numpy).get(TableKey("oil_slick", 0.0, (1.0, 1.0, 1.0), 1.0))
    rgb = numpy.empty((8, 8, 3), dtype=numpy.uint8)
    yuv = numpy.empty((12, 8), dtype=numpy.uint8)
    chroma = yuv[8:].reshape(-1)
    tscale = _F((T_LEVELS - 1) / (T_MAX - T_MIN))
    return [
        lambda: k.gray_scott(u, v, f, _F(0.03), _F(0.06), _F(0.2), _F(0.1), one, a, b),
        lambda: k.mnca(u, f, f, f, 3, *(one,) * 6, one, one),
        lambda: k.measure(u, v),
        # the noise windows are strided views of a larger pool, plain and transposed
        lambda: k.perturb(u, v, f, f, f, f, pool[0, :8, :8], pool[1, :8, :8].T, *(one,) * 5),
        lambda: k.advect(u, f, f, c),
        lambda: k.sharpen(c, f, f, _F(0.5), u),
        lambda: k.signals(u, v, a, b),
        lambda: k.coordinates(u, v, a, b, one, one, one, one, one, c, f.copy()),
        lambda: k.pool4(u, numpy.empty((2, 2), dtype=_F)),
        lambda: k.glow_apply(numpy.zeros((2, 2), dtype=_F), i0, i1, w, one, c),
        # compose on whole arrays, then on a stream cropped from the world (strided views)
        *(
            lambda t=t, a=a: k.compose(
                t,
                a,
                tables.rgb,
                tables.y,
                tables.u,
                tables.v,
                _F(T_MIN),
                tscale,
                T_LEVELS,
                A_LEVELS,
                rgb,
                yuv[:8],
                chroma[:16].reshape(4, 4),
                chroma[16:].reshape(4, 4),
            )
            for t, a in ((u, v), (wide[:, :8], wide[:, 8:]))
        ),  # fmt: skip
    ]


def _taps(m: int, n: int) -> tuple[Any, Any, Any]:
    from engines.frame import Upsample

    return Upsample(numpy, m, n).taps
