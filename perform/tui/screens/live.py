"""The Live screen: the organism, every parameter, and the status of the show."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header

from perform.session import Session
from perform.tui.messages import EngineStatsUpdated, ParamsChanged, ShowStateUpdated
from perform.tui.widgets.param_table import ParamTable
from perform.tui.widgets.preview import Preview
from perform.tui.widgets.status import StatusLine, show_text, status_text


class LiveScreen(Screen):
    """Preview on the left, parameters on the right, status at the bottom."""

    BINDINGS = [
        Binding("space", "cue('cue.go')", "GO", priority=True),
        Binding("b", "cue('cue.back')", "Back"),
        Binding("p", "cue('panic')", "Panic"),
    ]

    def __init__(self, session: Session, *, live: bool = True) -> None:
        super().__init__()
        self.session = session
        self.live = live

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="live"):
            yield Preview(self.session.host.mailbox, live=self.live, id="preview")
            yield ParamTable(self.session.store, id="params")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(ParamTable).focus()
        self.update_status()
        if self.live:
            self.set_interval(0.5, self.update_status)

    def update_status(self) -> None:
        preview = self.query_one(Preview)
        fps = preview.shown_fps if self.live else None
        text = status_text(self.session.backend.reason, self.session.engine_stats, fps)
        bridge = getattr(self.app, "bridge", None)
        state = bridge.show_state if bridge is not None else None
        if state is not None:
            text = show_text(state) + "  │  " + text
        self.query_one(StatusLine).update(text)

    def action_cue(self, name: str) -> None:
        if not self.session.store.actions.invoke(name, None, "tui"):
            self.notify(f"{name}: no show is loaded (perform run SHOW.toml)", severity="warning")

    def on_show_state_updated(self, message: ShowStateUpdated) -> None:
        self.update_status()

    def on_params_changed(self, message: ParamsChanged) -> None:
        bridge = getattr(self.app, "bridge", None)
        if bridge is not None:
            self.query_one(ParamTable).refresh_names(bridge.drain())

    def on_engine_stats_updated(self, message: EngineStatsUpdated) -> None:
        self.update_status()
