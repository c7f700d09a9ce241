"""Controller LEDs and encoder rings, from the store's confirmed values.

For every connected device with an LED port the wanted state of each LED is derived
from what the store holds now (never from what a control sent): a toggle is lit when
its parameter is on, a radio button when its parameter holds its value, a ring shows
its parameter's position, an ``[[led]] follows`` LED shows whether a fader is in
control. Only LEDs whose value changed are sent, at most ``[midi] feedback_hz`` times
a second; a (re)connected port or a page change gets a full refresh (every LED, lit
or not), so the hardware never keeps a stale light.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from perform.events import CONTROL_MESSAGE, InputMessage, undo_all
from perform.mapping.device import ControlDef, DeviceMapping
from perform.mapping.mapper import Mapper

if TYPE_CHECKING:
    from perform.inputs.midi import MidiInput
    from perform.session import Session

log = logging.getLogger(__name__)

BURST = 16
"""LED messages sent back to back at most; the rest follow :data:`PACE` seconds later.
A full refresh of an APC's 64 pads at once overruns small MIDI buffers (a JACK period's
port buffer holds ~20 short messages at 64 frames; long bursts also overrun ALSA)."""
PACE = 0.002

SETTLE = 0.3
"""Seconds after a port connects when its LEDs are sent a second time."""

Slot = tuple[str, int, int]
"""(message kind ``cc`` / ``note``, channel 0-15, number)."""


def led_slot(control: ControlDef) -> tuple[Slot, Any] | None:
    led = control.led
    if led is None or control.key[0] not in ("cc", "note"):
        return None
    channel = led.channel - 1 if led.channel is not None else control.key[1]
    kind = "note" if led.kind == "note" else "cc"
    return (kind, channel, control.key[2]), led


def wanted(device: DeviceMapping, mapper: Mapper) -> dict[Slot, int]:
    """Every LED of the device and the value it should show right now."""
    out: dict[Slot, int] = {}
    levels: dict[str, float] = {}
    for control in device.controls.values():
        found = led_slot(control)
        if found is None:
            continue
        slot, led = found
        out[slot] = led.off
        binding = mapper.active(device.id, control.key)
        if binding is not None:
            level = mapper.level(binding)
            levels[control.name] = level
            out[slot] = (
                round(level * 127) if led.kind == "ring" else (led.on if level >= 0.5 else led.off)
            )
    store = mapper.store
    for rule in device.leds:
        control = device.controls[rule.control]
        found = led_slot(control)
        if found is None:
            continue
        slot, led = found
        if rule.follows is not None:
            source = device.controls.get(rule.follows)
            binding = mapper.active(device.id, source.key) if source is not None else None
            lit = binding is not None and all(
                t.takeover.in_control(store, t.name, "midi")
                for t in binding.targets
                if not t.action
            )
        elif rule.param is not None and rule.param in store:
            value = store.get(rule.param)
            if rule.equals is not None:
                lit = value == rule.equals
            else:
                lit = store.spec(rule.param).normalized(value) > (rule.above or 0.0)
        else:
            lit = False
        out[slot] = led.on if lit else led.off
    return out


def message(slot: Slot, value: int) -> Any:
    import mido

    kind, channel, number = slot
    if kind == "note":
        return mido.Message("note_on", channel=channel, note=number, velocity=value)
    return mido.Message("control_change", channel=channel, control=number, value=value)


@dataclass
class LedFeedback:
    mapper: Mapper
    midi: MidiInput
    hz: float = 25.0
    name: str = "leds"
    sent: dict[str, dict[Slot, int]] = field(default_factory=dict)
    messages: int = 0
    _dirty: bool = True
    _outbox: dict[str, dict[Slot, int]] = field(default_factory=dict)
    _pump_handle: asyncio.TimerHandle | None = None
    _full: set[str] = field(default_factory=set)
    _handle: asyncio.Handle | None = None
    _last: float = 0.0
    _loop: asyncio.AbstractEventLoop | None = None
    _unsubscribe: list[Any] = field(default_factory=list)

    async def start(self, session: Session) -> None:
        self._loop = asyncio.get_running_loop()
        self._unsubscribe = [
            session.store.subscribe(lambda changes: self.mark()),
            session.events.subscribe(CONTROL_MESSAGE, self._on_message),
        ]
        self.midi.on_output(self._connected)
        self.mapper.on_layout(self.refresh)
        self.mark()

    async def stop(self) -> None:
        undo_all(self._unsubscribe)
        for handle in (self._handle, self._pump_handle):
            if handle is not None:
                handle.cancel()
        self._handle = self._pump_handle = None
        self._loop = None

    def _connected(self, device_id: str) -> None:
        """A port (re)connected: refresh now, and once more when the MIDI graph settled
        (JACK drops what flows while clients join it; ALSA does not, it costs nothing)."""
        self.refresh(device_id)
        if self._loop is not None:
            self._loop.call_later(SETTLE, self.refresh, device_id)

    def refresh(self, device_id: str) -> None:
        """Send every LED of this device at the next flush (connect, page change)."""
        self._full.add(device_id)
        self.mark()

    def _on_message(self, message: InputMessage) -> None:
        if message.source == "midi":
            self.mark()  # a held trigger button lights while held

    def mark(self) -> None:
        self._dirty = True
        if self._loop is None or self._handle is not None:
            return
        wait = self._last + 1.0 / self.hz - time.monotonic()
        if wait <= 0:
            self._handle = self._loop.call_soon(self.flush)
        else:
            self._handle = self._loop.call_later(wait, self.flush)

    def flush(self) -> None:
        self._handle = None
        self._last = time.monotonic()
        if not self._dirty and not self._full:
            return
        self._dirty = False
        connected = set(self.midi.connected_outputs())
        for device in list(self.mapper.devices.values()):
            if device.id not in connected:
                self.sent.pop(device.id, None)
                self._outbox.pop(device.id, None)
                continue
            try:
                self._send_device(device)
            except Exception:
                log.exception("LED feedback for %s failed", device.name)
        self._full.clear()

    def _send_device(self, device: DeviceMapping) -> None:
        full = device.id in self._full
        before = {} if full else self.sent.get(device.id, {})
        now = wanted(device, self.mapper)
        outbox = self._outbox.setdefault(device.id, {})
        for slot, value in now.items():
            if full or before.get(slot) != value:
                outbox.pop(slot, None)  # re-queue at the end: the latest value goes last
                outbox[slot] = value
        self.sent[device.id] = now
        if outbox and self._pump_handle is None:
            self._pump()

    def _pump(self) -> None:
        """Send up to :data:`BURST` queued LED messages per device, then come back."""
        self._pump_handle = None
        more = False
        for device_id, outbox in list(self._outbox.items()):
            for _ in range(min(BURST, len(outbox))):
                slot = next(iter(outbox))
                value = outbox.pop(slot)
                if self.midi.send(device_id, message(slot, value)):
                    self.messages += 1
            more = more or bool(outbox)
        if more and self._loop is not None:
            self._pump_handle = self._loop.call_later(PACE, self._pump)
