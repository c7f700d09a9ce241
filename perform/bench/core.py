"""The spine: Gray-Scott step rate, the engine host's delivered rates, store write cost."""

from __future__ import annotations

import argparse
import time

from perform.bench.common import Result, best_of, percentiles, rate, standalone_host

NAME = "core"
HELP = "Gray-Scott steps/s, engine host steps and frames/s, ParamStore write latency"


def _engine_rate(world: int, seconds: float) -> float:
    from engines import ENGINES, get_preset, numpy_backend

    preset = get_preset("medusa")
    engine = ENGINES["gray_scott"](numpy_backend(), world, 1)
    params = {**engine.defaults(), **preset.params}
    for _ in range(10):
        engine.step(params, 1.0)
    count, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        engine.step(params, 1.0)
        count += 1
    return rate(count, time.perf_counter() - t0)


def _host_run(world: int, fps: int, seconds: float) -> dict[str, float]:
    """Run the real engine thread with an unreachable step target: what it sustains."""
    host, _ = standalone_host(world, fps, 100_000, max_catchup=1_000)
    deadline = time.perf_counter() + 30
    while host.engine is None and time.perf_counter() < deadline:  # the first organism grows
        time.sleep(0.05)
    time.sleep(0.5)
    steps0, frames0, t0 = host.total_steps, host.mailbox.posted, time.perf_counter()
    time.sleep(seconds)
    steps, frames, elapsed = (
        host.total_steps - steps0,
        host.mailbox.posted - frames0,
        time.perf_counter() - t0,
    )
    host.stop()
    return {"steps_per_s": rate(steps, elapsed), "frames_per_s": rate(frames, elapsed)}


def _store_latency(writes: int) -> dict[str, float]:
    from engines import all_params, presets
    from perform.registry import build_store

    store = build_store(presets(), "medusa", all_params())
    store.subscribe(lambda changes: None)
    samples = []
    for i in range(writes):
        t0 = time.perf_counter()
        store.apply("gray_scott.feed", 0.02 + (i % 100) * 1e-4, "midi")
        samples.append((time.perf_counter() - t0) * 1e6)
    return {f"{k}_us": v for k, v in percentiles(samples).items()}


def run(options: argparse.Namespace) -> list[Result]:
    quick = options.quick
    seconds = 1.0 if quick else 3.0
    results = []
    for world in (512,) if quick else (512, 1024):
        results.append(
            Result(
                NAME,
                "gray_scott engine step",
                {"steps_per_s": best_of(1 if quick else 3, _engine_rate, world, seconds)},
                {"world": world, "backend": "numpy"},
            )
        )
    results.append(
        Result(
            NAME,
            "engine host, unthrottled",
            _host_run(512, 30, seconds),
            {"world": 512, "fps": 30},
            note="sim steps as fast as they go, frames paced at fps",
        )
    )
    results.append(
        Result(
            NAME, "ParamStore.apply", _store_latency(2_000 if quick else 20_000), {"subscribers": 1}
        )
    )
    return results
