"""Issue 15 item 4: the excitable and cyclic presets read as round waves, not as
one-pixel rectilinear mazes with square holes.

Measured on the frames a show renders (``perform.render.offline``: warm-up, regulation,
colour) at the stream size, on the Rec.709 luminance:

* *squareness*: the luminance gradient's energy-weighted ``cos 4θ`` (θ its direction):
  +1 when every edge is horizontal or vertical (a rectilinear maze), -1 when every edge is
  diagonal (diamonds), about 0 for round waves;
* *fine share*: the share of the luminance's spectral energy (mean removed) above a
  quarter cycle per pixel: one-pixel bands and lines put much of theirs there, waves
  several pixels wide almost none;
* erosion clears round patches (cyclic worlds none at all), never square blocks.

On the old code (one-pixel cells, Moore boxes, square erosion) the eight presets' frames
had a fine share of 0.08-0.53 and squareness up to 0.94 (spiral 0.72, target 0.85,
turbulent 0.93, aurora 0.71); the round engines give under 0.02 and 0.1-0.5 (the cyclic
ones keep a slight octagonal, diagonal bias: negative values).
"""

from __future__ import annotations

import numpy
import pytest

from engines import numpy_backend
from engines.seeds import numpy_rng
from perform.render import offline
from tests.engines.helpers import engine_for

ROUND = ("spiral", "turbulent", "target", "whirlpool", "magma", "aurora", "vortex", "storm")
AT = 12.0
"""Simulated seconds before the frame is judged (the waves have organised by then)."""
MAX_SQUARENESS = 0.5
MAX_FINE_SHARE = 0.03


def luminance(rgb: numpy.ndarray) -> numpy.ndarray:
    r, g, b = (rgb[..., c].astype(numpy.float64) for c in range(3))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def squareness(y: numpy.ndarray) -> float:
    """Energy-weighted mean of ``cos 4θ`` over the luminance gradient (see the module doc),
    inside the frame's inscribed disc (its corners would add diagonal edges to rings)."""
    gx = (numpy.roll(y, -1, 1) - numpy.roll(y, 1, 1))[2:-2, 2:-2]
    gy = (numpy.roll(y, -1, 0) - numpy.roll(y, 1, 0))[2:-2, 2:-2]
    h, w = gx.shape
    yy, xx = numpy.mgrid[0:h, 0:w]
    inside = numpy.hypot(yy - (h - 1) / 2, xx - (w - 1) / 2) <= min(h, w) / 2
    gx, gy = gx * inside, gy * inside  # the inscribed disc: a square frame favours no direction
    x2, y2 = gx * gx, gy * gy
    energy = x2 + y2
    total = float((energy * energy).sum())
    if total == 0:
        return 0.0
    # |g|^4 cos 4θ = gx^4 - 6 gx^2 gy^2 + gy^4
    return float((x2 * x2 - 6 * x2 * y2 + y2 * y2).sum()) / total


def fine_share(y: numpy.ndarray) -> float:
    """Share of the spectral energy above a quarter cycle per pixel (mean removed)."""
    power = numpy.abs(numpy.fft.fft2(y - y.mean())) ** 2
    fy = numpy.fft.fftfreq(y.shape[0])[:, None]
    fx = numpy.fft.fftfreq(y.shape[1])[None, :]
    high = numpy.maximum(abs(fy), abs(fx)) > 0.25
    total = float(power.sum())
    return float(power[high].sum()) / total if total else 0.0


def test_the_measures_tell_a_maze_from_rings():
    n = 256
    yy, xx = numpy.mgrid[0:n, 0:n].astype(numpy.float64)
    rings = 128 + 100 * numpy.sin(numpy.hypot(yy - n / 2, xx - n / 2) / 4)
    maze = numpy.where((yy.astype(int) % 6 < 2) | (xx.astype(int) % 24 < 2), 220.0, 30.0)
    pixels = numpy.where((yy.astype(int) + xx.astype(int)) % 2 == 0, 30.0, 220.0)
    assert abs(squareness(rings)) < 0.05
    assert squareness(maze) > 0.6
    assert fine_share(rings) < 0.01
    assert fine_share(pixels) > 0.5


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("key", ROUND)
def test_waves_are_round_and_wide(key):
    frames = offline.frames(
        key, numpy_backend(), world=512, width=512, height=512, fps=1 / AT, seconds=AT
    )
    *_, last = frames
    y = luminance(numpy.asarray(last.rgb))
    assert (y > 16).mean() > 0.1, f"{key}: the frame is nearly black"
    square, fine = squareness(y), fine_share(y)
    assert abs(square) < MAX_SQUARENESS, f"{key}: squareness {square:.2f} (rectilinear)"
    assert fine < MAX_FINE_SHARE, f"{key}: fine share {fine:.3f} (one-pixel features)"


def test_erosion_clears_a_round_patch():
    engine = engine_for("spiral", world=512)
    engine.state[...] = 3.0
    engine.erode(0.05, numpy_rng(7))
    hole = engine.state == 0.0
    ys, xs = numpy.nonzero(hole)
    hole = numpy.roll(hole, (engine.grid // 2 - ys[0], engine.grid // 2 - xs[0]), (0, 1))
    ys, xs = numpy.nonzero(hole)  # unwrapped: the patch may straddle the torus' seam
    assert hole.sum() > 50
    box = (numpy.ptp(ys) + 1) * (numpy.ptp(xs) + 1)
    assert hole.sum() / box == pytest.approx(numpy.pi / 4, abs=0.08)  # a disc, not a square


def test_a_cyclic_world_is_never_eroded():
    engine = engine_for("whirlpool", world=512)
    before = engine.state.copy()
    engine.erode(0.05, numpy_rng(7))
    numpy.testing.assert_array_equal(engine.state, before)
