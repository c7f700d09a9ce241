"""A horizontal fader: left/right (shift for coarse) or click/drag with the mouse."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class Fader(Widget, can_focus=True):
    DEFAULT_CSS = """
    Fader { height: 1; width: 1fr; }
    Fader:focus { background: $boost; }
    """
    BINDINGS = [
        Binding("left", "nudge(-0.02)", "Less", show=False),
        Binding("right", "nudge(0.02)", "More", show=False),
        Binding("shift+left", "nudge(-0.1)", show=False),
        Binding("shift+right", "nudge(0.1)", show=False),
        Binding("home", "set(0)", show=False),
        Binding("end", "set(1)", show=False),
    ]

    value: reactive[float] = reactive(0.0)

    class Changed(Message):
        def __init__(self, fader: Fader, value: float) -> None:
            super().__init__()
            self.fader = fader
            self.value = value

    def __init__(self, value: float = 0.0, *, left: str = "A", right: str = "B", **kwargs) -> None:
        super().__init__(**kwargs)
        self.set_reactive(Fader.value, min(1.0, max(0.0, value)))
        self.left, self.right = left, right

    def render(self) -> str:
        inner = max(3, self.size.width - len(self.left) - len(self.right) - 4)
        pos = round(self.value * (inner - 1))
        track = "─" * pos + "█" + "─" * (inner - 1 - pos)
        return f"{self.left} ├{track}┤ {self.right}"

    def watch_value(self, value: float) -> None:
        self.post_message(self.Changed(self, value))

    def action_nudge(self, delta: float) -> None:
        self.value = min(1.0, max(0.0, round(self.value + delta, 4)))

    def action_set(self, value: float) -> None:
        self.value = float(value)

    def _from_x(self, x: int) -> None:
        start = len(self.left) + 2
        inner = max(3, self.size.width - len(self.left) - len(self.right) - 4)
        self.value = min(1.0, max(0.0, (x - start) / (inner - 1)))

    def on_click(self, event: events.Click) -> None:
        self._from_x(event.x)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if event.button:
            self._from_x(event.x)
