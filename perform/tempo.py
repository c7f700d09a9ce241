"""The tempo component: owns the session's TempoClock and keeps it in time.

One tempo: ``tempo.bpm`` in the store is the tempo, and the only one. Whoever sets it —
a performer (MIDI, OSC, the TUI), the show, a tap, MIDI clock or Link — writes the store
(the last four with source ``clock``), and the clock takes its rate from the store in one
place (:meth:`TempoComponent._follow_store`). The store, not the clock, holds it because
every surface already reads and writes parameters there (faders, ``/vj/tempo/bpm``, the
parameter table, OSC feedback, ramps); the clock keeps what only it can: the beat's
position (re-anchored on each change, so the beat never jumps) and which source leads.
While MIDI clock or Link leads, a performer's write is refused: the store is put back to
the leader's tempo, so the store and the clock never disagree.

* the ``tap`` action taps the tempo;
* MIDI clock pulses arrive as ``MIDI_CLOCK`` events from the MIDI input; with
  ``[tempo] source = "midi"`` (or ``"auto"``, the default, once pulses arrive) the clock
  follows them: start/stop/continue, tempo from the fitted pulse period, phase re-aligned
  every beat;
* with ``source = "link"`` an Ableton Link session (optional ``aalink`` package) drives it;
* ``TEMPO_STATE`` is published on every beat and whenever the tempo changes, for the
  OSC feedback, the Scope link (beat forwarding) and the UI.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from typing import TYPE_CHECKING, Any

from perform.clock import PPQN, MidiClockFollower, TapTempo, TempoClock
from perform.config import TempoConfig
from perform.errors import ConfigError
from perform.events import MIDI_CLOCK, TEMPO_STATE, MidiClock, undo_all
from perform.params import ChangeSet

if TYPE_CHECKING:
    from perform.session import Session

log = logging.getLogger(__name__)

MIDI_SILENCE = 1.0
"""Seconds without a MIDI clock message after which the clock counts as gone (at 20 bpm
a pulse comes every 0.125 s)."""


class TempoComponent:
    name = "tempo"

    def __init__(self, config: TempoConfig) -> None:
        self.config = config
        self.clock = TempoClock(bpm=config.bpm, beats_per_bar=config.beats_per_bar)
        self.taps = TapTempo()
        self.midi = MidiClockFollower()
        self.session: Session | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._offset = 0.0
        self._beat_handle: asyncio.TimerHandle | None = None
        self._link_task: asyncio.Task[None] | None = None
        self._unsubscribe: list[Any] = []
        self._last_pulse = float("-inf")
        self._stopped: bool | None = None
        """MIDI transport: None before any Start/Stop, True after a Stop."""
        self._watchdog: asyncio.TimerHandle | None = None

    def now(self) -> float:
        return self._loop.time() if self._loop is not None else time.monotonic()

    async def start(self, session: Session) -> None:
        self.session = session
        self._loop = asyncio.get_running_loop()
        # MIDI timestamps are perf_counter() seconds taken on the rtmidi thread.
        self._offset = self._loop.time() - time.perf_counter()
        self.clock.start(self.now())
        store = session.store
        store.apply("tempo.bpm", self.clock.bpm, "clock")  # both start at [tempo] bpm
        self._unsubscribe += [
            store.subscribe(self._on_changes),
            session.events.subscribe(MIDI_CLOCK, self.on_midi),
            store.actions.bind("tap", lambda arg, source: self.tap()),
        ]
        if self.config.source == "link":
            self._link_task = asyncio.create_task(self._follow_link(), name="perform-link")
        self._schedule_beat()

    async def stop(self) -> None:
        undo_all(self._unsubscribe)
        if self._beat_handle is not None:
            self._beat_handle.cancel()
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if self._link_task is not None:
            self._link_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._link_task

    # --- inputs --------------------------------------------------------------------------
    def set_show_tempo(self, bpm: float, beats_per_bar: int) -> None:
        """A show starts: take its tempo unless an external clock is in charge."""
        self.clock.beats_per_bar = beats_per_bar
        if self.clock.source in ("internal", "tap"):
            self.clock.source = "internal"
            self._set_tempo(bpm)

    def tap(self) -> float | None:
        now = self.now()
        bpm = self.taps.tap(now)
        if bpm is not None and self.clock.source in ("internal", "tap"):
            self.clock.source = "tap"
            self.clock.resume(now)
            self._set_tempo(bpm, beat=(now, math.floor(self.clock.beat_at(now) + 0.5)))
        return bpm

    def on_midi(self, event: MidiClock) -> None:
        if self.config.source not in ("midi", "auto"):
            return
        at = event.at + self._offset
        self._last_pulse = self.now()
        if event.kind == "tick":
            self.midi.tick(at)
            if self.midi.count % PPQN == 0:
                self._follow_midi(at)
        elif event.kind == "start":
            self._stopped = False
            self.midi.start()
            self._take_source()
            self.clock.start(at, 0.0)
            self._changed()
        elif event.kind == "stop":
            self.clock.stop(at)
            self._stopped = True
            self._fall_back("MIDI clock stopped")
            self._changed()
        elif event.kind == "continue":
            self._stopped = False
            self._take_source()
            self.clock.resume(at)
            self._changed()
        elif event.kind == "position" and event.position is not None:
            self.midi.position(event.position)

    def _follow_midi(self, at: float) -> None:
        if self._stopped:
            return  # many clocks send pulses while stopped: they do not take the tempo back
        bpm = self.midi.bpm()
        beat = self.midi.beat_at(at)
        if bpm is None or beat is None:
            return
        self._take_source()
        self.clock.playing = True
        self._set_tempo(bpm, beat=(at, beat))

    # --- who owns the tempo ----------------------------------------------------------------
    def _take_source(self) -> None:
        self.clock.source = "midi"
        if self._watchdog is None and self._loop is not None:
            self._watchdog = self._loop.call_later(MIDI_SILENCE / 4, self._watch)

    def _watch(self) -> None:
        """While MIDI clock owns the tempo: has it gone silent (unplugged, crashed)?"""
        self._watchdog = None
        if self.clock.source != "midi":
            return
        if self.now() - self._last_pulse > MIDI_SILENCE:
            self._fall_back(f"no MIDI clock for {MIDI_SILENCE:g} s")
            self._changed()
            return
        assert self._loop is not None
        self._watchdog = self._loop.call_later(MIDI_SILENCE / 4, self._watch)

    def _fall_back(self, why: str) -> None:
        """MIDI clock stopped or vanished: the tempo is the performer's again (taps and
        ``tempo.bpm`` work); a vanished clock keeps the show's beat going at its last
        tempo, a stopped one waits stopped until a tap, a Start or a Continue."""
        if self.clock.source != "midi":
            return
        self.clock.source = "internal"
        log.info("tempo: %s; falling back to the internal clock at %.1f bpm", why, self.clock.bpm)
        if self.session is not None:
            self.session.notify(
                f"{why}: tempo is internal again ({self.clock.bpm:.1f} bpm; tap to set it)",
                title="Tempo",
            )

    async def _follow_link(self) -> None:
        try:
            import aalink  # optional: uv sync --extra link
        except ImportError:
            raise ConfigError(
                '[tempo] source = "link" needs the aalink package: uv sync --extra link'
            ) from None
        link = aalink.Link(self.clock.bpm)
        link.quantum = self.clock.beats_per_bar
        link.enabled = True
        self.clock.source = "link"
        try:
            while True:
                await link.sync(1)
                self._set_tempo(float(link.tempo), beat=(self.now(), float(link.beat)))
        finally:
            link.enabled = False

    # --- the one tempo ----------------------------------------------------------------------
    def _set_tempo(self, bpm: float, *, beat: tuple[float, float] | None = None) -> None:
        """A source of this component (show, tap, MIDI clock, Link) sets the tempo: it
        writes the store, and the clock follows at once (``beat``: the source also says
        that time ``beat[0]`` is beat ``beat[1]``)."""
        assert self.session is not None
        self.session.store.apply("tempo.bpm", round(bpm, 3), "clock")
        self._follow_store(beat)

    def _follow_store(self, beat: tuple[float, float] | None = None) -> None:
        """The only place the clock's rate is set: from the store's ``tempo.bpm``."""
        assert self.session is not None
        bpm = float(self.session.store.get("tempo.bpm"))
        if bpm != self.clock.bpm:  # the first tempo is [tempo] bpm on both sides
            self.clock.set_bpm(bpm, self.now())
        if beat is not None:
            self.clock.align(*beat)
        self._changed()

    def _on_changes(self, changes: ChangeSet) -> None:
        change = changes.get("tempo.bpm")
        if change is None or change.source == "clock" or self.session is None:
            return  # its own writes were followed when made
        if self.clock.source not in ("internal", "tap"):
            # MIDI clock or Link leads: the performer's tempo is refused (put back).
            self.session.store.apply("tempo.bpm", round(self.clock.bpm, 3), "clock")
            return
        self.clock.source = "internal"
        self.clock.resume(self.now())
        self._follow_store()

    # --- outputs -------------------------------------------------------------------------
    def _changed(self) -> None:
        self._publish()
        self._schedule_beat()

    def _publish(self) -> None:
        if self.session is not None:
            self.session.events.publish(TEMPO_STATE, self.clock.state(self.now()))

    def _schedule_beat(self) -> None:
        if self._loop is None:
            return
        if self._beat_handle is not None:
            self._beat_handle.cancel()
        self._beat_handle = None
        if not self.clock.playing:
            return
        now = self.now()
        when = self.clock.time_of_beat(math.floor(self.clock.beat_at(now) + 1e-6) + 1)
        self._beat_handle = self._loop.call_later(max(when - now, 0.001), self._on_beat)

    def _on_beat(self) -> None:
        self._beat_handle = None
        self._publish()
        self._schedule_beat()
