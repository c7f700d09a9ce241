"""Gray-Scott numerics on small worlds: stencil, wrap, determinism, dtype, life."""

from __future__ import annotations

import numpy as np
import pytest

from engines import ENGINES, get_preset, numpy_backend
from engines.gray_scott import GrayScott


def make(world: int = 64, seed: int = 1) -> GrayScott:
    return GrayScott(numpy_backend(), world, seed)


def params(key: str = "medusa") -> dict:
    return {**GrayScott.defaults(), "color.palette": "oil_slick", **get_preset(key).params}


def test_laplacian_delta_response_is_centred_and_conserves():
    engine = make(32)
    delta = np.zeros((32, 32), np.float32)
    delta[10, 20] = 1.0
    lap = engine._laplacian(delta, np.empty_like(delta))
    expected = np.array([[0.05, 0.2, 0.05], [0.2, -1.0, 0.2], [0.05, 0.2, 0.05]], np.float32)
    np.testing.assert_allclose(lap[9:12, 19:22], expected, atol=1e-6)
    assert abs(float(lap.sum())) < 1e-6
    lap[9:12, 19:22] = 0
    assert not lap.any()


def test_laplacian_wraps_periodically():
    engine = make(16)
    delta = np.zeros((16, 16), np.float32)
    delta[0, 0] = 1.0
    lap = engine._laplacian(delta, np.empty_like(delta))
    assert lap[15, 15] == pytest.approx(0.05) and lap[0, 15] == pytest.approx(0.2)
    assert lap[15, 0] == pytest.approx(0.2) and lap[1, 1] == pytest.approx(0.05)


def test_same_seed_same_world_and_float32_kept():
    a, b, c = make(seed=3), make(seed=3), make(seed=4)
    p = params()
    for engine in (a, b, c):
        for _ in range(50):
            engine.step(p)
    assert np.array_equal(a.v, b.v)
    assert not np.array_equal(a.v, c.v)
    assert a.u.dtype == np.float32 and a.v.dtype == np.float32


@pytest.mark.parametrize("key", ["medusa", "labyrinth"])
def test_no_nan_over_2000_steps_and_a_pattern_forms(key):
    engine = make(128)
    p = params(key)
    start = float(engine.coverage())
    for _ in range(2000):
        engine.step(p)
    assert np.isfinite(engine.u).all() and np.isfinite(engine.v).all()
    assert engine.v.min() >= 0.0 and engine.v.max() <= 1.0
    # The dense seed becomes a structured pattern: more area, real spatial contrast.
    assert engine.coverage() > start
    assert engine.coverage() > 0.1
    assert float(engine.v.std()) > 0.1


def test_render_shapes_and_dtype():
    engine = make(128)
    p = params()
    for width, height in ((512, 512), (832, 480), (128, 128)):
        frame = engine.render(p, width, height)
        assert frame.shape == (height, width, 3) and frame.dtype == np.uint8


def test_render_crops_rather_than_squashes():
    engine = make(64)
    engine.v[...] = 0
    engine.v[:, 32:] = 1.0  # right half bright
    frame = engine.render(params(), 128, 64)
    # A 2:1 frame from a square world crops top/bottom: left half dark, right half lit.
    assert frame[:, :60].max() == 0 and frame[:, 70:].min() > 0


def test_registry_and_presets():
    assert ENGINES["gray_scott"] is GrayScott
    assert get_preset("labyrinth").params["gray_scott.feed"] == pytest.approx(0.029)
