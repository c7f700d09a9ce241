"""Engines: sim steps/s and full-organism frames/s per preset, and side by side against
another checkout.

For each preset the prototype measured (ca-prototype.md section 7.2) at 512 and 1024:

* ``steps_per_s``: the rule alone (``engine.advance``), like the prototype's
  "engine-only" column;
* ``frames_per_s``: the whole organism at one step per frame, like its "sim+color"
  column: step + flows + containment/stir + regulation + colour (RGB *and* I420 at the
  world size) + the device->host copy;
* ``x_recorded_proto``: ``frames_per_s`` / the prototype's sim+color FPS *as recorded in
  another run* on another machine of the same kind (its name and every row's note say
  so). It is a hint, not a comparison: only a side-by-side run compares honestly.

``--against PATH`` is that side-by-side run: PATH is another checkout of this project
(today's main in a worktree, say). Its organism and this tree's run in two worker
processes (``engines_worker.py``: same interpreter, libraries and settings, each importing
its own tree's ``engines``), timed in alternating windows (A, B, A, B ...) so the load
of a shared machine falls on both alike. Per case: frames/s and steps/s of both, their
ratios (best window of each, and the median of the per-round ratios), the load average,
and a look check: both trees' RGB frame after the same warm-up and frames from the same
seed, as the mean absolute difference in 0..255 (``look_mad``) and both mean
luminances (chaotic rules drift apart from float rounding alone; the means show whether
the picture is still the same kind of picture).

Each figure is the best of several timing windows after a warm-up (other jobs on a
shared machine only ever slow a window down); the machine's load is in the JSON record.
Runs on NumPy, and on CuPy too when a GPU works.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from perform.bench.common import Result
from perform.errors import PerformError

NAME = "engines"
HELP = (
    "per preset: sim steps/s and full-organism frames/s at 512 and 1024; with --against PATH, "
    "side by side with another checkout"
)

#: The prototype's "sim+color FPS (uint8)" (ca-prototype.md section 7.2), same kind of
#: 2-core machine, one engine step per frame.
PROTOTYPE_FPS: dict[tuple[str, int], float] = {
    ("coral", 1024): 6.7,
    ("coral", 512): 30.3,
    ("tide_pool", 1024): 6.5,
    ("tide_pool", 512): 27.7,
    ("sl_gliders", 1024): 4.7,
    ("sl_gliders", 512): 22.2,
    ("sl_pulse", 1024): 4.7,
    ("sl_pulse", 512): 21.0,
    ("mnca_mitosis", 1024): 6.8,
    ("mnca_mitosis", 512): 30.8,
    ("mnca_soliton", 1024): 7.1,
    ("mnca_soliton", 512): 35.4,
    ("medusa", 1024): 5.4,
    ("medusa", 512): 23.2,
    ("labyrinth", 1024): 5.9,
    ("labyrinth", 512): 27.1,
}
#: The prototype's engine-only steps/s, for the same cases.
PROTOTYPE_STEPS: dict[tuple[str, int], float] = {
    ("coral", 1024): 65, ("coral", 512): 350, ("tide_pool", 1024): 62, ("tide_pool", 512): 338,
    ("sl_gliders", 1024): 30, ("sl_gliders", 512): 162, ("sl_pulse", 1024): 30,
    ("sl_pulse", 512): 161, ("mnca_mitosis", 1024): 36, ("mnca_mitosis", 512): 162,
    ("mnca_soliton", 1024): 39, ("mnca_soliton", 512): 229, ("medusa", 1024): 39,
    ("medusa", 512): 178, ("labyrinth", 1024): 39, ("labyrinth", 512): 187,
}  # fmt: skip
#: Presets of the engines the prototype never ran, measured for completeness.
EXTRA = ("classic_life", "spiral", "whirlpool")


def _best_rate(
    fn: Callable[[], None], windows: int, seconds: float, sync: Callable[[], None]
) -> float:
    """Calls per second: the best of ``windows`` windows of about ``seconds`` each."""
    best = 0.0
    for _ in range(windows):
        count = 0
        sync()
        t0 = time.perf_counter()
        while True:
            fn()
            count += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= seconds and count >= 3:
                break
        sync()
        best = max(best, count / (time.perf_counter() - t0))
    return best


def full_frame(organism: Any, params: dict[str, Any], world: int) -> None:
    """One frame as a show makes it: step, regulation, colour at the world size, and the
    device->host copy (one packed transfer on CuPy)."""
    backend = organism.backend
    organism.step(params)
    organism.regulate(params)
    picture = organism.render(params, world, world)
    if picture.packed is not None:
        backend.to_host_many(picture.packed, [(0, picture.packed.shape)])
    else:
        backend.to_host(picture.rgb)
        backend.to_host(picture.yuv)


def measure(preset: str, world: int, backend_name: str, windows: int, seconds: float) -> Result:
    from engines import Organism, get_preset, preset_values, select_backend

    backend = select_backend(backend_name)  # type: ignore[arg-type]
    kernels = ""
    if not backend.is_gpu:  # timed on the fused kernels, loaded before any window
        from engines import cpu

        loaded = cpu.wait(900.0)
        kernels = "; fused CPU kernels" if loaded else f"; NumPy code ({cpu.reason()})"
    spec = get_preset(preset)
    params = {"master.fade": 1.0, **preset_values(preset)}
    organism = Organism(backend, spec.engine, world, 1, spec.seed, params=params, background=False)
    organism.warm(params, 60)

    def step_only() -> None:
        organism.engine.advance(params)

    def frame() -> None:
        full_frame(organism, params, world)

    for _ in range(10):
        frame()
    sync = backend.synchronize
    steps = _best_rate(step_only, windows, seconds, sync)
    frames = _best_rate(frame, windows, seconds, sync)
    metrics = {"steps_per_s": steps, "frames_per_s": frames}
    proto = PROTOTYPE_FPS.get((preset, world))
    if proto and backend.name == "numpy":
        metrics["recorded_proto_fps"] = proto
        metrics["x_recorded_proto"] = frames / proto
        metrics["x_recorded_proto_steps"] = steps / PROTOTYPE_STEPS[(preset, world)]
    return Result(
        NAME,
        preset,
        metrics,
        {"engine": spec.engine, "world": world, "backend": backend.name},
        note=f"load {_load():.2f}"
        + kernels
        + ("; x_recorded_proto: against figures recorded in another run" if proto else ""),
    )


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0


#: Cases of the side-by-side run: every Gray-Scott preset and coral at 512 and 1024, and
#: the other engines' presets at 1024 (the two paths issue 15 asks to speed up).
GRAY_SCOTT = ("medusa", "labyrinth", "reef", "deep_sea", "tentacles")
AB_CASES: tuple[tuple[str, int], ...] = (
    *((p, w) for w in (512, 1024) for p in (*GRAY_SCOTT, "coral")),
    *((p, 1024) for p in ("tide_pool", "sl_gliders", "sl_pulse", "mnca_mitosis")),
    ("mnca_soliton", 1024),
)
WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "engines_worker.py")
LOOK_FRAMES = 30
"""Frames after the warm-up before the look check's frame is taken."""


class Side:
    """One tree's worker process (see ``engines_worker.py``)."""

    def __init__(self, label: str, tree: str) -> None:
        self.label, self.tree = label, tree
        env = {**os.environ, "PYTHONPATH": tree}
        self.process = subprocess.Popen(
            [sys.executable, "-P", WORKER],
            cwd=tree,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def ask(self, **command: Any) -> dict[str, Any]:
        process = self.process
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps(command) + "\n")
        process.stdin.flush()
        line = process.stdout.readline()
        if not line:
            process.wait(timeout=10)
            why = process.stderr.read() if process.stderr else ""
            raise PerformError(f"the engines worker of {self.tree} failed: {why.strip()[-2000:]}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(PerformError, OSError, ValueError):
                self.ask(op="quit")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def check_tree(path: str) -> str:
    """``path`` as an absolute checkout of this project, or a clear error naming it."""
    tree = os.path.abspath(os.path.expanduser(path))
    for part in ("engines/__init__.py", "perform/bench/engines.py"):
        if not os.path.isfile(os.path.join(tree, part)):
            raise PerformError(
                f"--against {path}: not a checkout of this project ({part} is missing there)"
            )
    return tree


def side_by_side(
    against: str, cases: tuple[tuple[str, int], ...], rounds: int, seconds: float
) -> list[Result]:
    """Interleaved A/B: ``against`` (A) and this tree (B), per case (module docstring)."""
    import numpy

    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sides = (Side("A", check_tree(against)), Side("B", here))
    results = []
    try:
        kernels = {side.label: side.ask(op="kernels") for side in sides}  # before any window
        with tempfile.TemporaryDirectory(prefix="perform-ab-") as tmp:
            for preset, world in cases:
                rates: dict[tuple[str, str], list[float]] = {}
                loads = []
                for what in ("frames", "steps"):
                    for _ in range(rounds):
                        for side in sides:
                            answer = side.ask(
                                op="rate", preset=preset, world=world, what=what, seconds=seconds
                            )
                            rates.setdefault((side.label, what), []).append(float(answer["rate"]))
                        loads.append(_load())
                frames = []
                for side in sides:
                    path = os.path.join(tmp, f"{side.label}-{preset}-{world}.npy")
                    side.ask(op="frame", preset=preset, world=world, frames=LOOK_FRAMES, path=path)
                    frames.append(numpy.load(path).astype(numpy.float32))
                result = _ab_result(preset, world, rates, loads, frames, against)
                for label, state in kernels.items():
                    result.params[f"{label.lower()}_kernels"] = _kernel_state(state)
                results.append(result)
    finally:
        for side in sides:
            side.close()
    return results


def _kernel_state(state: dict[str, Any]) -> str:
    """``loaded``, or why a side ran its NumPy code."""
    if state.get("loaded"):
        return "loaded"
    return f"off ({state.get('reason')})"


def _ab_result(
    preset: str,
    world: int,
    rates: dict[tuple[str, str], list[float]],
    loads: list[float],
    frames: list[Any],
    against: str,
) -> Result:
    metrics: dict[str, float] = {}
    for what in ("frames", "steps"):
        a, b = rates[("A", what)], rates[("B", what)]
        metrics[f"a_{what}_per_s"] = max(a)
        metrics[f"b_{what}_per_s"] = max(b)
        metrics[f"x_{what}"] = max(b) / max(a)
        metrics[f"x_{what}_median"] = statistics.median(y / x for x, y in zip(a, b, strict=True))
    weights = (0.2126, 0.7152, 0.0722)
    luma = [float((f * weights).sum(axis=-1).mean()) for f in frames]
    metrics["look_mad"] = float(abs(frames[0] - frames[1]).mean())
    metrics["a_luma"], metrics["b_luma"] = luma
    metrics["load_min"], metrics["load_max"] = min(loads), max(loads)
    return Result(
        NAME,
        f"{preset} A/B",
        metrics,
        {"world": world, "a": against, "b": "this tree"},
        note="side by side in one run, interleaved windows",
    )


def run(options: argparse.Namespace) -> list[Result]:
    from engines.xp import _cupy_problem

    quick = bool(getattr(options, "quick", False))
    against = getattr(options, "against", None)
    if against:
        pairs = AB_CASES[::4] if quick else AB_CASES
        return side_by_side(against, pairs, 2 if quick else 4, 0.3 if quick else 1.0)
    windows, seconds = (2, 0.5) if quick else (3, 1.5)
    sizes = (512,) if quick else (512, 1024)
    backends = ["numpy"]
    if _cupy_problem()[0] is not None:
        backends.append("cupy")
    presets = list(dict.fromkeys(key for key, _ in PROTOTYPE_FPS))
    if quick:
        presets = presets[::2]
    cases = (*presets, *(() if quick else EXTRA))
    if getattr(options, "all", False):
        from engines import presets as all_presets

        cases = tuple(all_presets())
    results = []
    for backend in backends:
        for world in sizes:
            for preset in cases:
                results.append(measure(preset, world, backend, windows, seconds))
    return results
