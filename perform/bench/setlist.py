"""Quantized GO accuracy: how far from its beat a GO really fires, with the engine running."""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
from pathlib import Path

from perform.bench.common import Result, percentiles

NAME = "setlist"
HELP = "timing error of quantized GOs against the tempo clock (engine thread running)"

SHOW = """
[show]
name = "bench"
bpm = 120
quantize = "{quantize}"
min_go_interval = 0
lookahead_ms = {lookahead}
[[scenes]]
name = "a"
transition = {{ seconds = 0 }}
[[scenes]]
name = "b"
transition = {{ seconds = 0 }}
"""


async def _measure(gos: int, quantize: str, lookahead_ms: float, engine: bool) -> dict[str, float]:
    from engines import numpy_backend
    from perform.build import RunOptions, build_session
    from perform.config import AppConfig
    from perform.show import SetlistRunner
    from perform.tempo import TempoComponent

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.toml"
        path.write_text(SHOW.format(quantize=quantize, lookahead=lookahead_ms))
        session = build_session(AppConfig(), RunOptions(setlist=path), backend=numpy_backend())
        await session.start(engine=engine)
        try:
            runner, tempo = session.require(SetlistRunner), session.require(TempoComponent)
            sequencer = runner.sequencer
            assert sequencer is not None  # built when the runner starts
            rng = random.Random(1)
            errors = []
            for _ in range(gos):
                await asyncio.sleep(rng.uniform(0.05, 0.6))
                index = sequencer.index
                session.store.actions.invoke("cue.back" if index == 1 else "cue.go", None, "api")
                pending = sequencer.pending
                if pending is None:
                    continue
                while sequencer.pending is not None:
                    await asyncio.sleep(0.01)
                fired = sequencer.taken[-1][0]
                beat = tempo.clock.beat_at(fired + lookahead_ms / 1000)
                unit = 1 if quantize == "beat" else tempo.clock.beats_per_bar
                off = (beat / unit - round(beat / unit)) * unit * tempo.clock.seconds_per_beat()
                errors.append(abs(off) * 1000)
            late = [e * 1000 for e in runner.fire_errors]
        finally:
            await session.stop()
    figures = {f"{k}_ms": v for k, v in percentiles(errors).items()}
    figures["max_ms"] = max(errors)
    figures["loop_late_p99_ms"] = percentiles(late)["p99"]
    figures["gos"] = float(len(errors))
    return figures


def run(options: argparse.Namespace) -> list[Result]:
    gos = 10 if options.quick else 40
    results = []
    for engine in (False, True):
        for quantize, lookahead in (("beat", 0.0), ("bar", 120.0)):
            figures = asyncio.run(_measure(gos, quantize, lookahead, engine))
            params = {
                "quantize": quantize,
                "lookahead_ms": lookahead,
                "engine": "running" if engine else "off",
            }
            results.append(Result(NAME, "quantized GO vs the beat", figures, params))
    return results
