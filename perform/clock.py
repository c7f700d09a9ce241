"""Tempo: bpm, tap tempo, MIDI clock in, beat and bar position, quantized GO times.

:class:`TempoClock` is pure arithmetic over timestamps (seconds on the loop's clock):
nothing here sleeps or reads a clock by itself, so tests drive it with a fake one. The
beat position is a straight line ``beat(t) = beat0 + (t - t0) * bpm / 60`` re-anchored
whenever the tempo changes, so changing tempo never makes the beat jump.

In a session the tempo itself is the store's ``tempo.bpm`` (see :mod:`perform.tempo`):
``bpm`` here is the rate of the current stretch of the beat line, set from the store.

Sources of tempo:

* ``internal``: the show's bpm, or what a performer wrote to ``tempo.bpm``;
* ``tap``: :meth:`TempoClock.tap`; four or more taps set the tempo and put a beat on the
  last tap;
* ``midi``: 24 pulses per quarter note from :class:`MidiClockFollower`, which fits a line
  through the recent pulse times (least squares), so a jittery clock gives a steady tempo
  and a tempo change is followed within about two beats;
* ``link``: Ableton Link through the optional ``aalink`` package (see ``perform.tempo``).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Literal

from perform.events import TempoState

Quantize = Literal["none", "beat", "bar"]
PPQN = 24


@dataclass
class TempoClock:
    bpm: float = 120.0
    beats_per_bar: int = 4
    source: str = "internal"
    playing: bool = True
    _t0: float = 0.0
    _beat0: float = 0.0

    def beat_at(self, t: float) -> float:
        if not self.playing:
            return self._beat0
        return self._beat0 + (t - self._t0) * self.bpm / 60.0

    def time_of_beat(self, beat: float) -> float:
        return self._t0 + (beat - self._beat0) * 60.0 / self.bpm

    def seconds_per_beat(self) -> float:
        return 60.0 / self.bpm

    def set_bpm(self, bpm: float, now: float, source: str | None = None) -> None:
        """Change tempo at ``now`` keeping the beat position continuous."""
        bpm = min(300.0, max(20.0, float(bpm)))
        self._beat0, self._t0 = self.beat_at(now), now
        self.bpm = bpm
        if source is not None:
            self.source = source

    def align(self, now: float, beat: float) -> None:
        """Say that ``now`` is ``beat`` (used by tap, MIDI start, Link)."""
        self._t0, self._beat0 = now, beat

    def start(self, now: float, beat: float = 0.0) -> None:
        self.playing = True
        self.align(now, beat)

    def stop(self, now: float) -> None:
        self._beat0 = self.beat_at(now)
        self._t0 = now
        self.playing = False

    def resume(self, now: float) -> None:
        if not self.playing:
            self._t0 = now
            self.playing = True

    def next_boundary(self, now: float, quantize: Quantize, lookahead: float = 0.0) -> float:
        """When a GO pressed at ``now`` should fire: the next beat or bar minus ``lookahead``.

        The lookahead compensates the stream's latency so the change is *seen* on the
        beat; if the boundary minus the lookahead has already passed, the following one
        is used. ``none`` fires at once.
        """
        if quantize == "none" or not self.playing:
            return now
        unit = 1 if quantize == "beat" else self.beats_per_bar
        beat = self.beat_at(now + lookahead)
        boundary = math.floor(beat / unit + 1e-9) * unit + unit
        fire = self.time_of_beat(boundary) - lookahead
        while fire < now - 1e-9:
            boundary += unit
            fire = self.time_of_beat(boundary) - lookahead
        return fire

    def state(self, now: float) -> TempoState:
        return TempoState(
            self.bpm, self.beat_at(now), self.beats_per_bar, self.playing, self.source
        )


class TapTempo:
    """Tap tempo: the mean interval of the recent taps; a pause of 2 s starts over."""

    def __init__(self, max_taps: int = 8, reset_after: float = 2.0) -> None:
        self.taps: deque[float] = deque(maxlen=max_taps)
        self.reset_after = reset_after

    def tap(self, now: float) -> float | None:
        """Record a tap; returns the tempo once there are 4 taps, else None."""
        if self.taps and now - self.taps[-1] > self.reset_after:
            self.taps.clear()
        self.taps.append(now)
        if len(self.taps) < 4:
            return None
        span = self.taps[-1] - self.taps[0]
        return 60.0 * (len(self.taps) - 1) / span if span > 0 else None


class MidiClockFollower:
    """Turns MIDI clock pulses into a steady tempo and phase.

    Keeps the last ``window`` pulse times and fits ``t = a + b * n`` by least squares:
    ``b`` is the pulse period (jitter averages out), and the fitted line gives the beat
    position between pulses. A sudden tempo change pushes old pulses out of the window
    within ``window`` pulses (two beats by default).
    """

    def __init__(self, window: int = 48) -> None:
        self.window = window
        self.pulses: deque[tuple[int, float]] = deque(maxlen=window)
        self.count = 0

    def start(self) -> None:
        """A MIDI Start: count pulses from zero (Stop and Continue are the clock's)."""
        self.pulses.clear()
        self.count = 0

    def position(self, sixteenths: int) -> None:
        self.pulses.clear()
        self.count = sixteenths * PPQN // 4

    def tick(self, at: float) -> None:
        self.pulses.append((self.count, at))
        self.count += 1

    def fit(self) -> tuple[float, float] | None:
        """``(a, b)`` of ``t = a + b * n`` over the window, or None with too few pulses."""
        if len(self.pulses) < 6:
            return None
        n = len(self.pulses)
        mean_k = sum(k for k, _ in self.pulses) / n
        mean_t = sum(t for _, t in self.pulses) / n
        var = sum((k - mean_k) ** 2 for k, _ in self.pulses)
        if var == 0:
            return None
        b = sum((k - mean_k) * (t - mean_t) for k, t in self.pulses) / var
        if b <= 0:
            return None
        return mean_t - b * mean_k, b

    def bpm(self) -> float | None:
        fitted = self.fit()
        return None if fitted is None else 60.0 / (PPQN * fitted[1])

    def beat_at(self, t: float) -> float | None:
        fitted = self.fit()
        if fitted is None:
            return None
        a, b = fitted
        return (t - a) / b / PPQN
