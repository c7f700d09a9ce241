"""The one place where show events become Textual messages.

Subscribes (on the loop thread) to the store and to the session's event bus, keeps the
latest state of each kind, and posts coalescing :class:`~perform.tui.messages.Changed`
messages. Screens and widgets read what they show from here.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

from textual.app import App

from perform.events import (
    CONTROL_MESSAGE,
    DEVICE_STATE,
    ENGINE_STATS,
    NOTICE,
    PROGRAM_STATE,
    SCOPE_STATUS,
    SHOW_STATE,
    TEMPO_STATE,
    DeviceState,
    InputMessage,
    Notice,
    ScopeStatus,
    ShowState,
    TempoState,
    undo_all,
)
from perform.params import ChangeSet
from perform.program.state import ProgramState
from perform.rates import RateMeter
from perform.render.host import EngineStats
from perform.session import Session
from perform.tui.messages import Changed, Kind, NoticePosted

MONITOR_SIZE = 200


class Bridge:
    def __init__(self, app: App, session: Session) -> None:
        self.app = app
        self.session = session
        self.dirty: set[str] = set()
        self._posted: set[Kind] = set()
        self.stats: EngineStats | None = session.engine_stats
        self.show: ShowState | None = None
        self.tempo: TempoState | None = None
        self.scope: ScopeStatus | None = None
        self.program: ProgramState | None = None
        self.monitor: deque[InputMessage] = deque(maxlen=MONITOR_SIZE)
        self.monitor_total = 0
        self.devices: dict[tuple[str, str], DeviceState] = {}
        self._osc = RateMeter()
        self._spec_count = len(session.store.specs)
        bus = session.events
        self._unsubscribe: list[Callable[[], None]] = [
            session.store.subscribe(self._on_changes),
            bus.subscribe(ENGINE_STATS, lambda s: self._set("stats", s)),
            bus.subscribe(SHOW_STATE, lambda s: self._set("show", s)),
            bus.subscribe(TEMPO_STATE, lambda s: self._set("tempo", s)),
            bus.subscribe(SCOPE_STATUS, lambda s: self._set("scope", s)),
            bus.subscribe(PROGRAM_STATE, self._on_program),
            bus.subscribe(CONTROL_MESSAGE, self._on_message),
            bus.subscribe(DEVICE_STATE, self._on_device),
            bus.subscribe(NOTICE, self._on_notice),
        ]

    def _post(self, kind: Kind) -> None:
        """One message per kind until the app has taken it (a flood posts once per turn)."""
        if kind in self._posted:
            return
        self._posted.add(kind)
        self.app.post_message(Changed(kind))

    def delivered(self, kind: str) -> None:
        """The app took a Changed(kind): the next change of that kind posts again."""
        self._posted.discard(kind)  # type: ignore[arg-type]

    def _on_program(self, state: ProgramState) -> None:
        changed = not state.same_as(self.program)
        self.program = state
        if changed:  # the twice-a-second repeats redraw nothing
            self._post("program")

    def _set(self, attribute: str, value: Any) -> None:
        setattr(self, attribute, value)
        self._post(attribute)  # type: ignore[arg-type]

    def _on_changes(self, changes: ChangeSet) -> None:
        self.dirty.update(changes)
        if self.specs_changed():
            self._post("specs")
        self._post("params")

    def specs_changed(self) -> bool:
        """True once after parameters were registered or removed."""
        count = len(self.session.store.specs)
        if count == self._spec_count:
            return False
        self._spec_count = count
        return True

    def _on_message(self, message: InputMessage) -> None:
        self.monitor.append(message)
        self.monitor_total += 1
        if message.source == "osc":
            self._osc.add(time.monotonic())
        self._post("monitor")

    def _on_device(self, state: DeviceState) -> None:
        self.devices[(state.name, state.direction)] = state
        self._post("devices")

    def _on_notice(self, notice: Notice) -> None:
        self.app.post_message(NoticePosted(notice))

    def osc_rate(self) -> float:
        """OSC messages per second over the last two seconds."""
        return self._osc.rate(time.monotonic())

    def drain(self) -> set[str]:
        dirty, self.dirty = self.dirty, set()
        return dirty

    def close(self) -> None:
        undo_all(self._unsubscribe)
