"""Engines: sim steps/s and full-organism frames/s per preset, vs the prototype.

For each preset the prototype measured (ca-prototype.md section 7.2) at 512 and 1024:

* ``steps_per_s``: the rule alone (``engine.advance``), like the prototype's
  "engine-only" column;
* ``frames_per_s``: the whole organism at one step per frame, like its "sim+color"
  column: step + flows + containment/stir + regulation + colour (RGB *and* I420 at the
  world size) + the device->host copy;
* ``x_proto``: ``frames_per_s`` / the prototype's sim+color FPS for the same preset and
  size (targets: >= 2 at 512, >= 3 at 1024 on a 2-core machine). The prototype's
  figures were recorded in another run on another machine of the same kind, so every
  row that shows one says so in its note; only a side-by-side run compares honestly.

Each figure is the best of several timing windows after a warm-up (other jobs on a
shared machine only ever slow a window down); the machine's load is in the JSON record.
Runs on NumPy, and on CuPy too when a GPU works.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

from perform.bench.common import Result

NAME = "engines"
HELP = "per preset: sim steps/s and full-organism frames/s at 512 and 1024, vs the prototype"

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
        metrics["proto_fps"] = proto
        metrics["x_proto"] = frames / proto
        metrics["x_proto_steps"] = steps / PROTOTYPE_STEPS[(preset, world)]
    return Result(
        NAME,
        preset,
        metrics,
        {"engine": spec.engine, "world": world, "backend": backend.name},
        note=(f"load {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "")
        + ("; x_proto: against figures recorded in another run" if proto else ""),
    )


def run(options: argparse.Namespace) -> list[Result]:
    from engines.xp import _cupy_problem

    quick = bool(getattr(options, "quick", False))
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
