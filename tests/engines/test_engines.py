"""Every engine: reproducible from its seed, float32 throughout, periodic, in range."""

from __future__ import annotations

import numpy as np
import pytest

from engines import ENGINES
from engines.gray_scott import V_FLOOR, GrayScott
from tests.engines.helpers import ONE_PER_ENGINE, engine_for, params

ENGINE_NAMES = list(ENGINES)


def test_every_engine_has_a_preset_here():
    assert set(ONE_PER_ENGINE) == set(ENGINES)


def state(engine) -> np.ndarray:
    fields = engine.fields()
    return np.stack(fields) if fields else engine.state.copy()


@pytest.mark.parametrize("name", ENGINE_NAMES)
def test_same_seed_same_world_other_seed_other_world(name):
    key = ONE_PER_ENGINE[name]
    a, b, c = engine_for(key, seed=3), engine_for(key, seed=3), engine_for(key, seed=4)
    p = params(key)
    for engine in (a, b, c):
        for _ in range(8):
            engine.step(p)
    assert np.array_equal(state(a), state(b))
    assert not np.array_equal(state(a), state(c))


@pytest.mark.parametrize("name", ENGINE_NAMES)
def test_float32_kept_and_values_in_range(name):
    key = ONE_PER_ENGINE[name]
    engine = engine_for(key)
    p = params(key)
    for _ in range(40):
        engine.step(p)
    for field in [*engine.fields(), engine.measured(), engine.density()]:
        assert field.dtype == np.float32
        assert np.isfinite(field).all()
    density = engine.density()
    assert density.shape == (64, 64)
    assert density.min() >= 0.0 and density.max() <= 1.0


@pytest.mark.parametrize("name", ["lenia", "smoothlife", "mnca", "gray_scott"])
def test_spectra_and_potentials_stay_single_precision(name):
    engine = engine_for(ONE_PER_ENGINE[name])
    engine.step(params(ONE_PER_ENGINE[name]))
    if name != "gray_scott":  # its structure is no spectrum
        assert engine.structure.dtype == np.complex64
    if hasattr(engine, "fft"):
        assert engine.fft.forward(engine.a).dtype == np.complex64


@pytest.mark.parametrize("name", ENGINE_NAMES)
def test_life_near_one_edge_acts_across_it(name):
    """A world shifted by half its size evolves into the same world shifted: no edges."""
    key = ONE_PER_ENGINE[name]
    a, b = engine_for(key, seed=5), engine_for(key, seed=5)
    fields_a = a.fields() or [a.state]
    fields_b = b.fields() or [b.state]
    for fa, fb in zip(fields_a, fields_b, strict=True):
        fb[...] = np.roll(fa, (21, 37), axis=(0, 1))
    if name == "gray_scott":  # its feed mask is tied to the frame centre, not the torus
        a._feed_mask[...] = 1.0
        b._feed_mask[...] = 1.0
    p = params(key)
    for _ in range(25):
        a.step(p)
        b.step(p)
    for fa, fb in zip(fields_a, fields_b, strict=True):
        np.testing.assert_allclose(np.roll(fa, (21, 37), axis=(0, 1)), fb, atol=2e-5)


def test_gray_scott_laplacian_is_centred_conservative_and_periodic():
    engine = GrayScott.__new__(GrayScott)
    engine.xp, engine.world = np, 32
    engine.allocate()
    delta = np.zeros((32, 32), np.float32)
    delta[10, 20] = 1.0
    lap = engine._laplacian(delta, np.empty_like(delta))
    expected = np.array([[0.05, 0.2, 0.05], [0.2, -1.0, 0.2], [0.05, 0.2, 0.05]], np.float32)
    np.testing.assert_allclose(lap[9:12, 19:22], expected, atol=1e-6)
    assert abs(float(lap.sum())) < 1e-6
    delta[...] = 0
    delta[0, 0] = 1.0
    lap = engine._laplacian(delta, np.empty_like(delta))
    assert lap[31, 31] == pytest.approx(0.05) and lap[0, 31] == pytest.approx(0.2)


def test_gray_scott_diffusion_scales_with_the_world():
    """Bigger worlds diffuse more cells per step, so patterns keep their size on screen."""
    small, big = engine_for("medusa", world=512), engine_for("medusa", world=1024)
    assert big.world / small.world == 2
    p = params("medusa")
    # The step splits itself when the scaled diffusion would be unstable.
    big.step({**p, "gray_scott.du": 0.3, "gray_scott.dv": 0.15})
    assert np.isfinite(big.v).all()


def test_gray_scott_leaves_no_subnormal_v():
    """Where V dies it decays geometrically into float32's subnormal range, where x86
    arithmetic is about ten times slower (a 1024 tentacles world held 17 % subnormal V
    after 5 s, and its steps took over four times as long): V under ``V_FLOOR`` is set to 0."""
    engine = engine_for("deep_sea", world=128)
    p = params("deep_sea")
    for _ in range(400):
        engine.step(p)
    v = engine.v
    assert not ((v > 0) & (v < np.finfo(np.float32).tiny)).any()
    assert not ((v > 0) & (v < V_FLOOR)).any()
    assert (v == 0).mean() > 0.3 and v.max() > 0.2  # dead regions, and a living pattern


def _block_agreement(field: np.ndarray) -> float:
    """The share of 2x2 blocks whose diagonal cells are both seeded or both empty."""
    a, b = field[0:-1:2, 0:-1:2] > 0, field[1::2, 1::2] > 0
    return float((a == b).mean())


def test_gray_scott_seed_noise_scales_with_the_world():
    """The pattern is twice as many cells across in a 1024 world (the diffusion is scaled),
    so its seed and nuclei are noise in 2x2 grains there: one value per cell was so fine
    that the scaled diffusion smoothed half of it away before it grew (deep_sea was 1.3-1.7 %
    lit 5-15 s into a 1024 show, against 3.8 % at 512)."""
    rng = np.random.default_rng(3)
    for world, agreement in ((512, (0.4, 0.6)), (1024, (0.99, 1.0))):
        engine = engine_for("deep_sea", world=world)
        seeded = engine.v[world // 2 - 100 : world // 2 + 100, world // 2 - 100 : world // 2 + 100]
        assert 0.35 < (seeded > 0).mean() < 0.55  # the preset's keep (0.45) inside the disc
        nucleus = engine.nucleus(rng, params("deep_sea"))
        assert nucleus.shape[0] == max(8, int(0.12 * world)) | 1  # odd sizes are cut to fit
        for field in (seeded, nucleus[20:-20, 20:-20]):
            assert agreement[0] <= _block_agreement(field) <= agreement[1], (world, field.shape)


def test_structural_change_rebuilds_the_kernel_in_place_when_standalone():
    engine = engine_for("coral")
    p = params("coral")
    engine.step(p)
    key = engine.structure_key
    engine.step({**p, "lenia.radius": 25.0})
    assert engine.structure_key != key and engine.structure_key[0] == 25.0


def test_life_rules_parse_and_reject_nonsense():
    from engines.life import parse_rule

    assert parse_rule("B36/S23") == ((3, 6), (2, 3))
    assert parse_rule("b2/s") == ((2,), ())
    for bad in ("B9/S2", "S23/B3", "3/23"):
        with pytest.raises(ValueError):
            parse_rule(bad)


def test_life_follows_conways_rule():
    engine = engine_for("classic_life")
    engine.state[...] = 0
    engine.state[10, 9:12] = 1.0  # a blinker
    p = params("classic_life")
    engine.step(p)
    assert engine.state[9:12, 10].tolist() == [1.0, 1.0, 1.0] and engine.state.sum() == 3
    engine.step(p)
    assert engine.state[10, 9:12].tolist() == [1.0, 1.0, 1.0] and engine.state.sum() == 3


def _smoothlife_reference(m, n, bounds, an, am, dt, a):
    """The transition straight from ca-prototype.md section 2.2, in float64."""

    def s(x, edge, width):
        return 1.0 / (1.0 + np.exp((edge - x) / width))

    b1, b2, d1, d2 = bounds
    birth = s(n, b1, an) * (1 - s(n, b2, an))
    survival = s(n, d1, an) * (1 - s(n, d2, an))
    sm = s(m, 0.5, am)
    step = birth + sm * (survival - birth)
    return np.clip(a + dt * (2 * step - 1), 0, 1)


@pytest.mark.parametrize(
    "bounds, alpha_n",
    [
        ((0.278, 0.365, 0.267, 0.445), 0.028),  # the defaults: one exp for four thresholds
        ((0.15, 0.55, 0.45, 0.65), 1 / 64),  # the factored form's limit, bounds at range ends
        ((0.45, 0.25, 0.15, 0.30), 0.08),  # the other ends
        ((0.278, 0.365, 0.267, 0.445), 0.005),  # alpha_n's minimum: four exps
    ],
)
def test_the_smoothlife_transition_is_the_papers(bounds, alpha_n):
    from engines.smoothlife import FACTORED_ALPHA_MIN

    engine = engine_for("sl_gliders", world=128)
    rng = np.random.default_rng(7)
    shape = engine.a.shape
    m = rng.uniform(-0.01, 1.01, shape).astype(np.float32)
    n = rng.uniform(-0.01, 1.01, shape).astype(np.float32)
    n[:4] = np.linspace(0.0, 1.0, shape[1], dtype=np.float32)  # every threshold crossed
    a = rng.random(shape, dtype=np.float32)
    engine.a[...] = a
    am, dt = 0.147, 0.12
    want = _smoothlife_reference(
        m.astype(np.float64), n.astype(np.float64), bounds, alpha_n, am, dt, a
    )
    engine._transition_cpu(m, n, bounds, alpha_n, am, dt)
    assert engine.a.dtype == np.float32 and np.isfinite(engine.a).all()
    np.testing.assert_allclose(engine.a, want, atol=2e-6)
    assert (alpha_n >= FACTORED_ALPHA_MIN) == (alpha_n != 0.005)


def test_the_smoothlife_picture_is_the_blurred_state_to_the_power_1_4():
    engine = engine_for("sl_gliders", world=128)
    engine.a[...] = np.random.default_rng(3).random(engine.a.shape, dtype=np.float32)
    engine.a[:8] = 0.0  # log 0: the picture is black there, not NaN
    blurred = np.clip(engine.fft.inverse(engine.fft.forward(engine.a) * engine._blur), 0, 1)
    engine._spectrum = None
    picture = engine.density()
    np.testing.assert_allclose(picture, blurred.astype(np.float64) ** 1.4, atol=2e-6)
    assert np.isfinite(picture).all()
