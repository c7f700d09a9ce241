"""The stage window's actions (``window.fullscreen``, ``window.display``), so a key in the
TUI, a MIDI button or an OSC message can do what ``f`` and ``d`` do in the window itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from perform.actions import ActionRegistry
from perform.errors import ParamError
from perform.program.window.sink import WindowSink

_ON = {"on", "1", "true", "yes"}
_OFF = {"off", "0", "false", "no"}


def bind_window_actions(actions: ActionRegistry, window: WindowSink) -> list[Callable[[], None]]:
    """Bind both actions to ``window``; returns their unbinders."""

    def fullscreen(arg: Any, source: str) -> None:
        if arg is None or str(arg).strip() == "":
            window.toggle_fullscreen()
            return
        text = str(arg).strip().lower()
        if text not in _ON | _OFF:
            raise ParamError(f"window.fullscreen takes on or off, not '{arg}'")
        window.set_fullscreen(text in _ON)

    def display(arg: Any, source: str) -> None:
        if arg is None or str(arg).strip() == "":
            window.next_display()
            return
        try:
            number = int(str(arg).strip())
        except ValueError:
            raise ParamError(
                f"window.display takes a display number (1 = first), not '{arg}'"
            ) from None
        if number < 1:
            raise ParamError(f"window.display takes a display number from 1, not {number}")
        window.set_display(number)

    return [actions.bind("window.fullscreen", fullscreen), actions.bind("window.display", display)]
