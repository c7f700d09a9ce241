"""The on-air badge over the program preview: what the audience sees, impossible to miss."""

from __future__ import annotations

from textual.widgets import Static

from perform.program.state import ProgramState

_CLASSES = ("live", "alarm", "frozen")


def badge_class(state: ProgramState | None) -> str:
    """``live`` (green), ``alarm`` (BLACK, FAILOVER: red) or ``frozen`` (amber)."""
    if state is None:
        return "frozen"
    return {"black": "alarm", "failover": "alarm", "frozen": "frozen"}.get(state.state, "live")


class ProgramBadge(Static):
    DEFAULT_CSS = """
    ProgramBadge {
        height: 1;
        width: 1fr;
        content-align: center middle;
        text-style: bold;
    }
    ProgramBadge.live { background: $success-darken-2; color: $text; }
    ProgramBadge.alarm { background: $error; color: $text; }
    ProgramBadge.frozen { background: $warning; color: black; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("PROGRAM: starting", **kwargs)
        self.text = "PROGRAM: starting"

    def show(self, state: ProgramState | None) -> None:
        text = f"PROGRAM {state.badge()}" if state is not None else "PROGRAM: starting"
        wanted = badge_class(state)
        for name in _CLASSES:
            self.set_class(name == wanted, name)
        if text != self.text:
            self.text = text
            self.update(text)
