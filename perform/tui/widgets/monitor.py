"""The last MIDI and OSC messages, newest at the bottom, with what they moved."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import Static

from perform.events import InputMessage


def monitor_text(messages: Iterable[InputMessage], total: int, lines: int) -> Text:
    recent = list(messages)[-lines:]
    if not recent:
        return Text("no MIDI or OSC received yet", style="dim")
    out = Text()
    first = total - len(recent) + 1
    for offset, message in enumerate(recent):
        if offset:
            out.append("\n")
        out.append(f"{first + offset:>6} ", style="dim")
        out.append(f"{message.source:<4} ", style="cyan" if message.source == "midi" else "magenta")
        out.append(f"{message.device[:22]:<22} ", style="dim")
        out.append(message.text)
        if message.target:
            out.append(f" → {message.target}", style="green")
        else:
            out.append("  (unbound)", style="dim")
    return out


class Monitor(Static):
    DEFAULT_CSS = """
    Monitor { height: 6; padding: 0 1; border-top: solid $primary-darken-3; }
    """

    def show(self, messages: Iterable[InputMessage], total: int) -> None:
        self.update(monitor_text(messages, total, max(1, self.size.height or 5)))
