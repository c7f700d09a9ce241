"""Drills: a MIDI clock that stops, and one that vanishes (issue 11, item 4).

A real JACK device plays the clock. After its Stop, or once it is gone, the tempo is
the performer's again: taps work and ``tempo.bpm`` written over OSC is used.
"""

from __future__ import annotations

import asyncio
import threading
import time

from perform.tempo import TempoComponent
from tests.inputs.helpers import DeviceLog, control_config, make_session
from tests.jack import VirtualController, eventually

PPQN = 24


def play_clock(box: VirtualController, bpm: float, stop: threading.Event) -> None:
    """Clock pulses at ``bpm`` until ``stop`` is set (a sender thread, like hardware)."""
    period = 60 / bpm / PPQN
    start = time.perf_counter()
    i = 0
    while not stop.is_set():
        target = start + i * period
        while time.perf_counter() < target:
            time.sleep(0.0005)
        box.send(0xF8)
        i += 1


async def test_after_stop_and_after_the_clock_vanishes_the_tempo_falls_back(controllers):
    box = VirtualController("clockbox")
    controllers.append(box)
    session = make_session(control_config(midi={"inputs": ["clockbox"]}))
    devices = DeviceLog(session)
    await session.start(engine=False)
    tempo = session.component(TempoComponent)
    store = session.store
    stop = threading.Event()
    sender = threading.Thread(target=play_clock, args=(box, 100, stop), daemon=True)
    try:
        await eventually(lambda: devices.count("in", "connected"), timeout=30)
        # 1. Start + pulses at 100 bpm: MIDI owns the tempo; taps and tempo.bpm are ignored
        box.send(0xFA)
        sender.start()
        await eventually(
            lambda: tempo.clock.source == "midi" and abs(tempo.clock.bpm - 100) < 3, 30
        )
        store.apply("tempo.bpm", 140, "osc")
        await asyncio.sleep(0.05)
        assert tempo.clock.source == "midi" and abs(tempo.clock.bpm - 100) < 10
        # 2. Stop (pulses keep coming, as many clocks do): the performer has the tempo back
        box.send(0xFC)
        await eventually(lambda: tempo.clock.source == "internal", timeout=30)
        await asyncio.sleep(0.3)  # stray pulses after the Stop do not take it back
        assert tempo.clock.source == "internal"
        store.apply("tempo.bpm", 128, "osc")
        await eventually(lambda: tempo.clock.bpm == 128, timeout=30)
        for _ in range(4):
            store.actions.invoke("tap", None, "tui")
            await asyncio.sleep(0.3)
        assert tempo.clock.source == "tap"
        # 3. Continue: MIDI takes it again; then the device vanishes without a Stop
        box.send(0xFB)
        await eventually(lambda: tempo.clock.source == "midi", timeout=30)
        stop.set()
        sender.join(5)
        box.unplug()
        await eventually(lambda: tempo.clock.source == "internal", timeout=30, what="fallback")
        assert tempo.clock.playing  # a vanished clock: the show's beat goes on
        store.apply("tempo.bpm", 90, "osc")
        await eventually(lambda: tempo.clock.bpm == 90, timeout=30)
    finally:
        stop.set()  # never send on a port the fixture deletes
        if sender.is_alive():
            sender.join(5)
        await session.stop()
