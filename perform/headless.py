"""The show without a UI: status lines on stdout, notices on stderr, clean stop on Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Callable

from perform.events import ENGINE_STATS, NOTICE, PROGRAM_STATE, SHOW_STATE, Notice, ShowState
from perform.params import ChangeSet, Transition
from perform.program.state import ProgramState
from perform.render.host import EngineStats
from perform.session import Session
from perform.stream import scope_link


class Landing:
    """Per scene: when the organism's parameters and Scope's prompt reach their targets.

    The organism follows the store's ramps (the engine does not smooth them again), so it
    is at its target when the scene's transition has no ramp left; the prompt's end is
    what the Scope link scheduled (send time + its chunks at the measured chunk period).
    One line per scene with a timed transition, e.g.
    ``scene 2 Labyrinth: transition 4.00 s; organism at target +4.00 s; prompt +4.03 s
    (60 chunks of 66.7 ms); apart 0.03 s (one chunk 0.067 s)``.
    """

    def __init__(self, session: Session, out: Callable[[str], None]) -> None:
        self.session = session
        self.out = out
        self.scene = ""
        self.name = ""
        self.timing: Transition | None = None
        self.organism: float | None = None

    def on_show(self, state: ShowState) -> None:
        if state.scene is not None and state.phase == "transition":
            self.scene = f"scene {(state.index or 0) + 1} {state.scene}"

    def on_changes(self, changes: ChangeSet) -> None:
        store = self.session.store
        for change in changes.values():
            timing = change.transition
            timed = timing is not None and timing.seconds > 0
            if change.source == "setlist" and timed and timing != self.timing:
                self.timing, self.organism, self.name = timing, None, self.scene
        timing = self.timing
        if timing is None or self.organism is not None:
            return
        glides = store.snapshot.transitions
        if any(store.ramping(n) and glides.get(n) == timing for n in glides):
            return
        self.organism = store.now() - timing.start
        self._report(timing, self.organism)

    def _report(self, timing: Transition, organism: float) -> None:
        line = (
            f"{self.name}: transition {timing.seconds:.2f} s; "
            f"organism at target +{organism:.2f} s; "
        )
        link = scope_link(self.session)
        planner = link.planner if link is not None else None
        landing = None if planner is None else planner.landings.get(timing)
        if planner is None or landing is None:
            self.out(line + "prompt: not sent (no Scope stream, or no prompt in this scene)")
            return
        at, steps = landing
        prompt = at - timing.start
        chunk = planner.chunk_period
        self.out(
            line + f"prompt +{prompt:.2f} s ({steps} chunks of {1000 * chunk:.1f} ms); "
            f"apart {abs(prompt - organism):.2f} s (one chunk {chunk:.3f} s)"
        )


def format_show(state: ShowState, now: float) -> str | None:
    """A line for the performer when a scene starts, a GO is armed or the show ends."""
    if state.phase == "done":
        return f"show '{state.show}' finished"
    if state.phase == "panic":
        return "PANIC: fading to black (panic again to cut)"
    if state.go_at is not None:
        return f"GO armed: {state.next_scene} in {max(0.0, state.go_at - now):.2f} s (quantized)"
    if state.index is None:
        return f"show '{state.show}' ready: first scene {state.next_scene} on GO"
    line = f"scene {state.index + 1}: {state.scene}"
    if state.next_scene is None:
        return line + "; last scene"
    if state.hold_remaining is not None:
        return line + f"; next: {state.next_scene} in {state.hold_remaining:.1f} s"
    return line + f"; next: {state.next_scene} on GO"


def format_program(state: ProgramState) -> str:
    """``program: ON AIR scope`` / ``program: FAILOVER organism (Scope stalled)`` ..."""
    line = f"program: {state.badge()}"
    if state.size != (0, 0):
        line += f" [{state.size[0]}x{state.size[1]}]"
    down = [f"{s.kind} {s.state}" for s in state.sinks if s.state not in ("on", "starting")]
    if down:
        line += "; outputs: " + ", ".join(down)
    return line


def format_stats(stats: EngineStats) -> str:
    if not stats.engine:
        return f"engine on {stats.backend}: growing the first organism ({stats.preset})..."
    line = (
        f"engine {stats.engine}/{stats.preset} on {stats.backend}: "
        f"{stats.steps_per_second:7.1f} steps/s, {stats.frames_per_second:5.1f} frames/s, "
        f"step {stats.step_ms:.2f} ms, frame {stats.frame_ms:.2f} ms"
    )
    if stats.errors:
        line += f", {stats.errors} errors (last: {stats.last_error})"
    return line


async def run_headless(
    session: Session,
    *,
    seconds: float | None = None,
    out: Callable[[str], None] = print,
    status_every: float = 1.0,
) -> int:
    """Run ``session`` until ``seconds`` pass or SIGINT/SIGTERM; returns the exit status."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    last_line = 0.0

    def on_stats(stats: EngineStats) -> None:
        nonlocal last_line
        now = time.monotonic()
        if now - last_line >= status_every:
            last_line = now
            out(format_stats(stats))

    def on_notice(notice: Notice) -> None:
        print(f"[{notice.severity}] {notice.title}: {notice.message}", file=sys.stderr)

    last_show: tuple[object, ...] | None = None

    def on_show(state: ShowState) -> None:
        nonlocal last_show
        key = (state.index, state.phase == "done", state.phase == "panic", state.go_at)
        if key != last_show:
            last_show = key
            line = format_show(state, loop.time())
            if line:
                out(line)
        if state.phase == "done":
            stop.set()

    last_program = ""

    def on_program(state: ProgramState) -> None:
        nonlocal last_program
        line = format_program(state)
        if line != last_program:  # on air, failover, black...: printed when it changes
            last_program = line
            out(line)

    landing = Landing(session, out)
    session.store.subscribe(landing.on_changes)
    session.events.subscribe(SHOW_STATE, landing.on_show)
    session.events.subscribe(ENGINE_STATS, on_stats)
    session.events.subscribe(PROGRAM_STATE, on_program)
    session.events.subscribe(NOTICE, on_notice)
    session.events.subscribe(SHOW_STATE, on_show)
    out(
        f"perform: {session.backend.reason}; preset {session.config.engine.preset}; "
        f"world {session.config.engine.world}², stream {session.config.stream.width}x"
        f"{session.config.stream.height} @ {session.config.stream.fps} fps"
    )
    started = time.perf_counter()
    await session.start()
    try:
        if seconds is None:
            await stop.wait()
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=seconds)
    finally:
        steps = session.host.total_steps
        frames = session.host.mailbox.posted
        await session.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    elapsed = time.perf_counter() - started
    out(
        f"ran {elapsed:.1f} s: {steps} steps ({steps / elapsed:.1f} steps/s), "
        f"{frames} frames ({frames / elapsed:.1f} frames/s)"
    )
    return 0
