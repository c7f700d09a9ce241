"""Mix, fade, letterbox and freeze signatures on real I420 pictures."""

from __future__ import annotations

import numpy
import pytest

from perform.program.compose import (
    Fitter,
    Weights,
    black,
    changed,
    compose,
    fit,
    is_black,
    signature,
)
from perform.program.frame import ProgramFrame
from tests.program.frames import organism_stills, pattern


@pytest.fixture(scope="module")
def organism() -> numpy.ndarray:
    return organism_stills(1)[0]


def rgb(yuv: numpy.ndarray) -> numpy.ndarray:
    return ProgramFrame(yuv, 1, 0.0, "mix").to_rgb().astype(numpy.float32)


def test_full_weight_is_the_source_itself(organism):
    scope = pattern(64, 64)
    assert compose(organism, scope, Weights(1.0, 0.0), 64, 64) is organism
    assert compose(organism, scope, Weights(0.0, 1.0), 64, 64) is scope


def test_mix_is_the_rgb_crossfade(organism):
    scope = pattern(64, 64)
    half = compose(organism, scope, Weights(0.5, 0.5), 64, 64)
    expected = (rgb(organism) + rgb(scope)) / 2
    # 8-bit fixed point and chroma rounding: a few levels at most.
    assert numpy.abs(rgb(half) - expected).mean() < 2.0
    quarter = compose(organism, scope, Weights(0.75, 0.25), 64, 64)
    expected = rgb(organism) * 0.75 + rgb(scope) * 0.25
    assert numpy.abs(rgb(quarter) - expected).mean() < 2.0


def test_fade_scales_towards_black_and_zero_is_black(organism):
    scope = pattern(64, 64)
    dim = compose(None, scope, Weights(0.0, 0.5), 64, 64)
    assert numpy.abs(rgb(dim) - rgb(scope) * 0.5).mean() < 2.0
    out = compose(organism, scope, Weights(0.0, 0.0), 64, 64)
    assert is_black(out) and (out[64:] == 128).all()
    assert not is_black(organism) and not is_black(scope)


def test_a_missing_source_counts_as_black(organism):
    out = compose(organism, None, Weights(0.5, 0.5), 64, 64)
    assert numpy.abs(rgb(out) - rgb(organism) * 0.5).mean() < 2.0


@pytest.mark.parametrize(
    ("src", "dst", "box"),
    [
        ((512, 512), (1920, 1080), (420, 0, 1080, 1080)),  # pillarbox
        ((832, 480), (512, 512), (0, 108, 512, 296)),  # letterbox
        ((832, 480), (1920, 1080), (24, 0, 1872, 1080)),
        ((512, 512), (512, 512), (0, 0, 512, 512)),
    ],
)
def test_fit_keeps_aspect_at_even_offsets(src, dst, box):
    assert fit(*src, *dst) == box
    assert all(v % 2 == 0 for v in box)


def test_letterbox_puts_the_picture_in_black_bars():
    scope = pattern(832, 480)
    out = Fitter(512, 512)(scope)
    assert out.shape == (768, 512)
    y = out[:512]
    assert (y[:108] == 16).all() and (y[108 + 296 :] == 16).all()
    assert y[108 : 108 + 296].mean() > 60
    # The picture is the source, scaled: compare with a plain resize of its RGB.
    got = ProgramFrame(out, 1, 0.0, "scope").to_rgb()[108 + 4 : 108 + 292]
    want = ProgramFrame(Fitter(512, 296)(scope), 1, 0.0, "scope").to_rgb()[4:292]
    assert numpy.abs(got.astype(int) - want.astype(int)).mean() < 3


def test_pillarbox_from_512_square_to_1080p():
    out = Fitter(1920, 1080)(pattern(512, 512))
    frame = ProgramFrame(out, 1, 0.0, "scope")
    assert (frame.width, frame.height) == (1920, 1080)
    y, u, v = frame.planes()
    assert (y[:, :420] == 16).all() and (y[:, 1500:] == 16).all()
    assert (u[:, :210] == 128).all() and (v[:, 750:] == 128).all()
    assert y[:, 420:1500].mean() > 60


def test_same_size_is_not_copied():
    pic = pattern(64, 64)
    assert Fitter(64, 64)(pic) is pic


def test_signature_sees_motion_not_repeats():
    a, b = organism_stills(2)
    assert not changed(signature(a), signature(a.copy()))
    assert changed(signature(a), signature(b))
    assert changed(None, signature(a))
    assert not changed(signature(black(64, 64)), signature(black(64, 64)))


def test_thumbnail_is_small_and_shows_the_same_picture():
    full = ProgramFrame(Fitter(1920, 1080)(pattern(512, 512)), 1, 0.0, "scope")
    thumb = full.thumbnail(320)
    assert thumb.shape[1] <= 320 and thumb.shape[2] == 3
    step = 1920 // thumb.shape[1]
    reference = full.to_rgb()[::step, ::step][: thumb.shape[0], : thumb.shape[1]]
    assert numpy.abs(thumb.astype(int) - reference.astype(int)).mean() < 4
    small = ProgramFrame(pattern(64, 64), 1, 0.0, "scope")
    assert (small.thumbnail(320) == small.to_rgb()).all()
