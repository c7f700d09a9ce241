"""The stage window's speed: what the audience's picture costs between the bus and the
projector, at 1920x1080 from a 512x512 program at 30 fps.

A feeder thread plays the bus: it submits I420 frames at the source rate to a real
:class:`~perform.program.window.WindowSink` (a child process, shared memory, glfw +
moderngl). The child records, per frame, when it was submitted, when the child picked it
up and when its swap finished; from those:

* ``window_present_fps`` and ``window_frame_interval_ms_p99``: what reaches the screen;
* ``window_added_latency_ms_p95``: submit -> swap done (the whole hop: copy into shared
  memory, the child noticing, upload, shader, swap);
* ``window_hop_ms_p95``: submit -> picked up by the child at 30 fps (includes waiting for
  the previous frame's draw), and ``window_hop_idle_ms_p95`` the same for frames that reach
  an idle child: what the process boundary itself costs;
* ``program_submit_ms_per_frame``: the bus's side of ``submit`` (one memcpy into the ring);
* ``program_upload_ms_per_frame``: the child's texture upload;
* ``window_cpu_ms_per_frame``: the child's CPU per presented frame.

Uses the X server in ``$DISPLAY``; without one it starts a private Xvfb (Mesa llvmpipe,
software rendering: the note says so, and the figures are then the CPU's, not a GPU's).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import threading
import time
from collections.abc import Iterator

import numpy

from perform.bench.common import Result, percentiles

NAME = "window"
HELP = "stage window at 1920x1080 from 512x512 @30 fps: present rate, p99 interval, latency"
SIZE = 512
FPS = 30
SCREEN = (1920, 1080)


def _frames(count: int) -> list[numpy.ndarray]:
    yy, xx = numpy.mgrid[0:SIZE, 0:SIZE]
    out = []
    for t in range(count):
        y = (16 + (xx + yy + 7 * t) % 220).astype(numpy.uint8)
        chroma = numpy.full((SIZE // 2, SIZE), 128 + (t % 16), numpy.uint8)
        out.append(numpy.concatenate([y, chroma]))
    return out


@contextlib.contextmanager
def _x_server() -> Iterator[str]:
    if os.environ.get("DISPLAY"):
        yield f"X server {os.environ['DISPLAY']}"
        return
    from perform.program.window.xvfb import private_xvfb

    with private_xvfb(*SCREEN) as server:
        yield f"no DISPLAY: started a private Xvfb {server.display} (Mesa llvmpipe, software GL)"


def run(options: argparse.Namespace) -> list[Result]:
    from perform.program.frame import ProgramFrame
    from perform.program.sink import SinkState
    from perform.program.window import WindowSink, display_unavailable

    seconds = 4.0 if options.quick else 10.0
    with _x_server() as where:
        why = display_unavailable()
        if why is not None:
            return [Result(NAME, "window", {}, note=f"skipped: {why}")]
        sink = WindowSink(hang_s=30.0)
        sink.start()
        deadline = time.monotonic() + 90
        while sink.status().state is not SinkState.ON and time.monotonic() < deadline:
            if sink.status().state is SinkState.UNAVAILABLE:
                break
            time.sleep(0.05)
        if sink.status().state is not SinkState.ON:
            status = sink.status()
            sink.close()
            return [Result(NAME, "window", {}, note=f"skipped: {status.state}: {status.detail}")]
        try:
            renderer = str(sink.window_state.get("renderer", "?"))
            fb = sink.window_state.get("framebuffer", SCREEN)
            frames = _frames(16)
            _, cpu0 = sink.stats()
            submit_costs: list[float] = []
            start = time.perf_counter()

            def feed() -> None:
                period = 1.0 / FPS
                i = 0
                while True:
                    due = start + i * period
                    now = time.perf_counter()
                    if now - start >= seconds:
                        return
                    if now < due:
                        time.sleep(due - now)
                    picture = ProgramFrame(frames[i % len(frames)], i + 1, due, "organism")
                    t0 = time.perf_counter()
                    sink.submit(picture)
                    submit_costs.append(time.perf_counter() - t0)
                    i += 1

            feeder = threading.Thread(target=feed, name="bench-bus")
            feeder.start()
            feeder.join()
            time.sleep(0.5)  # let the last frame land
            records, cpu1 = sink.stats()
            # The hop alone: frames 0.3 s apart reach a child that is idle, so pickup
            # time is the process boundary (shared memory + the child's wait), not a
            # queue behind the previous draw.
            idle_start = time.perf_counter()
            for i in range(8 if options.quick else 20):
                picture = ProgramFrame(frames[i % len(frames)], 10_000 + i, 0.0, "organism")
                sink.submit(picture)
                time.sleep(0.3)
            idle_records, _ = sink.stats()
        finally:
            sink.close()
    shown = [r for r in records if r[2] >= start]
    presented = [r[4] for r in shown]
    intervals = [(b - a) * 1e3 for a, b in zip(presented, presented[1:], strict=False)]
    latency = [(r[4] - r[2]) * 1e3 for r in shown]
    hop = [(r[3] - r[2]) * 1e3 for r in shown]
    idle_hop = [(r[3] - r[2]) * 1e3 for r in idle_records if r[2] >= idle_start]
    span = (presented[-1] - presented[0]) if len(presented) > 1 else float("nan")
    metrics = {
        "window_present_fps": (len(presented) - 1) / span if span == span else float("nan"),
        "window_frame_interval_ms_p99": percentiles(intervals)["p99"],
        "window_added_latency_ms_p95": percentiles(latency)["p95"],
        "window_hop_ms_p95": percentiles(hop)["p95"],
        "window_hop_idle_ms_p95": percentiles(idle_hop)["p95"] if idle_hop else float("nan"),
        "program_submit_ms_per_frame": 1e3 * sum(submit_costs) / max(len(submit_costs), 1),
        "program_upload_ms_per_frame": 1e3 * sum(r[5] for r in shown) / max(len(shown), 1),
        "window_cpu_ms_per_frame": 1e3 * (cpu1 - cpu0) / max(len(shown), 1),
        "submitted": float(len(submit_costs)),
        "presented": float(len(shown)),
    }
    params = {
        "source": f"{SIZE}x{SIZE}@{FPS}",
        "screen": f"{fb[0]}x{fb[1]}",
        "seconds": seconds,
    }
    return [Result(NAME, "window", metrics, params, note=f"{where}; GL: {renderer}")]
