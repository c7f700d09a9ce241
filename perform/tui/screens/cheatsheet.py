"""The cheat sheet of the controllers in use: the same text as ``perform map NAME``.

Opened with ``c`` from the mapping screen: for every loaded controller (a mapping file, or
a shipped profile whose device is plugged in), which control does what, page by page, its
takeover mode and what its LEDs mean (:mod:`perform.mapping.cheatsheet`).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from perform.inputs.hub import ControlHub
from perform.session import Session


def sheet_text(session: Session) -> str:
    from perform.mapping.cheatsheet import cheat_sheet

    hub = session.component(ControlHub)
    devices = [d for d in hub.devices if d.bindings] if hub is not None else []
    if not devices:
        return (
            "No controller in use: plug one in (a shipped profile loads by itself), or run "
            "with --mapping NAME. `perform map NAME` prints any controller's sheet."
        )
    parts = []
    for device in devices:
        files = ", ".join(str(f) for f in device.files)
        parts.append("\n".join([*cheat_sheet(device), f"  file: {files}"]))
    return "\n\n".join(parts)


class CheatSheetScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="cheat-sheet"):
            yield Static(sheet_text(self.session), id="cheat-sheet-text", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Controller cheat sheet"
