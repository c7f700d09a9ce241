"""A frame counter stamped into the top-left corner, to measure input->output latency.

24 blocks of 8x8 pixels (2 rows of 12) carry a 16-bit sequence number and an 8-bit check,
black or white in luma with neutral chroma, coarse enough to survive VP8 twice. Only
pipelines that keep the picture (passthrough-like) return it readable; the check byte keeps
a diffusion model's output from being misread as a number.
"""

from __future__ import annotations

import zlib

import numpy

BLOCK = 8
COLUMNS = 12
ROWS = 2
BITS = COLUMNS * ROWS
HIGH, LOW = 235, 16


def _check(seq: int) -> int:
    return zlib.crc32(seq.to_bytes(2, "big")) & 0xFF


def _bits(seq: int) -> list[int]:
    word = (seq & 0xFFFF) << 8 | _check(seq & 0xFFFF)
    return [(word >> (BITS - 1 - i)) & 1 for i in range(BITS)]


def fits(width: int, height: int) -> bool:
    return width >= COLUMNS * BLOCK and height >= ROWS * BLOCK


def stamp_yuv420p(yuv: numpy.ndarray, seq: int) -> None:
    """Write ``seq`` into an I420 array ``(h * 3 // 2, w)`` in place."""
    width = yuv.shape[1]
    height = yuv.shape[0] * 2 // 3
    if not fits(width, height):
        return
    for i, bit in enumerate(_bits(seq)):
        row, col = divmod(i, COLUMNS)
        yuv[row * BLOCK : (row + 1) * BLOCK, col * BLOCK : (col + 1) * BLOCK] = HIGH if bit else LOW
    # neutral chroma under the stamp (U then V planes, each (h/2, w/2) stored as rows of w/2)
    chroma = yuv[height:].reshape(-1, width // 2)
    half_h = height // 2
    for plane in (chroma[:half_h], chroma[half_h : 2 * half_h]):
        plane[: ROWS * BLOCK // 2, : COLUMNS * BLOCK // 2] = 128


def read_rgb(rgb: numpy.ndarray, scale: float = 1.0) -> int | None:
    """The stamped number in an RGB frame, or None when there is no valid stamp."""
    block = BLOCK * scale
    if rgb.shape[1] < COLUMNS * block or rgb.shape[0] < ROWS * block or block < 4:
        return None
    luma = rgb[: int(ROWS * block) + 1, : int(COLUMNS * block) + 1].mean(axis=2)
    word = 0
    for i in range(BITS):
        row, col = divmod(i, COLUMNS)
        y0, x0 = int((row + 0.25) * block), int((col + 0.25) * block)
        y1, x1 = int((row + 0.75) * block), int((col + 0.75) * block)
        word = word << 1 | int(luma[y0 : max(y1, y0 + 1), x0 : max(x1, x0 + 1)].mean() > 128)
    seq = word >> 8
    return seq if word & 0xFF == _check(seq) else None
