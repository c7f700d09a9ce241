"""Picture arithmetic for the program bus, all in I420 (BT.601 limited range).

Nothing here converts to RGB: the organism arrives as I420 from the renderer, Scope's
video arrives as the decoder's I420, and every sink takes I420. In limited-range YUV a
crossfade of two pictures is the same weighted sum of their Y, U and V samples as it is
of their RGB pixels (the conversion is affine and the weights add up to 1), and a fade to
black pulls Y towards 16 and U/V towards 128 — so mix, fade, blackout and the failover
crossfade are one weighted sum per plane, in 8-bit fixed point (weights in 1/256 steps).

Scaling (Scope's frames to the program size, keeping their aspect) is done by libswscale
through PyAV, which is much faster than anything written in NumPy; the picture is
letterboxed (or pillarboxed) into a black canvas at even offsets, so chroma stays aligned.
"""

from __future__ import annotations

from dataclasses import dataclass

import av
import numpy

BLACK_Y = 16
BLACK_C = 128


def black(width: int, height: int) -> numpy.ndarray:
    """A black I420 picture."""
    yuv = numpy.full((height * 3 // 2, width), BLACK_C, numpy.uint8)
    yuv[:height] = BLACK_Y
    return yuv


def fit(src_w: int, src_h: int, dst_w: int, dst_h: int) -> tuple[int, int, int, int]:
    """Where a ``src`` picture goes in a ``dst`` canvas keeping its aspect: ``(x, y, w, h)``,
    every number even (I420 chroma is subsampled by two)."""
    scale = min(dst_w / src_w, dst_h / src_h)
    w = min(dst_w, max(2, round(src_w * scale / 2) * 2))
    h = min(dst_h, max(2, round(src_h * scale / 2) * 2))
    x = (dst_w - w) // 4 * 2
    y = (dst_h - h) // 4 * 2
    return x, y, w, h


class Fitter:
    """Scales I420 pictures into a fixed program size, letterboxed; the canvas is reused
    per source size (its bars are written once), the picture area is rewritten each time."""

    def __init__(self, width: int, height: int) -> None:
        if width % 2 or height % 2:
            raise ValueError(f"program size {width}x{height} must be even")
        self.width = width
        self.height = height
        self._geometry: dict[tuple[int, int], tuple[int, int, int, int]] = {}

    def __call__(self, yuv: numpy.ndarray) -> numpy.ndarray:
        """``yuv`` (any even size) as a new ``(height * 3 // 2, width)`` picture; the
        input itself when it already has the program size (never mutated: frames are
        shared between readers)."""
        src_h = yuv.shape[0] * 2 // 3
        src_w = yuv.shape[1]
        if (src_w, src_h) == (self.width, self.height):
            return yuv
        key = (src_w, src_h)
        geometry = self._geometry.get(key)
        if geometry is None:
            geometry = self._geometry[key] = fit(src_w, src_h, self.width, self.height)
        x, y, w, h = geometry
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        scaled = frame.reformat(width=w, height=h, format="yuv420p").to_ndarray()
        if (w, h) == (self.width, self.height):
            return scaled
        out = black(self.width, self.height)
        paste(out, self.width, self.height, scaled, x, y, w, h)
        return out


def paste(
    canvas: numpy.ndarray, cw: int, ch: int, pic: numpy.ndarray, x: int, y: int, w: int, h: int
) -> None:
    """Copy the I420 picture ``pic`` (``w`` x ``h``) into ``canvas`` (``cw`` x ``ch``) at
    ``(x, y)`` (even), plane by plane."""
    canvas[y : y + h, x : x + w] = pic[:h]
    for plane in range(2):
        c_src = pic[h:].reshape(-1)[plane * (w // 2) * (h // 2) :][: (w // 2) * (h // 2)]
        c_dst = canvas[ch:].reshape(-1)[plane * (cw // 2) * (ch // 2) :][: (cw // 2) * (ch // 2)]
        c_dst.reshape(ch // 2, cw // 2)[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2] = (
            c_src.reshape(h // 2, w // 2)
        )


@dataclass(frozen=True, slots=True)
class Weights:
    """How much of each source the program shows; what is left over is black."""

    organism: float
    scope: float

    def quantized(self) -> tuple[int, int]:
        """Both weights in 1/256 steps, their sum at most 256."""
        a = max(0, min(256, round(self.organism * 256)))
        b = max(0, min(256 - a, round(self.scope * 256)))
        return a, b


def compose(
    organism: numpy.ndarray | None,
    scope: numpy.ndarray | None,
    weights: Weights,
    width: int,
    height: int,
) -> numpy.ndarray:
    """``organism * w_o + scope * w_s + black * (1 - w_o - w_s)`` per plane, both inputs
    already at the program size (a missing input counts as black). A full-weight single
    source comes back as the input itself (no copy)."""
    a, b = weights.quantized()
    if organism is None:
        a = 0
    if scope is None:
        b = 0
    if a == 256:
        assert organism is not None
        return organism
    if b == 256:
        assert scope is not None
        return scope
    if a == 0 and b == 0:
        return black(width, height)
    k = 256 - a - b
    out = numpy.empty((height * 3 // 2, width), numpy.uint8)
    for rows, level in ((slice(0, height), BLACK_Y), (slice(height, None), BLACK_C)):
        acc = numpy.full(out[rows].shape, level * k + 128, numpy.uint16)
        if a and organism is not None:
            acc += organism[rows].astype(numpy.uint16) * numpy.uint16(a)
        if b and scope is not None:
            acc += scope[rows].astype(numpy.uint16) * numpy.uint16(b)
        numpy.right_shift(acc, 8, out=acc)
        out[rows] = acc
    return out


def is_black(yuv: numpy.ndarray, *, tolerance: int = 2) -> bool:
    """True when every luma sample is within ``tolerance`` of black (tests, diagnostics)."""
    height = yuv.shape[0] * 2 // 3
    return int(yuv[:height].max()) <= BLACK_Y + tolerance


def signature(yuv: numpy.ndarray, points: int = 64) -> numpy.ndarray:
    """A cheap fingerprint of a picture: its luma sampled on a ``points`` x ``points``
    grid (int16, so two can be subtracted). Frozen video repeats it exactly once the
    codec has settled; live video changes some samples by more than a few levels."""
    height = yuv.shape[0] * 2 // 3
    sy = max(1, height // points)
    sx = max(1, yuv.shape[1] // points)
    return yuv[:height:sy, ::sx].astype(numpy.int16)


def changed(a: numpy.ndarray | None, b: numpy.ndarray, *, levels: int = 2) -> bool:
    """Whether signature ``b`` differs from ``a`` by more than codec noise."""
    if a is None or a.shape != b.shape:
        return True
    return bool(numpy.abs(a - b).max() > levels)
