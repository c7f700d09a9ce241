"""``perform outputs [--json]``: the displays a stage window can go on (with their sizes)
and every program sink, whether it can run here and, when not, why and how to get it.

Nothing is opened but a momentary connection to the window system to list its monitors;
like ``perform ports`` does for MIDI, it answers "why isn't my output there?" before the
show rather than during it.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "outputs", help="list displays for the stage window and the program sinks (NDI...)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.set_defaults(func=main)


def displays() -> tuple[list[dict[str, Any]], str | None]:
    """The monitors glfw sees, or why none can be listed."""
    from perform.program.window import display_unavailable

    why = display_unavailable()
    if why is not None:
        return [], why
    import glfw

    errors: list[str] = []

    def on_error(code: int, description: Any) -> None:
        text = (
            description.decode(errors="replace")
            if isinstance(description, bytes)
            else str(description)
        )
        errors.append(text)

    glfw.set_error_callback(on_error)
    if not glfw.init():
        return [], f"no display: {errors[-1] if errors else 'glfw could not connect'}"
    try:
        from perform.program.window.child import list_displays

        return list_displays(), None
    finally:
        glfw.terminate()


def collect() -> dict[str, Any]:
    from perform.program.sinks import DESCRIPTIONS, availability, platform_name

    screens, why = displays()
    return {
        "platform": platform_name(),
        "displays": screens,
        "displays_unavailable": why,
        "sinks": [
            {
                "kind": row.kind,
                "available": row.available,
                "what": DESCRIPTIONS[row.kind],
                "why": None if row.available else row.why,
                "note": row.note,
            }
            for row in availability()
        ],
    }


def report(info: dict[str, Any]) -> list[str]:
    lines = [f"Displays ({info['platform']}):"]
    if info["displays_unavailable"]:
        lines.append(f"  none: {info['displays_unavailable']}")
    for n, d in enumerate(info["displays"], start=1):
        lines.append(
            f"  {n}: {d['name']} {d['width']}x{d['height']}"
            f" @ {d['refresh_hz'] or '?'} Hz"
            f" at ({d['x']}, {d['y']})"
        )
    if info["displays"]:
        lines.append(
            "  (the stage window: [output] window = { display = N, fullscreen = true };"
            " in the window, f toggles full-screen, d moves it to the next display)"
        )
    lines.append("Program sinks:")
    width = max(len(s["kind"]) for s in info["sinks"])
    for sink in info["sinks"]:
        mark = "available  " if sink["available"] else "unavailable"
        lines.append(f"  {sink['kind'].ljust(width)}  {mark}  {sink['what']}")
        if not sink["available"]:
            lines.append(f"  {' ' * width}  {' ' * 11}  why: {sink['why']}")
        elif sink["note"]:
            lines.append(f"  {' ' * width}  {' ' * 11}  first: {sink['note']}")
    return lines


def main(args: argparse.Namespace) -> int:
    info = collect()
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        print("\n".join(report(info)))
    return 0
