"""Frames to terminal cells: two pixels per cell with the upper half block (no textual here).

Each cell shows the top pixel as the foreground of "▀" and the bottom pixel as its
background. Colours are quantized to 6 bits per channel so a small cache of styles
serves a whole frame (building rich Styles dominates otherwise).
"""

from __future__ import annotations

from functools import lru_cache

import numpy
from rich.color import Color
from rich.segment import Segment
from rich.style import Style

UPPER_HALF = "\u2580"


def fit_cells(frame_w: int, frame_h: int, cols: int, rows: int) -> tuple[int, int]:
    """Largest ``(cols, rows)`` that shows the frame undistorted (a cell is 1x2 pixels)."""
    if cols <= 0 or rows <= 0:
        return 0, 0
    scale = min(cols / frame_w, 2 * rows / frame_h)
    return max(1, int(frame_w * scale)), max(1, int(frame_h * scale / 2))


def downsample(rgb: numpy.ndarray, cols: int, pixel_rows: int) -> numpy.ndarray:
    """Box-average ``rgb`` to ``(pixel_rows, cols, 3)`` uint8 (area average, no aliasing)."""
    h, w, _ = rgb.shape
    ys = numpy.linspace(0, h, pixel_rows + 1).astype(numpy.intp)
    xs = numpy.linspace(0, w, cols + 1).astype(numpy.intp)
    summed = numpy.add.reduceat(
        numpy.add.reduceat(rgb.astype(numpy.uint32), ys[:-1], axis=0), xs[:-1], axis=1
    )
    counts = numpy.diff(ys)[:, None, None] * numpy.diff(xs)[None, :, None]
    return (summed // numpy.maximum(counts, 1)).astype(numpy.uint8)


@lru_cache(maxsize=1 << 16)
def _style(top: int, bottom: int) -> Style:
    def rgb(packed: int) -> Color:
        return Color.from_rgb((packed >> 16) & 0xFF, (packed >> 8) & 0xFF, packed & 0xFF)

    return Style(color=rgb(top), bgcolor=rgb(bottom))


def to_segment_lines(rgb: numpy.ndarray, cols: int, rows: int) -> list[list[Segment]]:
    """Render ``rgb`` as ``rows`` lines of ``cols`` half-block cells."""
    if cols <= 0 or rows <= 0:
        return []
    small = downsample(rgb, cols, rows * 2) & 0xFC  # 6 bits per channel
    packed = (
        (small[..., 0].astype(numpy.uint32) << 16)
        | (small[..., 1].astype(numpy.uint32) << 8)
        | small[..., 2]
    )
    lines: list[list[Segment]] = []
    for row in range(rows):
        top, bottom = packed[2 * row].tolist(), packed[2 * row + 1].tolist()
        segments: list[Segment] = []
        run_key: tuple[int, int] | None = None
        run = 0
        for key in zip(top, bottom, strict=True):
            if key == run_key:
                run += 1
                continue
            if run_key is not None:
                segments.append(Segment(UPPER_HALF * run, _style(*run_key)))
            run_key, run = key, 1
        if run_key is not None:
            segments.append(Segment(UPPER_HALF * run, _style(*run_key)))
        lines.append(segments)
    return lines
