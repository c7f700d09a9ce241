"""The setlist screen: every scene with its notes; jump, arm the next one, reload the file.

The show file is watched (its modification time, once a second): an edited file is
validated in a worker thread and swapped in only if it is valid; otherwise the errors
are shown here and the running show carries on untouched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from perform.errors import PerformError
from perform.session import Session
from perform.setlist import Setlist, load_setlist
from perform.show import SetlistRunner
from perform.tui.messages import Changed

WATCH_EVERY = 1.0


def _span(span: Any) -> str:
    return "manual" if span == "manual" else span.describe()


class SetlistScreen(Screen):
    BINDINGS = [
        Binding("escape,s", "app.pop_screen", "Live"),
        Binding("enter", "jump", "Jump", show=True),
        Binding("a", "arm", "Arm next"),
        Binding("r", "reload", "Reload"),
        Binding("space", "cue('cue.go')", "GO", priority=True),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.errors = ""
        self._mtime: float | None = None

    @property
    def runner(self) -> SetlistRunner | None:
        return self.session.component(SetlistRunner)

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield DataTable(cursor_type="row", zebra_stripes=True, id="scenes")
        yield Static("", id="setlist-errors")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, width in (
            ("mark", "", 4),
            ("n", "#", 3),
            ("name", "scene", 20),
            ("preset", "preset", 12),
            ("in", "in", 16),
            ("hold", "hold", 10),
            ("go", "then", 13),
            ("notes", "notes", None),
        ):
            table.add_column(label, key=key, width=width)
        self.fill()
        if self.runner is not None:
            self._mtime = self._stat()
            self.set_interval(WATCH_EVERY, self._watch)

    def fill(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        runner = self.runner
        if runner is None:
            self.query_one("#setlist-errors", Static).update(
                "No show loaded: perform run SHOW.toml"
            )
            return
        setlist: Setlist = runner.setlist
        seq = runner.sequencer
        for i, scene in enumerate(setlist.scenes):
            mark = Text("▶", style="bold green") if seq and seq.index == i else Text("")
            if seq and seq.standby == i:
                mark = (
                    Text("NEXT", style="bold yellow")
                    if not mark
                    else Text("▶ N", style="bold green")
                )
            transition = setlist.transition(scene)
            table.add_row(
                mark,
                str(i + 1),
                scene.name,
                scene.preset or "",
                f"{transition.describe()} {transition.curve}",
                _span(setlist.hold(scene)),
                setlist.continue_mode(scene),
                scene.notes,
                key=str(i),
            )
        if row >= 0 and table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))
        self.title = f"{setlist.name} — {setlist.path.name}"
        self.query_one("#setlist-errors", Static).update(self.errors)

    def on_changed(self, message: Changed) -> None:
        if message.kind == "show":
            self.fill()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row, or a click on the highlighted row, jumps to that scene."""
        event.stop()
        self.action_jump()

    def _selected(self) -> int | None:
        table = self.query_one(DataTable)
        return table.cursor_row + 1 if table.row_count else None

    def action_jump(self) -> None:
        scene = self._selected()
        if scene is not None:
            self.session.store.actions.invoke("cue.goto", scene, "tui")

    def action_arm(self) -> None:
        scene = self._selected()
        if scene is not None:
            self.session.store.actions.invoke("cue.arm", scene, "tui")

    def action_cue(self, name: str) -> None:
        self.session.store.actions.invoke(name, None, "tui")

    def action_reload(self) -> None:
        if self.runner is not None:
            self.reload(Path(self.runner.setlist.path))

    def _stat(self) -> float | None:
        if self.runner is None:
            return None
        try:
            return Path(self.runner.setlist.path).stat().st_mtime
        except OSError:
            return None

    def _watch(self) -> None:
        mtime = self._stat()
        if mtime is not None and mtime != self._mtime and self.runner is not None:
            self._mtime = mtime
            self.reload(Path(self.runner.setlist.path))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="setlist-reload",
        description="reload show",
    )
    def reload(self, path: Path) -> None:
        """Validate the file off the loop; swap it in only if it is valid."""
        try:
            setlist = load_setlist(path, self.session.store.specs)
        except PerformError as exc:
            self.app.call_from_thread(self._reload_failed, exc)
            return
        self.app.call_from_thread(self._reloaded, setlist)

    def _reloaded(self, setlist: Setlist) -> None:
        if self.runner is not None:
            self.runner.replace(setlist)
        self.errors = ""
        self.fill()
        self.notify(f"{setlist.path}: {len(setlist.scenes)} scenes", title="Show reloaded")

    def _reload_failed(self, exc: PerformError) -> None:
        self.errors = f"[b red]Not reloaded — the running show is unchanged:[/]\n{exc.message}"
        self.query_one("#setlist-errors", Static).update(self.errors)
        self.notify(exc.message, title="Show not reloaded", severity="error", timeout=8)
