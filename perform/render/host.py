"""The engine thread: a fixed simulation clock, slewed parameters, frames into the mailbox.

The thread reads the store's immutable snapshot (never the store itself), advances the
simulation at ``steps_per_second x engine.speed`` whatever the stream fps, renders a
frame every stream period into the size-1 mailbox, and reports its statistics to the
event loop with ``call_soon_threadsafe``. It touches nothing else that the loop owns.

If the engine falls behind, simulated time dilates (at most ``max_catchup`` steps are
run between two frames) instead of spiralling; an exception in a step is counted,
logged and shown in the stats, and the show goes on with the last good frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from engines import ENGINES, Backend, Engine, PresetError, get_preset
from perform.params import Snapshot
from perform.render.mailbox import Frame, FrameMailbox

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EngineStats:
    """What the engine thread reports to the loop (about twice a second)."""

    backend: str
    backend_reason: str
    engine: str
    preset: str
    steps_per_second: float
    frames_per_second: float
    step_ms: float
    frame_ms: float
    """Render + host copy time per frame."""
    generation: int
    errors: int
    last_error: str | None


class Slew:
    """One-pole smoothing towards the snapshot's targets, per parameter time constant."""

    def __init__(self, smoothing: Mapping[str, float]) -> None:
        self.taus = {k: v for k, v in smoothing.items() if v > 0}
        self.values: dict[str, float] = {}

    def update(self, targets: Mapping[str, Any], dt: float) -> dict[str, Any]:
        out = dict(targets)
        for name, tau in self.taus.items():
            target = targets.get(name)
            if not isinstance(target, int | float):
                continue
            current = self.values.get(name)
            if current is None:
                current = float(target)
            else:
                current += (float(target) - current) * (1.0 - math.exp(-dt / tau))
            self.values[name] = current
            out[name] = current
        return out

    def snap(self, targets: Mapping[str, Any]) -> None:
        for name in self.taus:
            value = targets.get(name)
            if isinstance(value, int | float):
                self.values[name] = float(value)


class EngineHost:
    """Runs the organism on its own thread and posts frames to :attr:`mailbox`."""

    def __init__(
        self,
        snapshot: Callable[[], Snapshot],
        backend: Backend,
        *,
        world: int,
        width: int,
        height: int,
        fps: float,
        steps_per_second: float,
        smoothing: Mapping[str, float],
        seed: int = 1,
        on_stats: Callable[[EngineStats], None] | None = None,
        stats_interval: float = 0.5,
        max_catchup: int = 4,
    ) -> None:
        self._snapshot = snapshot
        self.backend = backend
        self.world = world
        self.width = width
        self.height = height
        self.fps = fps
        self.steps_per_second = steps_per_second
        self.seed = seed
        self.on_stats = on_stats
        self.stats_interval = stats_interval
        self.max_catchup = max_catchup
        self.mailbox = FrameMailbox()
        self.slew = Slew(smoothing)
        self.engine: Engine | None = None
        self.stats: EngineStats | None = None
        self.errors = 0
        self.last_error: str | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reseed_seen = 0
        self._seq = 0
        self._steps = 0

    # --- lifecycle ------------------------------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        if self._thread is not None:
            raise RuntimeError("engine host already started")
        self._loop = loop
        self._stop.clear()
        self._ensure_engine(self._snapshot())
        self._thread = threading.Thread(target=self._run, name="perform-engine", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop and join the thread (no thread is left behind)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                raise RuntimeError("engine thread did not stop in time")

    @property
    def total_steps(self) -> int:
        """Simulation steps run since start (read from any thread; informational)."""
        return self._steps

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- engine selection ---------------------------------------------------------------
    def _ensure_engine(self, snap: Snapshot) -> Engine:
        preset_key = str(snap.get("engine.preset", ""))
        try:
            engine_name = get_preset(preset_key).engine
        except PresetError:
            engine_name = self.engine.name if self.engine else next(iter(ENGINES))
        if self.engine is None or self.engine.name != engine_name:
            self.engine = ENGINES[engine_name](self.backend, self.world, self.seed)
            self.slew.snap(snap)
            self._reseed_seen = int(snap.get("engine.reseed", 0))
        return self.engine

    # --- the thread -----------------------------------------------------------------------
    def _run(self) -> None:
        frame_period = 1.0 / self.fps
        clock = time.perf_counter
        last = clock()
        next_frame = last
        next_stats = last + self.stats_interval
        acc = 0.0
        steps_window = frames_window = 0
        step_time = frame_time = 0.0
        window_start = last
        params: dict[str, Any] = {}
        version = 0
        while not self._stop.is_set():
            now = clock()
            dt = min(now - last, 0.25)
            last = now
            try:
                snap = self._snapshot()
                engine = self._ensure_engine(snap)
                reseed = int(snap.get("engine.reseed", 0))
                if reseed != self._reseed_seen:
                    self._reseed_seen = reseed
                    engine.reset(engine.seed + 1)
                params = self.slew.update(snap, dt)
                version = snap.version
                if snap.get("engine.freeze") != "on":
                    acc += dt * self.steps_per_second * float(snap.get("engine.speed", 1.0))
                    acc = min(acc, float(self.max_catchup))
                    t0 = clock()
                    while acc >= 1.0 and not self._stop.is_set():
                        engine.step(params, 1.0 / self.steps_per_second)
                        acc -= 1.0
                        steps_window += 1
                        self._steps += 1
                        if clock() >= next_frame:
                            break  # a frame is due: deliver it, catch up after
                    step_time += clock() - t0
                if now >= next_frame:
                    t0 = clock()
                    rgb = self.backend.to_host(engine.render(params, self.width, self.height))
                    self._seq += 1
                    self.mailbox.put(
                        Frame(rgb, self._seq, self._steps / self.steps_per_second, clock(), version)
                    )
                    frame_time += clock() - t0
                    frames_window += 1
                    next_frame += frame_period
                    if next_frame < now:  # fell behind: re-anchor, don't burst
                        next_frame = now + frame_period
            except Exception as exc:
                self.errors += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("engine step failed")
                self._stop.wait(0.1)
            if now >= next_stats:
                span = max(now - window_start, 1e-9)
                self._report(
                    EngineStats(
                        backend=self.backend.name,
                        backend_reason=self.backend.reason,
                        engine=self.engine.name if self.engine else "",
                        preset=str(params.get("engine.preset", "")),
                        steps_per_second=steps_window / span,
                        frames_per_second=frames_window / span,
                        step_ms=1e3 * step_time / max(steps_window, 1),
                        frame_ms=1e3 * frame_time / max(frames_window, 1),
                        generation=self.engine.generation if self.engine else 0,
                        errors=self.errors,
                        last_error=self.last_error,
                    )
                )
                steps_window = frames_window = 0
                step_time = frame_time = 0.0
                window_start = now
                next_stats = now + self.stats_interval
            # Sleep until the next step or frame is due (never busy-wait).
            due_step = (1.0 - acc) / max(
                self.steps_per_second * float(params.get("engine.speed", 1.0)), 1e-6
            )
            wait = min(next_frame - clock(), due_step, 0.05)
            if wait > 0:
                self._stop.wait(wait)

    def _report(self, stats: EngineStats) -> None:
        self.stats = stats
        if self.on_stats is None:
            return
        if self._loop is None:
            self.on_stats(stats)
            return
        with contextlib.suppress(RuntimeError):  # loop already closed while stopping
            self._loop.call_soon_threadsafe(self.on_stats, stats)
