"""The one place where show events become Textual messages.

Subscribes to the store and the session's event bus on the loop thread and posts
coalescing messages to the app; parameter changes are collected into a dirty set
that the UI drains, so a 1000 msg/s fader sweep costs the UI one refresh per frame.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App

from perform.events import SHOW_STATE, Notice, ShowState
from perform.params import ChangeSet
from perform.render.host import EngineStats
from perform.session import Session
from perform.tui.messages import EngineStatsUpdated, NoticePosted, ParamsChanged, ShowStateUpdated


class Bridge:
    def __init__(self, app: App, session: Session) -> None:
        self.app = app
        self.session = session
        self.dirty: set[str] = set()
        self._unsubscribe: list[Callable[[], None]] = [
            session.store.subscribe(self._on_changes),
            session.events.subscribe("engine.stats", self._on_stats),
            session.events.subscribe("notice", self._on_notice),
            session.events.subscribe(SHOW_STATE, self._on_show),
        ]
        self.show_state: ShowState | None = None

    def _on_show(self, state: ShowState) -> None:
        self.show_state = state
        self.app.post_message(ShowStateUpdated(state))

    def _on_stats(self, stats: EngineStats) -> None:
        self.app.post_message(EngineStatsUpdated(stats))

    def _on_notice(self, notice: Notice) -> None:
        self.app.post_message(NoticePosted(notice))

    def _on_changes(self, changes: ChangeSet) -> None:
        self.dirty.update(changes)
        self.app.post_message(ParamsChanged())

    def drain(self) -> set[str]:
        dirty, self.dirty = self.dirty, set()
        return dirty

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
