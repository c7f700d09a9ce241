"""The status line: backend and why, simulation speed, frame cost, preview rate."""

from __future__ import annotations

from textual.widgets import Static

from perform.events import ShowState
from perform.render.host import EngineStats


def status_text(backend_reason: str, stats: EngineStats | None, preview_fps: float | None) -> str:
    parts = [backend_reason]
    if stats is None:
        parts.append("engine starting…")
    else:
        parts.append(f"{stats.engine}/{stats.preset}")
        parts.append(f"{stats.steps_per_second:.0f} steps/s")
        parts.append(f"frame {stats.frame_ms:.1f} ms")
        if stats.errors:
            parts.append(f"[b red]{stats.errors} engine errors[/]")
    if preview_fps is not None:
        parts.append(f"preview {preview_fps:.0f} fps")
    return "  │  ".join(parts)


def show_text(state: ShowState) -> str:
    """``▶ 2 Labyrinth → Drift in 3.2 s`` (or on GO, armed, done)."""
    if state.phase == "done":
        return "■ show finished"
    if state.phase == "panic":
        return "[b red]PANIC[/] (p again cuts)"
    current = "ready" if state.index is None else f"▶ {state.index + 1} {state.scene}"
    if state.next_scene is None:
        return current
    if state.go_at is not None:
        when = "GO armed"
    elif state.hold_remaining is not None:
        when = f"in {state.hold_remaining:.0f} s"
    else:
        when = "on GO"
    return f"{current} → {state.next_scene} {when}"


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """
