"""The Textual app: thin. It wires the session to the screens and forwards show events."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from perform.session import Session
from perform.tui.bridge import Bridge
from perform.tui.messages import EngineStatsUpdated, NoticePosted, ParamsChanged, ShowStateUpdated
from perform.tui.screens.live import LiveScreen


class PerformApp(App):
    """``live=False`` keeps the engine thread stopped and the preview frozen (snapshot tests)."""

    CSS_PATH = "perform.tcss"
    TITLE = "perform"
    BINDINGS = [Binding("q", "quit", "Quit")]

    def __init__(self, session: Session, *, live: bool = True) -> None:
        super().__init__()
        self.session = session
        self.live = live
        self.bridge: Bridge | None = None

    async def on_mount(self) -> None:
        self.bridge = Bridge(self, self.session)
        self.sub_title = self.session.backend.reason
        await self.session.start(engine=self.live)
        await self.push_screen(LiveScreen(self.session, live=self.live))

    async def on_unmount(self) -> None:
        if self.bridge is not None:
            self.bridge.close()
        await self.session.stop()

    def on_params_changed(self, message: ParamsChanged) -> None:
        self.screen.post_message(ParamsChanged())

    def on_engine_stats_updated(self, message: EngineStatsUpdated) -> None:
        self.screen.post_message(EngineStatsUpdated(message.stats))

    def on_show_state_updated(self, message: ShowStateUpdated) -> None:
        self.screen.post_message(ShowStateUpdated(message.state))

    def on_notice_posted(self, message: NoticePosted) -> None:
        notice = message.notice
        self.notify(notice.message, title=notice.title, severity=notice.severity)
