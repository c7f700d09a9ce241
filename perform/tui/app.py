"""The Textual app: thin. It builds the screens, forwards show events, routes errors."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from perform.session import Session
from perform.show import SetlistRunner
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
        self.next_show: Path | None = None
        """Set when the performer opened another show: the caller starts a session for it."""

    async def on_mount(self) -> None:
        self.bridge = Bridge(self, self.session)
        self.sub_title = self.session.backend.reason
        runner = self.session.component(SetlistRunner)
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
        keys.append(("o", "open another show (yours and the shipped ones)"))
        keys += [(b.key, b.description) for b in FUNCTION_KEYS]
        keys.append(("q", "quit (asks first once a show has started)"))
        self.push_screen(HelpScreen(keys))

    def show_started(self) -> bool:
        runner = self.session.component(SetlistRunner)
        sequencer = runner.sequencer if runner is not None else None
        return sequencer is not None and sequencer.index is not None

    def action_safety(self, name: str) -> None:
        if not self.session.store.actions.invoke(name, None, "tui"):
            why = "no show is loaded (perform run SHOW.toml)" if name.startswith("cue.") else ""
            self.notify(f"{name}: {why or 'not available'}", severity="warning")

    def action_quit_show(self) -> None:
        if not self.show_started():
            self.exit()
            return
        from perform.tui.screens.confirm import Confirm

        def answer(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(
            Confirm("A show is loaded. Quit perform and stop the stream?", yes="Quit"), answer
        )

    def action_open_show(self) -> None:
        """The picker; a chosen show ends this session and the next one runs it (asks first
        once the current show has started: the stream restarts)."""
        from perform import library
        from perform.tui.screens.shows import ShowPicker

        runner = self.session.component(SetlistRunner)
        current = Path(runner.setlist.path) if runner is not None else None
        shows = list(library.catalogue("setlists", self.session.config.paths.setlists).values())
        if not shows:
            self.notify("no show files found", severity="warning")
            return

        def open_it(path: Path | None) -> None:
            if path is None:
                return
            if not self.show_started():
                self.open(path)
                return
            from perform.tui.screens.confirm import Confirm

            self.push_screen(
                Confirm(
                    f"Open {path.stem}? The running show stops and the stream restarts.",
                    yes="Open",
                ),
                lambda yes: self.open(path) if yes else None,
            )

        self.push_screen(ShowPicker(shows, current), open_it)

    def open(self, path: Path) -> None:
        """End this session for the show at ``path``, once it validates: a broken file is
        said here and the running show carries on."""
        from engines import presets
        from perform.errors import PerformError
        from perform.setlist import load_setlist

        try:
            load_setlist(path, self.session.store.specs, presets())
        except PerformError as exc:
            self.notify(exc.message, title=f"{path.name} not opened", severity="error")
            return
        self.next_show = path
        self.exit()

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
            "Open show", "pick another show (yours and the shipped ones)", self.action_open_show
        )
        yield SystemCommand(
            "Mapping screen", "bindings, MIDI learn, delete", lambda: self.push_screen("mapping")
        )
        yield SystemCommand("Edit prompts", "prompt A/B, crossfader, transition", self._edit_prompt)
        yield SystemCommand("Keys", "every key of the show", self.action_help)

    def _edit_prompt(self) -> None:
        from perform.tui.screens.prompt import PromptScreen

        self.push_screen(PromptScreen(self.session.store))
