"""The CuPy side: each per-step or per-frame elementwise chain as one fused kernel.

The NumPy path writes the same maths as in-place array operations next to each engine;
here every chain is a single ``ElementwiseKernel`` (compiled on first use and cached by
CuPy on disk), so a Lenia step is: one rfft2, one complex multiply, one irfft2 and one
update kernel. Stencils and gathers read their input as ``raw`` arrays and index it
with wrapped coordinates. Scalars are passed as float32/int32 kernel arguments (never
copied to the device), so no call here synchronises with the host.

Only imported code paths touch CuPy; importing this module does not import CuPy.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy

_F = numpy.float32
_I = numpy.int32

_CLAMP = "__device__ inline float clamp01(float x) { return fminf(fmaxf(x, 0.0f), 1.0f); }\n"

_SOURCES: dict[str, tuple[str, str, str, str]] = {
    "lenia": (
        "float32 u, float32 mu, float32 k, float32 inv_t",
        "float32 a",
        "float d = u - mu; a = clamp01(a + (2.0f * expf(k * d * d) - 1.0f) * inv_t);",
        _CLAMP,
    ),
    "smoothlife": (
        "float32 m, float32 n, float32 b1, float32 b2, float32 d1, float32 d2, "
        "float32 an, float32 am, float32 dt",
        "float32 a",
        """
        float sm = sig(m, 0.5f, am);
        float birth = sig(n, b1, an) * (1.0f - sig(n, b2, an));
        float survive = sig(n, d1, an) * (1.0f - sig(n, d2, an));
        float s = birth + sm * (survive - birth);
        a = clamp01(a + dt * (2.0f * s - 1.0f));
        """,
        _CLAMP + "__device__ inline float sig(float x, float e, float w) {"
        " return 1.0f / (1.0f + expf(fminf((e - x) / w, 60.0f))); }\n",
    ),
    "mnca": (
        "raw float32 avg, int32 rings, int32 plane, float32 delta, float32 lo0, float32 hi0, "
        "float32 lo1, float32 hi1, float32 lo2, float32 hi2",
        "float32 a",
        """
        float lo[3] = {lo0, lo1, lo2};
        float hi[3] = {hi0, hi1, hi2};
        int active = 0;
        for (int j = 0; j < rings; ++j) {
            float v = avg[j * plane + i];
            active += (v >= lo[j] && v <= hi[j]) ? 1 : 0;
        }
        a = clamp01(a + delta * (float)(2 * active - rings));
        """,
        _CLAMP,
    ),
    "gray_scott": (
        "raw float32 u, raw float32 v, float32 fm, float32 feed, float32 kill, float32 du, "
        "float32 dv, float32 h, int32 n",
        "float32 u2, float32 v2",
        """
        int y = i / n, x = i - y * n;
        int ym = (y + n - 1) % n, yp = (y + 1) % n, xm = (x + n - 1) % n, xp = (x + 1) % n;
        float uc = u[i], vc = v[i];
        float lu = 0.2f * (u[ym * n + x] + u[yp * n + x] + u[y * n + xm] + u[y * n + xp])
                 + 0.05f * (u[ym * n + xm] + u[ym * n + xp] + u[yp * n + xm] + u[yp * n + xp])
                 - uc;
        float lv = 0.2f * (v[ym * n + x] + v[yp * n + x] + v[y * n + xm] + v[y * n + xp])
                 + 0.05f * (v[ym * n + xm] + v[ym * n + xp] + v[yp * n + xm] + v[yp * n + xp])
                 - vc;
        float uvv = uc * vc * vc;
        float f = feed * fm;
        u2 = clamp01(uc + h * (du * lu - uvv + f * (1.0f - uc)));
        v2 = clamp01(vc + h * (dv * lv + uvv - (f + kill) * vc));
        """,
        _CLAMP,
    ),
    "advect": (
        "raw float32 src, float32 vy, float32 vx, int32 n",
        "float32 dst",
        """
        int y = i / n, x = i - y * n;
        float sy = (float)y - vy, sx = (float)x - vx;
        float fy = floorf(sy), fx = floorf(sx);
        float wy = sy - fy, wx = sx - fx;
        int y0 = (((int)fy) % n + n) % n, x0 = (((int)fx) % n + n) % n;
        int y1 = (y0 + 1) % n, x1 = (x0 + 1) % n;
        float top = (1.0f - wx) * src[y0 * n + x0] + wx * src[y0 * n + x1];
        float bottom = (1.0f - wx) * src[y1 * n + x0] + wx * src[y1 * n + x1];
        dst = (1.0f - wy) * top + wy * bottom;
        """,
        "",
    ),
    "sharpen": (
        "raw float32 src, float32 vy, float32 vx, int32 n, float32 k",
        "float32 dst",
        """
        int y = i / n, x = i - y * n;
        float sy = (float)y - vy, sx = (float)x - vx;
        float wy = sy - floorf(sy), wx = sx - floorf(sx);
        float c = src[i];
        float d2x = src[y * n + (x + n - 1) % n] + src[y * n + (x + 1) % n] - 2.0f * c;
        float d2y = src[((y + n - 1) % n) * n + x] + src[((y + 1) % n) * n + x] - 2.0f * c;
        dst = clamp01(c - k * (wx * (1.0f - wx) * d2x + wy * (1.0f - wy) * d2y));
        """,
        _CLAMP,
    ),
    "perturb": (
        "float32 contain, float32 sx, float32 sy, float32 centre, float32 n1, float32 n2, "
        "float32 rc, float32 rs, float32 camp, float32 shake, float32 still",
        "float32 a, float32 prev",
        """
        float v = a * contain;
        if (v > 0.03f) {
            float d = rc * sx + rs * sy + centre * n1 * camp;
            if (fabsf(v - prev) < still) d += n2 * shake;
            v += d;
        }
        v = clamp01(v);
        a = v;
        prev = v;
        """,
        _CLAMP,
    ),
    "signals": (
        "raw float32 d, int32 n",
        "float32 e, float32 vel, float32 prev",
        """
        int y = i / n, x = i - y * n;
        float gx = d[y * n + (x + 1) % n] - d[y * n + (x + n - 1) % n];
        float gy = d[((y + 1) % n) * n + x] - d[((y + n - 1) % n) * n + x];
        e = sqrtf(gx * gx + gy * gy);
        float c = d[i];
        vel = fabsf(c - prev);
        prev = c;
        """,
        "",
    ),
    "coordinates": (
        "float32 d, float32 v, float32 e, float32 z, raw float32 m, float32 wd, float32 wv, "
        "float32 we, float32 zs",
        "float32 t, float32 a",
        """
        float dm = fmaxf(m[0], 0.05f), vm = fmaxf(m[1], 0.05f), em = fmaxf(m[2], 0.05f);
        t = wd * d / dm + wv * v / vm + we * e / em + zs * z;
        a = fminf(d / dm, 1.0f);
        """,
        "",
    ),
    "compose_rgb_y": (
        "float32 t, float32 a, raw uint8 lrgb, raw uint8 ly, float32 tmin, float32 tscale, "
        "int32 tlev, int32 alev",
        "raw uint8 rgb, raw uint8 y",
        """
        int k = lut_index(t, a, tmin, tscale, tlev, alev);
        rgb[3 * i] = lrgb[3 * k];
        rgb[3 * i + 1] = lrgb[3 * k + 1];
        rgb[3 * i + 2] = lrgb[3 * k + 2];
        y[i] = ly[k];
        """,
        "",
    ),
    "compose_uv": (
        "raw float32 t, raw float32 a, raw uint8 lu, raw uint8 lv, float32 tmin, "
        "float32 tscale, int32 tlev, int32 alev, int32 w",
        "uint8 u, uint8 v",
        """
        int hw = w / 2;
        int cy = i / hw, cx = i - cy * hw;
        int su = 2, sv = 2;
        for (int dy = 0; dy < 2; ++dy) {
            for (int dx = 0; dx < 2; ++dx) {
                int p = (2 * cy + dy) * w + 2 * cx + dx;
                int k = lut_index(t[p], a[p], tmin, tscale, tlev, alev);
                su += lu[k];
                sv += lv[k];
            }
        }
        u = (unsigned char)(su >> 2);
        v = (unsigned char)(sv >> 2);
        """,
        "",
    ),
    "glow_pool4": (
        "raw float32 src, int32 n",
        "float32 o",
        """
        int m = n >> 2;
        int y = i / m, x = i - y * m;
        float s = 0.0f;
        for (int dy = 0; dy < 4; ++dy) {
            int row = (4 * y + dy) * n + 4 * x;
            s += src[row] + src[row + 1] + src[row + 2] + src[row + 3];
        }
        o = s * (1.0f / 16.0f);
        """,
        "",
    ),
    "glow_down2": (
        "raw float32 src, int32 m",
        "float32 o",
        """
        int h = m >> 1;
        int y = i / h, x = i - y * h;
        int r0 = (2 * y) * m + 2 * x, r1 = r0 + m;
        o = 0.25f * (src[r0] + src[r0 + 1] + src[r1] + src[r1 + 1]);
        """,
        "",
    ),
    "glow_up2_add": (
        "raw float32 src, float32 add, int32 m",
        "float32 o",
        """
        int w = 2 * m;
        int Y = i / w, X = i - Y * w;
        int iy = Y >> 1, ix = X >> 1;
        int ny = (Y & 1) ? (iy + 1) % m : (iy + m - 1) % m;
        int nx = (X & 1) ? (ix + 1) % m : (ix + m - 1) % m;
        float r0 = 0.75f * src[iy * m + ix] + 0.25f * src[iy * m + nx];
        float r1 = 0.75f * src[ny * m + ix] + 0.25f * src[ny * m + nx];
        o = 0.75f * r0 + 0.25f * r1 + add;
        """,
        "",
    ),
    "glow_apply": (
        "raw float32 acc, raw int64 i0, raw int64 i1, raw float32 w, int32 m, int32 n, "
        "float32 gain",
        "float32 a",
        """
        int Y = i / n, X = i - Y * n;
        long long y0 = i0[Y] * m, y1 = i1[Y] * m, x0 = i0[X], x1 = i1[X];
        float wy = w[Y], wx = w[X];
        float t0 = acc[y0 + x0] + (acc[y1 + x0] - acc[y0 + x0]) * wy;
        float t1 = acc[y0 + x1] + (acc[y1 + x1] - acc[y0 + x1]) * wy;
        a = fminf(a + gain * (t0 + (t1 - t0) * wx), 1.0f);
        """,
        "",
    ),
}

_LUT_INDEX = """
__device__ inline int lut_index(float t, float a, float tmin, float tscale, int tlev, int alev) {
    float ti = fminf(fmaxf((t - tmin) * tscale, 0.0f), (float)(tlev - 1));
    return ((int)ti) * alev + (int)(a * (float)(alev - 1) + 0.5f);
}
"""


@cache
def kernel(name: str) -> Any:
    """The compiled kernel ``name`` (compiled once per process, cached on disk by CuPy)."""
    import cupy

    inputs, outputs, body, preamble = _SOURCES[name]
    if name.startswith("compose"):
        preamble += _LUT_INDEX
    return cupy.ElementwiseKernel(
        inputs, outputs, body, f"perform_{name}", preamble=preamble, no_return=True
    )


def lenia_update(u: Any, mu: float, k: float, inv_t: float, a: Any) -> None:
    kernel("lenia")(u, _F(mu), _F(k), _F(inv_t), a)


def smoothlife_update(
    m: Any,
    n: Any,
    b1: float,
    b2: float,
    d1: float,
    d2: float,
    an: float,
    am: float,
    dt: float,
    a: Any,
) -> None:
    kernel("smoothlife")(m, n, *(_F(x) for x in (b1, b2, d1, d2, an, am, dt)), a)


def mnca_update(avg: Any, bounds: list[tuple[float, float]], delta: float, a: Any) -> None:
    padded = list(bounds) + [(1.0, 0.0)] * (3 - len(bounds))
    flat = [_F(x) for pair in padded for x in pair]
    kernel("mnca")(avg, _I(len(bounds)), _I(a.size), _F(delta), *flat, a)


def gray_scott_substep(
    u: Any,
    v: Any,
    feed_mask: Any,
    feed: float,
    kill: float,
    du: float,
    dv: float,
    h: float,
    u2: Any,
    v2: Any,
) -> None:
    kernel("gray_scott")(
        u, v, feed_mask, _F(feed), _F(kill), _F(du), _F(dv), _F(h), _I(u.shape[0]), u2, v2
    )


def advect(field: Any, vy: Any, vx: Any, scratch: Any, sharpness: float = 1.0) -> None:
    """Bilinear back-trace into ``scratch``, then the anti-blur correction back into ``field``."""
    n = _I(field.shape[0])
    kernel("advect")(field, vy, vx, n, scratch)
    kernel("sharpen")(scratch, vy, vx, n, _F(0.5 * sharpness), field)


def perturb(
    a: Any,
    prev: Any,
    contain: Any,
    sx: Any,
    sy: Any,
    centre: Any,
    n1: Any,
    n2: Any,
    rc: float,
    rs: float,
    camp: float,
    shake: float,
    still: float = 0.012,
) -> None:
    kernel("perturb")(
        contain, sx, sy, centre, n1, n2, _F(rc), _F(rs), _F(camp), _F(shake), _F(still), a, prev
    )


def colour_signals(d: Any, prev: Any, e: Any, vel: Any) -> None:
    kernel("signals")(d, _I(d.shape[0]), e, vel, prev)


def colour_coordinates(
    d: Any,
    v: Any,
    e: Any,
    zones: Any,
    maxima: Any,
    weights: tuple[float, float, float],
    zone_strength: float,
    t: Any,
    a: Any,
) -> None:
    wd, wv, we = weights
    kernel("coordinates")(d, v, e, zones, maxima, _F(wd), _F(wv), _F(we), _F(zone_strength), t, a)


def glow(a: Any, levels: int, gain: float, taps: tuple[Any, Any, Any]) -> None:
    """``a = min(a + gain * glow(a), 1)`` in place: the colourist's pyramid glow (levels 2 to
    ``levels``: 4x4 means, 2x2 means, bilinear x2 back up, a bilinear x4 to full size) in
    ``2 * levels`` launches instead of the NumPy path's ~45 array operations."""
    import cupy

    n = a.shape[0]
    m = n // 4
    pyramid = [cupy.empty((m, m), dtype=cupy.float32)]
    kernel("glow_pool4")(a, _I(n), pyramid[0])
    for _ in range(levels - 2):
        side = pyramid[-1].shape[0]
        pyramid.append(cupy.empty((side // 2, side // 2), dtype=cupy.float32))
        kernel("glow_down2")(pyramid[-2], _I(side), pyramid[-1])
    acc = pyramid[-1]
    for level in reversed(pyramid[:-1]):
        up = cupy.empty_like(level)
        kernel("glow_up2_add")(acc, level, _I(acc.shape[0]), up)
        acc = up
    i0, i1, w = taps
    kernel("glow_apply")(acc, i0, i1, w, _I(m), _I(n), _F(gain / len(pyramid)), a)


def compose(t: Any, a: Any, tables: Any, width: int, height: int) -> Any:
    """RGB and I420 planes in one packed device buffer (one host copy per frame)."""
    import cupy

    from engines.color import Picture
    from engines.palette import A_LEVELS, T_LEVELS, T_MAX, T_MIN

    t = cupy.ascontiguousarray(t)
    a = cupy.ascontiguousarray(a)
    pixels = width * height
    packed = cupy.empty(pixels * 3 + pixels * 3 // 2, dtype=cupy.uint8)
    rgb = packed[: pixels * 3]
    yuv = packed[pixels * 3 :]
    scale = _F((T_LEVELS - 1) / (T_MAX - T_MIN))
    kernel("compose_rgb_y")(
        t, a, tables.rgb, tables.y, _F(T_MIN), scale, _I(T_LEVELS), _I(A_LEVELS), rgb, yuv
    )
    quarter = pixels // 4
    u = yuv[pixels : pixels + quarter].reshape(height // 2, width // 2)
    v = yuv[pixels + quarter :].reshape(height // 2, width // 2)
    kernel("compose_uv")(
        t, a, tables.u, tables.v, _F(T_MIN), scale, _I(T_LEVELS), _I(A_LEVELS), _I(width), u, v
    )
    return Picture(rgb.reshape(height, width, 3), yuv.reshape(height * 3 // 2, width), packed)
