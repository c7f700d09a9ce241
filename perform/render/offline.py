"""Render a preset without the live host: the same organism on a simulated clock.

Used by ``perform render`` (PNG stills, contact sheets, MP4 clips) and the engines
bench. Time is simulated: ``steps_per_second x engine.speed`` steps per second of
output, whatever the machine manages, so a clip shows what a show would show.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy

from engines import Backend, Organism, get_preset, preset_values


@dataclass(frozen=True)
class Still:
    """One rendered frame on the host."""

    rgb: numpy.ndarray
    yuv: numpy.ndarray
    sim_time: float
    coverage: float


def frames(
    preset: str,
    backend: Backend,
    *,
    world: int = 512,
    width: int = 512,
    height: int = 512,
    fps: float = 30.0,
    seconds: float = 4.0,
    warmup: float = 0.0,
    steps_per_second: float = 60.0,
    seed: int = 1,
    overrides: dict[str, Any] | None = None,
) -> Iterator[Still]:
    """Yield ``seconds * fps`` frames after ``warmup`` seconds of simulated time."""
    spec = get_preset(preset)
    params = {"master.fade": 1.0, **preset_values(preset), **(overrides or {})}
    organism = Organism(
        backend, spec.engine, world, seed, spec.seed, params=params, background=False
    )
    rate = steps_per_second * float(params.get("engine.speed", 1.0))
    dt = 1.0 / steps_per_second
    owed = warmup * rate
    done = 0
    while done + 1 <= owed:
        organism.step(params, dt)
        done += 1
        if done % 4 == 0:
            organism.regulate(params)
    total = int(round(seconds * fps))
    for i in range(total):
        owed += rate / fps
        while done + 1 <= owed:
            organism.step(params, dt)
            done += 1
        organism.regulate(params)
        picture = organism.render(params, width, height)
        rgb, yuv = (backend.to_host(a) for a in (picture.rgb, picture.yuv))
        yield Still(
            numpy.asarray(rgb), numpy.asarray(yuv), organism.sim_time, organism.vitals.coverage
        )
        del i
