"""``perform bench drills``: the stage drills with figures (issue 11).

* the engine's steps/s kept under a 10 000 msg/s OSC flood (4 senders) and under a
  2 000 msg/s MIDI flood on one fader, as a ratio to baseline windows measured side by
  side in the same session, with the same senders aimed at nothing the app reads
  (baseline, flood, baseline: the ratio is flood / mean of baselines);
* quick replugs: a JACK controller unplugged for 0.1 s and plugged back, 20 times;
  how many were detected, and how long detection took.

Senders run in separate processes, as real peers do: a flood from a thread of this
process would steal the app's GIL and measure that instead.

Other modules add drills to this suite: every ``perform.bench.drills_*`` module with a
``CASES`` list of ``(options) -> list[Result]`` callables is run after these (the Scope
drills live in one). ``--case NAME`` (repeatable) runs only the cases of that name (the
function's: ``osc_flood``, ``midi_flood``, ``replugs``, ``slow_pipeline``...).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import pkgutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from perform.bench.common import Result, input_config

NAME = "drills"
HELP = "engine steps/s kept under OSC and MIDI floods (ratio to quiet), quick replugs detected"

Case = Callable[[argparse.Namespace], list[Result]]
MIDI_SETTLE = 2.5
"""Seconds a MIDI flood sender waits after appearing: the app's port scan finds it."""

OSC_FLOOD = """
import socket, sys, time
port, rate, seconds = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
from pythonosc.osc_message_builder import OscMessageBuilder
b = OscMessageBuilder("/vj/color/hue"); b.add_arg(0.5, "f"); dgram = b.build().dgram
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(("127.0.0.1", port))
start = time.perf_counter(); sent = 0
while (now := time.perf_counter()) - start < seconds:
    due = int((now - start) * rate)
    while sent < due:
        try:
            s.send(dgram)
        except OSError:
            pass
        sent += 1
    time.sleep(0.001)
print(sent)
"""

MIDI_FLOOD = """
import sys, time, rtmidi
name, rate, seconds, delay = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name=name)
out.open_virtual_port("capture")
time.sleep(delay)  # the app finds the new device at its next port scan
start = time.perf_counter(); sent = 0
while (now := time.perf_counter()) - start < seconds:
    due = int((now - start) * rate)
    while sent < due:
        out.send_message([0xB0, 7, sent % 128]); sent += 1
    time.sleep(0.001)
out.close_port(); out.delete(); print(sent)
"""


async def _steps_per_s(session: Any, seconds: float) -> float:
    host = session.host
    steps, t0 = host.total_steps, time.perf_counter()
    await asyncio.sleep(seconds)
    return (host.total_steps - steps) / (time.perf_counter() - t0)


async def _flood_ratio(
    session: Any,
    seconds: float,
    start: Callable[[bool], list[subprocess.Popen[str]]],
    settle: float = 0.5,
) -> dict[str, float]:
    """Steps/s with the senders aimed elsewhere, at the app, and elsewhere again.

    The baseline runs the *same* senders aimed at nothing the app reads (an unused UDP
    port, a MIDI port it does not open), as the issue measured it: on a small machine the
    senders' own CPU is not the app's cost. ``start(at_app)`` starts them.
    """
    host = session.host
    deadline = time.monotonic() + 120
    while host.total_steps == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)  # the first organism grows
    await asyncio.sleep(1.0)
    loop = asyncio.get_running_loop()
    rates: list[float] = []
    sent = 0
    for at_app in (False, True, False):
        senders = start(at_app)
        await asyncio.sleep(settle)  # the senders start (and a MIDI one is found)
        rates.append(await _steps_per_s(session, seconds))
        for sender in senders:
            out, _ = await loop.run_in_executor(None, sender.communicate)
            if at_app:
                with contextlib.suppress(ValueError):
                    sent += int(out.strip() or 0)
    quiet = (rates[0] + rates[2]) / 2
    return {
        "baseline_steps_per_s": quiet,
        "flood_steps_per_s": rates[1],
        "ratio": rates[1] / quiet if quiet > 0 else float("nan"),
        "sent": float(sent),
    }


def _spawn(script: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def osc_flood(options: argparse.Namespace) -> list[Result]:
    from perform.build import RunOptions, build_session
    from perform.inputs.osc import OscServer

    seconds = 3.0 if options.quick else 8.0
    senders, rate = 4, 2500

    async def main() -> dict[str, float]:
        session = build_session(
            input_config(midi={"backend": "alsa"}, scope={"enabled": False}),
            RunOptions(headless=True),
        )
        await session.start()
        try:
            port = session.require(OscServer).port
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as unused:
                unused.bind(("127.0.0.1", 0))  # bound, never read: the kernel drops the rest
                elsewhere = unused.getsockname()[1]
                figures = await _flood_ratio(
                    session,
                    seconds,
                    lambda at_app: [
                        _spawn(OSC_FLOOD, port if at_app else elsewhere, rate, seconds + 0.5)
                        for _ in range(senders)
                    ],
                )
            osc = session.require(OscServer)
            figures["received"] = float(osc.stats["packets"])
            figures["applied_writes"] = float(osc.stats["applied"])
            return figures
        finally:
            await session.stop()

    figures = asyncio.run(main())
    return [
        Result(
            NAME,
            "OSC flood 4 x 2 500 msg/s: engine steps/s kept",
            figures,
            {"senders": senders, "rate_hz": senders * rate, "seconds": seconds},
            note="target ratio >= 0.8 (the inputs coalesce per tick)",
        )
    ]


def midi_flood(options: argparse.Namespace) -> list[Result]:
    from perform.bench.common import fader_mapping
    from perform.build import RunOptions, build_session
    from perform.inputs.jackd import JackUnavailable, private_jack_server
    from perform.inputs.midi import MidiInput

    seconds = 3.0 if options.quick else 8.0
    rate = 2000
    case = "MIDI flood 2 000 msg/s on one fader: engine steps/s kept"

    async def main(mapping: Path) -> dict[str, float]:
        session = build_session(
            input_config(scope={"enabled": False}),
            RunOptions(headless=True, mappings=[str(mapping)]),
        )
        await session.start()
        try:
            figures = await _flood_ratio(
                session,
                seconds,
                lambda at_app: [
                    _spawn(
                        MIDI_FLOOD,
                        "drillbox" if at_app else "elsewhere",
                        rate,
                        seconds + 0.5,
                        MIDI_SETTLE,
                    )
                ],
                settle=MIDI_SETTLE + 0.5,
            )
            figures["received"] = float(session.require(MidiInput).stats.received)
            return figures
        finally:
            await session.stop()

    with tempfile.TemporaryDirectory() as folder:
        mapping = fader_mapping(Path(folder) / "drill.toml", "drillbox")
        try:
            with private_jack_server():
                figures = asyncio.run(main(mapping))
        except JackUnavailable as exc:
            return [Result(NAME, case, {}, note=f"skipped: {exc}")]
    return [
        Result(
            NAME,
            case,
            figures,
            {"rate_hz": rate, "seconds": seconds},
            note="target ratio >= 0.8 (absolute faders collapse per tick)",
        )
    ]


def replugs(options: argparse.Namespace, *, own_server: bool = True) -> list[Result]:
    """``own_server=False``: use the JACK server this process already talks to (tests)."""
    from perform.inputs.jackd import JackUnavailable, private_jack_server

    count = 5 if options.quick else 20
    case = f"{count} quick replugs (gone 0.1 s): detected"

    async def main() -> dict[str, float]:
        from perform.build import RunOptions, build_session
        from perform.events import DEVICE_STATE

        box = _Box("replugbox")
        session = build_session(
            input_config(
                midi={"inputs": ["replugbox"]}, osc={"enabled": False}, scope={"enabled": False}
            ),
            RunOptions(headless=True),
        )
        connected: list[float] = []
        session.events.subscribe(
            DEVICE_STATE,
            lambda s: (
                connected.append(time.monotonic())
                if s.direction == "in" and s.state == "connected"
                else None
            ),
        )
        await session.start(engine=False)
        detected, delays = 0, []
        try:
            await _until(lambda: connected, 30)
            for _ in range(count):
                before = len(connected)
                box.unplug()
                await asyncio.sleep(0.1)
                box.plug()
                plugged = time.monotonic()
                if await _until(partial(_grew, connected, before), 10):
                    detected += 1
                    delays.append(connected[-1] - plugged)
        finally:
            await session.stop()
            box.unplug()
        return {
            "detected": float(detected),
            "replugs": float(count),
            "mean_detect_s": sum(delays) / len(delays) if delays else float("nan"),
            "max_detect_s": max(delays) if delays else float("nan"),
        }

    try:
        with private_jack_server() if own_server else contextlib.nullcontext():
            figures = asyncio.run(main())
    except JackUnavailable as exc:
        return [Result(NAME, case, {}, note=f"skipped: {exc}")]
    return [Result(NAME, case, figures, {"gap_s": 0.1}, note=f"target {count}/{count}")]


class _Box:
    """A virtual JACK controller (its output port is what the app opens)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.port: Any = None
        self.plug()

    def plug(self) -> None:
        import rtmidi

        self.port = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name=self.name)
        self.port.open_virtual_port("capture")

    def unplug(self) -> None:
        if self.port is not None:
            with contextlib.suppress(Exception):
                self.port.close_port()
            with contextlib.suppress(Exception):
                self.port.delete()
            self.port = None


def _grew(items: list[float], before: int) -> bool:
    return len(items) > before


async def _until(condition: Callable[[], object], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


CASES: list[Case] = [osc_flood, midi_flood, replugs]


def extensions() -> list[Case]:
    """Drills other modules add: ``perform.bench.drills_*`` with a ``CASES`` list."""
    import perform.bench as package

    found: list[Case] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("drills_"):
            try:
                module = importlib.import_module(f"perform.bench.{info.name}")
            except ImportError:  # e.g. the Scope drills need the test double (a checkout)
                continue
            found.extend(getattr(module, "CASES", []))
    return found


def run(options: argparse.Namespace) -> list[Result]:
    from perform.errors import PerformError, did_you_mean

    cases = {case.__name__: case for case in [*CASES, *extensions()]}
    picked = list(getattr(options, "cases", None) or cases)
    for name in picked:
        if name not in cases:
            raise PerformError(
                f"no drills case '{name}'{did_you_mean(name, list(cases))}; "
                f"cases: {', '.join(cases)}"
            )
    results: list[Result] = []
    for name in picked:
        results.extend(cases[name](options))
    return results
