"""Render a preset without the live host: the same organism on a simulated clock.

Used by ``perform render`` (PNG stills, contact sheets, MP4 clips) and the engines
bench. Time is simulated: ``steps_per_second x engine.speed`` steps per second of
output, whatever the machine manages, so a clip shows what a show would show.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy

from engines import Backend, Organism, Picture, preset_values
from perform.render.switch import grow


@dataclass(frozen=True)
class Still:
    """One rendered frame on the host."""

    rgb: numpy.ndarray
    yuv: numpy.ndarray
    sim_time: float
    coverage: float


def frames(preset: str, backend: Backend, **options: Any) -> Iterator[Still]:
    """Yield ``seconds * fps`` frames after ``warmup`` seconds of simulated time, on the
    host (``options`` are :func:`pictures`'s)."""
    for organism, picture in pictures(preset, backend, **options):
        rgb, yuv = (backend.to_host(a) for a in (picture.rgb, picture.yuv))
        yield Still(
            numpy.asarray(rgb), numpy.asarray(yuv), organism.sim_time, organism.vitals.coverage
        )


def pictures(
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
    changes: Sequence[tuple[float, Mapping[str, Any]]] = (),
) -> Iterator[tuple[Organism, Picture]]:
    """:func:`frames` left on the backend's device: ``(organism, picture)`` per frame (the
    picture's arrays are reused by the next frame; judge them before asking for it).

    ``changes`` are ``(second, values)`` writes made at that second of the frames (a fader
    moved, a rule switched mid-show), applied at once as an enum's or a snapped write is.
    """
    params = {"master.fade": 1.0, **preset_values(preset), **(overrides or {})}
    params["engine.preset"] = preset
    speed = float(params.get("engine.speed", 1.0))
    warm_steps = int(warmup * steps_per_second * speed)
    # The same warm-up the live host gives a new organism (free growth, then flows).
    organism = grow(
        backend, preset, world, seed, params, warm_steps, steps_per_second, max_seconds=None
    ).organism  # simulated time: the whole warm-up, however long it takes
    organism.background = False
    rate = steps_per_second * speed
    dt = 1.0 / steps_per_second
    owed = float(warm_steps)
    done = warm_steps
    total = int(round(seconds * fps))
    pending = sorted(changes, key=lambda change: change[0])
    for frame in range(total):
        while pending and pending[0][0] * fps <= frame:
            params.update(pending.pop(0)[1])
        owed += rate / fps
        while done + 1 <= owed:
            organism.step(params, dt)
            done += 1
        organism.regulate(params)
        yield organism, organism.render(params, width, height)
