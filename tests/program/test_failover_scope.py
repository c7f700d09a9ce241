"""Failover against the Scope test double over real WebRTC (aiortc on both sides): Scope's
video stalls, freezes, drops; the program shows the organism, never black, and comes back
to Scope once its frames are steady again."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from engines import numpy_backend
from perform.events import PROGRAM_STATE
from perform.program.component import ProgramComponent
from perform.program.compose import is_black
from perform.program.frame import ProgramFrame
from perform.program.state import ProgramState
from perform.session import Session
from perform.stream.link import ScopeLink
from tests.helpers import eventually
from tests.program.frames import CollectingSink
from tests.scope_double import ScopeDouble
from tests.stream.conftest import TIMEOUT, stream_config, wait_until

STALL_MS = 1000


class Show:
    def __init__(self, session: Session, program: ProgramComponent) -> None:
        self.session = session
        self.program = program
        self.sink = CollectingSink()
        self.states: list[ProgramState] = []
        session.events.subscribe(PROGRAM_STATE, self.states.append)

    def on_air(self, source: str) -> ProgramFrame | None:
        """The newest program frame if it shows ``source``."""
        frame = self.program.bus.latest if self.program.bus is not None else None
        return frame if frame is not None and frame.source == source else None

    async def until(self, source: str, what: str) -> ProgramFrame:
        return await eventually(
            lambda: self.on_air(source),
            TIMEOUT,
            lambda: f"{what} (program: {self.program.state}; health: {self.history()})",
            every=0.05,
        )

    def history(self) -> list[tuple[float, str]]:
        bus = self.program.bus
        if bus is None:
            return []
        t0 = bus.health.history[0][0] if bus.health.history else 0.0
        return [(round(t - t0, 2), h) for t, h in bus.health.history]

    def frames_from(self, index: int) -> list[ProgramFrame]:
        return [f for f in self.sink.program() if f.index >= index]


@contextlib.asynccontextmanager
async def show(double: ScopeDouble) -> AsyncIterator[Show]:
    config = stream_config(double.url, watchdog_seconds=20.0)
    # A threshold above the double's own hiccups on a busy machine (a 0.5 s gap after it
    # un-pauses), so that only the faults the test makes are faults; the bench measures
    # failover at the default 400 ms.
    output = config.output.model_copy(update={"stall_ms": STALL_MS})
    config = config.model_copy(update={"output": output})
    session = Session(config, backend=numpy_backend())
    session.add(ScopeLink(config))
    program = ProgramComponent()
    session.add(program)
    running = Show(session, program)
    await session.start()
    assert program.bus is not None
    program.bus.add_sink(running.sink)
    try:
        yield running
    finally:
        await session.stop()


def transitions(frames: list[ProgramFrame]) -> list[str]:
    """On-air sources in order, crossfade frames left out, repeats collapsed."""
    out: list[str] = []
    for f in frames:
        if f.source != "mix" and (not out or out[-1] != f.source):
            out.append(f.source)
    return out


async def test_stall_then_freeze_fail_over_to_the_organism_and_back(scope_double):
    async with show(scope_double) as run:
        start = (await run.until("scope", "Scope on air after a steady second")).index
        session = scope_double.session
        assert session is not None

        session.output_held = True  # stall: no new frame
        await run.until("organism", "failover after a stall")
        assert run.program.state is not None
        await wait_until(lambda: run.states[-1].failover, "FAILOVER published")
        assert run.states[-1].health == "stalled"
        session.output_held = False
        await run.until("scope", "back to Scope after the stall")

        session.receive({"paused": True})  # freeze: the same picture, again and again
        await run.until("organism", "failover after a freeze")
        assert run.states[-1].health == "frozen" or run.states[-1].failover
        session.receive({"paused": False})
        await run.until("scope", "back to Scope after the freeze")

        frames = run.frames_from(start)
        assert not [f.index for f in frames if is_black(f.yuv)], "an unasked-for black frame"
        assert transitions(frames) == ["scope", "organism", "scope", "organism", "scope"]
        indices = [f.index for f in frames]
        assert indices == sorted(set(indices))  # in order (a busy sink may skip, never reorder)
        assert frames[0].index == start  # the sink saw the frame the test saw on air
        assert run.program.bus.health.faults == 2, str(run.history())


async def test_a_dropped_link_fails_over_and_the_reconnect_brings_scope_back(scope_double):
    async with show(scope_double) as run:
        start = (await run.until("scope", "Scope on air")).index
        first = scope_double.session
        assert first is not None
        await first.close()  # the server ends the stream
        await run.until("organism", "failover after the drop")
        await wait_until(
            lambda: run.states[-1].failover and run.states[-1].health in ("down", "stalled"),
            "FAILOVER published",
        )
        await scope_double.wait_session(after=1)
        await run.until("scope", "back to Scope after the reconnect")
        frames = run.frames_from(start)
        assert not [f.index for f in frames if is_black(f.yuv)], "an unasked-for black frame"
        assert transitions(frames) == ["scope", "organism", "scope"]
