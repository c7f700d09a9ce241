"""The session component ``program``: builds the bus and its sinks, and reports on them.

It starts after the Scope link and the setlist runner (it reads the link's returned video
and asks the show why the picture is black), runs the :class:`ProgramBus` on its own
thread, and carries the bus's :class:`ProgramState` onto the loop as ``program.state``
events (the TUI badge, the headless status line, OSC ``/vj/program/...``). A sink that
can't run, or fails, becomes one notice per distinct reason; the show goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from perform.events import PROGRAM_STATE, undo_all
from perform.program.bus import ProgramBus
from perform.program.record import RecordSink
from perform.program.sink import ProgramSink, SinkState
from perform.program.sinks import build_sink
from perform.program.state import ProgramState
from perform.program.window import WindowSink
from perform.program.window.actions import bind_window_actions
from perform.show import SetlistRunner
from perform.stream import scope_link

if TYPE_CHECKING:
    from perform.build import RunOptions
    from perform.session import Session

log = logging.getLogger(__name__)


class ProgramComponent:
    name = "program"

    def __init__(
        self, *, outputs: list[str] | None = None, record: str | None = None, fps: int = 30
    ) -> None:
        self.outputs = list(outputs or [])
        """Sink kinds from ``--output`` (added to ``[output] sinks``)."""
        self.recorder = RecordSink(record, fps=fps) if record else None
        """``--record``: built here, so that a bad path stops the run before it starts."""
        self.bus: ProgramBus | None = None
        self.sinks: list[ProgramSink] = []
        self.state: ProgramState | None = None
        self._session: Session | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._told: set[tuple[str, str, str]] = set()
        self._unbind: list[Callable[[], None]] = []

    async def start(self, session: Session) -> None:
        self._session = session
        self._loop = asyncio.get_running_loop()
        config = session.config
        link = scope_link(session)
        self.bus = ProgramBus(
            organism=session.host.mailbox,
            scope=link.receiver.mailbox if link is not None else None,
            snapshot=lambda: session.store.snapshot,
            size=config.output.size(config.stream),
            fps=config.stream.fps,
            stall_s=config.output.stall_ms / 1000.0,
            link_up=link.link_up if link is not None else None,
            why_black=self._why_black,
            organism_stream=config.output.organism_stream,
            on_state=self._from_bus,
        )
        kinds = list(dict.fromkeys([*config.output.sinks, *self.outputs]))
        for kind in kinds:
            sink = build_sink(kind, config.output)
            self.sinks.append(sink)
            if isinstance(sink, WindowSink):  # its keys' twins: the window.* actions
                self._unbind += bind_window_actions(session.store.actions, sink)
        if self.recorder is not None:
            self.sinks.append(self.recorder)
        for sink in self.sinks:
            self.bus.add_sink(sink)
        self.bus.tick(self.bus.clock())  # the first picture now: a monitor opened next shows it
        self.bus.start()

    async def stop(self) -> None:
        undo_all(self._unbind)
        bus, self.bus = self.bus, None
        if bus is not None:
            await asyncio.get_running_loop().run_in_executor(None, bus.stop)

    # --- reasons and reports ------------------------------------------------------------
    def _why_black(self) -> str:
        """Why ``master.fade`` is down (called on the bus thread: plain reads only)."""
        session = self._session
        if session is None:
            return ""
        runner = session.component(SetlistRunner)
        seq = runner.sequencer if runner is not None else None
        if seq is not None:
            if seq.phase == "panic":
                return "panic"
            if seq.blacked_out:
                return "blackout"
        if session.store.last_source("master.fade") == "setlist":
            return "scene"
        return "fade"

    def _from_bus(self, state: ProgramState) -> None:
        """On the bus thread: hand the state to the loop."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed since the check
            loop.call_soon_threadsafe(self._on_state, state)

    def _on_state(self, state: ProgramState) -> None:
        self.state = state
        session = self._session
        if session is None:
            return
        for sink in state.sinks:
            if sink.state in (SinkState.UNAVAILABLE, SinkState.RETRYING) and sink.detail:
                key = (sink.kind, str(sink.state), sink.detail)
                if key not in self._told:
                    self._told.add(key)
                    session.notify(
                        f"{sink.kind} output '{sink.name}': {sink.detail}; the show goes on.",
                        title=f"Output {sink.kind}",
                        severity="error",
                    )
        session.events.publish(PROGRAM_STATE, state)


def program_factory(session: Session, options: RunOptions) -> ProgramComponent:
    """Every session has a program (the TUI monitor shows it even with no sink)."""
    return ProgramComponent(
        outputs=list(options.outputs), record=options.record, fps=session.config.stream.fps
    )
