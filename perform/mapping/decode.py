"""MIDI messages -> :class:`ControlEvent`, and relative encoder decoding.

One :class:`MidiDecoder` per device keeps the little state MIDI needs:

* **14-bit CC pairs** (MSB on CC 0-31, LSB on that number + 32, the convention of
  TouchDesigner's MIDI In CHOP): configured per (channel, MSB). Per the MIDI spec an MSB
  resets the LSB to 0, so both halves emit an event; the mapper keeps only the latest
  value per control within one batch, so a pair arriving together applies once.
* **NRPN**: CC 99/98 select a parameter, CC 6/38 carry its value (data entry MSB/LSB).
  A device that never sends CC 38 is treated as 7-bit (CC 6 alone reaches 1.0). RPN
  selection (CC 101/100) and the null RPN deselect NRPN; the selection CCs themselves are
  never passed on, and CC 6/38/96/97 are passed on as plain CCs only while nothing is
  selected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from perform.mapping.controls import ControlEvent

NRPN_MSB, NRPN_LSB, RPN_MSB, RPN_LSB = 99, 98, 101, 100
DATA_MSB, DATA_LSB, DATA_INC, DATA_DEC = 6, 38, 96, 97
_SELECT = {NRPN_MSB, NRPN_LSB, RPN_MSB, RPN_LSB}
_DATA = {DATA_MSB, DATA_LSB, DATA_INC, DATA_DEC}


def decode_relative(encoding: str, raw: int) -> int:
    """Signed ticks from one relative-encoder CC value (0 means no movement).

    * ``twos-complement``: 1..63 up, 127..64 down (127 = -1);
    * ``binary-offset``: 64 is zero, 65 = +1, 63 = -1;
    * ``sign-magnitude``: bit 6 set means down, the low six bits are the size (65 = -1);
    * ``signed-bit-2``: the reverse: bit 6 set means up (65 = +1, 1 = -1).
    """
    raw &= 0x7F
    if encoding == "twos-complement":
        return raw - 128 if raw >= 64 else raw
    if encoding == "binary-offset":
        return raw - 64
    if encoding == "sign-magnitude":
        return -(raw & 0x3F) if raw & 0x40 else raw & 0x3F
    if encoding == "signed-bit-2":
        return raw & 0x3F if raw & 0x40 else -(raw & 0x3F)
    raise ValueError(f"unknown encoder encoding {encoding!r}")


@dataclass
class _Nrpn:
    selected: tuple[int, int] | None = None
    is_rpn: bool = False
    msb: int = 0
    lsb: int = 0
    seen_lsb: bool = False
    select_msb: int = 0
    select_lsb: int = 0


@dataclass
class MidiDecoder:
    """Turns one device's mido messages into control events (loop thread only)."""

    device: str
    cc14: set[tuple[int, int]] = field(default_factory=set)
    """(channel 0-15, MSB number) pairs that are 14-bit CCs."""
    _msb: dict[tuple[int, int], int] = field(default_factory=dict)
    _nrpn: dict[int, _Nrpn] = field(default_factory=dict)

    def decode(self, msg: Any, at: float) -> list[ControlEvent]:
        kind = msg.type
        if kind == "control_change":
            return self._cc(msg.channel, msg.control, msg.value, at)
        if kind == "note_on" or kind == "note_off":
            on = kind == "note_on" and msg.velocity > 0
            value = msg.velocity / 127 if on else 0.0
            key = ("note", msg.channel, msg.note)
            return [ControlEvent(self.device, key, value, msg.velocity, on, at)]
        if kind == "pitchwheel":
            raw = msg.pitch + 8192
            key = ("pitchbend", msg.channel, 0)
            return [ControlEvent(self.device, key, raw / 16383, raw, None, at)]
        return []

    def _cc(self, channel: int, number: int, value: int, at: float) -> list[ControlEvent]:
        if number in _SELECT:
            self._select(channel, number, value)
            return []
        state = self._nrpn.get(channel)
        if number in _DATA and state is not None and state.selected is not None:
            return self._data(channel, state, number, value, at)
        if number < 32 and (channel, number) in self.cc14:
            self._msb[(channel, number)] = value
            raw = value << 7
            return [
                ControlEvent(self.device, ("cc14", channel, number), raw / 16383, raw, None, at)
            ]
        if 32 <= number < 64 and (channel, number - 32) in self.cc14:
            msb = self._msb.get((channel, number - 32), 0)
            raw = (msb << 7) | value
            key = ("cc14", channel, number - 32)
            return [ControlEvent(self.device, key, raw / 16383, raw, None, at)]
        return [ControlEvent(self.device, ("cc", channel, number), value / 127, value, None, at)]

    def _select(self, channel: int, number: int, value: int) -> None:
        state = self._nrpn.setdefault(channel, _Nrpn())
        rpn = number in (RPN_MSB, RPN_LSB)
        if rpn != state.is_rpn:  # switching between RPN and NRPN starts a fresh selection
            state.select_msb = state.select_lsb = 0
        state.is_rpn = rpn
        if number in (NRPN_MSB, RPN_MSB):
            state.select_msb = value
        else:
            state.select_lsb = value
        selected = (state.select_msb, state.select_lsb)
        if state.is_rpn and selected == (127, 127):
            state.selected = None  # the null RPN: data entry goes back to being plain CCs
        elif selected != state.selected:
            state.selected = selected
            state.msb = state.lsb = 0
            state.seen_lsb = False

    def _data(
        self, channel: int, state: _Nrpn, number: int, value: int, at: float
    ) -> list[ControlEvent]:
        if state.is_rpn or state.selected is None:
            return []  # RPNs (pitch-bend range, tuning) are not controls we map
        if number == DATA_MSB:
            state.msb = value
        elif number == DATA_LSB:
            state.lsb = value
            state.seen_lsb = True
        else:  # increment / decrement by one step of the finest resolution seen
            step = 1 if number == DATA_INC else -1
            full = (state.msb << 7 | state.lsb) if state.seen_lsb else state.msb
            top = 16383 if state.seen_lsb else 127
            full = min(top, max(0, full + step))
            if state.seen_lsb:
                state.msb, state.lsb = full >> 7, full & 0x7F
            else:
                state.msb = full
        param = state.selected[0] << 7 | state.selected[1]
        if state.seen_lsb:
            raw = state.msb << 7 | state.lsb
            scaled = raw / 16383
        else:
            raw = state.msb
            scaled = raw / 127
        return [ControlEvent(self.device, ("nrpn", channel, param), scaled, raw, None, at)]
