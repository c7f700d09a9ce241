"""The status bar: Scope, MIDI devices, OSC, the engine. One glance, no scrolling."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import Static

from perform.events import DeviceState, ScopeStatus
from perform.faults import faults_line
from perform.render.host import EngineStats

_SCOPE_STYLE = {
    "streaming": "bold green",
    "connecting": "yellow",
    "loading": "yellow",
    "checking": "yellow",
    "stalled": "bold white on red",
    "error": "bold white on red",
    "offline": "dim",
}


def scope_text(status: ScopeStatus | None) -> Text:
    out = Text("Scope ", style="bold")
    if status is None:
        return out.append("not linked", style="dim")
    out.append(f"● {status.state}", style=_SCOPE_STYLE.get(status.state, ""))
    details = [status.url.removeprefix("http://").removeprefix("https://")]
    if status.version:
        details.append(f"v{status.version}")
    if status.pipeline:
        details.append(status.pipeline)
    if status.state == "streaming" or status.fps_out:
        details.append(f"{status.fps_in:.0f}→{status.fps_out:.0f} fps")
    if status.latency_ms is not None:
        details.append(f"{status.latency_ms:.0f} ms")
    if status.rtt_ms is not None:
        details.append(f"rtt {status.rtt_ms:.0f} ms")
    out.append(" " + " ".join(details), style="dim")
    if status.message and status.state in ("stalled", "error", "offline"):
        out.append(f" {status.message}", style="red")
    return out


def midi_text(devices: Iterable[DeviceState]) -> Text:
    out = Text("MIDI ", style="bold")
    inputs = [d for d in devices if d.direction == "in"]
    if not inputs:
        return out.append("none", style="dim")
    for i, device in enumerate(inputs):
        if i:
            out.append(" ")
        if device.state == "connected":
            out.append(f"{device.name} ✓", style="green")
        elif device.state == "lost":
            out.append(f"{device.name} LOST", style="bold white on red")
        else:
            out.append(f"{device.name} –", style="dim")
    return out


def osc_text(rate: float | None, errors: int | None) -> Text:
    out = Text("OSC ", style="bold")
    if rate is None:
        return out.append("off", style="dim")
    out.append(f"{rate:.0f}/s")
    if errors:
        out.append(f" {errors} bad", style="bold red")
    return out


def faults_text(counts: dict[str, int]) -> Text | None:
    """What inputs and outputs refused, dropped or failed (None while nothing did)."""
    line = faults_line(counts)
    return Text(f"⚠ {line}", style="bold yellow") if line else None


def engine_text(backend_reason: str, stats: EngineStats | None, preview_fps: float | None) -> Text:
    out = Text(backend_reason.split(":")[0], style="bold")
    if stats is None:
        out.append(" starting…", style="dim")
    else:
        out.append(f" {stats.engine}/{stats.preset} {stats.steps_per_second:.0f} steps/s")
        out.append(f" {stats.frame_ms:.1f} ms")
        if stats.errors:
            out.append(f" {stats.errors} errors", style="bold red")
    if preview_fps is not None:
        out.append(f" · preview {preview_fps:.0f} fps", style="dim")
    return out


def status_text(parts: Iterable[Text]) -> Text:
    """Scope on the first line (its messages can be long), everything else on the second."""
    scope, *rest = list(parts)
    return Text("\n").join([scope, Text("  │  ", style="dim").join(rest)])


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar {
        height: 2;
        background: $panel;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """
