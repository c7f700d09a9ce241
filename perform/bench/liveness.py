"""The liveness meter: issue 15's definition of an organism alive on stage, judged on the
RGB frames an audience sees (used by ``perform bench alive`` and by the tests).

* *luminance* is Rec.709 Y (0-255); the *lit fraction* is the share of pixels with Y > 16;
* *motion* is the mean |dY| between consecutive frames over the pixels lit in either one
  (a small organism on black is judged by how it moves, not by how much black there is);
  a *still stretch* is a run of frames with motion < 0.5;
* a *flash* is the change of mean Y between consecutive frames;
* *flicker* is the largest period-2 or period-4 alternation of mean Y (peak to peak, over
  windows of 16 frames, drift removed): what a containment or stir applied every few
  steps does to the picture.

Alive = after its growth: never NaN, lit fraction never below 1 %, no still stretch over
1 s, no flash above 10, no flicker above 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy

FPS = 30.0
LIT_Y = 16.0
MIN_LIT = 0.01
STILL_MOTION = 0.5
MAX_STILL_SECONDS = 1.0
MAX_FLASH = 10.0
MAX_FLICKER = 1.0
FLICKER_WINDOW = 16

REC709 = numpy.array([0.2126, 0.7152, 0.0722], dtype=numpy.float32)


def luminance(rgb: Any, xp: ModuleType = numpy) -> Any:
    """Rec.709 Y (0-255, float32) of an ``(H, W, 3+)`` uint8 frame held by ``xp``."""
    return rgb[..., :3].astype(xp.float32) @ xp.asarray(REC709)


def flicker(means: Sequence[float], window: int = FLICKER_WINDOW) -> float:
    """The largest period-2 or period-4 alternation (peak to peak) of ``means``.

    Works on frame-to-frame differences over windows of ``window`` frames (a multiple of
    4), so a steady rise or fall (a constant difference) cancels out exactly, and a
    regular alternation of +-A shows as 2A whatever its phase.
    """
    d = numpy.diff(numpy.asarray(means, dtype=numpy.float64))
    if d.size < window:
        return 0.0
    t = numpy.arange(window)
    sign = (-1.0) ** t
    quarter = numpy.exp(-0.5j * math.pi * t)
    worst = 0.0
    for start in range(0, d.size - window + 1, window // 2):
        part = d[start : start + window]
        # y = A(-1)^t  ->  d alternates +-2A: sum |.| = 2A * window
        two = abs(float(part @ sign)) / window
        # y = A cos(pi t / 2 + phi)  ->  d has amplitude A * sqrt(2) at a quarter of the rate
        four = 2 * abs(complex(part @ quarter)) / (window * math.sqrt(2)) * 2
        worst = max(worst, two, four)
    return worst


@dataclass
class Liveness:
    """What one preset's frames showed, and the verdict."""

    preset: str
    engine: str
    seconds: float
    """Show time judged (after the growth)."""
    frames: int = 0
    lit_min: float = 1.0
    lit_max: float = 0.0
    motion_median: float = 0.0
    longest_still_s: float = 0.0
    still_at_s: float = 0.0
    flash: float = 0.0
    flash_at_s: float = 0.0
    flicker: float = 0.0
    nan: bool = False
    failures: list[str] = field(default_factory=list)

    @property
    def alive(self) -> bool:
        return not self.failures

    def verdict(self) -> str:
        return "alive" if self.alive else "; ".join(self.failures)


class Meter:
    """Judges a series of RGB frames at ``fps`` (feed them in order)."""

    def __init__(self, fps: float = FPS, xp: ModuleType = numpy) -> None:
        self.fps = fps
        self.xp = xp
        """The frames' array module: NumPy, or CuPy (reduced on the device)."""
        self.lit: list[float] = []
        self.means: list[float] = []
        self.motion: list[float] = []
        self.finite = True
        self._previous: tuple[numpy.ndarray, numpy.ndarray] | None = None

    def add(self, rgb: Any) -> None:
        """Judge one frame (on its device: only five numbers per frame reach the host)."""
        xp = self.xp
        y = luminance(rgb, xp)
        lit = y > LIT_Y
        figures = [xp.isfinite(y).all(), lit.mean(), y.mean()]
        if self._previous is not None:
            py, plit = self._previous
            either = lit | plit
            figures += [either.sum(), xp.where(either, xp.abs(y - py), 0).sum()]
        finite, lit_share, mean, *rest = (float(v) for v in xp.stack(figures).tolist())
        self.finite = self.finite and bool(finite)
        self.lit.append(lit_share)
        self.means.append(mean)
        if rest:
            count, moved = rest
            self.motion.append(moved / count if count else 0.0)
        self._previous = (y, lit)

    def judge(self, preset: str, engine: str) -> Liveness:
        n = len(self.means)
        report = Liveness(preset, engine, n / self.fps, frames=n, nan=not self.finite)
        if n == 0:
            report.failures.append("no frames")
            return report
        report.lit_min, report.lit_max = min(self.lit), max(self.lit)
        if self.motion:
            report.motion_median = float(numpy.median(self.motion))
            run = longest = end = 0
            for i, m in enumerate(self.motion):
                run = run + 1 if m < STILL_MOTION else 0
                if run > longest:
                    longest, end = run, i
            report.longest_still_s = longest / self.fps
            report.still_at_s = (end + 1 - longest) / self.fps
            jumps = numpy.abs(numpy.diff(self.means))
            report.flash = float(jumps.max())
            report.flash_at_s = float(jumps.argmax() + 1) / self.fps
        report.flicker = flicker(self.means)
        if report.nan:
            report.failures.append("NaN")
        if report.lit_min < MIN_LIT:
            report.failures.append(f"dark (lit {100 * report.lit_min:.1f}%)")
        if report.longest_still_s > MAX_STILL_SECONDS:
            report.failures.append(
                f"still {report.longest_still_s:.1f}s at {report.still_at_s:.0f}s"
            )
        if report.flash > MAX_FLASH:
            report.failures.append(f"flash {report.flash:.1f} at {report.flash_at_s:.0f}s")
        if report.flicker > MAX_FLICKER:
            report.failures.append(f"flicker {report.flicker:.2f}")
        return report
