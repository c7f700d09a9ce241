"""CuPy against NumPy: the same seed gives the same first steps and statistically the
same organism over time. Skipped, with the reason, where no CUDA device works."""

from __future__ import annotations

import numpy as np
import pytest

from engines import ENGINES, Organism, get_preset, numpy_backend, select_backend
from engines.base import Look
from engines.color import Colourist
from engines.palette import A_LEVELS, T_LEVELS
from engines.xp import _cupy_problem
from tests.engines.helpers import ONE_PER_ENGINE, params

_CUPY, _PROBLEM = _cupy_problem()
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(_CUPY is None, reason=f"CuPy tests need a GPU: {_PROBLEM}"),
]


def both(key: str, world: int):
    spec = get_preset(key)
    made = []
    for backend in (numpy_backend(), select_backend("cupy")):
        made.append(
            Organism(backend, spec.engine, world, 7, spec.seed, params=params(key),
                     background=False)
        )  # fmt: skip
    return made


def host(array) -> np.ndarray:
    return array.get() if hasattr(array, "get") else np.asarray(array)


@pytest.mark.parametrize("name", list(ENGINES))
def test_first_steps_match_numpy(name):
    key = ONE_PER_ENGINE[name]
    cpu, gpu = both(key, 128)
    p = params(key)
    for organism in (cpu, gpu):
        for _ in range(3):
            organism.step(p)
    for a, b in zip(cpu.engine.fields() or [cpu.engine.measured()],
                    gpu.engine.fields() or [gpu.engine.measured()], strict=True):  # fmt: skip
        diff = np.abs(host(b) - host(a))
        if not cpu.engine.continuous:
            assert diff.max() == 0.0  # integer states: exactly the same
        else:
            # cuFFT and pocketfft round differently; a hard threshold (MNCA) may flip a
            # rare cell, nothing more
            assert np.mean(diff > 2e-3) < 1e-3 and diff.max() < 0.2


@pytest.mark.slow
@pytest.mark.parametrize("key", list(ONE_PER_ENGINE.values()))
def test_the_organism_is_statistically_the_same(key):
    cpu, gpu = both(key, 256)
    p = params(key)
    stats = []
    for organism in (cpu, gpu):
        coverage, mass, luma = [], [], []
        for i in range(900):
            organism.step(p)
            if i % 30 == 29:
                vitals = organism.regulate(p)
                coverage.append(vitals.coverage)
                mass.append(vitals.mass)
                picture = organism.render(p, 256, 256)
                luma.append(float(host(picture.yuv)[:256].mean()))
        stats.append((np.mean(coverage[5:]), np.mean(mass[5:]), np.mean(luma[5:])))
    (c0, m0, l0), (c1, m1, l1) = stats
    assert c1 == pytest.approx(c0, rel=0.25, abs=0.02)
    assert m1 == pytest.approx(m0, rel=0.25, abs=0.01)
    assert l1 == pytest.approx(l0, rel=0.15, abs=3.0)


def test_pictures_match_numpy():
    y, x = np.indices((128, 128))
    density = np.exp(-((y - 60) ** 2 + (x - 70) ** 2) / 300.0).astype(np.float32)
    pictures = []
    for backend in (numpy_backend(), select_backend("cupy")):
        colourist = Colourist(backend, 128, 1, Look())
        picture = colourist.render(backend.xp.asarray(density), {}, 208, 120)
        pictures.append((host(picture.rgb), host(picture.yuv)))
    (rgb0, yuv0), (rgb1, yuv1) = pictures
    # The signals are float32 on both sides but rounded differently (fused multiply-adds
    # on the GPU), so a pixel right at a colour-table boundary may land one table level
    # over: never more than one level's step, and rarely (seen on an H200: 4 of 255 on a
    # few pixels).
    tables = colourist.tables.get(colourist.table_key({}, 0.0))
    planes = [host(tables.rgb)] + [host(t)[:, None] for t in (tables.y, tables.u, tables.v)]
    table = np.concatenate([p.astype(int) for p in planes], axis=1)
    level = max(
        int(np.abs(np.diff(table.reshape(T_LEVELS, A_LEVELS, -1), axis=ax)).max()) for ax in (0, 1)
    )
    for ours, theirs in ((rgb0, rgb1), (yuv0, yuv1)):
        diff = np.abs(ours.astype(int) - theirs.astype(int))
        assert diff.max() <= level
        assert np.mean(diff > 2) < 0.005


def test_one_host_copy_per_frame_into_independent_arrays():
    backend = select_backend("cupy")
    organism = Organism(backend, "lenia", 128, 1, params=params("coral"), background=False)
    picture = organism.render(params("coral"), 128, 128)
    assert picture.packed is not None
    parts = [(0, picture.rgb.shape), (picture.rgb.size, picture.yuv.shape)]
    rgb, yuv = backend.to_host_many(picture.packed, parts)
    again, _ = backend.to_host_many(picture.packed, parts)
    assert isinstance(rgb, np.ndarray) and rgb.shape == (128, 128, 3)
    assert not np.shares_memory(rgb, again)


def test_the_steady_look_holds_the_same_luma_on_the_device():
    """The round discrete presets' luma hold (``Colourist._hold``) keeps every figure on
    the device: fed the same wave train stepping one state a frame, CuPy and NumPy hold
    the frame's mean luma to the same running level, and neither pulses with the cycle."""
    from engines.cyclic import Cyclic
    from perform.bench.liveness import MAX_FLICKER, flicker, luminance

    n = 128
    yy, xx = np.mgrid[0:n, 0:n]
    rings = np.floor(np.hypot(yy - n / 2, xx - n / 2) / 6).astype(int)
    series = []
    for backend in (numpy_backend(), select_backend("cupy")):
        colourist = Colourist(backend, n, 1, Cyclic.look)
        means = []
        for phase in range(90):
            state = (rings + phase) % 12
            density = backend.xp.asarray((0.25 + 0.75 * state / 11).astype(np.float32))
            rgb = host(colourist.render(density, {}, n, n).rgb)
            means.append(float(luminance(rgb).mean()))
        series.append(np.array(means))
    cpu, gpu = series
    assert flicker(list(gpu[30:])) < MAX_FLICKER
    assert np.abs(gpu - cpu).max() < 1.5, np.abs(gpu - cpu).max()
