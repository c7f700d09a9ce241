"""Every preset lives, judged as an audience sees it (issue 15's liveness definition, the
measure of ``perform bench alive``): run as in a show (warm-up, flows, breathing,
regulation, colour) in simulated time, then judged over 12 s of frames at 30 fps after
5 s of growth (at 128^2; the discrete engines 6 s at 512^2): never NaN, lit fraction
(Rec.709 Y > 16) never under 1%, no still stretch (motion over lit pixels < 0.5) over
1 s, no flash over 10, no period-2/4 flicker over 1.

The old test (coverage of the state, whole-frame motion, 15 frames a second) passed all
36 while sl_worms went black and six presets flickered at 15 Hz; this one fails on both.
The long runs at 512^2 are ``perform bench alive`` (ten minutes per preset by default)."""

from __future__ import annotations

import pytest

from engines import get_preset, numpy_backend, presets
from perform.bench.alive import watch
from perform.render.switch import grow
from tests.engines.helpers import COMPILE_S, params

WORLD, GROWTH, WATCH = 128, 5.0, 12.0
#: Excitable and cyclic worlds are grids of world cells (k = 1 up to 512): at 128 or 256
#: the whole grid cycles nearly in unison (a mean-luminance wave of 1-3 that a 512 world
#: does not show) and target's single burst dies out. They are cheap, so they run at 512.
DISCRETE = ("excitable", "cyclic")
DISCRETE_WORLD, DISCRETE_GROWTH, DISCRETE_WATCH = 512, 3.0, 6.0


@pytest.mark.slow
@pytest.mark.timeout(900)  # simulated show time; a busy shared machine is slow
@pytest.mark.parametrize("key", list(presets()))
def test_preset_is_alive(key):
    if get_preset(key).engine in DISCRETE:
        world, growth, seconds = DISCRETE_WORLD, DISCRETE_GROWTH, DISCRETE_WATCH
    else:
        world, growth, seconds = WORLD, GROWTH, WATCH
    report = watch(key, seconds, world=world, growth=growth)
    assert report.alive, f"{key} at {world}^2: {report.verdict()} ({report})"


@pytest.mark.slow
@pytest.mark.timeout(COMPILE_S + 1200)  # 100 s of show time at 1024^2 on a busy machine
@pytest.mark.usefixtures("kernels")
def test_tentacles_keeps_its_spots_in_a_1024_world():
    """Found on an H200 (issue 15): tentacles' spots multiply at 512 but die back in the
    finer 1024 world, to 0.5 % lit over ten minutes, while regulation waited for 0.5 %
    coverage (on NumPy: 2.4 % lit at 20 s, 0.8 % at 90 s). The organism runs as in a show
    (``offline.pictures``'s warm-up and steps, flows and regulation) on the Numba kernels;
    the picture is not rendered, so the state's living fraction stands in for the lit share
    (they agree within 0.2 points for this preset). The old preset fell under 1 % by 90 s."""
    world, rate, fps, growth, seconds = 1024, 60, 30, 10, 100
    values = {**params("tentacles"), "engine.preset": "tentacles"}
    slot = grow(numpy_backend(), "tentacles", world, 1, values, 3 * rate, rate, max_seconds=None)
    organism, living = slot.organism, []
    for _frame in range(seconds * fps):
        for _step in range(rate // fps):
            organism.step(values, 1.0 / rate)
        organism.regulate(values)
        living.append(organism.vitals.coverage)
    judged = living[growth * fps :]  # after the growth, as the bench judges
    assert min(judged) >= 0.01, f"lowest living fraction {min(judged):.4f}"


def test_presets_name_their_engines_and_seeds():
    assert len(presets()) == 36
    for key in presets():
        preset = get_preset(key)
        assert preset.title and preset.notes
        assert preset.seed.kind
