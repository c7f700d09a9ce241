"""``perform render``: PNG stills and sheets (read back with PyAV), video clips, errors;
and the engines bench measures what it says (no speed is asserted here)."""

from __future__ import annotations

import av
import numpy as np
import pytest

from perform.cli import main


def read_png(path) -> np.ndarray:
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24")


def test_a_still_at_the_stream_size(tmp_path, capsys):
    out = tmp_path / "coral.png"
    assert main(["render", "coral", str(out), "--world", "64", "--size", "208x112",
                 "--seconds", "1"]) == 0  # fmt: skip
    image = read_png(out)
    assert image.shape == (112, 208, 3) and image.any()
    assert "wrote" in capsys.readouterr().err


def test_a_contact_sheet(tmp_path):
    out = tmp_path / "sheet.png"
    assert main(["render", "medusa", str(out), "--world", "64", "--size", "64x64",
                 "--sheet", "3", "--every", "0.5"]) == 0  # fmt: skip
    assert read_png(out).shape == (64, 3 * 64 + 2 * 2, 3)


def test_a_clip(tmp_path):
    out = tmp_path / "clip.mp4"
    assert main(["render", "spiral", str(out), "--world", "64", "--size", "64x64",
                 "--seconds", "0.5", "--fps", "10"]) == 0  # fmt: skip
    with av.open(str(out)) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == 5 and frames[0].width == 64


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["render", "corral", "x.png"], "did you mean 'coral'"),
        (["render", "coral", "x.gif"], "write a .png"),
        (["render", "coral", "x.png", "--size", "big"], "expected WIDTHxHEIGHT"),
    ],
)
def test_mistakes_are_clean_errors(tmp_path, capsys, argv, message):
    argv = [*argv[:2], str(tmp_path / argv[2]), *argv[3:]]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_the_engines_bench_measures_steps_frames_and_the_ratio():
    from perform.bench import engines as bench

    result = bench.measure("coral", 64, "numpy", windows=1, seconds=0.05)
    assert result.metrics["steps_per_s"] > 0 and result.metrics["frames_per_s"] > 0
    assert result.params == {"engine": "lenia", "world": 64, "backend": "numpy"}
    assert "x_proto" not in result.metrics  # the prototype was measured at 512 and 1024 only
    assert bench.NAME == "engines" and callable(bench.run)


def test_the_i420_planes_are_what_pyav_expects():
    """The stream wraps Frame.yuv420p with PyAV: decoding it back gives the RGB picture
    (up to 4:2:0 chroma subsampling at colourful edges)."""
    from engines import numpy_backend
    from perform.render import offline

    *_, still = offline.frames(
        "tide_pool", numpy_backend(), world=128, width=128, height=96, fps=10, seconds=0.2,
        warmup=2,
    )  # fmt: skip
    frame = av.VideoFrame.from_ndarray(still.yuv, format="yuv420p")
    back = frame.to_ndarray(format="rgb24").astype(float)
    assert back.shape == still.rgb.shape

    def blocks(image: np.ndarray) -> np.ndarray:  # 2x2 means: what 4:2:0 chroma keeps
        return image.reshape(48, 2, 64, 2, 3).mean(axis=(1, 3))

    assert np.abs(blocks(back) - blocks(still.rgb.astype(float))).mean() < 4.0
    assert still.rgb.mean() > 5  # a picture, not black


def test_the_side_by_side_bench_times_both_trees_and_compares_their_frames(tmp_path, monkeypatch):
    """``bench engines --against``: two worker processes, one per tree, interleaved. Against
    itself the frames are identical; against a tree whose palette differs they are not
    (the look check can fail)."""
    import shutil

    # The workers inherit it: NumPy code on both sides, so the copied tree below need not
    # compile its own Numba kernels (tens of seconds on a busy machine).
    monkeypatch.setenv("PERFORM_NUMBA", "0")
    from pathlib import Path

    from perform.bench import engines as bench

    here = Path(__file__).resolve().parents[2]
    (same,) = bench.side_by_side(str(here), (("tide_pool", 128),), rounds=1, seconds=0.05)
    m = same.metrics
    assert m["a_frames_per_s"] > 0 and m["b_frames_per_s"] > 0 and m["x_steps"] > 0
    assert m["look_mad"] == 0.0 and m["a_luma"] == m["b_luma"] > 1.0
    assert same.params["world"] == 128 and "side by side" in same.note
    assert same.params["a_kernels"] == same.params["b_kernels"] == "off (PERFORM_NUMBA=0)"

    other = tmp_path / "other"
    ignore = shutil.ignore_patterns("__pycache__")
    for part in ("engines", "perform"):
        shutil.copytree(here / part, other / part, ignore=ignore)
    palette = other / "engines" / "palette.py"
    text = palette.read_text(encoding="utf-8")
    palette.write_text(text.replace("OPACITY_GAMMA = 0.85", "OPACITY_GAMMA = 0.4"))
    (changed,) = bench.side_by_side(str(other), (("tide_pool", 128),), rounds=1, seconds=0.05)
    assert changed.metrics["look_mad"] > 1.0
    assert changed.metrics["a_luma"] > changed.metrics["b_luma"]


def test_the_side_by_side_bench_refuses_a_path_that_is_no_checkout(tmp_path):
    from perform.bench import engines as bench
    from perform.errors import PerformError

    with pytest.raises(PerformError, match=r"--against .*engines/__init__.py is missing"):
        bench.side_by_side(str(tmp_path), (("coral", 64),), rounds=1, seconds=0.05)
