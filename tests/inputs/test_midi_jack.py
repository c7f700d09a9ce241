"""MIDI end to end through real rtmidi ports on a private JACK server.

A virtual controller (python-rtmidi, JACK API) plays the hardware: the app finds it by
name, its fader moves the engine, its LEDs light, it is unplugged and comes back.
"""

from __future__ import annotations

import asyncio
import threading
import time

from perform.events import CONTROL_MESSAGE, MIDI_CLOCK
from perform.inputs.hub import ControlHub
from perform.inputs.midi import MidiInput
from perform.outputs.feedback import LedFeedback
from tests.inputs.helpers import DeviceLog, OscReceiver, control_config, make_session
from tests.jack import VirtualController, eventually

NANO_LED_CCS = {*range(32, 40), *range(48, 56), *range(64, 72), 41, 42, 43, 44, 45, 46}


async def test_nanokontrol2_fader_moves_the_engine_and_lights_its_led(controllers):
    nano = VirtualController("nanoKONTROL2")
    controllers.append(nano)
    session = make_session(control_config(), mappings=["nanokontrol2"])
    devices = DeviceLog(session)
    await session.start()
    try:
        await eventually(
            lambda: devices.count("in", "connected") and devices.count("out", "connected")
        )
        # Connect -> full LED refresh: every LED of the profile, off (nothing picked up yet).
        await eventually(
            lambda: {m[1] for _, m in nano.log if m[0] == 0xB0} >= NANO_LED_CCS,
            what=lambda: (
                f"all LEDs (got {nano.log}, sent {session.component(LedFeedback).messages},"
                f" midi {session.component(MidiInput).links})"
            ),
        )
        assert [0xB0, 65, 0] in [m for _, m in nano.log]
        store = session.store
        # Fader 2 (CC 1) drives engine.speed (range 0..2, pickup). At 20 it is far below
        # the current 1.0: pickup writes nothing.
        events = session.component(ControlHub).mapper.stats
        nano.cc(1, 20)
        await eventually(lambda: events.events >= 1)
        assert store.get("engine.speed") == 1.0 and store.last_source("engine.speed") != "midi"
        mark = len(nano.log)
        for value in range(24, 128, 4):  # sweep up: crosses 64 (= 1.0), picks up, follows
            nano.cc(1, value)
            await asyncio.sleep(0.003)
        nano.cc(1, 127)
        await eventually(lambda: store.get("engine.speed") == 2.0, what="engine.speed at 2.0")
        assert store.last_source("engine.speed") == "midi"
        # R2 lights: fader 2 is in control now.
        await nano.expect(lambda m: m == [0xB0, 65, 127], since=mark)
        # The engine thread reads the new speed (slewed).
        await eventually(
            lambda: session.host.slew.values.get("engine.speed", 0.0) > 1.5, what="engine slew"
        )
        # S1 toggles the freeze and its LED follows the store.
        nano.cc(32, 127)
        nano.cc(32, 0)
        await eventually(lambda: store.get("engine.freeze") == "on")
        await nano.expect(lambda m: m == [0xB0, 32, 127], since=mark)
    finally:
        await session.stop()


async def test_unplug_shows_lost_and_replug_reconnects_with_leds_resent(controllers):
    nano = VirtualController("nanoKONTROL2")
    controllers.append(nano)
    session = make_session(control_config(), mappings=["nanokontrol2"])
    devices = DeviceLog(session)
    await session.start()
    try:
        await eventually(lambda: devices.count("out", "connected") == 1)
        await eventually(lambda: {m[1] for _, m in nano.log if m[0] == 0xB0} >= NANO_LED_CCS)
        session.store.apply("engine.freeze", "on", "tui")  # S1 must come back lit
        await nano.expect(lambda m: m == [0xB0, 32, 127])
        nano.unplug()
        await eventually(lambda: devices.count("in", "lost") == 1, timeout=5, what="LOST")
        assert session.component(MidiInput).links["nanoKONTROL2"].state == "lost"
        nano.log.clear()
        nano.plug()
        # how fast is `perform bench drills`' business; here: it comes back, LEDs and all
        await eventually(
            lambda: devices.count("in", "connected") == 2, timeout=30, what="reconnect"
        )
        await eventually(lambda: devices.count("out", "connected") == 2, timeout=30)
        await eventually(
            lambda: {m[1] for _, m in nano.log if m[0] == 0xB0} >= NANO_LED_CCS, timeout=30
        )
        assert [0xB0, 32, 127] in [m for _, m in nano.log]
        # And it plays again.
        nano.cc(32, 127)
        nano.cc(32, 0)
        await eventually(lambda: session.store.get("engine.freeze") == "off")
        assert session.component(MidiInput).stats.reconnects == 1
    finally:
        await session.stop()


async def test_midi_clock_start_stop_and_song_position_reach_the_clock(controllers):
    clock = VirtualController("clockbox")
    controllers.append(clock)
    session = make_session(control_config(midi={"inputs": ["clockbox"]}))
    got = []
    session.events.subscribe(MIDI_CLOCK, got.append)
    devices = DeviceLog(session)
    await session.start(engine=False)
    try:
        await eventually(lambda: devices.count("in", "connected"))
        before = time.perf_counter()
        clock.send(0xFA)
        for _ in range(24):
            clock.send(0xF8)
        clock.send(0xF2, 0x10, 0x01)  # song position 16 + 128 = 144
        clock.send(0xFC)
        clock.send(0xFB)
        await eventually(lambda: len(got) >= 28)
        kinds = [c.kind for c in got]
        assert kinds == ["start", *["tick"] * 24, "position", "stop", "continue"]
        assert got[25].position == 144
        assert all(before <= c.at <= time.perf_counter() for c in got)
    finally:
        await session.stop()


async def test_a_1000_msg_per_s_flood_loses_nothing_and_the_loop_keeps_running(
    controllers, tmp_path
):
    """2 s at 1000 CC/s through JACK while a probe measures how late the loop wakes."""
    mapping = tmp_path / "flood.toml"
    mapping.write_text(
        '[device]\nname = "Flood"\nmatch = "floodbox"\n\n'
        '[[bind]]\ncc = 7\nparam = "color.hue"\ntakeover = "jump"\n\n'
        '[[bind]]\ncc = 8\nparam = "engine.speed"\nencoder = "twos-complement"\n'
    )
    box = VirtualController("floodbox")
    controllers.append(box)
    session = make_session(control_config(), mappings=[str(mapping)])
    seen = []
    session.events.subscribe(CONTROL_MESSAGE, seen.append)
    devices = DeviceLog(session)
    await session.start()  # the engine thread runs too, as on stage
    try:
        await eventually(lambda: devices.count("in", "connected"))
        loop = asyncio.get_running_loop()
        lags: list[float] = []
        stop = asyncio.Event()

        async def probe() -> None:
            while not stop.is_set():
                t0 = loop.time()
                await asyncio.sleep(0.002)
                lags.append(loop.time() - t0 - 0.002)

        def flood() -> None:
            start = time.perf_counter()
            for i in range(2000):
                target = start + i / 1000
                while time.perf_counter() < target:
                    time.sleep(0.0002)
                if i % 2:
                    box.cc(7, i % 128)
                else:
                    box.cc(8, 1)  # +1 tick: every one of these must count
            box.cc(7, 99)

        probing = asyncio.create_task(probe())
        sender = threading.Thread(target=flood)
        sender.start()
        await loop.run_in_executor(None, sender.join)
        midi = session.component(MidiInput)
        store = session.store
        try:  # every message read (the monitor shows the fader's latest move per tick)
            await eventually(lambda: midi.stats.received >= 2001 and seen, timeout=10)
        except AssertionError:
            raise AssertionError(
                f"{midi.stats.received} of 2001 messages: {midi.stats}, {midi._reader.errors}"
            ) from None
        await eventually(lambda: store.get("color.hue") == 99 / 127, timeout=10)
        stop.set()
        await probing
        assert store.get("color.hue") == 99 / 127
        # 1000 encoder ticks of 1/127 of 0..4 from 1.0: clamped at 4.0 (none lost on the way).
        assert store.get("engine.speed") == 4.0
        # the loop kept waking up during the flood (how late is `perform bench control`'s)
        assert len(lags) > 10
    finally:
        await session.stop()


async def test_nrpn_and_14bit_cc_through_jack(controllers, tmp_path):
    mapping = tmp_path / "hires.toml"
    mapping.write_text(
        '[device]\nname = "HiRes"\nmatch = "hiresbox"\n\n'
        '[[bind]]\nnrpn = 1234\nparam = "color.hue"\ntakeover = "jump"\n\n'
        '[[bind]]\ncc14 = 1\nparam = "master.fade"\ntakeover = "jump"\n'
    )
    box = VirtualController("hiresbox")
    controllers.append(box)
    session = make_session(control_config(), mappings=[str(mapping)])
    devices = DeviceLog(session)
    await session.start(engine=False)
    try:
        await eventually(lambda: devices.count("in", "connected"))
        box.cc(99, 1234 >> 7)
        box.cc(98, 1234 & 0x7F)
        box.cc(6, 64)
        box.cc(38, 1)
        await eventually(lambda: session.store.get("color.hue") == (64 << 7 | 1) / 16383)
        box.cc(1, 100)
        box.cc(33, 5)
        await eventually(lambda: session.store.get("master.fade") == (100 << 7 | 5) / 16383)
    finally:
        await session.stop()


async def test_midi_in_drives_osc_feedback_out(controllers, tmp_path):
    mapping = tmp_path / "td.toml"
    mapping.write_text(
        '[device]\nname = "Box"\nmatch = "oscfeedbox"\n\n'
        '[[bind]]\ncc = 7\nparam = "engine.speed"\ntakeover = "jump"\n'
    )
    box = VirtualController("oscfeedbox")
    controllers.append(box)
    receiver, transport, port = await OscReceiver.open()
    session = make_session(control_config(), mappings=[str(mapping)], osc_out=[f"127.0.0.1:{port}"])
    devices = DeviceLog(session)
    await session.start(engine=False)
    try:
        await eventually(lambda: devices.count("in", "connected"))
        await eventually(lambda: receiver.last("/vj/engine/speed") == 1.0, what="initial state")
        box.cc(7, 127)
        # native and normalised values go out as separate datagrams, the native one first
        await eventually(
            lambda: (
                (receiver.last("/vj/engine/speed"), receiver.last("/vj/norm/engine/speed"))
                == (4.0, 1.0)
            ),
            what="fader value out, native and normalised",
        )
    finally:
        await session.stop()
        transport.close()
