"""The help screen: every key of the show, generated from the bindings themselves."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from perform.tui.safety_keys import LETTER_KEYS

EXTRA = (
    ("↑ ↓", "pick a parameter"),
    ("← → / - +", "change it (shift: ×10)"),
    ("[ ]", "previous / next parameter tab"),
    ("1 … 9", "jump to scene N"),
    (":", "command palette: every action, screen and parameter"),
    ("mouse", "click tabs, rows, buttons and faders"),
)


def key_table(bindings: list[tuple[str, str]]) -> Text:
    width = max(len(key) for key, _ in bindings)
    out = Text()
    for key, text in bindings:
        out.append(f"{key:>{width}}  ", style="bold yellow").append(f"{text}\n")
    return out


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close"), *LETTER_KEYS]

    def __init__(self, bindings: list[tuple[str, str]]) -> None:
        super().__init__()
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static("[b]perform — keys[/b]\n")
            yield Static(key_table([*self.bindings, *EXTRA]))
            yield Static("\n[dim]escape closes this screen[/dim]")
