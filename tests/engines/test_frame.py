"""World -> stream frame: cover and crop, never squash; antialiased downscaling."""

from __future__ import annotations

import numpy as np
import pytest

from engines.frame import Fit, Upsample, block_mean


def disc(n: int) -> np.ndarray:
    y, x = (np.indices((n, n)) + 0.5) / n
    return (((y - 0.5) ** 2 + (x - 0.5) ** 2) < 0.2**2).astype(np.float32)


def extent(mask: np.ndarray) -> tuple[int, int]:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


@pytest.mark.parametrize(("width", "height"), [(832, 480), (480, 832), (512, 512), (256, 128)])
def test_a_circle_stays_a_circle(width, height):
    out = Fit(np, 256, width, height)(disc(256))
    assert out.shape == (height, width)
    h, w = extent(out > 0.5)
    assert abs(h - w) <= 2  # not squashed
    scale = max(width, height) / 256
    assert h == pytest.approx(0.4 * 256 * scale, rel=0.05)


def test_identity_when_sizes_match():
    field = disc(64)
    assert Fit(np, 64, 64, 64)(field) is field


def test_downscaling_averages_instead_of_aliasing():
    checker = (np.indices((256, 256)).sum(axis=0) % 2).astype(np.float32)
    out = Fit(np, 256, 128, 128)(checker)
    np.testing.assert_allclose(out, 0.5, atol=1e-6)


@pytest.mark.parametrize("b", [2, 3, 4])
def test_block_means_are_the_means_of_the_blocks(b):
    field = np.random.default_rng(b).random((12 * b, 12 * b), dtype=np.float32)
    before = field.copy()
    out = block_mean(np, field, b)
    expected = field.astype(np.float64).reshape(12, b, 12, b).mean(axis=(1, 3))
    assert out.dtype == np.float32 and out.shape == (12, 12) and out.flags.c_contiguous
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    np.testing.assert_array_equal(field, before)  # the input is left alone


def test_a_whole_downscale_is_the_block_means():
    field = np.random.default_rng(7).random((64, 64), dtype=np.float32)
    fit = Fit(np, 64, 32, 32)
    assert fit.blocks_only
    np.testing.assert_array_equal(fit(field), block_mean(np, field, 2))
    band = Fit(np, 64, 32, 16)  # a crop after the block means: resampled
    assert band.block == 2 and not band.blocks_only and band(field).shape == (16, 32)


def test_upsample_is_periodic_and_preserves_the_mean():
    rng = np.random.default_rng(0)
    small = rng.random((16, 16)).astype(np.float32)
    big = Upsample(np, 16, 64)(small)
    assert big.shape == (64, 64)
    assert big.mean() == pytest.approx(small.mean(), rel=1e-4)
