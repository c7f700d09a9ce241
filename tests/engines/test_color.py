"""Colour: continuous palettes, tables folding tint/brightness/fade, I420 consistent with RGB."""

from __future__ import annotations

import numpy as np
import pytest

from engines import numpy_backend
from engines.base import Look
from engines.color import Colourist
from engines.palette import (
    A_LEVELS,
    PALETTES,
    T_LEVELS,
    T_MAX,
    T_MIN,
    TableKey,
    build_tables,
    palette_rgb,
)

N = 64


@pytest.mark.parametrize("palette", list(PALETTES))
def test_palettes_have_no_seams(palette):
    """Neighbouring colour coordinates give neighbouring colours over the whole range
    (the prototype's `t mod 1` with non-integer frequencies jumped)."""
    t = np.linspace(T_MIN, T_MAX, 20_000)
    rgb = palette_rgb(palette, t)
    step = np.abs(np.diff(rgb, axis=0)).max()
    assert step < 0.01


def test_hue_rotation_wraps_without_a_jump():
    t = np.linspace(0, 1, 100)
    np.testing.assert_allclose(palette_rgb("oil_slick", t, 0.0), palette_rgb("oil_slick", t, 1.0))


def key(**over) -> TableKey:
    base = dict(palette="oil_slick", hue=0.0, tint=(1.0, 1.0, 1.0), gain=1.0)
    base.update(over)
    return TableKey(**base)


def test_empty_space_is_black_in_rgb_and_yuv():
    tables = build_tables(key())
    zero_opacity = np.arange(T_LEVELS) * A_LEVELS
    assert tables["rgb"][zero_opacity].max() == 0
    assert set(tables["y"][zero_opacity]) == {16}
    assert set(tables["u"][zero_opacity]) == {128} and set(tables["v"][zero_opacity]) == {128}


def test_fade_to_zero_is_black_everywhere():
    tables = build_tables(key(gain=0.0))
    assert tables["rgb"].max() == 0 and tables["y"].max() == 16


def test_tint_and_brightness_are_applied():
    plain = build_tables(key())["rgb"].astype(int)
    no_red = build_tables(key(tint=(0.0, 1.0, 1.0)))["rgb"]
    assert no_red[:, 0].max() == 0 and plain[:, 0].max() > 200
    dim = build_tables(key(gain=0.5))["rgb"].astype(int)
    assert np.abs(dim - plain // 2).max() <= 1


def test_y_table_is_bt601_of_the_rgb_table():
    tables = build_tables(key(palette="cuttlefish", hue=0.3))
    rgb = tables["rgb"].astype(float) / 255
    y = 16 + 65.481 * rgb[:, 0] + 128.553 * rgb[:, 1] + 24.966 * rgb[:, 2]
    assert np.abs(tables["y"] - y).max() <= 1.0


def blob_world() -> np.ndarray:
    y, x = np.indices((N, N))
    return np.exp(-((y - 30) ** 2 + (x - 34) ** 2) / 60.0).astype(np.float32)


@pytest.mark.parametrize("size", [(N, N), (128, 128), (208, 120), (32, 32)])
def test_picture_shapes_and_i420_layout(size):
    width, height = size
    colourist = Colourist(numpy_backend(), N, 1, Look())
    picture = colourist.render(blob_world(), {"color.palette": "oil_slick"}, width, height)
    assert picture.rgb.shape == (height, width, 3) and picture.rgb.dtype == np.uint8
    assert picture.yuv.shape == (height * 3 // 2, width) and picture.yuv.dtype == np.uint8
    # Y is the luma of the RGB picture (same table entry, BT.601 limited range).
    rgb = picture.rgb.astype(float) / 255
    luma = 16 + 65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]
    assert np.abs(picture.yuv[:height].astype(float) - luma).max() <= 1.5
    # chroma planes: the mean over each 2x2 block
    u = picture.yuv[height : height + height // 4].reshape(height // 2, width // 2)
    rgb_blocks = rgb.reshape(height // 2, 2, width // 2, 2, 3)
    cb = 128 - 37.797 * rgb_blocks[..., 0] - 74.203 * rgb_blocks[..., 1] + 112 * rgb_blocks[..., 2]
    assert np.abs(u - cb.mean(axis=(1, 3))).max() <= 1.5


def test_master_fade_zero_renders_black():
    colourist = Colourist(numpy_backend(), N, 1, Look())
    picture = colourist.render(blob_world(), {"master.fade": 0.0}, N, N)
    assert picture.rgb.max() == 0
    assert set(np.unique(picture.yuv[:N])) == {16} and set(np.unique(picture.yuv[N:])) == {128}


def test_tint_parameter_reaches_the_picture():
    colourist = Colourist(numpy_backend(), N, 1, Look())
    picture = colourist.render(blob_world(), {"color.tint_r": 0.0}, N, N)
    assert picture.rgb[..., 0].max() == 0 and picture.rgb[..., 1].max() > 0


def test_no_strobe_the_normalising_maximum_releases_slowly():
    colourist = Colourist(numpy_backend(), N, 1, Look())
    world = blob_world()
    colourist.render(world, {}, N, N)
    bright = colourist.maxima[0]
    colourist.render(world * 0.5, {}, N, N)
    assert colourist.maxima[0] == pytest.approx(bright * 0.995)
