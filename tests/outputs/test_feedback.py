"""Controller LEDs from the store: derived state, diffs, rate cap, refreshes, pacing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from engines import all_params, presets
from perform.config import PROJECT_ROOT
from perform.events import EventBus
from perform.mapping import ControlEvent, Mapper, load_mapping
from perform.outputs.feedback import BURST, LedFeedback, wanted
from perform.registry import build_store
from tests.jack import eventually

MAPPINGS = PROJECT_ROOT / "mappings"


@dataclass
class FakeMidi:
    """Stands in for MidiInput: records what the feedback sends."""

    sent: list[tuple[str, list[int]]] = field(default_factory=list)
    connected: list[str] = field(default_factory=list)
    listeners: list[Any] = field(default_factory=list)

    def send(self, device_id: str, message: Any) -> bool:
        self.sent.append((device_id, message.bytes()))
        return device_id in self.connected

    def connected_outputs(self) -> list[str]:
        return list(self.connected)

    def on_output(self, callback) -> None:
        self.listeners.append(callback)

    def connect(self, device_id: str) -> None:
        self.connected.append(device_id)
        for callback in self.listeners:
            callback(device_id)


@dataclass
class FakeSession:
    store: Any
    events: EventBus = field(default_factory=EventBus)


def setup(profile: str, hz: float = 25.0):
    store = build_store(presets(), "medusa", all_params())
    device = load_mapping(MAPPINGS / f"{profile}.toml", store, mappings_dir=MAPPINGS)
    mapper = Mapper(store, {device.id: device})
    midi = FakeMidi()
    return store, device, mapper, midi, LedFeedback(mapper, midi, hz)


def cc(device: str, number: int, value: int, channel: int = 0) -> ControlEvent:
    return ControlEvent(device, ("cc", channel, number), value / 127, value)


def test_wanted_state_follows_the_store_and_the_takeover():
    store, device, mapper, _, _ = setup("nanokontrol2")
    leds = wanted(device, mapper)
    assert len(leds) == 30 and set(leds.values()) == {0}  # 8 S + 8 M + 8 R + 6 transport
    store.apply("engine.freeze", "on", "setlist")
    mapper.handle([cc(device.id, 1, 0), cc(device.id, 1, 64)])  # fader 2 picks 1.0 up
    leds = wanted(device, mapper)
    assert leds[("cc", 0, 32)] == 127  # S1: freeze on
    assert leds[("cc", 0, 65)] == 127  # R2: fader 2 in control
    assert leds[("cc", 0, 48)] == 0  # M1: master.fade is 1.0, the flash-to-black is off
    store.apply("engine.speed", 3.0, "setlist")
    assert wanted(device, mapper)[("cc", 0, 65)] == 0  # a scene moved it: waiting for pickup


def test_rings_and_led_channels():
    store, device, mapper, _, _ = setup("xtouch_mini")
    store.apply("engine.speed", 1.0, "setlist")  # knob1: 0..2
    leds = wanted(device, mapper)
    assert leds[("cc", 10, 1)] == 64  # the ring shows the value, on channel 11
    store, device, mapper, _, _ = setup("apc_mini_mk2")
    store.apply("color.palette", "cuttlefish", "tui")
    leds = wanted(device, mapper)
    assert leds[("note", 6, 1)] == 21 and leds[("note", 6, 0)] == 0  # pad2 lit, channel 7


async def test_connect_refreshes_everything_then_only_diffs_are_sent():
    store, device, mapper, midi, feedback = setup("nanokontrol2")
    await feedback.start(FakeSession(store))
    try:
        midi.connect(device.id)
        await eventually(lambda: len(midi.sent) >= 30)
        assert len({tuple(m) for _, m in midi.sent}) == 30
        await eventually(lambda: len(midi.sent) >= 60, timeout=2)  # the settle refresh
        midi.sent.clear()
        await asyncio.sleep(0.1)
        assert midi.sent == []  # nothing changed: nothing sent
        store.apply("engine.freeze", "on", "tui")
        await eventually(lambda: midi.sent)
        await asyncio.sleep(0.1)
        assert midi.sent == [(device.id, [0xB0, 32, 127])]
    finally:
        await feedback.stop()


async def test_rate_cap_and_the_last_value_wins():
    store, device, mapper, midi, feedback = setup("nanokontrol2", hz=10)
    midi.connected.append(device.id)
    await feedback.start(FakeSession(store))
    try:
        await asyncio.sleep(0.15)
        midi.sent.clear()
        for i in range(40):  # 40 toggles in 0.2 s
            store.apply("engine.freeze", "on" if i % 2 == 0 else "off", "osc")
            await asyncio.sleep(0.005)
        store.apply("engine.freeze", "on", "osc")
        await asyncio.sleep(0.25)
        s1 = [m[2] for _, m in midi.sent if m[1] == 32]
        assert 1 <= len(s1) <= 5  # at most ~10 per second, never 41
        assert s1[-1] == 127
    finally:
        await feedback.stop()


async def test_page_change_resends_every_led():
    store, device, mapper, midi, feedback = setup("nanokontrol2")
    midi.connected.append(device.id)
    await feedback.start(FakeSession(store))
    try:
        await eventually(lambda: len(midi.sent) >= 30)
        await asyncio.sleep(0.1)
        midi.sent.clear()
        mapper.handle([cc(device.id, 59, 127), cc(device.id, 59, 0)])  # TRACK >: page "tune"
        assert mapper.page(device.id) == "tune"
        await eventually(lambda: len(midi.sent) >= 30)
    finally:
        await feedback.stop()


async def test_a_full_grid_refresh_is_paced_in_bursts():
    store, device, mapper, midi, feedback = setup("apc_mini")
    await feedback.start(FakeSession(store))
    try:
        midi.connect(device.id)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert 0 < len(midi.sent) <= BURST
        await eventually(lambda: len(midi.sent) >= 80)  # 64 pads, 8 track, 8 scene buttons
        assert len(midi.sent) == 80
    finally:
        await feedback.stop()


@pytest.mark.parametrize("profile", sorted(p.stem for p in MAPPINGS.glob("*.toml")))
def test_every_profile_computes_its_leds(profile):
    store, device, mapper, _, _ = setup(profile)
    leds = wanted(device, mapper)
    assert all(0 <= v <= 127 for v in leds.values())
