"""One picture of the program, as it leaves the bus for every sink."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy

Source = Literal["organism", "scope", "mix", "black"]
"""What is on air: the organism alone, Scope alone, a crossfade of both, or black."""

Stream = Literal["program", "organism"]
"""Which named stream a frame belongs to: the program (what the audience sees) or the raw
organism (a second stream, so TouchDesigner can composite both)."""


@dataclass(frozen=True, slots=True)
class ProgramFrame:
    """An I420 picture (BT.601 limited range, like the engine's and the encoder's), never
    mutated after the bus hands it out: a sink may keep it while the next one is made."""

    yuv: numpy.ndarray
    """``(height * 3 // 2, width)`` uint8: the Y plane, then U, then V (each
    ``(height // 2, width // 2)``), the layout ``av.VideoFrame.from_ndarray(format="yuv420p")``
    takes."""
    index: int
    """1, 2, 3... per stream, in the order the bus made them."""
    pts: float
    """``time.perf_counter()`` when the bus composed it."""
    source: Source
    """What the picture shows (after fade/blackout/panic: ``black`` when nothing is lit)."""
    stream: Stream = "program"

    @property
    def width(self) -> int:
        return int(self.yuv.shape[1])

    @property
    def height(self) -> int:
        return int(self.yuv.shape[0]) * 2 // 3

    def planes(self) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
        """Views of the Y, U and V planes."""
        w, h = self.width, self.height
        y = self.yuv[:h]
        chroma = self.yuv[h:].reshape(-1)
        q = (w // 2) * (h // 2)
        return y, chroma[:q].reshape(h // 2, w // 2), chroma[q:].reshape(h // 2, w // 2)

    def to_rgb(self) -> numpy.ndarray:
        """``(height, width, 3)`` uint8 RGB (BT.601 limited range, chroma upsampled by
        repetition): for sinks that take RGB, and for tests comparing pictures."""
        y, u, v = self.planes()
        u = u.repeat(2, axis=0).repeat(2, axis=1)
        v = v.repeat(2, axis=0).repeat(2, axis=1)
        return yuv_to_rgb(y, u, v)

    def thumbnail(self, max_width: int = 320) -> numpy.ndarray:
        """A small RGB picture (at most ``max_width`` wide, by plain decimation) for
        previews: converting only what a terminal or a meter can show costs ~1% of a
        full-size conversion."""
        step = self.width // max_width
        if step < 2:
            return self.to_rgb()
        step -= step % 2
        y, u, v = self.planes()
        ys = y[::step, ::step]
        us, vs = u[:: step // 2, :: step // 2], v[:: step // 2, :: step // 2]
        h, w = min(ys.shape[0], us.shape[0]), min(ys.shape[1], us.shape[1])
        return yuv_to_rgb(ys[:h, :w], us[:h, :w], vs[:h, :w])


def yuv_to_rgb(y: numpy.ndarray, u: numpy.ndarray, v: numpy.ndarray) -> numpy.ndarray:
    """BT.601 limited range Y, U, V planes of one shape -> ``(h, w, 3)`` uint8 RGB."""
    yf = (y.astype(numpy.float32) - 16.0) * (255.0 / 219.0)
    uf = (u.astype(numpy.float32) - 128.0) * (255.0 / 224.0)
    vf = (v.astype(numpy.float32) - 128.0) * (255.0 / 224.0)
    r = yf + 1.402 * vf
    g = yf - 0.344136 * uf - 0.714136 * vf
    b = yf + 1.772 * uf
    rgb = numpy.stack([r, g, b], axis=-1)
    return numpy.clip(rgb + 0.5, 0, 255).astype(numpy.uint8)
