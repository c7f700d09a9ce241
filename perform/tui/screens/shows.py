"""The show picker: the user's shows and the shipped ones, the current one preselected.

``o`` on the Live screen or "Open show" in the command palette opens it; ``enter`` opens
the highlighted show. Opening a show rebuilds the session around it (its tempo, its Scope
pipeline and LoRAs, its mapping files), exactly as ``perform run NAME`` would start it, so
the app ends this session and :mod:`perform.commands.tui` starts the next one.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from perform.library import Found


class ShowPicker(ModalScreen[Path | None]):
    DEFAULT_CSS = """
    ShowPicker { align: center middle; }
    #show-picker {
        width: 64; height: auto; max-height: 80%;
        border: thick $accent; background: $surface; padding: 1 2;
    }
    #show-list { height: auto; max-height: 20; margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "dismiss_none", "Cancel")]

    def __init__(self, shows: list[Found], current: Path | None) -> None:
        super().__init__()
        self.shows = shows
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="show-picker"):
            yield Static("Open a show (enter opens it, escape cancels)", id="show-picker-title")
            yield OptionList(
                *(
                    Option(f"{found.name:<20} {found.whose}", id=str(i))
                    for i, found in enumerate(self.shows)
                ),
                id="show-list",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = self.preselected()
        options.focus()

    def preselected(self) -> int:
        """The show that is open now, else the demo, else the first."""
        for i, found in enumerate(self.shows):
            if self.current is not None and found.path.resolve() == self.current.resolve():
                return i
        return next((i for i, f in enumerate(self.shows) if f.name == "demo"), 0)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.shows[int(event.option.id or 0)].path)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
