"""The Numba kernels behind ``engines/cpu.py`` (imported on first use: see there)."""

from __future__ import annotations

from typing import Any

import numpy
from numba import njit

from engines import base
from engines import gray_scott as gray_scott_engine

_F = numpy.float32
ZERO, ONE, TWO, HALF, QUARTER = _F(0.0), _F(1.0), _F(2.0), _F(0.5), _F(0.25)
EDGE, DIAGONAL = _F(0.2), _F(0.05)
SIXTEENTH, MIN_PEAK = _F(1.0 / 16.0), _F(0.05)
ALIVE = _F(base.ALIVE)  # compared in float32, as NumPy compares it
V_FLOOR = _F(gray_scott_engine.V_FLOOR)


def _jit(fn: Any) -> Any:
    return njit(cache=True, nogil=True, fastmath=False, boundscheck=False)(fn)


@_jit
def _clamp01(x: Any) -> Any:
    return min(max(x, ZERO), ONE)


@_jit
def gray_scott(u, v, fm, feed, kill, du, dv, h, u2, v2):  # type: ignore[no-untyped-def]
    """One explicit Euler sub-step of ``u, v`` into ``u2, v2`` (gpu.py ``gray_scott``), with V
    under ``V_FLOOR`` set to 0 (gpu.py keeps it: a GPU is not slowed by subnormals)."""
    n = u.shape[0]
    for y in range(n):
        ym = y - 1 if y > 0 else n - 1
        yp = y + 1 if y < n - 1 else 0
        for x in range(n):
            xm = x - 1 if x > 0 else n - 1
            xp = x + 1 if x < n - 1 else 0
            uc = u[y, x]
            vc = v[y, x]
            lu = (
                EDGE * (u[ym, x] + u[yp, x] + u[y, xm] + u[y, xp])
                + DIAGONAL * (u[ym, xm] + u[ym, xp] + u[yp, xm] + u[yp, xp])
                - uc
            )
            lv = (
                EDGE * (v[ym, x] + v[yp, x] + v[y, xm] + v[y, xp])
                + DIAGONAL * (v[ym, xm] + v[ym, xp] + v[yp, xm] + v[yp, xp])
                - vc
            )
            uvv = uc * vc * vc
            f = feed * fm[y, x]
            u2[y, x] = _clamp01(uc + h * (du * lu - uvv + f * (ONE - uc)))
            nv = _clamp01(vc + h * (dv * lv + uvv - (f + kill) * vc))
            v2[y, x] = nv if nv >= V_FLOOR else ZERO  # no subnormals (gray_scott.V_FLOOR)


@_jit
def mnca(a, r0, r1, r2, rings, l0, h0, l1, h1, l2, h2, two_delta, k_delta):  # type: ignore[no-untyped-def]
    """MNCA's rule in one pass: ``+delta`` per ring whose average lies in its band,
    ``-delta`` per ring whose doesn't (gpu.py ``mnca``). ``r0..r2`` are the rings'
    averages (``rings`` of them used; pass any array for the others). Each ring is its
    own argument, not a stacked array with a loop over it: that form measured 22 ms at
    1024, this one 0.6 (NumPy: 3.7)."""
    n = a.shape[0]
    for y in range(n):
        for x in range(n):
            v = r0[y, x]
            active = ONE if (v >= l0 and v <= h0) else ZERO
            if rings > 1:
                v = r1[y, x]
                active += ONE if (v >= l1 and v <= h1) else ZERO
            if rings > 2:
                v = r2[y, x]
                active += ONE if (v >= l2 and v <= h2) else ZERO
            a[y, x] = _clamp01(a[y, x] + (active * two_delta - k_delta))


@_jit
def measure(field, last):  # type: ignore[no-untyped-def]
    """Regulation's vitals in one pass: the share of cells over ``ALIVE``, the mean and the
    mean ``|field - last|`` (sums in float64); ``last`` becomes ``field``
    (organism.py ``_measure``: five NumPy passes and three temporaries)."""
    rows, cols = field.shape
    alive = 0
    mass = 0.0
    changed = 0.0
    for y in range(rows):
        for x in range(cols):
            v = field[y, x]
            if v > ALIVE:
                alive += 1
            mass += v
            changed += abs(v - last[y, x])
            last[y, x] = v
    cells = rows * cols
    return alive / cells, mass / cells, changed / cells


@_jit
def perturb(a, prev, contain, sx, sy, centre, n1, n2, rc, rs, camp, shake, still):  # type: ignore[no-untyped-def]
    """Containment, stir, centre noise and velocity-gated noise in one pass, only where
    there is life (gpu.py ``perturb``; the NumPy code in ``engines/support.py``)."""
    n = a.shape[0]
    for y in range(n):
        for x in range(n):
            v = a[y, x] * contain[y, x]
            if v > _F(0.03):
                d = rc * sx[y, x] + rs * sy[y, x] + centre[y, x] * n1[y, x] * camp
                if abs(v - prev[y, x]) < still:
                    d += n2[y, x] * shake
                v += d
            v = _clamp01(v)
            a[y, x] = v
            prev[y, x] = v


@_jit
def _wrap(i, n):  # type: ignore[no-untyped-def]
    """``i mod n`` for the small excursions a flow makes (a division only beyond them)."""
    if i < 0:
        i += n
    elif i >= n:
        i -= n
    if i < 0 or i >= n:
        i %= n
    return i


@_jit
def advect(src, vy, vx, dst):  # type: ignore[no-untyped-def]
    """Bilinear back-trace of ``src`` along ``(vy, vx)`` on the torus (gpu.py ``advect``).

    Each row in two loops: the source cells and weights (no loads from ``src``: the
    compiler vectorises it), then the gathers; one loop doing both took 1.4 times as long.
    """
    n = src.shape[0]
    iy = numpy.empty(n, dtype=numpy.int64)
    ix = numpy.empty(n, dtype=numpy.int64)
    wy = numpy.empty(n, dtype=_F)
    wx = numpy.empty(n, dtype=_F)
    for y in range(n):
        for x in range(n):
            sy = _F(y) - vy[y, x]
            sx = _F(x) - vx[y, x]
            fy = numpy.floor(sy)
            fx = numpy.floor(sx)
            wy[x] = sy - fy
            wx[x] = sx - fx
            iy[x] = int(fy)
            ix[x] = int(fx)
        for x in range(n):
            y0 = _wrap(iy[x], n)
            x0 = _wrap(ix[x], n)
            y1 = y0 + 1 if y0 < n - 1 else 0
            x1 = x0 + 1 if x0 < n - 1 else 0
            across, down = wx[x], wy[x]
            top = (ONE - across) * src[y0, x0] + across * src[y0, x1]
            bottom = (ONE - across) * src[y1, x0] + across * src[y1, x1]
            dst[y, x] = (ONE - down) * top + down * bottom


@_jit
def sharpen(src, vy, vx, k, dst):  # type: ignore[no-untyped-def]
    """Undo the bilinear blur of ``advect``, clipped to 0..1 (gpu.py ``sharpen``)."""
    n = src.shape[0]
    for y in range(n):
        ym = y - 1 if y > 0 else n - 1
        yp = y + 1 if y < n - 1 else 0
        for x in range(n):
            xm = x - 1 if x > 0 else n - 1
            xp = x + 1 if x < n - 1 else 0
            sy = _F(y) - vy[y, x]
            sx = _F(x) - vx[y, x]
            wy = sy - numpy.floor(sy)
            wx = sx - numpy.floor(sx)
            c = src[y, x]
            d2x = src[y, xm] + src[y, xp] - TWO * c
            d2y = src[ym, x] + src[yp, x] - TWO * c
            dst[y, x] = _clamp01(c - k * (wx * (ONE - wx) * d2x + wy * (ONE - wy) * d2y))


@_jit
def signals(d, prev, e, vel):  # type: ignore[no-untyped-def]
    """Edges ``|grad d|`` and velocity ``|d - prev|``; ``prev = d``; returns the peaks of
    ``d``, velocity and edges (gpu.py ``signals``, with the maxima in the same pass)."""
    n = d.shape[0]
    dmax = vmax = emax = ZERO
    for y in range(n):
        ym = y - 1 if y > 0 else n - 1
        yp = y + 1 if y < n - 1 else 0
        for x in range(n):
            xm = x - 1 if x > 0 else n - 1
            xp = x + 1 if x < n - 1 else 0
            gx = d[y, xp] - d[y, xm]
            gy = d[yp, x] - d[ym, x]
            edge = numpy.sqrt(gx * gx + gy * gy)
            c = d[y, x]
            speed = abs(c - prev[y, x])
            e[y, x] = edge
            vel[y, x] = speed
            prev[y, x] = c
            dmax = max(dmax, c)
            vmax = max(vmax, speed)
            emax = max(emax, edge)
    return dmax, vmax, emax


@_jit
def coordinates(d, vel, e, zones, wd, wv, we, zs, inv_d, t, a):  # type: ignore[no-untyped-def]
    """Colour coordinate ``t = wd d + wv vel + we e + zs zones`` (weights already divided
    by the running maxima) and opacity ``a = min(d * inv_d, 1)`` (gpu.py ``coordinates``)."""
    n = d.shape[0]
    for y in range(n):
        for x in range(n):
            c = d[y, x]
            t[y, x] = wd * c + wv * vel[y, x] + we * e[y, x] + zs * zones[y, x]
            a[y, x] = min(c * inv_d, ONE)


@_jit
def pool4(src, out):  # type: ignore[no-untyped-def]
    """The mean over 4x4 blocks (gpu.py ``glow_pool4``)."""
    m = out.shape[0]
    for y in range(m):
        for x in range(m):
            s = ZERO
            for dy in range(4):
                row = 4 * y + dy
                s += src[row, 4 * x] + src[row, 4 * x + 1] + src[row, 4 * x + 2]
                s += src[row, 4 * x + 3]
            out[y, x] = s * SIXTEENTH


@_jit
def glow_apply(acc, i0, i1, w, gain, a):  # type: ignore[no-untyped-def]
    """``a = min(a + gain * bilinear(acc), 1)``, upsampling ``acc`` with the per-line taps
    ``i0, i1, w`` (the same on both axes; gpu.py ``glow_apply``)."""
    n = a.shape[0]
    for y in range(n):
        y0 = i0[y]
        y1 = i1[y]
        wy = w[y]
        for x in range(n):
            x0 = i0[x]
            x1 = i1[x]
            t0 = acc[y0, x0] + (acc[y1, x0] - acc[y0, x0]) * wy
            t1 = acc[y0, x1] + (acc[y1, x1] - acc[y0, x1]) * wy
            a[y, x] = min(a[y, x] + gain * (t0 + (t1 - t0) * w[x]), ONE)


@_jit
def _lut_index(t, a, tmin, tscale, tlev, alev):  # type: ignore[no-untyped-def]
    ti = min(max((t - tmin) * tscale, ZERO), _F(tlev - 1))
    return int(ti) * alev + int(a * _F(alev - 1) + HALF)


@_jit
def compose(t, a, lrgb, ly, lu, lv, tmin, tscale, tlev, alev, rgb, y_plane, u_plane, v_plane):  # type: ignore[no-untyped-def]
    """RGB and I420 from one LUT index per pixel; chroma is the rounded mean of each 2x2
    block's table entries (gpu.py ``compose_rgb_y`` and ``compose_uv``)."""
    hh, hw = u_plane.shape
    for cy in range(hh):
        for cx in range(hw):
            su = 2
            sv = 2
            for dy in range(2):
                y = 2 * cy + dy
                for dx in range(2):
                    x = 2 * cx + dx
                    k = _lut_index(t[y, x], a[y, x], tmin, tscale, tlev, alev)
                    rgb[y, x, 0] = lrgb[k, 0]
                    rgb[y, x, 1] = lrgb[k, 1]
                    rgb[y, x, 2] = lrgb[k, 2]
                    y_plane[y, x] = ly[k]
                    su += lu[k]
                    sv += lv[k]
            u_plane[cy, cx] = su >> 2
            v_plane[cy, cx] = sv >> 2
