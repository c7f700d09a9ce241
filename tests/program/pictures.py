"""Test pictures for the program sinks: I420 frames with smooth gradients and flat colour
blocks (so a scaled, filtered copy can be compared with the original within a tolerance)."""

from __future__ import annotations

import time

import numpy

from perform.program.frame import ProgramFrame


def rgb_to_i420(rgb: numpy.ndarray) -> numpy.ndarray:
    """BT.601 limited range, chroma averaged over 2x2: the inverse of ``to_rgb``."""
    f = rgb.astype(numpy.float32)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    h, w = y.shape

    def half(p: numpy.ndarray) -> numpy.ndarray:
        return p.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))

    planes = [y.reshape(-1), half(u).reshape(-1), half(v).reshape(-1)]
    flat = numpy.clip(numpy.concatenate(planes) + 0.5, 0, 255).astype(numpy.uint8)
    return flat.reshape(h * 3 // 2, w)


def pattern_rgb(width: int, height: int, seed: int = 0) -> numpy.ndarray:
    """Gradients in red and green, four flat blocks (red, green, blue, white) and a seed
    dependent blue level, so two pictures with different seeds differ everywhere."""
    yy, xx = numpy.mgrid[0:height, 0:width].astype(numpy.float32)
    rgb = numpy.empty((height, width, 3), numpy.float32)
    rgb[..., 0] = 255 * xx / max(width - 1, 1)
    rgb[..., 1] = 255 * yy / max(height - 1, 1)
    rgb[..., 2] = (seed * 67) % 256
    bw, bh = width // 6, height // 6
    blocks = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)]
    for i, colour in enumerate(blocks):
        x0 = width // 10 + i * (width // 5)
        y0 = height // 2 - bh // 2
        rgb[y0 : y0 + bh, x0 : x0 + bw] = colour
    return rgb.astype(numpy.uint8)


def frame(
    width: int, height: int, index: int = 1, seed: int = 0, stream: str = "program"
) -> ProgramFrame:
    return ProgramFrame(
        rgb_to_i420(pattern_rgb(width, height, seed)),
        index=index,
        pts=time.perf_counter(),
        source="organism",
        stream=stream,  # type: ignore[arg-type]
    )


def resize_nearest(rgb: numpy.ndarray, width: int, height: int) -> numpy.ndarray:
    """Nearest-neighbour scale (pixel centres), to compare with the GPU's scaled copy."""
    h, w = rgb.shape[:2]
    ys = ((numpy.arange(height) + 0.5) * h / height).astype(int).clip(0, h - 1)
    xs = ((numpy.arange(width) + 0.5) * w / width).astype(int).clip(0, w - 1)
    return rgb[ys][:, xs]
