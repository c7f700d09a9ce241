"""The Textual app: thin. It builds the screens, forwards show events, routes errors."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from perform.session import Session
from perform.tui.bridge import Bridge
from perform.tui.messages import Changed, NoticePosted
from perform.tui.safety_keys import FUNCTION_KEYS, SAFETY_KEYS
from perform.tui.screens.help import HelpScreen
from perform.tui.screens.live import LIVE_KEYS, LiveScreen
from perform.tui.screens.mapping import MappingScreen
from perform.tui.screens.setlist import SetlistScreen


class PerformApp(App):
    """``live=False`` keeps the engine thread stopped and the previews frozen (snapshot tests)."""

    CSS_PATH = "perform.tcss"
    TITLE = "perform"
    BINDINGS = [
        Binding("q", "quit_show", "Quit"),
        # On every screen (setlist, mapping, help, a confirm...): letters where the screen
        # does not use them, and function keys that win even over a text field.
        *SAFETY_KEYS,
    ]

    def __init__(self, session: Session, *, live: bool = True) -> None:
        super().__init__()
        self.session = session
        self.live = live
        self.bridge: Bridge | None = None

    async def on_mount(self) -> None:
        self.bridge = Bridge(self, self.session)
        self.sub_title = self.session.backend.reason
        runner = self.session.component("setlist")
        if runner is not None:
            self.title = f"perform — {runner.setlist.name}"
        await self.session.start(engine=self.live)
        self.install_screen(SetlistScreen(self.session), "setlist")
        self.install_screen(MappingScreen(self.session), "mapping")
        await self.push_screen(LiveScreen(self.session, live=self.live))

    async def on_unmount(self) -> None:
        if self.bridge is not None:
            self.bridge.close()
        await self.session.stop()

    # --- show events -> the active screen ------------------------------------------------
    def on_changed(self, message: Changed) -> None:
        if self.bridge is not None:
            self.bridge.delivered(message.kind)
        if self.screen_stack:  # not while shutting down
            self.screen.post_message(Changed(message.kind))

    def on_notice_posted(self, message: NoticePosted) -> None:
        notice = message.notice
        self.notify(notice.message, title=notice.title, severity=notice.severity)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed background job is a notification, never the end of the show."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.notify(
                f"{type(error).__name__}: {error}",
                title=event.worker.description or "Background job failed",
                severity="error",
            )

    # --- actions -------------------------------------------------------------------------
    def action_help(self) -> None:
        keys = [
            (b.key.replace("question_mark", "?").replace("colon", ":"), b.description)
            for b in LIVE_KEYS
            if isinstance(b, Binding) and b.show
        ]
        keys += [(b.key, b.description) for b in FUNCTION_KEYS]
        keys.append(("q", "quit (asks first while a show is loaded)"))
        self.push_screen(HelpScreen(keys))

    def action_safety(self, name: str) -> None:
        if not self.session.store.actions.invoke(name, None, "tui"):
            why = "no show is loaded (perform run SHOW.toml)" if name.startswith("cue.") else ""
            self.notify(f"{name}: {why or 'not available'}", severity="warning")

    def action_quit_show(self) -> None:
        if self.session.component("setlist") is None:
            self.exit()
            return
        from perform.tui.screens.confirm import Confirm

        def answer(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(
            Confirm("A show is loaded. Quit perform and stop the stream?", yes="Quit"), answer
        )

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        actions = self.session.store.actions
        for name in actions.names():
            spec = actions.spec(name)
            if spec.takes_arg:
                continue
            yield SystemCommand(f"{name}", spec.doc, lambda n=name: actions.invoke(n, None, "tui"))
        yield SystemCommand(
            "Setlist screen",
            "scenes, notes, jump, arm, reload",
            lambda: self.push_screen("setlist"),
        )
        yield SystemCommand(
            "Mapping screen", "bindings, MIDI learn, delete", lambda: self.push_screen("mapping")
        )
        yield SystemCommand("Edit prompts", "prompt A/B, crossfader, transition", self._edit_prompt)
        yield SystemCommand("Keys", "every key of the show", self.action_help)

    def _edit_prompt(self) -> None:
        from perform.tui.screens.prompt import PromptScreen

        self.push_screen(PromptScreen(self.session.store))
