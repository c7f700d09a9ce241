"""Growing a new organism off the frame path, and crossfading two organisms' frames.

A switch to another engine's preset (or a reseed) never stops the picture: the new
organism is built and warmed on a worker thread while the current one keeps running;
when it is ready the host shows both, crossfading over the duration of the transition
that asked for it, then drops the old one. The warm-up grows the organism freely first
(no flows, like the prototype's warm-up) and then lets the flows shape it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from engines import Backend, Organism, Picture, get_preset, preset_values

log = logging.getLogger(__name__)

_FREE_GROWTH = 0.7
"""Share of the warm-up run without flows."""
GROW_SECONDS = 2.0
"""Wall-time bound of a warm-up: on a starved CPU the organism comes out less grown, but it
comes out (an unbounded warm-up outlasted whole scenes and the show stayed black)."""


@dataclass
class Slot:
    """One living organism and what it was made for."""

    organism: Organism
    preset: str
    seed: int
    warmup_steps: int = 0
    """Warm-up steps it actually got (fewer than asked when the wall-time bound hit)."""

    @property
    def engine(self) -> str:
        return self.organism.name


def grow(
    backend: Backend,
    preset: str,
    world: int,
    seed: int,
    params: Mapping[str, Any],
    warmup_steps: int,
    steps_per_second: float,
    *,
    size: tuple[int, int] | None = None,
    cancelled: threading.Event | None = None,
    max_seconds: float | None = GROW_SECONDS,
) -> Slot:
    """Build ``preset``'s organism and warm it up (runs on a worker thread).

    With ``size`` (width, height) it also renders one picture, so the colour stage is
    primed (its running maxima, and on a GPU its kernels compiled) before it is shown.
    The warm-up stops after ``warmup_steps`` or ``max_seconds`` of wall time, whichever
    comes first (the free growth then takes its share of the time instead of the steps).
    """
    spec = get_preset(preset)
    values = (
        {**params, **preset_values(preset)} if params.get("engine.preset") != preset else params
    )
    organism = Organism(backend, spec.engine, world, seed, spec.seed, params=values)
    dt = 1.0 / steps_per_second
    free = {**values, **{k: 0.0 for k in values if k.startswith("flow.")}}
    start = time.perf_counter()
    limit = float("inf") if max_seconds is None else max_seconds
    steps = 0
    for i in range(warmup_steps):
        if cancelled is not None and cancelled.is_set():
            break
        spent = time.perf_counter() - start
        if spent >= limit:
            break
        shaped = i >= warmup_steps * _FREE_GROWTH or spent >= limit * _FREE_GROWTH
        organism.step(values if shaped else free, dt)
        steps += 1
        if i % 4 == 3:
            organism.regulate(values)
    if size is not None:
        organism.render(values, *size)
    return Slot(organism, preset, seed, steps)


class Grower:
    """At most one organism growing at a time; a newer request supersedes an older one."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="perform-grow")
        self._future: Future[Slot] | None = None
        self._cancel = threading.Event()
        self.key: tuple[str, int] | None = None
        self.failures = 0
        self.last_error: str | None = None

    def request(self, key: tuple[str, int], *args: Any, **kwargs: Any) -> None:
        if key == self.key and self._future is not None:
            return
        self._cancel.set()  # an older warm-up stops early; its result is dropped
        self._cancel = threading.Event()
        self.key = key
        self._future = self._pool.submit(partial(grow, *args, **kwargs, cancelled=self._cancel))

    def cancel(self) -> None:
        """Stop growing (the worker finishes its current step and drops the result)."""
        self._cancel.set()
        self._future = None
        self.key = None

    @property
    def busy(self) -> bool:
        return self._future is not None

    def ready(self) -> Slot | None:
        """The grown organism once it is ready (then forgets it), else None."""
        future = self._future
        if future is None or not future.done():
            return None
        self._future = None
        self.key = None
        exc = future.exception()
        if exc is not None:
            self.failures += 1
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.error("growing a new organism failed", exc_info=exc)
            return None
        return future.result()

    def shutdown(self) -> None:
        self._cancel.set()
        self._pool.shutdown(wait=True, cancel_futures=True)


def blend(xp: Any, old: Picture, new: Picture, x: float) -> Picture:
    """``(1 - x) * old + x * new`` for RGB and I420 alike (8-bit fixed point)."""
    w = int(round(min(1.0, max(0.0, x)) * 256))
    if w >= 256:
        return new
    if w <= 0:
        return old

    def mix(a: Any, b: Any) -> Any:
        out = a.astype(xp.uint16)
        out *= 256 - w
        out += b.astype(xp.uint16) * w
        out >>= 8
        return out.astype(xp.uint8)

    if new.packed is not None and old.packed is not None:
        packed = mix(old.packed, new.packed)
        n_rgb = new.rgb.size
        return Picture(
            packed[:n_rgb].reshape(new.rgb.shape), packed[n_rgb:].reshape(new.yuv.shape), packed
        )
    return Picture(mix(old.rgb, new.rgb), mix(old.yuv, new.yuv))


def smoothstep(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3.0 - 2.0 * x)
