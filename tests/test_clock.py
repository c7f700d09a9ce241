"""The tempo clock on a fake timeline: beats, bars, quantized GO times, tap, MIDI clock."""

from __future__ import annotations

import random

import pytest

from perform.clock import PPQN, MidiClockFollower, TapTempo, TempoClock
from perform.setlist import Span, seconds


def test_beats_and_bars_at_120():
    clock = TempoClock(bpm=120, beats_per_bar=4)
    clock.start(10.0)
    assert clock.beat_at(10.0) == 0 and clock.beat_at(12.0) == pytest.approx(4.0)
    assert clock.time_of_beat(8) == pytest.approx(14.0)
    state = clock.state(13.25)
    assert state.bar == 1 and state.beat_in_bar == 2 and state.phase == pytest.approx(0.5)
    assert seconds(Span(beats=8), clock.bpm, clock.beats_per_bar) == pytest.approx(4.0)
    assert seconds(Span(bars=2), clock.bpm, clock.beats_per_bar) == pytest.approx(4.0)


def test_tempo_change_keeps_the_beat_continuous():
    clock = TempoClock(bpm=120)
    clock.start(0.0)
    clock.set_bpm(93, now=3.0)  # beat 6 at t=3
    assert clock.beat_at(3.0) == pytest.approx(6.0)
    assert clock.beat_at(3.0 + 60 / 93) == pytest.approx(7.0)
    clock.set_bpm(1000, now=4.0)
    assert clock.bpm == 300


@pytest.mark.parametrize("bpm", [120, 93])
def test_next_boundary_lands_on_the_beat_and_the_bar(bpm):
    clock = TempoClock(bpm=bpm, beats_per_bar=4)
    clock.start(0.0)
    spb = 60 / bpm
    now = 5.3 * spb  # pressed between beats 5 and 6
    assert clock.next_boundary(now, "none") == now
    assert clock.next_boundary(now, "beat") == pytest.approx(6 * spb)
    assert clock.next_boundary(now, "bar") == pytest.approx(8 * spb)
    # With a 100 ms lookahead the GO fires early, so the change is *seen* on the bar.
    assert clock.next_boundary(now, "bar", 0.1) == pytest.approx(8 * spb - 0.1)
    # Pressed 50 ms before a bar with a 100 ms lookahead: too late for it, next bar.
    late = 8 * spb - 0.05
    assert clock.next_boundary(late, "bar", 0.1) == pytest.approx(12 * spb - 0.1)
    # Exactly on a bar: the following bar (never "now" by rounding).
    assert clock.next_boundary(4 * spb, "bar") == pytest.approx(8 * spb)


def test_stopped_clock_does_not_move_or_quantize():
    clock = TempoClock(bpm=120)
    clock.start(0.0)
    clock.stop(1.0)
    assert clock.beat_at(5.0) == pytest.approx(2.0)
    assert clock.next_boundary(5.0, "bar") == 5.0
    clock.resume(6.0)
    assert clock.beat_at(6.5) == pytest.approx(3.0)


def test_tap_tempo():
    taps = TapTempo()
    assert [taps.tap(t) for t in (0.0, 0.5, 1.0)] == [None, None, None]
    assert taps.tap(1.5) == pytest.approx(120.0)
    assert taps.tap(2.14) == pytest.approx(60 * 4 / 2.14)
    assert taps.tap(10.0) is None  # a long pause starts over


def feed(
    follower: MidiClockFollower, start: float, bpm: float, pulses: int, jitter: float, rng
) -> float:
    period = 60 / bpm / PPQN
    t = start
    for _ in range(pulses):
        follower.tick(t + rng.uniform(-jitter, jitter))
        t += period
    return t


def test_midi_clock_with_jitter_and_a_tempo_change():
    rng = random.Random(4)
    follower = MidiClockFollower()
    follower.start()
    t = feed(follower, 0.0, 120, 4 * PPQN, 0.001, rng)  # 4 beats, +-1 ms jitter
    assert follower.bpm() == pytest.approx(120, abs=0.5)
    assert follower.beat_at(t) == pytest.approx(4.0, abs=0.02)
    t = feed(follower, t, 93, 2 * PPQN, 0.001, rng)  # tempo change: two beats later...
    assert follower.bpm() == pytest.approx(93, abs=0.5)  # ...it is followed
    assert follower.beat_at(t) == pytest.approx(6.0, abs=0.03)
    # Pulse-to-pulse, the jitter is large; the fitted tempo is not.
    times = [t for _, t in follower.pulses]
    raw = [60 / (PPQN * (b - a)) for a, b in zip(times, times[1:], strict=False)]
    assert max(raw) - min(raw) > 5
    assert abs(follower.bpm() - 93) < 0.5


def test_midi_song_position_and_too_few_pulses():
    follower = MidiClockFollower()
    assert follower.bpm() is None and follower.beat_at(1.0) is None
    follower.position(16)  # 16 sixteenths = 4 beats
    for i in range(10):
        follower.tick(i * 0.02)
    assert follower.beat_at(0.0) == pytest.approx(4.0, abs=1e-6)
