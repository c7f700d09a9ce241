"""The organism: local nuclei (never a visible restart), breathing, hue drift, background
kernel rebuilds, erosion, pictures at the stream size."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from engines import Organism, numpy_backend
from engines.organism import coverage_band
from tests.engines.helpers import organism_for, params

STILL = {f"flow.{k}": 0.0 for k in ("radial", "rotate", "swirl", "bubble", "ring", "vortex")}


def test_an_empty_world_grows_a_nucleus_in_one_place():
    organism = organism_for("coral", world=128)
    p = params("coral", **STILL)
    organism.engine.a[...] = 0.0
    organism.regulate(p)
    assert organism.vitals.nuclei == 1
    veil = organism._veils[0]
    changed = np.argwhere(organism.engine.a != 0)
    assert changed.size, "the nucleus is planted"
    # only inside the nucleus' window: no full-frame reseed
    assert changed[:, 0].min() >= veil.y0 and changed[:, 0].max() < veil.y0 + veil.size
    assert changed[:, 1].min() >= veil.x0 and changed[:, 1].max() < veil.x0 + veil.size
    for i in range(400):
        organism.step(p)
        if i % 4 == 0:
            organism.regulate(p)
    assert organism.vitals.coverage > 0.01


def test_a_fresh_nucleus_is_revealed_gradually():
    organism = organism_for("sl_gliders", world=128)
    p = params("sl_gliders", **STILL)
    organism.engine.a[...] = 0.0
    organism.regulate(p)
    shown = []
    for _ in range(8):
        picture = organism.render(p, 128, 128)
        shown.append(float(picture.rgb.astype(float).mean()))
        for _ in range(12):
            organism.step(p)
    assert shown[0] < 0.05 * max(shown)  # not a pop: hidden at first
    assert shown[1] < shown[3] < shown[5]  # then revealed step by step


def test_too_much_life_is_eroded_gently():
    organism = organism_for("coral", world=64)
    p = params("coral", **{"organism.coverage_max": 0.5})
    organism.engine.a[...] = 0.9
    organism.regulate(p)
    assert organism.vitals.erosions == 1
    assert 0.8 < float(organism.engine.a.mean()) < 0.9


def test_breathing_starts_at_the_preset_and_follows_simulated_time():
    organism = organism_for("coral", world=64)
    p = params("coral")
    assert organism.breathe(p)["lenia.mu"] == p["lenia.mu"]  # no jump at the start
    organism.sim_time = 1 / (4 * 0.015)  # a quarter period of mu's LFO
    swung = organism.breathe(p)["lenia.mu"]
    assert swung > p["lenia.mu"] * 1.04
    assert organism.breathe({**p, "organism.breath": 0.0})["lenia.mu"] == p["lenia.mu"]


def test_hue_drifts_continuously_and_regulation_does_not_reset_it():
    organism = organism_for("medusa", world=64)
    p = params("medusa")
    phases = []
    for _ in range(5):
        for _ in range(60):
            organism.step(p)
        organism.regulate(p)
        phases.append(organism.hue_phase)
    steps = np.diff(phases)
    assert (steps > 0).all() and np.allclose(steps, steps[0], rtol=1e-6)


def test_kernel_rebuilds_run_in_the_background_and_never_block_a_step():
    organism = Organism(numpy_backend(), "lenia", 64, 1, params=params("coral"))
    p = params("coral")
    organism.step(p)  # the first kernel is built in place
    release = threading.Event()
    engine = organism.engine
    real_build = engine.build_structure

    def slow_build(key):
        release.wait(10)
        return real_build(key)

    engine.build_structure = slow_build  # type: ignore[method-assign]
    old = engine.structure_key
    bigger = {**p, "lenia.radius": 30.0}
    t0 = time.perf_counter()
    for _ in range(5):
        organism.step(bigger)
    assert time.perf_counter() - t0 < 5.0  # stepping on with the old kernel
    assert engine.structure_key == old
    release.set()
    deadline = time.monotonic() + 10
    while engine.structure_key == old and time.monotonic() < deadline:
        organism.step(bigger)
        time.sleep(0.01)
    assert engine.structure_key[0] == 30.0


@pytest.mark.parametrize(("width", "height"), [(512, 512), (832, 480)])
def test_pictures_at_the_stream_size(width, height):
    organism = organism_for("coral", world=128)
    p = params("coral")
    for _ in range(10):
        organism.step(p)
    picture = organism.render(p, width, height)
    assert picture.rgb.shape == (height, width, 3) and picture.rgb.dtype == np.uint8
    assert picture.yuv.shape == (height * 3 // 2, width) and picture.yuv.dtype == np.uint8
    assert picture.rgb.any()


def test_a_coverage_floor_above_the_ceiling_is_reconciled_not_fought():
    """coverage_min 0.9 over coverage_max 0.2 (two faders a performer can put anywhere):
    the old organism planted a nucleus whenever life was under 0.9 and eroded whenever it
    was over 0.2, on alternate frames, for ever. Now the ceiling wins."""
    assert coverage_band({"organism.coverage_min": 0.9, "organism.coverage_max": 0.2}) == (
        pytest.approx(0.15),
        0.2,
    )
    assert coverage_band({"organism.coverage_min": 0.05, "organism.coverage_max": 0.85}) == (
        0.05,
        0.85,
    )
    organism = organism_for("coral", world=64)
    p = params("coral", **{"organism.coverage_min": 0.9, "organism.coverage_max": 0.2})
    organism.engine.a[...] = 0.0
    organism.engine.a[:32] = 0.6  # half alive: over the ceiling, under the floor
    organism.regulate(p)
    assert (organism.vitals.erosions, organism.vitals.nuclei) == (1, 0)


def test_a_settled_life_world_is_re_excited_within_a_second():
    """Still lifes and a blinker: the picture stands still, though a few cells change
    at every step. The old organism waited 240 frames (8 s) of an exactly constant mass
    (issue 15's diamoeba froze for 74 s of 90); now a veiled nucleus grows in after
    SETTLED_FRAMES regulations."""
    from engines.organism import SETTLED_FRAMES

    organism = organism_for("classic_life", world=64)
    p = params("classic_life", **{"organism.coverage_min": 0.0})  # only stillness acts
    state = organism.engine.state
    state[...] = 0.0
    for y, x in ((8, 8), (8, 40), (40, 8), (40, 40), (24, 24)):  # blocks (still lifes)
        state[y : y + 2, x : x + 2] = 1.0
    state[52, 20:23] = 1.0  # a blinker
    for _ in range(SETTLED_FRAMES + 3):
        organism.step(p)
        organism.step(p)
        organism.regulate(p)
    assert organism.vitals.nuclei == 1
    assert SETTLED_FRAMES / 30 < 1.0  # a frame per regulation: re-excited within a second
