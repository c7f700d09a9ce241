"""MIDI bytes -> control events: notes, pitch bend, 14-bit pairs, NRPN, relative encoders."""

from __future__ import annotations

import mido
import pytest

from perform.mapping.decode import MidiDecoder, decode_relative


def cc(control: int, value: int, channel: int = 0) -> mido.Message:
    return mido.Message("control_change", channel=channel, control=control, value=value)


def decode_all(decoder: MidiDecoder, *messages: mido.Message):
    out = []
    for message in messages:
        out.extend(decoder.decode(message, 1.0))
    return out


@pytest.mark.parametrize(
    ("encoding", "raw", "ticks"),
    [
        ("twos-complement", 1, 1),
        ("twos-complement", 5, 5),
        ("twos-complement", 127, -1),
        ("twos-complement", 64, -64),
        ("binary-offset", 65, 1),
        ("binary-offset", 63, -1),
        ("binary-offset", 64, 0),
        ("binary-offset", 70, 6),
        ("sign-magnitude", 1, 1),
        ("sign-magnitude", 65, -1),
        ("sign-magnitude", 67, -3),
        ("signed-bit-2", 65, 1),
        ("signed-bit-2", 1, -1),
        ("signed-bit-2", 3, -3),
    ],
)
def test_relative_encodings(encoding, raw, ticks):
    assert decode_relative(encoding, raw) == ticks


def test_unknown_encoding_is_refused():
    with pytest.raises(ValueError):
        decode_relative("gray-code", 1)


def test_cc_note_and_pitch_bend():
    decoder = MidiDecoder("box")
    (event,) = decode_all(decoder, cc(7, 127, channel=2))
    assert event.key == ("cc", 2, 7) and event.value == 1.0 and event.raw == 127
    on, off, zero = decode_all(
        decoder,
        mido.Message("note_on", note=36, velocity=100),
        mido.Message("note_off", note=36, velocity=64),
        mido.Message("note_on", note=36, velocity=0),
    )
    assert on.pressed is True and on.value == pytest.approx(100 / 127)
    assert off.pressed is False and off.value == 0.0
    assert zero.pressed is False  # note-on velocity 0 is a release
    low, mid, high = decode_all(
        decoder,
        mido.Message("pitchwheel", pitch=-8192),
        mido.Message("pitchwheel", pitch=0),
        mido.Message("pitchwheel", pitch=8191),
    )
    assert (low.value, high.value) == (0.0, 1.0) and mid.value == pytest.approx(0.5, abs=1e-4)
    assert decode_all(decoder, mido.Message("program_change", program=3)) == []


def test_14bit_cc_pairs_combine_msb_and_lsb():
    decoder = MidiDecoder("box", cc14={(0, 1)})
    msb, lsb = decode_all(decoder, cc(1, 64), cc(33, 0x40))
    assert msb.key == lsb.key == ("cc14", 0, 1)
    assert msb.raw == 64 << 7  # the MSB resets the LSB (MIDI spec)
    assert lsb.raw == (64 << 7) | 0x40 and lsb.value == pytest.approx(lsb.raw / 16383)
    (fine,) = decode_all(decoder, cc(33, 0x7F))  # fine moves keep the MSB
    assert fine.raw == (64 << 7) | 0x7F
    (top,) = decode_all(decoder, cc(1, 127))
    (top_lsb,) = decode_all(decoder, cc(33, 127))
    assert top_lsb.value == 1.0
    # Other CCs, and the same numbers on another channel, stay 7-bit.
    (plain,) = decode_all(decoder, cc(33, 5, channel=1))
    assert plain.key == ("cc", 1, 33)


def test_nrpn_14bit_and_7bit_devices():
    decoder = MidiDecoder("box")
    number = 1234
    selected = decode_all(decoder, cc(99, number >> 7), cc(98, number & 0x7F))
    assert selected == []  # selection is not a control
    (coarse,) = decode_all(decoder, cc(6, 127))
    assert coarse.key == ("nrpn", 0, 1234) and coarse.value == 1.0  # no LSB seen yet: 7-bit
    (fine,) = decode_all(decoder, cc(38, 0))
    assert fine.raw == 127 << 7 and fine.value == pytest.approx((127 << 7) / 16383)
    (full,) = decode_all(decoder, cc(38, 127))
    assert full.value == 1.0
    (down,) = decode_all(decoder, cc(97, 1))  # decrement: one step of the finest resolution
    assert down.raw == 16382


def test_rpn_and_null_rpn_hand_data_entry_back_to_plain_ccs():
    decoder = MidiDecoder("box")
    (plain,) = decode_all(decoder, cc(6, 10))
    assert plain.key == ("cc", 0, 6)  # nothing selected: CC 6 is a plain CC
    assert decode_all(decoder, cc(101, 0), cc(100, 0), cc(6, 2)) == []  # pitch-bend range RPN
    decode_all(decoder, cc(101, 127), cc(100, 127))  # null RPN
    (again,) = decode_all(decoder, cc(6, 11))
    assert again.key == ("cc", 0, 6)
    (nrpn,) = decode_all(decoder, cc(99, 0), cc(98, 5), cc(6, 64))
    assert nrpn.key == ("nrpn", 0, 5)
