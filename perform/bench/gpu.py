"""GPU: the CuPy organism against DESIGN.md's GPU budgets (1024² on one H200-class GPU).

* ``lenia_steps_per_s``: the Lenia rule alone (``engine.advance``), launched from Python
  as the engine thread does (budget >= 10 000);
* ``graph_steps_per_s``: the same steps replayed from a captured CUDA graph, i.e. what the
  device itself sustains once Python's launch overhead is gone (bandwidth-bound ceiling
  about 115 000);
* ``frames_per_s``: the whole organism per frame, as a show runs it: step (rule, flows,
  containment, stir) + regulation + colour (RGB and I420) + the one device->host copy
  (budget >= 2000);
* ``*_ms``: where a frame's time goes (each phase synchronised on its own, so the sum is a
  little more than a frame);
* ``copy_gb_per_s``: a device-to-device copy (bytes read + written), the bandwidth ceiling
  the other figures are judged against.

No GPU, no figures: the suite then returns one row saying why. It imports nothing outside
``engines`` and the standard library, so ``python -m perform.bench.gpu`` runs on a GPU
machine that has only NumPy, SciPy and CuPy.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from perform.bench.common import Result
from perform.bench.engines import full_frame

NAME = "gpu"
HELP = "CuPy organism at 1024²: Lenia steps/s, graph-replayed steps/s, full frames/s"

#: One preset per engine.
CASES = (
    "coral",
    "sl_gliders",
    "mnca_soliton",
    "labyrinth",
    "classic_life",
    "spiral",
    "whirlpool",
)


def _rate(fn: Callable[[], object], sync: Callable[[], None], seconds: float) -> float:
    """Calls per second over at least ``seconds`` (best of three windows)."""
    best = 0.0
    for _ in range(3):
        sync()
        count, t0 = 0, time.perf_counter()
        while True:
            fn()
            count += 1
            if count % 16 == 0:
                sync()
                elapsed = time.perf_counter() - t0
                if elapsed >= seconds:
                    break
        best = max(best, count / elapsed)
    return best


def _replays_per_s(graph: Any, stream: Any, seconds: float) -> float:
    """Replays per second of a captured graph (best of three windows of ``seconds``)."""
    best = 0.0
    for _ in range(3):
        replays, t0 = 0, time.perf_counter()
        while True:
            graph.launch(stream)
            replays += 1
            if replays % 4 == 0:
                stream.synchronize()
                elapsed = time.perf_counter() - t0
                if elapsed >= seconds:
                    break
        best = max(best, replays / elapsed)
    return best


def _graph_rate(organism: Any, params: dict[str, Any], steps: int, seconds: float) -> Any:
    """Capture ``steps`` rule steps into a CUDA graph and time its replays.

    Returns (steps/s, max |graph - eager| after the same steps from the same state), or
    raises what the capture raised.
    """
    import cupy

    engine = organism.engine
    stream = cupy.cuda.Stream(non_blocking=True)
    with stream:
        for _ in range(4):  # plans and pool blocks for this stream, outside the capture
            engine.advance(params)
        stream.synchronize()
        fields = engine.fields() or [engine.measured()]
        before = [f.copy() for f in fields]
        for _ in range(steps):
            engine.advance(params)
        eager = [f.copy() for f in fields]
        for f, b in zip(fields, before, strict=True):
            f[...] = b
        stream.synchronize()
        stream.begin_capture()
        for _ in range(steps):
            engine.advance(params)
        graph = stream.end_capture()
        graph.launch(stream)
        stream.synchronize()
        error = max(float(cupy.abs(f - e).max()) for f, e in zip(fields, eager, strict=True))
    return _replays_per_s(graph, stream, seconds) * steps, error


def _graph_frames(organism: Any, params: dict[str, Any], world: int, seconds: float) -> float:
    """Device time of whole frames: step (rule, flows, containment, stir) and colour
    (RGB + I420) of 8 frames captured into one CUDA graph, replayed. This is what the
    organism costs the GPU it shares with Scope, without the Python that launches it
    (regulation's small read-back and the host copy are timed on their own)."""
    import cupy

    frames = 8
    params = {**params, "color.drift": 0.0}  # one colour table: no table is built in capture
    stream = cupy.cuda.Stream(non_blocking=True)
    with stream:
        for _ in range(4):
            organism.step(params)
            organism.render(params, world, world)
        stream.synchronize()
        stream.begin_capture()
        for _ in range(frames):
            organism.step(params)
            organism.render(params, world, world)
        graph = stream.end_capture()
    return _replays_per_s(graph, stream, seconds) * frames


def copy_bandwidth() -> float:
    """GB/s of a 1 GiB device-to-device copy, counting bytes read plus written."""
    import cupy

    src = cupy.random.random(1 << 28, dtype=cupy.float32)
    dst = cupy.empty_like(src)
    for _ in range(3):
        dst[...] = src
    cupy.cuda.Device().synchronize()
    start, end = cupy.cuda.Event(), cupy.cuda.Event()
    start.record()
    for _ in range(10):
        dst[...] = src
    end.record()
    end.synchronize()
    ms = cupy.cuda.get_elapsed_time(start, end) / 10
    return 2 * src.nbytes / (ms / 1000) / 1e9


def measure(preset: str, world: int, seconds: float, graph: bool = True) -> Result:
    from engines import Organism, get_preset, preset_values, select_backend

    backend = select_backend("cupy")
    spec = get_preset(preset)
    params = {"master.fade": 1.0, **preset_values(preset)}
    organism = Organism(backend, spec.engine, world, 1, spec.seed, params=params, background=False)
    organism.warm(params, 60)
    sync = backend.synchronize

    def frame() -> None:
        full_frame(organism, params, world)

    for _ in range(20):
        frame()
    metrics: dict[str, float] = {
        "steps_per_s": _rate(lambda: organism.engine.advance(params), sync, seconds),
        "frames_per_s": _rate(frame, sync, seconds),
    }
    phases: dict[str, Callable[[], Any]] = {
        "step_ms": lambda: organism.step(params),
        "regulate_ms": lambda: organism.regulate(params),
        "render_ms": lambda: organism.render(params, world, world),
    }
    for key, fn in phases.items():
        metrics[key] = 1000.0 / _rate(fn, sync, seconds / 3)
    picture = organism.render(params, world, world)
    if picture.packed is not None:
        packed = picture.packed
        metrics["copy_ms"] = 1000.0 / _rate(
            lambda: backend.to_host_many(packed, [(0, packed.shape)]), sync, seconds / 3
        )
    notes = [f"fft: {organism.engine.fft.gpu_path}"] if hasattr(organism.engine, "fft") else []
    if graph:
        try:
            rate, error = _graph_rate(organism, params, 32, seconds)
            metrics["graph_steps_per_s"] = rate
            metrics["graph_max_abs_error"] = error
        except Exception as exc:  # a capture that fails is a finding, not a crash
            notes.append(f"rule graph capture failed: {type(exc).__name__}: {exc}"[:120])
        try:
            metrics["device_frames_per_s"] = _graph_frames(organism, params, world, seconds)
        except Exception as exc:
            notes.append(f"frame graph capture failed: {type(exc).__name__}: {exc}"[:120])
    note = "; ".join(notes)
    return Result(NAME, preset, metrics, {"engine": spec.engine, "world": world}, note=note)


def run(options: argparse.Namespace) -> list[Result]:
    from engines.xp import _cupy_problem, select_backend

    cupy, problem = _cupy_problem()
    if cupy is None:
        return [Result(NAME, "no GPU", {}, note=problem)]
    quick = bool(getattr(options, "quick", False))
    seconds = 0.5 if quick else 1.5
    results = [
        Result(
            NAME,
            "device",
            {"copy_gb_per_s": copy_bandwidth()},
            {"device": select_backend("cupy").reason},
        )
    ]
    sizes = tuple(getattr(options, "world", None) or ((1024,) if quick else (1024, 512)))
    for world in sizes:
        cases = CASES[:1] if quick else CASES
        for preset in cases:
            results.append(measure(preset, world, seconds))
            print(f"# gpu: {preset} {world} done", file=sys.stderr, flush=True)
    return results


def _profile(path: str) -> None:
    """Where the Python side of a 1024² frame spends its time (launch overhead)."""
    import cProfile
    import pstats

    from engines import Organism, get_preset, preset_values, select_backend

    backend = select_backend("cupy")
    spec = get_preset("coral")
    params = {"master.fade": 1.0, **preset_values("coral")}
    organism = Organism(backend, spec.engine, 1024, 1, spec.seed, params=params, background=False)
    organism.warm(params, 30)

    def frames(count: int) -> None:
        for _ in range(count):
            organism.step(params)
            organism.regulate(params)
            picture = organism.render(params, 1024, 1024)
            if picture.packed is not None:
                backend.to_host_many(picture.packed, [(0, picture.packed.shape)])
        backend.synchronize()

    frames(20)
    profiler = cProfile.Profile()
    profiler.runcall(frames, 300)
    with open(path, "w", encoding="utf-8") as fh:
        stats = pstats.Stats(profiler, stream=fh)
        stats.sort_stats("tottime").print_stats(45)
        stats.sort_stats("cumulative").print_stats(45)


def main() -> None:
    """``python -m perform.bench.gpu [--quick] [--json PATH]`` (no CLI dependencies)."""
    from perform.bench.common import format_table, to_json

    parser = argparse.ArgumentParser(prog="python -m perform.bench.gpu")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument("--world", type=int, action="append", help="world sizes (repeatable)")
    parser.add_argument("--profile", metavar="PATH", help="cProfile of coral 1024 frames")
    args = parser.parse_args()
    if args.profile:
        _profile(args.profile)
    results = run(args)
    print(format_table(results))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            fh.write(to_json(results) + "\n")
    else:
        print(json.dumps([r.metrics for r in results]))


if __name__ == "__main__":
    main()
