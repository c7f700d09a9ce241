"""The engine thread: a fixed simulation clock, slewed parameters, frames into the mailbox.

The thread reads the store's immutable snapshot (never the store itself), advances the
organism at ``steps_per_second x engine.speed`` whatever the stream fps, renders a frame
every stream period into the size-1 mailbox (RGB for previews and I420 for the stream,
both from the renderer), and reports its statistics to the event loop with
``call_soon_threadsafe``. It touches nothing else that the loop owns.

* The engine follows the store's ramps: a parameter the store is gliding (a scene, a
  preset taken with a transition) reaches the engine as the store moves it, never
  smoothed again, so the organism lands when Scope's prompt does.
* :class:`Slew` is only a safety glide for *raw* jumps (a plain write with no transition,
  e.g. a fader flicked across a rule parameter, or a preset taken with no duration):
  rule and structural parameters would kill the organism if they jumped, so they glide
  over their spec's ``smoothing`` (about 2 s); safe ones follow within a frame or two.
* A preset of another engine, or ``engine.reseed``, grows a new organism on a worker
  thread (:mod:`perform.render.switch`) while the current one keeps running, then
  crossfades the two over the duration of the transition that asked for it
  (:data:`DEFAULT_CROSSFADE` for a plain write). Until the first organism is ready the
  host posts black frames.
* ``master.fade`` is *not* applied here: the organism is rendered at full level for Scope
  and the program bus fades the audience's picture (:mod:`perform.program.bus`);
  ``engine.freeze`` holds the simulation while frames keep flowing.

If the simulation falls behind, simulated time dilates (at most ``max_catchup`` steps
between two frames) instead of spiralling; an exception in a step is counted, logged and
shown in the stats, and the show goes on with the last good frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy

from engines import ENGINES, Backend, Engine, Organism, Picture, PresetError, get_preset
from perform.params import ParamStore, Snapshot
from perform.render.mailbox import Frame, FrameMailbox
from perform.render.switch import GROW_SECONDS, Grower, Slot, blend, smoothstep

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EngineStats:
    """What the engine thread reports to the loop (about twice a second)."""

    backend: str
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
    coverage: float = 0.0
    """Living fraction of the world at the last regulation."""
    world: int = 0
    """Side of the world the organism runs at now (smaller than asked on a starved CPU)."""


DEFAULT_CROSSFADE = 2.0
"""Seconds two organisms crossfade when a plain write (no transition) switched engines."""


class Slew:
    """The engine's safety glide: one-pole smoothing of *raw* jumps, per time constant.

    Names in ``timed`` (the store glides them as part of a transition) pass through
    untouched: the store's ramp is the one smoothing a transition gets.
    """

    def __init__(self, smoothing: Mapping[str, float]) -> None:
        self.taus = {k: v for k, v in smoothing.items() if v > 0}
        self.values: dict[str, float] = {}

    def update(
        self, targets: Mapping[str, Any], dt: float, timed: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        out = dict(targets)
        for name, tau in self.taus.items():
            target = targets.get(name)
            if not isinstance(target, int | float):
                continue
            current = self.values.get(name)
            if current is None or name in timed:
                current = float(target)
            else:
                current += (float(target) - current) * (1.0 - math.exp(-dt / tau))
            self.values[name] = current
            out[name] = current
        return out

    def snap(self, targets: Mapping[str, Any], names: Any = None) -> None:
        """Jump to the targets (all of them, or only ``names``)."""
        for name in self.taus if names is None else names:
            value = targets.get(name)
            if name in self.taus and isinstance(value, int | float):
                self.values[name] = float(value)


RENDER_MARGIN = 0.003
"""Seconds of slack between a frame being ready and the stream taking it."""
STARVED = 0.5
"""Below this share of the wanted steps/s the CPU is starved (fewer steps per frame)..."""
STARVED_SECONDS = 3.0
"""...and when that lasts this long, the organism is regrown in a world half as wide."""
MIN_WORLD = 128
GROW_BACK = 0.95
"""At or above this share of the wanted steps/s the CPU keeps up..."""
GROW_BACK_SECONDS = 10.0
"""...and when that lasts this long, at least this long after the last shrink..."""
GROW_SHARE = 0.5
"""...and a world twice as wide (4x the cells) would take at most this share of the
wall time at the wanted rate, the organism regrows in it (back up to the asked world)."""


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
        warmup_steps: int = 180,
        grow_seconds: float | None = GROW_SECONDS,
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
        self.warmup_steps = warmup_steps
        self.grow_seconds = grow_seconds
        self.world_now = world
        """The world side in use: halved (down to ``MIN_WORLD``) while the CPU is starved."""
        self.shrinks = 0
        self.grows = 0
        """Times the world grew back towards :attr:`world` (the CPU came back)."""
        self._starved_since: float | None = None
        self._easy_since: float | None = None
        self._easy_steps = 0
        self._resized_at = float("-inf")
        self.mailbox = FrameMailbox()
        self.slew = Slew(smoothing)
        self.current: Slot | None = None
        self.outgoing: Slot | None = None
        self.stats: EngineStats | None = None
        self.errors = 0
        self.last_error: str | None = None
        self.switches = 0
        self._grower = Grower()
        self._fade_start = 0.0
        self._fade_seconds = 0.0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reseed_seen: int | None = None
        self._cause = "engine.preset"
        """The parameter whose write asked for the organism being grown (its transition
        times the crossfade)."""
        self._seq = 0
        self._steps = 0
        self._render_s: deque[float] = deque(maxlen=30)
        self._step_s = 0.0
        """Running mean of one simulation step (seconds), for aligning renders."""
        self._black: tuple[numpy.ndarray, numpy.ndarray] | None = None
        self._params: Mapping[str, Any] = {}
        self._held: dict[str, Any] | None = None
        """The look the organism on stage keeps while another engine's one grows in."""
        self._outgoing_held: dict[str, Any] | None = None

    @classmethod
    def for_store(cls, store: ParamStore, backend: Backend, **kwargs: Any) -> EngineHost:
        """A host that reads ``store``'s snapshots and slews with its specs' smoothing."""
        smoothing = {name: spec.smoothing for name, spec in store.specs.items()}
        return cls(lambda: store.snapshot, backend, smoothing=smoothing, **kwargs)

    # --- lifecycle ------------------------------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        if self._thread is not None:
            raise RuntimeError("engine host already started")
        self._loop = loop
        self._stop.clear()
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
        self._grower.shutdown()
        self._grower = Grower()

    @property
    def total_steps(self) -> int:
        """Simulation steps run since start (read from any thread; informational)."""
        return self._steps

    @property
    def organism(self) -> Organism | None:
        slot = self.current
        return slot.organism if slot else None

    @property
    def engine(self) -> Engine | None:
        """The current organism's engine (None until the first one is ready)."""
        organism = self.organism
        return organism.engine if organism else None

    # --- organisms --------------------------------------------------------------------------
    def _wanted(self, snap: Snapshot) -> tuple[str, str]:
        """The preset to show and its engine (an unknown preset keeps the current one)."""
        key = str(snap.get("engine.preset", ""))
        try:
            return key, get_preset(key).engine
        except PresetError:
            if self.current is not None:
                return self.current.preset, self.current.engine
            return key, next(iter(ENGINES))

    def _manage(self, snap: Snapshot, now: float) -> None:
        """Start growing a new organism when needed; swap one in when it is ready."""
        preset, engine = self._wanted(snap)
        reseed = int(snap.get("engine.reseed", 0))
        if self._reseed_seen is None:
            self._reseed_seen = reseed
        seed = self.current.seed if self.current else self.seed
        wanted: tuple[str, int] | None = None
        if reseed != self._reseed_seen:
            self._reseed_seen = reseed
            self._cause = "engine.reseed"
            seed += 1
            wanted = (preset, seed)
        elif self.current is None or engine != self.current.engine:
            if self._grower.key != (preset, seed):
                self._cause = "engine.preset"
            wanted = (preset, seed)
            if self.current is not None and self._held is None:
                self._held = _shared(self._params)
        elif self.current.organism.world != self.world_now and self._grower.key is None:
            # starved, or the CPU came back: the same organism again, in another world
            wanted = (preset, seed)
        elif self._grower.key is not None and self._grower.key[0] != preset:
            # Back to the current engine while another one was growing: forget that one.
            self._grower.cancel()
            self._held = None
        if self.current is None and self._grower.busy:
            # Nothing on screen yet: a scene change must not throw away the organism that
            # is about to appear (bounded in time); the next one grows once it shows.
            wanted = None
        if wanted is not None and (self._grower.key != wanted) and preset in _presets():
            self._grower.request(
                wanted, self.backend, preset, self.world_now, wanted[1], dict(snap),
                self.warmup_steps, self.steps_per_second, size=(self.width, self.height),
                max_seconds=self.grow_seconds,
            )  # fmt: skip
        slot = self._grower.ready()
        if slot is None:
            if self._grower.last_error and self._grower.last_error != self.last_error:
                self.errors += 1
                self.last_error = self._grower.last_error
            return
        names = [p.name for p in type(slot.organism.engine).params]
        self.slew.snap(snap, names)
        if self.outgoing is not None:
            self.outgoing.organism.close()
        self.outgoing, self.current = self.current, slot
        self._outgoing_held, self._held = self._held, None
        self._fade_start = now
        timing = snap.transitions.get(self._cause)
        self._fade_seconds = DEFAULT_CROSSFADE if timing is None else timing.seconds
        self.switches += 1

    def _fade(self, now: float) -> float:
        """Crossfade progress 0..1 (1 = only the current organism is shown)."""
        if self._fade_seconds <= 0:
            return 1.0
        return smoothstep((now - self._fade_start) / self._fade_seconds)

    def _picture(self, params: Mapping[str, Any], now: float) -> Picture | None:
        current = self.current
        if current is None:
            return None
        new = current.organism.render(_keep(params, self._held), self.width, self.height)
        outgoing = self.outgoing
        if outgoing is None:
            return new
        x = self._fade(now)
        if x >= 1.0:
            outgoing.organism.close()
            self.outgoing = self._outgoing_held = None
            return new
        old = outgoing.organism.render(_keep(params, self._outgoing_held), self.width, self.height)
        return blend(self.backend.xp, old, new, x)

    def _to_host(self, picture: Picture | None) -> tuple[numpy.ndarray, numpy.ndarray]:
        if picture is None:
            if self._black is None:
                rgb = numpy.zeros((self.height, self.width, 3), numpy.uint8)
                yuv = numpy.full((self.height * 3 // 2, self.width), 128, numpy.uint8)
                yuv[: self.height] = 16
                self._black = (rgb, yuv)
            return self._black
        if picture.packed is not None:
            rgb, yuv = self.backend.to_host_many(
                picture.packed, [(0, picture.rgb.shape), (picture.rgb.size, picture.yuv.shape)]
            )
            return rgb, yuv
        return self.backend.to_host(picture.rgb), self.backend.to_host(picture.yuv)

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
        dt_sim = 1.0 / self.steps_per_second
        while not self._stop.is_set():
            now = clock()
            dt = min(now - last, 0.25)
            last = now
            try:
                snap = self._snapshot()
                self._manage(snap, now)
                params = self._params = self.slew.update(snap, dt, snap.timed)
                # master.fade belongs to the program bus: Scope gets the organism at full
                # level (ready when the light comes back), and nothing is faded twice.
                params["master.fade"] = 1.0
                version = snap.version
                if snap.get("engine.freeze") != "on" and self.current is not None:
                    acc += dt * self.steps_per_second * float(params.get("engine.speed", 1.0))
                    acc = min(acc, float(self.max_catchup))
                    t0 = clock()
                    while acc >= 1.0 and not self._stop.is_set():
                        t_step = clock()
                        self.current.organism.step(_keep(params, self._held), dt_sim)
                        if self.outgoing is not None:
                            held = self._outgoing_held
                            self.outgoing.organism.step(_keep(params, held), dt_sim)
                        self._step_s += 0.1 * (clock() - t_step - self._step_s)
                        acc -= 1.0
                        steps_window += 1
                        self._steps += 1
                        if clock() >= next_frame:
                            break  # a frame is due: deliver it, catch up after
                    step_time += clock() - t0
                if now >= next_frame:
                    t0 = clock()
                    if self.current is not None:
                        self.current.organism.regulate(_keep(params, self._held))
                    rgb, yuv = self._to_host(self._picture(params, now))
                    self._seq += 1
                    sim_time = self.current.organism.sim_time if self.current else 0.0
                    self.mailbox.put(Frame(rgb, self._seq, sim_time, clock(), version, yuv))
                    frame_time += clock() - t0
                    frames_window += 1
                    next_frame += frame_period
                    if next_frame < now:  # fell behind: re-anchor, don't burst
                        next_frame = now + frame_period
                    self._render_s.append(clock() - t0)
                    # Ready before the take: the slowest recent render, plus a step that may
                    # still be running when the render is due, plus a margin.
                    lead = max(self._render_s) + self._step_s + RENDER_MARGIN
                    aligned = self._aligned(next_frame, lead, frame_period, clock())
                    if aligned is not None:
                        next_frame = aligned
            except Exception as exc:
                self.errors += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("engine step failed")
                self._stop.wait(0.1)
            if now >= next_stats:
                span = max(now - window_start, 1e-9)
                self._watch_starvation(params, steps_window / span, now)
                self._report(
                    self._stats(
                        params, steps_window / span, frames_window / span,
                        1e3 * step_time / max(steps_window, 1),
                        1e3 * frame_time / max(frames_window, 1),
                    )
                )  # fmt: skip
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

    def _watch_starvation(self, params: Mapping[str, Any], sps: float, now: float) -> None:
        """Fewer steps per frame is the first degradation (time dilates); when the steps
        stay far below the wanted rate, the next is a smaller world (never a dark one).

        When the CPU comes back the world grows back, one doubling at a time, with
        hysteresis: the steps must keep up for :data:`GROW_BACK_SECONDS`, and the
        measured step time, four times over, must leave the larger world room
        (:data:`GROW_SHARE`), so a machine that is still busy does not flip between two
        worlds. Either way the organism on screen keeps running while the other grows,
        and the two crossfade: no cut, never black.
        """
        wanted = self.steps_per_second * float(params.get("engine.speed", 1.0))
        steady = (
            self.current is not None
            and self.outgoing is None
            and not self._grower.busy
            and params.get("engine.freeze") != "on"
        )
        if not steady or wanted <= 0:
            self._starved_since = self._easy_since = None
            return
        self._watch_recovery(sps, wanted, now)
        if sps >= STARVED * wanted or self.world_now <= MIN_WORLD:
            self._starved_since = None
            return
        if self._starved_since is None:
            self._starved_since = now
        elif now - self._starved_since >= STARVED_SECONDS:
            self._starved_since = None
            self.world_now = max(MIN_WORLD, self.world_now // 2)
            self.shrinks += 1
            self._resized_at = now
            log.warning(
                "the CPU is starved (%.0f of %.0f steps/s): the organism regrows in a %d² world",
                sps, wanted, self.world_now,
            )  # fmt: skip

    def _watch_recovery(self, sps: float, wanted: float, now: float) -> None:
        """Judged on the steps over the whole span (a half-second window holds a few
        steps at a low rate: too coarse to compare with 95 %)."""
        roomy = 4.0 * self._step_s * wanted <= GROW_SHARE
        if self.world_now >= self.world or sps < STARVED * wanted or not roomy:
            self._easy_since = None
            return
        if self._easy_since is None:
            self._easy_since, self._easy_steps = now, self._steps
            return
        span = now - self._easy_since
        if span < GROW_BACK_SECONDS or now - self._resized_at < GROW_BACK_SECONDS:
            return
        kept = (self._steps - self._easy_steps) / span
        self._easy_since = None
        if kept < GROW_BACK * wanted:
            return  # not quite: judge the next span
        self.world_now = min(self.world, self.world_now * 2)
        self.grows += 1
        self._resized_at = now
        log.warning(
            "the CPU keeps up again (%.0f steps/s, %.1f ms a step): the organism regrows in "
            "a %d² world",
            kept, 1e3 * self._step_s, self.world_now,
        )  # fmt: skip

    def _aligned(self, planned: float, render_s: float, period: float, now: float) -> float | None:
        """When to render the next frame so it is fresh when the stream takes it.

        The stream publishes its take times (see :meth:`FrameMailbox.want`); the next
        render starts ``render_s`` before the take that follows ``planned - period / 2``.
        None when no stream pulls (the fixed grid then stands).
        """
        take = self.mailbox.next_wanted(max(now, planned - period / 2))
        if take is None:
            return None
        return max(now, take - render_s)

    def _stats(
        self, params: Mapping[str, Any], sps: float, fps: float, step_ms: float, frame_ms: float
    ) -> EngineStats:
        organism = self.organism
        return EngineStats(
            backend=self.backend.name,
            engine=organism.name if organism else "",
            preset=str(params.get("engine.preset", "")),
            steps_per_second=sps,
            frames_per_second=fps,
            step_ms=step_ms,
            frame_ms=frame_ms,
            generation=organism.engine.generation if organism else 0,
            errors=self.errors,
            last_error=self.last_error,
            coverage=organism.vitals.coverage if organism else 0.0,
            world=organism.world if organism else self.world_now,
        )

    def _report(self, stats: EngineStats) -> None:
        self.stats = stats
        if self.on_stats is None:
            return
        if self._loop is None:
            self.on_stats(stats)
            return
        with contextlib.suppress(RuntimeError):  # loop already closed while stopping
            self._loop.call_soon_threadsafe(self.on_stats, stats)


SHARED = ("flow.", "color.", "organism.")
"""Parameters every engine reads: a preset of another engine sets them for its organism,
so the organism it replaces keeps its own until it has faded out (stepped with the new
preset's flows, colour and containment it flickered for the whole switch; issue 15)."""


def _shared(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k.startswith(SHARED)}


def _keep(params: Mapping[str, Any], held: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """``params`` with the ``held`` shared ones over them (``params`` when none)."""
    return {**params, **held} if held else params


def _presets() -> Any:
    from engines import presets

    return presets()
