"""The program bus: what composing the audience's picture costs, and how fast failover is.

* compose: CPU milliseconds per program frame (the bus thread's own CPU time around
  :meth:`ProgramBus.tick`), at 1920x1080 from a 512² organism and a 512² Scope picture
  (letterboxed), and at the stream size (512²), for Scope alone, a 50 % mix and a mix under
  a half fade — the three shapes the arithmetic takes;
* failover: a real session (engine, Scope link over WebRTC, program bus) against the Scope
  test double on its own thread; the double's output is held (a stall), then released.
  ``failover_s``: from the stall being declared (``[output] stall_ms`` after the last
  frame) to the first program frame that is all organism; ``failover_from_last_frame_s``
  adds the threshold; ``failback_s``: from Scope's first frame after the stall to the first
  program frame that is all Scope (a steady second plus the crossfade back).

The failover case needs the test double (``tests/scope_double``): it runs from a checkout.
The stage window's figures (present rate, frame interval, added latency) come from the
window's own bench and join this suite when both are merged.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from typing import Any

from perform.bench.common import Result, percentiles

NAME = "output"
HELP = "program bus CPU per frame (1080p from 512², 512²), failover/failback against the double"
SOURCE = 512
STREAM_FPS = 30


def _sources(count: int) -> tuple[list[Any], list[Any]]:
    """Organism frames (offline renderer) and Scope-like frames (the same organism, hue
    rotated by PyAV so the two differ), both as I420 at 512²."""
    import av
    import numpy

    from engines import numpy_backend
    from perform.render.offline import frames

    organism = [
        s.yuv
        for s in frames(
            "medusa",
            numpy_backend(),
            world=SOURCE,
            width=SOURCE,
            height=SOURCE,
            seconds=count / STREAM_FPS,
            warmup=1.0,
        )
    ]
    scope = []
    for yuv in organism:
        rgb = av.VideoFrame.from_ndarray(yuv, format="yuv420p").to_ndarray(format="rgb24")
        rolled = numpy.ascontiguousarray(rgb[..., ::-1], dtype=numpy.uint8)
        scope.append(
            av.VideoFrame.from_ndarray(rolled, format="rgb24")
            .reformat(format="yuv420p")
            .to_ndarray()
        )
    return organism, scope


def _compose(size: tuple[int, int], case: str, frames: int, sources: tuple[list, list]) -> Result:
    import numpy

    from perform.program.bus import ProgramBus
    from perform.render.mailbox import Frame, FrameMailbox

    organism, scope = sources
    params: dict[str, Any] = {"program.source": "scope", "program.mix": 1.0, "master.fade": 1.0}
    if case == "mix":
        params.update({"program.source": "mix", "program.mix": 0.5})
    elif case == "mix+fade":
        params.update({"program.source": "mix", "program.mix": 0.5, "master.fade": 0.5})
    org_box, scope_box = FrameMailbox(), FrameMailbox()
    bus = ProgramBus(
        organism=org_box,
        scope=scope_box,
        snapshot=lambda: params,
        size=size,
        fps=STREAM_FPS,
        link_up=lambda: True,
    )
    rgb = numpy.zeros((1, 1, 3), numpy.uint8)
    now = 0.0
    cpu: list[float] = []
    # Two seconds to get Scope on air (a steady second, then the crossfade), then measure.
    warm = 3 * STREAM_FPS
    for i in range(warm + frames):
        seq = i + 1
        org_box.put(Frame(rgb, seq, 0.0, now, 0, organism[i % len(organism)]))
        scope_box.put(Frame(rgb, seq, 0.0, now, 0, scope[i % len(scope)]))
        t0 = time.thread_time()
        made = bus.tick(now)
        spent = time.thread_time() - t0
        if i >= warm and made is not None:
            cpu.append(spent * 1e3)
        now += 1.0 / STREAM_FPS
    assert bus.latest is not None
    return Result(
        NAME,
        f"compose {case}",
        {
            "program_cpu_ms_per_frame": statistics.fmean(cpu),
            **{f"{k}_ms": v for k, v in percentiles(cpu).items()},
        },
        {
            "size": f"{size[0]}x{size[1]}",
            "source": f"{SOURCE}x{SOURCE}",
            "on_air": bus.latest.source,
        },
        note="bus thread CPU time per program frame",
    )


async def _failover(rounds: int) -> Result:
    from engines import numpy_backend
    from perform.config import AppConfig
    from perform.program.component import ProgramComponent
    from perform.session import Session
    from perform.stream.link import ScopeLink

    try:
        from tests.scope_double.threaded import ThreadedScopeDouble
    except ImportError:  # an installed perform without its tests
        return Result(
            NAME, "failover", {}, note="needs the Scope test double (run from a checkout)"
        )

    failover: list[float] = []
    from_last: list[float] = []
    failback: list[float] = []
    stall_ms = 400
    with ThreadedScopeDouble() as td:
        config = AppConfig.model_validate(
            {
                "stream": {"width": SOURCE, "height": SOURCE, "fps": STREAM_FPS},
                "engine": {"world": 256},
                "scope": {"url": td.url, "pipeline": "passthrough", "watchdog_seconds": 30.0},
                "osc": {"enabled": False},
                "midi": {"auto_profiles": False},
                "output": {"stall_ms": stall_ms},
            }
        )
        session = Session(config, backend=numpy_backend())
        session.add(ScopeLink(config))
        program = ProgramComponent()
        session.add(program)
        await session.start()
        try:
            bus = program.bus
            assert bus is not None

            async def until(source: str, timeout: float = 60.0) -> Any:
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    frame = bus.latest
                    if frame is not None and frame.source == source:
                        return frame
                    await asyncio.sleep(0.002)
                raise TimeoutError(f"the program did not show {source} in {timeout:.0f} s")

            await until("scope", 120.0)
            for _ in range(rounds):
                await asyncio.sleep(1.0)
                td.call(lambda d: setattr(d.session, "output_held", True))
                organism = await until("organism")
                last_new = bus.health.last_new_at
                assert last_new is not None
                from_last.append(organism.pts - last_new)
                failover.append(organism.pts - last_new - stall_ms / 1000.0)
                await asyncio.sleep(0.5)
                td.call(lambda d: setattr(d.session, "output_held", False))
                seen = bus.health.last_new_at
                while bus.health.last_new_at == seen:
                    await asyncio.sleep(0.002)
                first_new = bus.health.last_new_at
                assert first_new is not None
                back = await until("scope")
                failback.append(back.pts - first_new)
        finally:
            await session.stop()
    return Result(
        NAME,
        "failover",
        {
            "failover_s": statistics.median(failover),
            "failover_max_s": max(failover),
            "failover_from_last_frame_s": statistics.median(from_last),
            "failback_s": statistics.median(failback),
        },
        {"stall_ms": stall_ms, "rounds": rounds, "stream": f"{SOURCE}x{SOURCE}"},
        note="Scope test double over WebRTC, passthrough; medians",
    )


def run(options: argparse.Namespace) -> list[Result]:
    quick = bool(getattr(options, "quick", False))
    old = sys.getswitchinterval()
    sys.setswitchinterval(0.001)  # as in a show (perform.session)
    try:
        frames = 30 if quick else 120
        sources = _sources(8 if quick else 30)
        results = [
            _compose(size, case, frames, sources)
            for size in ((1920, 1080), (SOURCE, SOURCE))
            for case in ("scope", "mix", "mix+fade")
        ]
        results.append(asyncio.run(_failover(2 if quick else 5)))
    finally:
        sys.setswitchinterval(old)
    from perform.bench import window  # the stage window's keys belong to this suite too

    results.extend(window.run(options))
    return results
