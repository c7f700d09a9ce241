"""The Numba kernels (engines/cpu.py) against the NumPy code they replace: same maths,
same pictures (the NumPy code runs until they are loaded, and is the reference here);
and nothing waits for them: frames come while they load, and a failed load leaves the
NumPy code running with the reason said once."""

from __future__ import annotations

import copy
import logging
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

from engines import Organism, cpu, get_preset, numpy_backend, preset_values
from engines.flow import FLOWS, Flow
from engines.gray_scott import GrayScott
from tests.engines.helpers import COMPILE_S, HAS_NUMBA, fresh_loader


def gray_scott(n: int) -> GrayScott:
    engine = GrayScott.__new__(GrayScott)
    engine.xp, engine.world = np, n
    engine.allocate()
    rng = np.random.default_rng(n)
    engine.u[...] = rng.random((n, n), dtype=np.float32)
    engine.v[...] = rng.random((n, n), dtype=np.float32) * 0.4
    return engine


slow = [pytest.mark.slow, pytest.mark.timeout(COMPILE_S + 120)]


@pytest.mark.parametrize("n", [16, 80, 128])  # one block, a short last block, whole blocks
@pytest.mark.usefixtures("kernels")
@slow[0]
@slow[1]
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


@pytest.mark.parametrize("rings", [1, 2, 3])
@pytest.mark.usefixtures("kernels")
@slow[0]
@slow[1]
def test_the_fused_mnca_rule_is_the_numpy_one(monkeypatch, rings):
    params = {**preset_values("mnca_mitosis"), "mnca.rings": rings}
    fused, reference = (
        Organism(numpy_backend(), "mnca", 96, 1, get_preset("mnca_mitosis").seed, params=params)
        for _ in range(2)
    )
    for organism in (fused, reference):
        organism.engine.sync_structure(params)
    start = fused.engine.a.copy()
    kernels = cpu._kernels
    for _ in range(5):
        monkeypatch.setattr(cpu, "_kernels", None)
        reference.engine.advance(params)
        monkeypatch.setattr(cpu, "_kernels", kernels)
        fused.engine.advance(params)
    assert fused.engine.structure.shape[0] == rings
    assert np.abs(fused.engine.a - start).mean() > 0.01  # the rule moved the world
    np.testing.assert_array_equal(fused.engine.a, reference.engine.a)  # same float32 sums


@pytest.mark.usefixtures("kernels")
@slow[0]
@slow[1]
def test_the_fused_vitals_are_the_numpy_ones(monkeypatch):
    params = preset_values("coral")
    fused, reference = (
        Organism(numpy_backend(), "lenia", 96, 1, get_preset("coral").seed, params=params)
        for _ in range(2)
    )
    kernels = cpu._kernels
    for step in range(3):
        for organism in (fused, reference):
            organism.step(params)
        # cells exactly at the threshold are not alive, in both (float32 0.05)
        fused.engine.a[:2] = reference.engine.a[:2] = np.float32(0.05)
        monkeypatch.setattr(cpu, "_kernels", None)
        expected = [float(v) for v in reference._measure()]
        monkeypatch.setattr(cpu, "_kernels", kernels)
        got = fused._measure()
        assert isinstance(got, tuple)  # the kernel ran, not the NumPy code
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
        if step:  # the change since the last call, then the state kept for the next
            assert got[2] > 1e-4
        np.testing.assert_array_equal(fused._last_state, fused.engine.a)


@pytest.mark.usefixtures("kernels")
@slow[0]
@slow[1]
def test_the_fused_advection_is_the_numpy_one(monkeypatch):
    n = 96
    strengths = (0.3, -0.6, 0.4, 0.5, 0.2, 0.7, -0.3)
    params = {f"flow.{k}": s for k, s in zip(FLOWS, strengths, strict=True)}
    rng = np.random.default_rng(3)
    field = rng.random((n, n), dtype=np.float32)
    fused, reference = Flow(numpy_backend(), n, 0.5), Flow(numpy_backend(), n, 0.5)
    fused.set(params)
    reference.set(params)
    a, b = field.copy(), field.copy()
    kernels = cpu._kernels
    for _ in range(4):
        monkeypatch.setattr(cpu, "_kernels", None)
        reference.advect([b])
        monkeypatch.setattr(cpu, "_kernels", kernels)
        fused.advect([a])
    assert reference._index and not fused._index  # each took its own path
    assert np.abs(a - field).mean() > 0.05  # the flow moved the field
    np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("preset", ["coral", "sl_worms", "mnca_coral"])  # Lenia, SmoothLife, MNCA
@pytest.mark.usefixtures("kernels")
@slow[0]
@slow[1]
def test_the_fused_perturbation_is_the_numpy_one(monkeypatch, preset):
    """Containment, stir and both noises of a living organism, from one state, three steps
    on the kernel and three on the NumPy code (the same noise windows drawn)."""
    params = {"master.fade": 1.0, **preset_values(preset)}
    spec = get_preset(preset)
    kernels = cpu._kernels
    monkeypatch.setattr(cpu, "_kernels", None)
    organism = Organism(
        numpy_backend(), spec.engine, 96, 1, spec.seed, params=params, background=False
    )
    organism.warm(params, 20)
    support, a = organism.support, organism.engine.fields()[0]
    start = (a.copy(), support._prev.copy(), copy.deepcopy(support.rng), support.phase)

    def three_steps() -> np.ndarray:
        a[...], support._prev[...] = start[0], start[1]
        support.rng, support.phase = copy.deepcopy(start[2]), start[3]
        for _ in range(3):
            support.after_step(params)
        return a.copy()

    reference = three_steps()
    monkeypatch.setattr(cpu, "_kernels", kernels)
    fused = three_steps()
    assert (reference > 0.03).mean() > 0.01  # a living field
    assert np.abs(reference - start[0]).max() > 1e-3  # the perturbation moved it
    np.testing.assert_allclose(fused, reference, atol=1e-6)
    np.testing.assert_allclose(support._prev, reference, atol=1e-6)


def pictures(preset: str, size: tuple[int, int], frames: int) -> list:
    """``frames`` pictures of ``preset``'s organism (128^2 world) after 30 warm steps, at
    the stream ``size``, on whichever path ``cpu.ready()`` picks. The structure is built
    in the stepping thread (no background build), so the series is reproducible."""
    width, height = size
    params = {"master.fade": 1.0, **preset_values(preset)}
    spec = get_preset(preset)
    organism = Organism(
        numpy_backend(), spec.engine, 128, 1, spec.seed, params=params, background=False
    )
    organism.warm(params, 30)
    out = []
    for _ in range(frames):
        organism.step(params)
        out.append(organism.render(params, width, height))
    return out


def assert_same_look(got: list, want: list) -> None:
    for fused, reference in zip(got, want, strict=True):
        assert fused.rgb.shape == reference.rgb.shape
        assert fused.yuv.shape == reference.yuv.shape
        for a, b in ((fused.rgb, reference.rgb), (fused.yuv, reference.yuv)):
            diff = np.abs(a.astype(int) - b.astype(int))
            # float rounding may move a pixel's index across a table step (one colour
            # level: a few units of 255 where the palette is steep), rarely
            assert diff.max() <= 16 and (diff > 0).mean() < 0.01 and diff.mean() < 0.05
        assert (reference.rgb.max(axis=-1) > 40).mean() > 0.01  # lit: a picture, not black


@pytest.mark.parametrize(
    ("preset", "size"),
    [("coral", (128, 128)), ("medusa", (96, 64)), ("labyrinth", (128, 128))],
)
@pytest.mark.usefixtures("kernels")
@slow[0]
@slow[1]
def test_fused_kernels_draw_the_numpy_picture(monkeypatch, preset, size):
    """Gray-Scott steps, flows, signals, glow, LUT and I420 at the world size and at a
    cropped stream size: the whole organism on the kernels against the NumPy code."""
    fused = pictures(preset, size, 3)
    assert cpu.ready()
    monkeypatch.setattr(cpu, "_kernels", None)  # the engines' NumPy code
    assert not cpu.ready()
    reference = pictures(preset, size, 3)
    assert_same_look(fused, reference)


@pytest.mark.usefixtures("kernels")
@slow[0]
@slow[1]
def test_the_loader_compiles_every_kernel_and_then_refuses_new_types():
    """A show never compiles on its hot path: every kernel was compiled by the loader, and
    a call with argument types the loader did not prepare raises instead of compiling."""
    from numba.core.errors import TypingError

    for name in cpu.KERNELS:
        assert getattr(cpu._kernels, name).signatures, f"{name} was not compiled"
    f64 = np.zeros((8, 8))
    with pytest.raises((TypeError, TypingError)):
        cpu._kernels.pool4(f64, np.zeros((2, 2)))


def test_frames_come_while_the_kernels_load(monkeypatch):
    """The drill for the reverted merge's fault: the first frames of a show (and of every
    test) waited for Numba's compile. Here the loader is held half way (Numba imported,
    nothing compiled) while an organism steps and renders: its frames come, on the NumPy
    code; once the loader is let go the same organism goes on, on the kernels."""
    if not HAS_NUMBA:
        pytest.skip("Numba is not installed")
    fresh_loader(monkeypatch)
    gate, held = threading.Event(), threading.Event()
    real = cpu._warm_calls

    def gated(module):
        held.set()
        gate.wait()
        return real(module)

    monkeypatch.setattr(cpu, "_warm_calls", gated)
    params = {"master.fade": 1.0, **preset_values("coral")}
    spec = get_preset("coral")
    organism = Organism(numpy_backend(), spec.engine, 64, 1, spec.seed, params=params)
    try:
        for _ in range(5):
            organism.step(params)
            picture = organism.render(params, 64, 64)
            assert not cpu.ready() and cpu.reason() is None  # loading, not failed
        assert cpu._thread is not None and cpu._thread.is_alive()
        assert held.wait(COMPILE_S)
        assert (picture.rgb.max(axis=-1) > 40).mean() > 0.01  # NumPy frames, lit
    finally:
        gate.set()
    assert cpu.wait(COMPILE_S), cpu.reason()
    organism.step(params)
    assert (organism.render(params, 64, 64).rgb.max(axis=-1) > 40).mean() > 0.01


def test_a_failed_load_leaves_the_numpy_code_running_and_says_why_once(monkeypatch, caplog):
    """The kernels' module broken (here: its import fails): every frame on the NumPy code, the same
    frames as with ``PERFORM_NUMBA=0``, and one warning naming the reason."""
    reference = pictures("coral", (128, 128), 2)  # PERFORM_NUMBA=0 (tests/conftest.py)
    fresh_loader(monkeypatch)
    # the kernels' import raises ImportError (Numba itself is found)
    monkeypatch.setitem(sys.modules, "engines._cpu_kernels", None)
    with caplog.at_level(logging.WARNING, logger="engines.cpu"):
        broken = pictures("coral", (128, 128), 2)
        assert not cpu.wait(COMPILE_S)
        assert not any(cpu.ready() for _ in range(3))  # asking again starts nothing more
    assert "import of engines._cpu_kernels halted" in (cpu.reason() or "")
    said = [r for r in caplog.records if r.name == "engines.cpu"]
    assert len(said) == 1 and "NumPy" in said[0].getMessage()
    for got, want in zip(broken, reference, strict=True):
        np.testing.assert_array_equal(got.rgb, want.rgb)
        np.testing.assert_array_equal(got.yuv, want.yuv)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_no_writable_cache_folder_leaves_the_numpy_code_running(tmp_path):
    """A read-only installation: no ``__pycache__`` next to the kernels, no NUMBA_CACHE_DIR
    and no user cache folder Numba can write. The loader fails (Numba refuses to cache),
    the engines run NumPy and the log names the reason; the process exits cleanly."""
    if not HAS_NUMBA:
        pytest.skip("Numba is not installed")
    here = Path(__file__).resolve().parents[2]
    tree = tmp_path / "tree"
    shutil.copytree(
        here / "engines", tree / "engines", ignore=shutil.ignore_patterns("__pycache__")
    )
    (tree / "engines" / "__pycache__").write_text("not a folder")  # root can write anywhere
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, so nothing can be made beneath it")
    script = textwrap.dedent(
        """
        import logging, sys
        logging.basicConfig(level=logging.WARNING, format="%(name)s %(message)s")
        from engines import Organism, cpu, get_preset, numpy_backend, preset_values
        params = {"master.fade": 1.0, **preset_values("coral")}
        spec = get_preset("coral")
        organism = Organism(numpy_backend(), spec.engine, 64, 1, spec.seed, params=params)
        organism.step(params)
        loaded = cpu.wait(240)
        organism.step(params)
        picture = organism.render(params, 64, 64)
        print("loaded", loaded, "lit", (picture.rgb.max(axis=-1) > 40).mean() > 0.01)
        """
    )
    env = {
        **os.environ,
        "PERFORM_NUMBA": "1",
        "PYTHONPATH": str(tree),
        "PYTHONDONTWRITEBYTECODE": "1",
        "NUMBA_CACHE_DIR": str(blocker / "numba"),
        "XDG_CACHE_HOME": str(blocker / "cache"),
        "HOME": str(blocker / "home"),
    }
    done = subprocess.run(
        [sys.executable, "-P", "-c", script], env=env, capture_output=True, text=True, timeout=280
    )
    assert done.returncode == 0, done.stderr
    assert "loaded False lit True" in done.stdout
    said = [line for line in done.stderr.splitlines() if line.startswith("engines.cpu ")]
    assert len(said) == 1 and "cannot cache" in said[0] and "NumPy" in said[0], done.stderr
