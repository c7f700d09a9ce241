"""The show at a glance: current scene, what comes next and when, the beat."""

from __future__ import annotations

import asyncio
import time

from rich.text import Text
from textual.widgets import Static

from perform.events import ShowState, TempoState


def scene_line(state: ShowState | None, remaining: float | None, preset: str | None) -> Text:
    line = Text()
    if state is None:
        return line.append("no show loaded", style="dim").append(
            "  (perform run SHOW.toml)", style="dim"
        )
    if state.phase == "done":
        return line.append("■ ", style="bold").append(f"{state.show}: finished", style="bold")
    if state.phase == "panic":
        return line.append(" PANIC ", style="bold white on red").append(
            "  p again cuts to black · GO resumes"
        )
    if state.index is None:
        line.append("○ ", style="dim").append(f"{state.show}: ready", style="bold")
    else:
        line.append("▶ ", style="bold green").append(
            f"{state.index + 1} {state.scene}", style="bold"
        )
        if preset:
            line.append(f"  [{preset}]", style="dim")
        line.append(f"  {state.phase}", style="cyan")
        if remaining is not None:
            line.append(f"  next in {remaining:.1f} s", style="yellow")
    return line


def next_line(state: ShowState | None, go_in: float | None) -> Text:
    line = Text()
    if state is None or state.next_scene is None or state.phase == "done":
        return line.append("NEXT  —", style="dim")
    line.append("NEXT  ", style="bold").append(f"{(state.next_index or 0) + 1} {state.next_scene}")
    if state.next_notes:
        line.append(f"  “{state.next_notes}”", style="italic dim")
    if go_in is not None:
        line.append(f"  GO armed: {go_in:.2f} s", style="bold magenta")
    elif state.hold_remaining is None:
        line.append("  on GO", style="dim")
    return line


def beat_line(tempo: TempoState | None) -> Text:
    line = Text()
    if tempo is None:
        return line
    dots = "".join("●" if i == tempo.beat_in_bar else "·" for i in range(tempo.beats_per_bar))
    line.append(f"{tempo.bpm:6.1f} bpm ", style="bold").append(f"({tempo.source})  ", style="dim")
    line.append(f"bar {tempo.bar + 1:>4}  ").append(dots, style="green" if tempo.playing else "dim")
    if not tempo.playing:
        line.append("  stopped", style="red")
    return line


class SetlistPanel(Static):
    """Three lines: the scene, the next one (with notes), the beat counter."""

    DEFAULT_CSS = """
    SetlistPanel { height: 3; padding: 0 1; background: $boost; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.state: ShowState | None = None
        self.tempo: TempoState | None = None
        self.preset: str | None = None
        self._received = time.monotonic()
        self.frozen_now: float | None = None
        """Snapshot tests freeze the countdowns at the moment of the state."""

    def show(self, state: ShowState | None, preset: str | None = None) -> None:
        self.state, self.preset = state, preset
        self._received = time.monotonic()
        self.redraw()

    def beat(self, tempo: TempoState | None) -> None:
        self.tempo = tempo
        self.redraw()

    def redraw(self) -> None:
        now = self.frozen_now if self.frozen_now is not None else time.monotonic()
        state, elapsed = self.state, max(0.0, now - self._received)
        remaining = None
        go_in = None
        if state is not None:
            if state.hold_remaining is not None:
                remaining = max(0.0, state.hold_remaining - elapsed)
            if state.go_at is not None:
                go_in = max(0.0, state.go_at - asyncio.get_running_loop().time())
        lines = [
            scene_line(state, remaining, self.preset),
            next_line(state, go_in),
            beat_line(self.tempo),
        ]
        self.update(Text("\n").join(lines))
