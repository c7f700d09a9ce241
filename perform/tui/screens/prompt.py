"""Edit prompt A and B, set the crossfader, send it as a Scope transition of N seconds."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from perform.errors import PerformError
from perform.params import ParamStore
from perform.prompts import parse_prompt_set
from perform.tui.widgets.fader import Fader


class PromptScreen(ModalScreen[bool]):
    """Nothing reaches Scope until Send: then A, B and the crossfader go as one store
    transition of the given length (Scope blends into it over that time)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "send", "Send"),
    ]

    SECONDS = 2.0
    """The transition field's starting value."""

    def __init__(self, store: ParamStore) -> None:
        super().__init__()
        self.store = store

    def compose(self) -> ComposeResult:
        store = self.store
        with Vertical(id="prompt-box"):
            yield Static(
                "[b]Prompts[/b]  [dim]a | b :: 0.5 blends several prompts with weights[/dim]"
            )
            yield Label("A")
            yield Input(str(store.get("prompt.a")), placeholder="prompt set A", id="prompt-a")
            yield Label("B")
            yield Input(
                str(store.get("prompt.b")), placeholder="prompt set B (optional)", id="prompt-b"
            )
            yield Label("crossfader (prompt.mix)")
            yield Fader(float(store.get("prompt.mix")), id="mix")
            yield Label("transition (seconds)")
            yield Input(f"{self.SECONDS:g}", id="transition", type="number")
            yield Static("", id="prompt-error")
            with Horizontal(id="prompt-buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Send (ctrl+s)", id="send", variant="success")

    def on_mount(self) -> None:
        self.query_one("#prompt-a", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "send":
            self.action_send()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_send()

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_send(self) -> None:
        a = self.query_one("#prompt-a", Input).value
        b = self.query_one("#prompt-b", Input).value
        raw = self.query_one("#transition", Input).value or "0"
        error = self.query_one("#prompt-error", Static)
        try:
            parse_prompt_set(a)
            parse_prompt_set(b)
            seconds = float(raw)
            if seconds < 0:
                raise ValueError
        except PerformError as exc:
            error.update(exc.message)
            return
        except ValueError:
            error.update(f"transition must be a number of seconds >= 0, not {raw!r}")
            return
        mix = self.query_one("#mix", Fader).value
        targets = {"prompt.a": a, "prompt.b": b, "prompt.mix": mix}
        self.store.transition(targets, seconds, "s-curve", "tui")
        self.dismiss(True)
