"""The TUI under a MIDI flood: does the screen keep up, and does the engine notice?

The real app runs (Textual's headless driver, so it renders every frame without a
terminal) with the engine thread at its show clock. A virtual controller on a private
JACK server sends CC messages at ``rate`` per second to a fader bound to ``color.hue``.
The same measurement runs without the flood first, side by side:

* ``preview_fps``: organism frames the preview drew per second;
* ``ui_updates_per_s``: parameter refreshes the Live screen handled (coalesced);
* ``key_p95_ms``: a key press (adjust a parameter) until the store has the new value;
* ``steps_per_s``: the engine's simulation steps per second (its clock is 60/s);
* ``loop_lag_p99_ms``: how late the event loop wakes from a 2 ms sleep.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from perform.bench.common import LoopLagProbe, Result, fader_mapping, input_config, percentiles

NAME = "tui"
HELP = "the TUI under a 1000 msg/s MIDI flood: preview and UI rates, key latency, engine steps/s"


def _flood(out: Any, rate: float, seconds: float, sent: list[int]) -> None:
    """Send CC 7 at ``rate`` messages per second (paced on the clock, not on sleeps)."""
    start = time.perf_counter()
    n = 0
    while (now := time.perf_counter()) - start < seconds:
        due = int((now - start) * rate)
        while n < due:
            out.send_message([0xB0, 7, n % 128])
            n += 1
        time.sleep(0.0005)
    sent.append(n)


async def measure(
    mapping: Path, *, flood: bool, seconds: float, rate: float = 1000.0, start_within: float = 60.0
) -> dict[str, float]:
    """``start_within``: seconds the controller may take to connect and the first
    organism to grow (a starved machine takes many times the usual second)."""
    import rtmidi

    from perform.build import RunOptions, build_session
    from perform.tui.app import PerformApp
    from perform.tui.widgets.param_table import ParamTable
    from perform.tui.widgets.param_tabs import ParamTabs
    from perform.tui.widgets.preview import Preview

    out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="flood controller")
    out.open_virtual_port("out")
    session = build_session(
        input_config(osc={"enabled": False}, scope={"enabled": False}),
        RunOptions(mappings=[str(mapping)]),
    )
    app = PerformApp(session, live=True)
    updates = 0
    sender: threading.Thread | None = None
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            deadline = time.monotonic() + start_within
            bridge = app.bridge
            assert bridge is not None
            while not any(d.state == "connected" for d in bridge.devices.values()):
                if time.monotonic() > deadline:
                    raise RuntimeError("the flood controller never connected")
                await asyncio.sleep(0.05)
            while session.host.mailbox.posted < 10 and time.monotonic() < deadline:
                await asyncio.sleep(0.1)  # the first organism has grown
            screen = app.screen
            tabs = screen.query_one(ParamTabs)
            original = tabs.refresh_params

            def counting(names: set[str]) -> None:
                nonlocal updates
                updates += 1
                original(names)

            tabs.refresh_params = counting  # type: ignore[method-assign]
            preview = screen.query_one("#preview", Preview)
            table = screen.query_one("#params-engine", ParamTable)
            table.focus()
            table.move_cursor(row=table.names.index("engine.speed"))
            sent: list[int] = []
            sender = threading.Thread(target=_flood, args=(out, rate, seconds, sent), daemon=True)
            probe = LoopLagProbe()
            steps0, drawn0, t0 = session.host.total_steps, preview.frames_drawn, time.perf_counter()
            updates = 0
            probe.start()
            if flood:
                sender.start()
            keys: list[float] = []
            pending: list[asyncio.Task[None]] = []
            store = session.store
            end = time.perf_counter() + seconds
            step = 1
            while time.perf_counter() < end:
                await asyncio.sleep(0.25)
                before = store.get("engine.speed")
                k0 = time.perf_counter()
                # Pilot.press also waits for the screen to go idle, which a live preview
                # never does: press in a task and time the store change instead.
                press = asyncio.create_task(pilot.press("right" if step > 0 else "left"))
                while store.get("engine.speed") == before and time.perf_counter() - k0 < 2:
                    await asyncio.sleep(0.0005)
                keys.append((time.perf_counter() - k0) * 1e3)
                pending.append(press)
                step = -step
            elapsed = time.perf_counter() - t0
            lag = await probe.stop()
            for press in pending:
                press.cancel()
            steps = session.host.total_steps - steps0
            drawn = preview.frames_drawn - drawn0
    finally:
        if sender is not None and sender.is_alive():
            sender.join()  # never delete a port a thread still sends on: rtmidi segfaults
        out.close_port()
        out.delete()
    return {
        "preview_fps": drawn / elapsed,
        "ui_updates_per_s": updates / elapsed,
        "key_p95_ms": percentiles(keys, (95,))["p95"],
        "steps_per_s": steps / elapsed,
        "loop_lag_p99_ms": lag,
        "midi_per_s": (sent[0] / elapsed) if sent else 0.0,
    }


def run(options: argparse.Namespace) -> list[Result]:
    from perform.inputs.jackd import JackUnavailable, private_jack_server

    seconds = 3.0 if options.quick else 8.0
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as folder:
        mapping = fader_mapping(Path(folder) / "flood.toml", "Flood controller")
        try:
            with private_jack_server():
                for flood in (False, True):
                    figures = asyncio.run(measure(mapping, flood=flood, seconds=seconds))
                    results.append(
                        Result(
                            NAME,
                            "TUI with MIDI flood" if flood else "TUI, no MIDI",
                            figures,
                            {"flood_hz": 1000 if flood else 0, "engine": "running", "world": 256},
                        )
                    )
        except JackUnavailable as exc:
            results.append(Result(NAME, "TUI with MIDI flood", {}, note=f"skipped: {exc}"))
    return results
