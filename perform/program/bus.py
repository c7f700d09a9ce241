"""The program bus: on its own thread, it makes the audience's picture.

Each tick it reads (never waits for) the newest organism frame from the engine's mailbox
and the newest Scope frame from the Scope link's, both already I420, and composes

    program = (organism x (1 - s) + scope x s) x master.fade      s = u x h

where ``u`` follows ``program.source`` / ``program.mix`` (0 organism .. 1 Scope, glided
over :data:`SOURCE_FADE` so a switch is never a cut) and ``h`` is Scope's fitness from
:class:`~perform.program.failover.ScopeHealth` (falls to 0 in ``FAILOVER_FADE`` when
Scope stalls, freezes or drops; rises again after a second of steady frames). Scope's
frames are letterboxed to the program size; the organism is scaled only when the program
size differs from the stream's.

**Where fade, blackout and panic apply.** ``master.fade`` is applied here, once, to the
composed picture (blackout and panic only write ``master.fade``). The engine renders the
organism at full level (see :mod:`perform.render.host`): Scope is fed the live organism
even during a blackout, so its picture is ready the moment the light comes back, and the
organism is never faded twice on its way to the audience. The raw organism stream that
sinks may send beside the program is faded too: blackout means nothing is lit.

A frame is made when the source on air (the larger weight) has a new picture, or at the
stream rate when it has none (a stalled Scope's held picture, while the failover fades),
and handed to every sink's :class:`~perform.program.feeder.Feeder`; the bus never waits
for a sink. :meth:`ProgramBus.tick` is the whole step, callable without the thread
(tests and the bench drive it with their own clock).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy

from perform.program.compose import Fitter, Weights, compose, signature
from perform.program.failover import FAILBACK_FADE, FAILOVER_FADE, ScopeHealth, approach
from perform.program.feeder import Feeder
from perform.program.frame import ProgramFrame, Source
from perform.program.sink import ProgramSink
from perform.program.state import ProgramState
from perform.render.mailbox import Frame, FrameMailbox

log = logging.getLogger(__name__)

SOURCE_FADE = 0.25
"""Seconds a change of ``program.source`` (or a jump of ``program.mix``) glides over."""
POLL = 0.004
"""Seconds between two looks at the mailboxes (a new frame waits at most this long)."""
STATE_EVERY = 0.5
"""Seconds between two state publications while nothing changes."""
LIT = 1 / 256
"""Below this level the program is black."""


class ProgramBus:
    def __init__(
        self,
        *,
        organism: FrameMailbox,
        scope: FrameMailbox | None,
        snapshot: Callable[[], Mapping[str, Any]],
        size: tuple[int, int],
        fps: float,
        stall_s: float = 0.4,
        link_up: Callable[[], bool] | None = None,
        why_black: Callable[[], str] | None = None,
        organism_stream: bool = False,
        on_state: Callable[[ProgramState], None] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.organism = organism
        self.scope = scope
        self.snapshot = snapshot
        self.width, self.height = size
        self.period = 1.0 / fps
        self.link_up = link_up
        self.why_black = why_black
        self.organism_stream = organism_stream
        self.on_state = on_state
        self.clock = clock
        self.health = ScopeHealth(stall_s=stall_s)
        if scope is None:
            self.health.health = "off"
        self.fitter = Fitter(self.width, self.height)
        self.feeders: list[Feeder] = []
        self.latest: ProgramFrame | None = None
        """The newest program frame."""
        self.monitor = FrameMailbox()
        """Small RGB pictures of the program for previews (after :meth:`watch`)."""
        self.monitor_fps = 0.0
        self._last_monitor = float("-inf")
        self.state: ProgramState | None = None
        self.index = 0
        self.organism_index = 0
        self.errors = 0
        self.u = 1.0
        self.h = 0.0
        self._last_tick: float | None = None
        self._last_compose = float("-inf")
        self._last_state_at = float("-inf")
        self._org_seq = 0
        self._scope_seq = 0
        self._org_scaled: tuple[int, numpy.ndarray] | None = None
        self._scope_scaled: tuple[int, numpy.ndarray] | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # --- sinks and lifecycle ------------------------------------------------------------
    def add_sink(self, sink: ProgramSink) -> Feeder:
        feeder = Feeder(sink)
        self.feeders.append(feeder)
        if self._thread is not None:
            feeder.start()
        return feeder

    def watch(self, fps: float = 15.0) -> None:
        """Post thumbnails of the program to :attr:`monitor` (at most ``fps`` a second),
        starting with the newest frame now."""
        self.monitor_fps = fps
        latest = self.latest
        if latest is not None:
            self._post_monitor(latest, self.clock())

    def _post_monitor(self, frame: ProgramFrame, now: float) -> None:
        self._last_monitor = now
        self.monitor.put(Frame(frame.thumbnail(), frame.index, 0.0, now, 0))

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("program bus already started")
        for feeder in self.feeders:
            feeder.start()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="perform-program", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread, then every sink (each gets ``timeout`` to finish)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
        for feeder in self.feeders:
            feeder.close(timeout)

    def _run(self) -> None:
        while not self._stop.wait(POLL):
            try:
                self.tick(self.clock())
            except Exception:  # one bad frame must not end the program
                self.errors += 1
                if self.errors == 1 or self.errors % 100 == 0:
                    log.exception("program bus tick failed (%d)", self.errors)

    # --- one step -----------------------------------------------------------------------
    def tick(self, now: float) -> ProgramFrame | None:
        """Look at the sources, update failover and weights, and make a frame if one is
        due (returned, and handed to every sink)."""
        snap = self.snapshot()
        dt = 0.0 if self._last_tick is None else min(max(now - self._last_tick, 0.0), 0.25)
        self._last_tick = now
        org = self.organism.peek()
        sco = self.scope.peek() if self.scope is not None else None
        if sco is not None and sco.yuv420p is None:
            sco = None
        scope_seq = sco.seq if sco is not None else 0
        scope_new = scope_seq != self._scope_seq
        if self.scope is not None:
            picture = None
            if scope_new and sco is not None and sco.yuv420p is not None:
                picture = signature(sco.yuv420p)
            link_up = self.link_up() if self.link_up is not None else True
            fit = self.health.observe(
                now,
                seq=scope_seq,
                picture=picture,
                link_up=link_up,
                hold_ok=snap.get("scope.paused") == "on",
            )
        else:
            fit = False
        self._scope_seq = scope_seq
        wanted = str(snap.get("program.source", "scope"))
        u_target = {"organism": 0.0, "scope": 1.0}.get(wanted)
        if u_target is None:
            u_target = float(snap.get("program.mix", 1.0))
        if self.index == 0:
            self.u = u_target  # the first frame starts where the performer is
        self.u = approach(self.u, u_target, dt, SOURCE_FADE)
        h_target = 1.0 if fit else 0.0
        self.h = approach(
            self.h, h_target, dt, FAILOVER_FADE if h_target < self.h else FAILBACK_FADE
        )
        level = min(max(float(snap.get("master.fade", 1.0)), 0.0), 1.0)
        s = self.u * self.h

        org_new = org is not None and org.seq != self._org_seq
        if org is not None:
            self._org_seq = org.seq
        primary_new = scope_new if s >= 0.5 else org_new
        if self.organism_stream and org_new and org is not None:
            self._send_organism(org, level, now)
        if not (primary_new or now - self._last_compose >= self.period):
            return None
        if org is None and (sco is None or s == 0.0):
            return None  # nothing to show yet: no frame rather than an unasked-for black
        org_raw = org.yuv420p if org is not None and s < 1.0 else None
        scope_raw = sco.yuv420p if sco is not None and s > 0.0 else None
        if scope_raw is None and s > 0.0:
            s = 0.0  # nothing to show from Scope (never black instead of the organism)
            org_raw = org.yuv420p if org is not None else None
        weights = Weights(organism=(1.0 - s) * level, scope=s * level)
        if org_raw is not None and scope_raw is not None and org_raw.shape != scope_raw.shape:
            assert org is not None and sco is not None
            yuv = compose(
                self._organism_picture(org),
                self._scope_picture(sco),
                weights,
                self.width,
                self.height,
            )
        else:
            # One source, or two of one size: weigh at the source size, then scale once
            # (a 512² mix is a seventh of a 1080p one).
            raw = org_raw if org_raw is not None else scope_raw
            if raw is None:
                return None  # a frame without I420 planes: nothing to compose
            src_w, src_h = raw.shape[1], raw.shape[0] * 2 // 3
            yuv = self.fitter(compose(org_raw, scope_raw, weights, src_w, src_h))
        self._last_compose = now
        self.index += 1
        frame = ProgramFrame(yuv, self.index, now, self._label(level, s))
        self.latest = frame
        for feeder in self.feeders:
            feeder.put(frame)
        if self.monitor_fps and now - self._last_monitor >= 1.0 / self.monitor_fps:
            self._post_monitor(frame, now)
        self._publish(now, wanted, u_target, level, s)
        return frame

    def _label(self, level: float, s: float) -> Source:
        if level < LIT:
            return "black"
        if s >= 0.996:
            return "scope"
        if s <= 0.004:
            return "organism"
        return "mix"

    def _organism_picture(self, org: Frame | None) -> numpy.ndarray | None:
        if org is None or org.yuv420p is None:
            return None
        cached = self._org_scaled
        if cached is None or cached[0] != org.seq:
            cached = self._org_scaled = (org.seq, self.fitter(org.yuv420p))
        return cached[1]

    def _scope_picture(self, sco: Frame) -> numpy.ndarray | None:
        assert sco.yuv420p is not None
        cached = self._scope_scaled
        if cached is None or cached[0] != sco.seq:
            cached = self._scope_scaled = (sco.seq, self.fitter(sco.yuv420p))
        return cached[1]

    def _send_organism(self, org: Frame, level: float, now: float) -> None:
        if org.yuv420p is None:
            return
        yuv = compose(org.yuv420p, None, Weights(level, 0.0), org.width, org.height)
        self.organism_index += 1
        source: Source = "organism" if level >= LIT else "black"
        frame = ProgramFrame(yuv, self.organism_index, now, source, stream="organism")
        for feeder in self.feeders:
            feeder.put(frame)

    def _publish(self, now: float, wanted: str, u_target: float, level: float, s: float) -> None:
        """Update :attr:`state`; tell ``on_state`` when it changed (or every
        :data:`STATE_EVERY` seconds)."""
        snap_frozen = False
        source = self.latest.source if self.latest is not None else "black"
        if source in ("scope", "mix"):
            snap = self.snapshot()
            snap_frozen = snap.get("scope.paused") == "on" or self.health.suspect(now)
        elif source == "organism":
            snap_frozen = self.snapshot().get("engine.freeze") == "on"
        health = self.health.health
        failover = u_target > 0.0 and health != "off" and not self.health.fit
        black = ""
        if source == "black":
            black = (self.why_black() if self.why_black is not None else "") or "fade"
        state = ProgramState(
            source=source,
            wanted=wanted,
            health=health,
            failover=failover,
            frozen=snap_frozen,
            black=black,
            level=level,
            scope_weight=s,
            index=self.index,
            faults=self.health.faults,
            size=(self.width, self.height),
            sinks=tuple(f.status() for f in self.feeders),
        )
        changed = not state.same_as(self.state)
        self.state = state
        if self.on_state is not None and (changed or now - self._last_state_at >= STATE_EVERY):
            self._last_state_at = now
            self.on_state(state)
