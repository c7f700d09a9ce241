"""Live control latency: MIDI (through JACK) and OSC input -> ParamStore applied.

Each case runs a real session (engine thread running, as on stage) and a sender that
timestamps every message just before it goes out; the latency is taken when the
store notifies its subscribers of the new value (so it includes the coalesced
notification, a little more than the write itself). MIDI goes through a private JACK
server with the dummy driver; JACK hands MIDI over once per period, so the JACK hop
alone (rtmidi out -> rtmidi in, measured in the same run) is reported beside it.
Goal (DESIGN.md): p99 <= 2 ms, and the loop never blocked more than 10 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from perform.bench.common import LoopLagProbe, Result, fader_mapping, input_config, percentiles

NAME = "control"
HELP = "MIDI (JACK) and OSC input -> ParamStore applied: p50/p99 latency, loop lag"

PERIOD = 32
RATE = 48000
SPACING = 0.015
"""Seconds between two sent messages (~67 per second): longer than the inputs' tick
(:data:`perform.inputs.midi.TICK`, :data:`perform.inputs.osc.TICK`), so each message is
applied on its own and measured; faster ones are coalesced, latest value per control."""
MAX_SENDS = 3
"""The sender gives up after this many times the asked-for count of sends (a value
superseded by coalescing is never measured, so a busy machine needs a few more)."""


def _stats(samples: list[float]) -> dict[str, float]:
    ms = [s * 1e3 for s in samples]
    out = {f"{k}_ms": v for k, v in percentiles(ms, (50, 95, 99)).items()}
    out["max_ms"] = max(ms) if ms else float("nan")
    out["samples"] = float(len(ms))
    return out


async def _measure(session: Any, send: Any, count: int) -> tuple[list[float], list[float], float]:
    """Send values of color.hue until ``count`` of them were measured: for each, the time
    until the store reports it, from the send and from its arrival in perform (the input's
    own timestamp). Inputs coalesce a flood (the latest value per tick), so on a busy
    machine two sends can meet in one tick and the first is superseded, never applied:
    the sender goes on (up to :data:`MAX_SENDS` times ``count``) instead of coming up short."""
    from perform.events import CONTROL_MESSAGE

    store = session.store
    pending: dict[int, float] = {}
    arrived: dict[int, float] = {}
    samples: list[float] = []
    inside: list[float] = []
    done = asyncio.Event()

    def changed(changes: Any) -> None:
        if "color.hue" in changes:
            now = time.perf_counter()
            value = round(store.get("color.hue") * 127)
            sent = pending.pop(value, None)
            if sent is not None:
                samples.append(now - sent)
                if value in arrived:
                    inside.append(now - arrived.pop(value))
                if len(samples) >= count:
                    done.set()

    def message(msg: Any) -> None:
        if msg.target == "color.hue" and msg.text.startswith("cc"):
            arrived[int(msg.text.rsplit(" ", 1)[1])] = msg.at

    unsubscribe = store.subscribe(changed)
    unmonitor = session.events.subscribe(CONTROL_MESSAGE, message)

    def sender() -> None:
        start = time.perf_counter()
        for i in range(MAX_SENDS * count):
            if done.is_set():
                break
            value = 1 + i % 126
            target = start + i * SPACING
            while time.perf_counter() < target:
                time.sleep(0.0002)
            pending[value] = time.perf_counter()
            send(value)

    probe = LoopLagProbe()
    probe.start()
    thread = threading.Thread(target=sender, daemon=True)
    thread.start()
    with contextlib.suppress(TimeoutError):  # a short count is reported as such
        await asyncio.wait_for(done.wait(), timeout=MAX_SENDS * count * SPACING + 20)
    lag = await probe.stop()
    thread.join()  # it sends a bounded count; the port is deleted after (rtmidi would segfault)
    unsubscribe()
    unmonitor()
    return samples, inside, lag


async def _midi_case(count: int, mapping: Path) -> list[Result]:
    import rtmidi

    from perform.build import RunOptions, build_session
    from perform.events import DEVICE_STATE

    out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="bench controller")
    out.open_virtual_port("capture")
    session = build_session(input_config(), RunOptions(headless=True, mappings=[str(mapping)]))
    connected = asyncio.Event()
    session.events.subscribe(
        DEVICE_STATE,
        lambda s: connected.set() if s.state == "connected" and s.direction == "in" else None,
    )
    await session.start()
    try:
        await asyncio.wait_for(connected.wait(), 10)
        await asyncio.sleep(0.3)
        samples, inside, lag = await _measure(
            session, lambda v: out.send_message([0xB0, 7, v]), count
        )
    finally:
        await session.stop()
        out.close_port()
        out.delete()
    metrics = _stats(samples)
    metrics["loop_lag_p99_ms"] = lag
    params = {"jack_period": f"{PERIOD}@{RATE // 1000}k", "rate_hz": round(1 / SPACING)}
    return [
        Result(
            NAME,
            "MIDI in (JACK) -> ParamStore",
            metrics,
            {**params, "engine": "running"},
            note="goal p99 <= 2 ms; includes the JACK hop",
        ),
        Result(
            NAME,
            "MIDI arrival in perform -> ParamStore",
            _stats(inside),
            {**params, "engine": "running"},
            note="perform's share: from the reader thread taking it off rtmidi's queue",
        ),
    ]


def _jack_hop(count: int) -> Result:
    """rtmidi out -> rtmidi in on the same JACK server, polled every 0.1 ms: the transport."""
    import rtmidi

    out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="bench hop out")
    out.open_virtual_port("o")
    inp = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, name="bench hop in")
    inp.open_port(inp.get_ports().index("bench hop out:o"))
    time.sleep(0.3)
    samples = []
    for i in range(count):
        t0 = time.perf_counter()
        out.send_message([0xB0, 7, i % 128])
        deadline = t0 + 1.0
        while inp.get_message() is None and time.perf_counter() < deadline:
            time.sleep(0.0001)  # not a busy loop: jackd needs that core
        samples.append(time.perf_counter() - t0)
        time.sleep(SPACING / 2)
    inp.close_port()
    out.close_port()
    inp.delete()
    out.delete()
    return Result(
        NAME,
        "JACK MIDI hop alone (baseline)",
        _stats(samples),
        {"jack_period": f"{PERIOD}@{RATE // 1000}k"},
    )


async def _osc_case(count: int) -> list[Result]:
    from pythonosc.osc_message_builder import OscMessageBuilder

    from perform.build import RunOptions, build_session
    from perform.inputs.osc import OscServer

    session = build_session(input_config(), RunOptions(headless=True))
    await session.start()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.connect(("127.0.0.1", session.require(OscServer).port))
        packets = {}
        for value in range(128):
            builder = OscMessageBuilder("/vj/color/hue")
            builder.add_arg(value / 127, "d")
            packets[value] = builder.build().dgram
        await asyncio.sleep(0.3)
        samples, _, lag = await _measure(session, lambda v: sock.send(packets[v]), count)
    finally:
        sock.close()
        await session.stop()
    metrics = _stats(samples)
    metrics["loop_lag_p99_ms"] = lag
    return [
        Result(
            NAME,
            "OSC in (UDP loopback) -> ParamStore",
            metrics,
            {"rate_hz": round(1 / SPACING), "engine": "running"},
            note="goal p99 <= 2 ms",
        )
    ]


def run(options: argparse.Namespace) -> list[Result]:
    from perform.inputs.jackd import JackUnavailable, private_jack_server

    count = 300 if options.quick else 2000
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as folder:
        mapping = fader_mapping(Path(folder) / "bench.toml", "Bench controller")
        try:
            with private_jack_server(period=PERIOD, rate=RATE):
                results.append(_jack_hop(min(count, 500)))
                results += asyncio.run(_midi_case(count, mapping))
        except JackUnavailable as exc:
            results.append(Result(NAME, "MIDI in (JACK) -> ParamStore", {}, note=f"skipped: {exc}"))
    results += asyncio.run(_osc_case(count))
    return results


def summary(results: list[Result]) -> str:
    """One line per case (used by tests)."""
    return "; ".join(
        f"{r.name}: p99 {r.metrics.get('p99_ms', float('nan')):.2f} ms" for r in results
    )
