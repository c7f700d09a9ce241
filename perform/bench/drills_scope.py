"""Scope faults and a starved CPU, with figures (issue 11, items 5 and 6).

Against the Scope test double from ``tests/scope_double`` (so it runs from a checkout,
not from an installed package):

* latency slope against a pipeline at a quarter of the input rate (30 fps in, 7.5 out,
  a pipeline that queues what it cannot eat): the track is paced to what the pipeline
  consumes, so latency stays flat (goal: <= 5 ms per 10 s);
* ``kill -9`` of Scope: seconds until the link says so (offline, "unreachable"), and
  seconds from the server being back to frames flowing again;
* a deliberate restart (reconnect): seconds until the new stream's frames flow;
* engine steps/s under two busy processes as a ratio to the quiet run (and the world the
  host degraded to).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from perform.bench.common import Result, standalone_host
from perform.errors import PerformError

NAME = "drills"
HELP = "latency slope vs a quarter-rate pipeline, kill -9 and restart recovery, steps/s under a hog"
INPUT_FPS = 30
SIZE = 128


def _double() -> Any:
    try:
        from tests.scope_double import ScopeDouble
    except ImportError:
        root = Path(__file__).resolve().parents[2]
        if not (root / "tests" / "scope_double").is_dir():
            raise PerformError(
                "the drills-scope bench needs the Scope test double (tests/scope_double): "
                "run it from a checkout of perform"
            ) from None
        sys.path.insert(0, str(root))
        from tests.scope_double import ScopeDouble
    return ScopeDouble


def _config(url: str, **scope: Any) -> Any:
    from perform.config import AppConfig

    return AppConfig.model_validate(
        {
            "stream": {"width": SIZE, "height": SIZE, "fps": INPUT_FPS},
            "engine": {"world": SIZE},
            "scope": {
                "url": url,
                "pipeline": "passthrough",
                "watchdog_seconds": 3.0,
                "first_frame_seconds": 20.0,
                "reconnect_max_seconds": 2.0,
                **scope,
            },
        }
    )


async def _until(predicate: Any, timeout: float = 60.0) -> float:
    """Seconds until ``predicate()`` holds (polled every 10 ms); raises on timeout."""
    t0 = time.perf_counter()
    while not predicate():
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError("bench condition not reached")
        await asyncio.sleep(0.01)
    return time.perf_counter() - t0


async def _link(double: Any, **scope: Any) -> tuple[Any, Any]:
    from engines import numpy_backend
    from perform.session import Session
    from perform.stream.link import ScopeLink

    config = _config(double.url, **scope)
    session = Session(config, backend=numpy_backend())
    link = ScopeLink(config)
    session.add(link)
    await session.start()
    return session, link


def _slope_ms_per_10s(samples: list[tuple[float, float]]) -> float:
    if len(samples) < 3:
        return float("nan")
    ts = [t for t, _ in samples]
    ys = [y for _, y in samples]
    mt, my = statistics.fmean(ts), statistics.fmean(ys)
    den = sum((t - mt) ** 2 for t in ts)
    return 10.0 * sum((t - mt) * (y - my) for t, y in samples) / den if den else float("nan")


async def _slow_pipeline(seconds: float, settle: float) -> dict[str, float]:
    double = _double()()
    double.consume_all = False
    double.chunk_time = 4 / (INPUT_FPS / 4)
    await double.start()
    session, link = await _link(double, latency_stamp=True, watchdog_seconds=10.0)
    try:
        await _until(lambda: link.status.state == "streaming")
        await asyncio.sleep(settle)
        scope_session = double.session
        dropped = scope_session.inputs_dropped if scope_session else 0
        samples: list[tuple[float, float]] = []
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            await asyncio.sleep(1.0)
            recent = list(link.receiver.latencies_ms)[-8:]  # this second's, not a minute's
            if recent:
                samples.append((time.perf_counter() - t0, statistics.median(recent)))
        track = link.track
        return {
            "latency_slope_ms_per_10s": round(_slope_ms_per_10s(samples), 2),
            "latency_ms_p50": round(statistics.median(y for _, y in samples), 1)
            if samples
            else float("nan"),
            "input_fps_paced": round(1.0 / track.period, 2) if track else float("nan"),
            "output_fps": round(link.receiver.fps, 2),
            "pipeline_queue_drops": float(
                (scope_session.inputs_dropped if scope_session else 0) - dropped
            ),
        }
    finally:
        await session.stop()
        await double.stop()


async def _recovery() -> dict[str, float]:
    double = _double()()
    await double.start()
    session, link = await _link(double)
    try:
        await _until(lambda: link.status.state == "streaming")
        count = len(double.sessions)
        link.restart("bench")
        t_restart = await _until(
            lambda: len(double.sessions) > count and link.status.state == "streaming"
        )
        await double.kill()
        t_offline = await _until(lambda: link.status.state == "offline")
        await double.restart()
        t_back = await _until(lambda: link.status.state == "streaming", 90.0)
        return {
            "reconnect_to_streaming_s": round(t_restart, 2),
            "kill9_to_offline_s": round(t_offline, 2),
            "server_back_to_streaming_s": round(t_back, 2),
        }
    finally:
        await session.stop()
        await double.stop()


def _steps_per_s(seconds: float, hog: bool) -> tuple[float, int]:
    hogs = (
        [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
        if hog
        else []
    )
    host, _ = standalone_host(512, 30.0, 60.0)
    try:
        deadline = time.perf_counter() + 60.0
        while host.engine is None and time.perf_counter() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        steps, t0 = host.total_steps, time.perf_counter()
        time.sleep(seconds)
        return (host.total_steps - steps) / (time.perf_counter() - t0), host.world_now
    finally:
        host.stop()
        for process in hogs:
            process.kill()
            process.wait()


def _quick(options: argparse.Namespace) -> bool:
    return bool(getattr(options, "quick", False))


def slow_pipeline(options: argparse.Namespace) -> list[Result]:
    # Settle past the first backlog (the track drains it in about 30 s, running its stamps
    # slightly fast): the slope is then the steady state's, not the drain's.
    seconds, settle = (20.0, 10.0) if _quick(options) else (60.0, 45.0)
    slow = asyncio.run(_slow_pipeline(seconds, settle))
    return [
        Result(
            NAME,
            "latency vs a quarter-rate pipeline",
            slow,
            {
                "input_fps": INPUT_FPS,
                "pipeline_fps": INPUT_FPS / 4,
                "seconds": seconds,
                "settle_s": settle,
            },
            note="goal: slope <= 5 ms per 10 s (track paced to the pipeline)",
        )
    ]


def recovery(options: argparse.Namespace) -> list[Result]:
    figures = asyncio.run(_recovery())
    return [Result(NAME, "Scope restart and kill -9 recovery", figures, {"watchdog_s": 3.0})]


def starved_cpu(options: argparse.Namespace) -> list[Result]:
    window = 5.0 if _quick(options) else 15.0
    quiet, _ = _steps_per_s(window, hog=False)
    busy, world = _steps_per_s(window, hog=True)
    return [
        Result(
            NAME,
            "engine steps/s under two busy processes",
            {
                "quiet_steps_per_s": round(quiet, 1),
                "hog_steps_per_s": round(busy, 1),
                "ratio": round(busy / quiet, 3) if quiet else float("nan"),
                "world_under_hog": float(world),
            },
            {"world": 512, "steps_per_second": 60, "seconds": window},
            note="under a hog the host runs fewer steps per frame, then a smaller world",
        )
    ]


#: Run by ``perform bench drills`` after its own cases
#: (see :func:`perform.bench.drills.extensions`); ``--case NAME`` picks some.
CASES = [slow_pipeline, recovery, starved_cpu]
