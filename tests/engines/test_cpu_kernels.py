"""The Numba kernels (engines/cpu.py) against the NumPy code they replace: same maths,
same pictures (the NumPy code is the fallback without Numba, and the reference here)."""

from __future__ import annotations

import numpy as np
import pytest

from engines import Organism, cpu, get_preset, numpy_backend, preset_values
from engines.flow import FLOWS, Flow
from engines.gray_scott import GrayScott

pytestmark = pytest.mark.skipif(not cpu.AVAILABLE, reason="Numba is not installed")


def gray_scott(n: int) -> GrayScott:
    engine = GrayScott.__new__(GrayScott)
    engine.xp, engine.world = np, n
    engine.allocate()
    rng = np.random.default_rng(n)
    engine.u[...] = rng.random((n, n), dtype=np.float32)
    engine.v[...] = rng.random((n, n), dtype=np.float32) * 0.4
    return engine


@pytest.mark.parametrize("n", [16, 80, 128])  # one block, a short last block, whole blocks
def test_the_fused_gray_scott_substep_is_the_numpy_one(n):
    fused, reference = gray_scott(n), gray_scott(n)
    args = (0.031, 0.061, 0.84, 0.42, 0.5)
    for _ in range(3):
        cpu.gray_scott_substep(
            fused.u, fused.v, fused._feed_mask, *args, fused._u2, fused._v2
        )  # fmt: skip
        fused.u, fused._u2 = fused._u2, fused.u
        fused.v, fused._v2 = fused._v2, fused.v
        reference._substep_cpu(*args)
    np.testing.assert_allclose(fused.u, reference.u, atol=2e-6)
    np.testing.assert_allclose(fused.v, reference.v, atol=2e-6)
    assert fused.v.std() > 0.01  # a living field, not two arrays of zeros


def test_the_block_laplacian_wraps_across_every_block_edge():
    engine = gray_scott(80)
    a = engine.v
    expected = (
        0.2 * sum(np.roll(a, s, axis) for s in (1, -1) for axis in (0, 1))
        + 0.05 * sum(np.roll(a, (sy, sx), (0, 1)) for sy in (1, -1) for sx in (1, -1))
        - a
    )
    np.testing.assert_allclose(engine._laplacian(a, np.empty_like(a)), expected, atol=2e-6)


def test_the_fused_advection_is_the_numpy_one(monkeypatch):
    n = 96
    strengths = (0.3, -0.6, 0.4, 0.5, 0.2, 0.7, -0.3)
    params = {f"flow.{k}": s for k, s in zip(FLOWS, strengths, strict=True)}
    rng = np.random.default_rng(3)
    field = rng.random((n, n), dtype=np.float32)
    fused = Flow(numpy_backend(), n, sharpness=0.5)
    fused.set(params)
    monkeypatch.setattr(cpu, "AVAILABLE", False)
    reference = Flow(numpy_backend(), n, sharpness=0.5)
    reference.set(params)
    a, b = field.copy(), field.copy()
    for _ in range(4):
        reference.advect([b])
        monkeypatch.setattr(cpu, "AVAILABLE", True)
        fused.advect([a])
        monkeypatch.setattr(cpu, "AVAILABLE", False)
    assert np.abs(a - field).mean() > 0.05  # the flow moved the field
    np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize(("preset", "size"), [("coral", (128, 128)), ("medusa", (96, 64))])
def test_fused_colour_draws_the_numpy_picture(monkeypatch, preset, size):
    """Signals, glow, LUT and I420 at the world size and at a cropped stream size."""
    width, height = size
    params = {"master.fade": 1.0, **preset_values(preset)}

    def pictures(fused: bool) -> list:
        monkeypatch.setattr(cpu, "AVAILABLE", fused)
        spec = get_preset(preset)
        organism = Organism(numpy_backend(), spec.engine, 128, 1, spec.seed, params=params)
        monkeypatch.setattr(cpu, "AVAILABLE", True)  # the same world on both sides
        organism.warm(params, 30)
        monkeypatch.setattr(cpu, "AVAILABLE", fused)
        frames = []
        for _ in range(3):
            organism.step(params)
            frames.append(organism.render(params, width, height))
        return frames

    for fused, reference in zip(pictures(True), pictures(False), strict=True):
        assert fused.rgb.shape == reference.rgb.shape == (height, width, 3)
        assert fused.yuv.shape == reference.yuv.shape
        for got, want in ((fused.rgb, reference.rgb), (fused.yuv, reference.yuv)):
            diff = np.abs(got.astype(int) - want.astype(int))
            # float rounding may move a pixel's index across a table step (one colour
            # level: a few units of 255 where the palette is steep), rarely
            assert diff.max() <= 16 and (diff > 0).mean() < 0.01 and diff.mean() < 0.05
        assert (reference.rgb.max(axis=-1) > 40).mean() > 0.01  # lit: a picture, not black


def test_warm_loads_every_kernel_before_the_first_frame():
    from engines import _cpu_kernels

    assert cpu.warm() is True
    kernels = ("gray_scott", "advect", "sharpen", "signals", "coordinates", "pool4")
    for name in (*kernels, "glow_apply", "compose"):
        assert getattr(_cpu_kernels, name).signatures, f"{name} was not compiled"
