"""The program bus on real pictures, driven tick by tick with a test clock: failover on
stall, freeze and link drop, failback after steady frames, mix, fade, blackout reasons,
sinks that fail or dawdle. (Against real WebRTC and the Scope double: test_failover_scope.)"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy
import pytest

from engines import all_params, numpy_backend, presets
from perform.config import OutputConfig
from perform.program.bus import ProgramBus
from perform.program.compose import is_black
from perform.program.failover import FAILBACK_FADE, FAILOVER_FADE, STEADY_S
from perform.program.frame import ProgramFrame
from perform.program.sink import ProgramSink, SinkState
from perform.program.sinks import FACTORIES, build_sink
from perform.registry import build_store
from perform.render.host import EngineHost
from perform.render.mailbox import FrameMailbox
from tests.program.frames import CollectingSink, mailbox_frame, organism_stills, pattern

DT = 1 / 60
STALL = 0.4


class Rig:
    """A bus over two real mailboxes; the test plays the engine and Scope."""

    def __init__(
        self, *, scope: bool = True, size: int = 64, scope_size=(64, 64), **kwargs: Any
    ) -> None:
        self.scope_size = scope_size
        self.params: dict[str, Any] = {"program.source": "scope", "master.fade": 1.0}
        self.organism = FrameMailbox()
        self.scope = FrameMailbox() if scope else None
        self.link = True
        self.reason = ""
        self.sink = CollectingSink()
        self.bus = ProgramBus(
            organism=self.organism,
            scope=self.scope,
            snapshot=lambda: self.params,
            size=(size, size),
            fps=30,
            stall_s=STALL,
            link_up=lambda: self.link,
            why_black=lambda: self.reason,
            **kwargs,
        )
        self.bus.feeders.append(_Direct(self.sink))
        self.stills = organism_stills(6)
        self.now = 100.0
        self.org_seq = self.scope_seq = 0
        self.shift = 0

    def run(self, seconds: float, *, scope: str = "live") -> list[ProgramFrame]:
        """Advance; the organism posts at 30 fps; Scope posts ``live`` (changing), ``same``
        (one picture, new frames) or ``none`` (nothing)."""
        made: list[ProgramFrame] = []
        end = self.now + seconds
        next_post = self.now
        while self.now < end:
            if self.now >= next_post:
                next_post += 1 / 30
                self.org_seq += 1
                still = self.stills[self.org_seq % len(self.stills)]
                self.organism.put(mailbox_frame(still, self.org_seq))
                if self.scope is not None and scope != "none":
                    self.scope_seq += 1
                    if scope == "live":
                        self.shift += 1
                    picture = pattern(*self.scope_size, self.shift)
                    self.scope.put(mailbox_frame(picture, self.scope_seq))
            frame = self.bus.tick(self.now)
            if frame is not None:
                made.append(frame)
            self.now += DT
        return made


class _Direct:
    """Feeds a sink synchronously (the tick-driven tests need no threads)."""

    def __init__(self, sink: CollectingSink) -> None:
        self.sink = sink

    def put(self, frame: ProgramFrame) -> None:
        self.sink.submit(frame)

    def status(self):
        return self.sink.status()


def sources(frames: list[ProgramFrame]) -> list[str]:
    """The sequence of on-air sources with repeats collapsed."""
    out: list[str] = []
    for f in frames:
        if not out or out[-1] != f.source:
            out.append(f.source)
    return out


def first(frames: list[ProgramFrame], source: str) -> ProgramFrame:
    return next(f for f in frames if f.source == source)


def test_scope_goes_on_air_only_after_a_steady_second():
    rig = Rig()
    frames = rig.run(STEADY_S - 0.2)
    assert {f.source for f in frames} == {"organism"}
    assert rig.bus.state is not None and rig.bus.state.failover
    frames += rig.run(1.5)
    assert sources(frames) == ["organism", "mix", "scope"]
    assert rig.bus.state.badge() == "ON AIR scope" and not rig.bus.state.failover


@pytest.mark.parametrize("fault", ["stall", "freeze", "drop"])
def test_failover_to_the_organism_and_back_without_black(fault):
    rig = Rig()
    rig.run(3.0)
    assert rig.bus.state is not None and rig.bus.state.source == "scope"
    t0 = rig.now
    if fault == "drop":
        rig.link = False
    faulted = rig.run(1.5, scope={"stall": "none", "freeze": "same", "drop": "live"}[fault])
    detect = 0.0 if fault == "drop" else STALL  # a dropped link needs no waiting
    expected = ["mix", "organism"] if fault == "drop" else ["scope", "mix", "organism"]
    assert sources(faulted) == expected
    on = first(faulted, "organism").pts - t0
    assert on <= detect + FAILOVER_FADE + 3 * DT + 1 / 30
    # Never a held picture past the threshold: the last pure-Scope frame is within it.
    last_scope = max((f.pts for f in faulted if f.source == "scope"), default=t0) - t0
    assert last_scope <= detect + 2 * DT + 1 / 30
    state = rig.bus.state
    assert state.failover and state.health in {"stalled", "frozen", "down"}
    assert state.badge().startswith("FAILOVER organism (Scope ")
    rig.link = True
    back = rig.run(STEADY_S + FAILBACK_FADE + 0.5)
    assert sources(back) == ["organism", "mix", "scope"]
    assert first(back, "mix").pts - faulted[-1].pts >= STEADY_S - 2 * DT
    everything = rig.sink.program()
    assert not any(is_black(f.yuv) for f in everything)
    assert [f.index for f in everything] == list(range(1, len(everything) + 1))
    assert rig.bus.health.faults == 1


def test_a_picture_paused_on_purpose_is_not_a_fault():
    rig = Rig()
    rig.run(3.0)
    rig.params["scope.paused"] = "on"
    frames = rig.run(1.5, scope="same")
    assert {f.source for f in frames} == {"scope"}
    assert rig.bus.state is not None and rig.bus.state.frozen
    assert rig.bus.state.badge() == "FROZEN scope"


def test_organism_only_when_asked_and_no_failover_badge():
    rig = Rig()
    rig.params["program.source"] = "organism"
    frames = rig.run(2.0)
    assert {f.source for f in frames} == {"organism"}
    assert frames[-1].yuv is rig.stills[rig.org_seq % len(rig.stills)]
    assert rig.bus.state is not None and not rig.bus.state.failover


def test_mix_parameter_crossfades():
    rig = Rig()
    rig.run(3.0)
    rig.params.update({"program.source": "mix", "program.mix": 0.5})
    frames = rig.run(0.5)
    last = frames[-1]
    assert last.source == "mix" and rig.bus.state.scope_weight == pytest.approx(0.5)
    org = rig.stills[rig.org_seq % len(rig.stills)].astype(int)
    sco = pattern(64, 64, rig.shift).astype(int)
    assert numpy.abs(last.yuv.astype(int) - (org + sco) / 2).max() <= 1


@pytest.mark.parametrize("reason", ["fade", "blackout", "panic", "scene"])
def test_black_says_why(reason):
    rig = Rig()
    rig.run(3.0)
    rig.reason = reason
    rig.params["master.fade"] = 0.0
    frames = rig.run(0.2)
    assert frames[-1].source == "black" and is_black(frames[-1].yuv)
    assert rig.bus.state.badge() == f"BLACK ({reason})"
    rig.params["master.fade"] = 0.5
    lit = rig.run(0.2)[-1]
    assert lit.source == "scope" and not is_black(lit.yuv)


def test_no_scope_link_shows_the_organism_without_crying_failover():
    rig = Rig(scope=False)
    frames = rig.run(1.0)
    assert {f.source for f in frames} == {"organism"}
    assert rig.bus.state.health == "off" and rig.bus.state.badge() == "ON AIR organism"


def test_program_size_scales_both_and_the_organism_stream_stays_raw():
    rig = Rig(size=128, organism_stream=True)
    rig.params["master.fade"] = 0.5
    rig.run(3.0)
    program = rig.sink.program()
    organism = [f for f in rig.sink.frames if f.stream == "organism"]
    assert (program[-1].width, program[-1].height) == (128, 128)
    assert organism and (organism[-1].width, organism[-1].height) == (64, 64)
    still = rig.stills[rig.org_seq % len(rig.stills)]
    # The organism stream is faded like everything the audience sees.
    assert organism[-1].yuv[:64].mean() < still[:64].mean()
    assert [f.index for f in organism] == list(range(1, len(organism) + 1))


# --- sinks ------------------------------------------------------------------------------


class ExplodingSink(CollectingSink):
    kind = "exploding"

    def submit(self, frame: ProgramFrame) -> None:
        raise OSError("sender went away")


def make_host(store) -> EngineHost:
    return EngineHost.for_store(
        store,
        numpy_backend(),
        world=64,
        width=64,
        height=64,
        fps=30,
        steps_per_second=60,
        warmup_steps=10,
    )


async def wait(predicate, timeout: float = 30.0) -> None:
    from tests.helpers import eventually

    await eventually(predicate, timeout, every=0.02)


async def test_a_stuck_sink_never_slows_the_bus_or_its_neighbours():
    store = build_store(presets(), "medusa", all_params())
    host = make_host(store)
    gate = threading.Event()

    class StuckSink(CollectingSink):
        kind = "stuck"

        def submit(self, frame: ProgramFrame) -> None:
            gate.wait(30)  # a window waiting for a vsync that never comes
            super().submit(frame)

    stuck, fast, broken = StuckSink("stuck"), CollectingSink("fast"), ExplodingSink("boom")
    bus = ProgramBus(
        organism=host.mailbox,
        scope=None,
        snapshot=lambda: store.snapshot,
        size=(64, 64),
        fps=30,
    )
    for sink in (stuck, fast, broken):
        bus.add_sink(sink)
    host.start()
    bus.start()
    try:
        await wait(lambda: len(fast.frames) >= 30)
        index = bus.index
        assert index >= 30
        await wait(lambda: bus.index > index)  # the bus thread goes on, whatever the sinks do
        assert len(stuck.frames) == 0
        statuses = {s.kind: s for s in (f.status() for f in bus.feeders)}
        assert statuses["stuck"].dropped > 0
        assert statuses["exploding"].failures > 0
        assert "OSError: sender went away" in statuses["exploding"].detail
        indices = [f.index for f in fast.frames]
        assert indices == sorted(indices)
    finally:
        gate.set()
        bus.stop()
        host.stop()
    assert stuck.closed and fast.closed and len(stuck.frames) >= 1


def test_unknown_and_failing_kinds_become_visible_statuses(monkeypatch: pytest.MonkeyPatch):
    config = OutputConfig()
    missing = build_sink("hologram", OutputConfig(name="stage"))
    assert missing.status().state == SinkState.UNAVAILABLE
    assert "no 'hologram' output" in missing.status().detail and missing.name == "stage"

    def broken(**options: object) -> ProgramSink:
        raise RuntimeError("libndi.so.6 not found")

    monkeypatch.setitem(FACTORIES, "vcam", broken)
    sink = build_sink("vcam", config)
    assert sink.status().state == SinkState.UNAVAILABLE
    assert "libndi.so.6 not found" in sink.status().detail
    monkeypatch.setitem(FACTORIES, "vcam", lambda **options: CollectingSink(options["name"]))
    assert isinstance(build_sink("vcam", config), CollectingSink)


def test_sinks_get_frames_from_the_bus_thread_not_the_caller():
    seen: list[str] = []

    class ThreadSink(CollectingSink):
        def submit(self, frame: ProgramFrame) -> None:
            seen.append(threading.current_thread().name)

    mailbox = FrameMailbox()
    bus = ProgramBus(organism=mailbox, scope=None, snapshot=dict, size=(64, 64), fps=30)
    bus.add_sink(ThreadSink())
    bus.start()
    try:
        mailbox.put(mailbox_frame(pattern(64, 64), 1))
        deadline = time.monotonic() + 20
        while not seen and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        bus.stop()
    assert seen and seen[0] == "perform-sink-test"


def test_a_wide_scope_picture_is_letterboxed_into_the_mix():
    rig = Rig(scope_size=(96, 48))  # 2:1 into a square program: bars top and bottom
    rig.run(3.0)
    assert rig.bus.latest.source == "scope"
    y = rig.bus.latest.planes()[0]
    assert (y[:16] == 16).all() and (y[48:] == 16).all() and y[16:48].mean() > 40
    rig.params.update({"program.source": "mix", "program.mix": 0.5})
    mixed = rig.run(0.5)[-1]
    assert mixed.source == "mix" and (mixed.width, mixed.height) == (64, 64)
    org = rig.stills[rig.org_seq % len(rig.stills)]
    # In the bars the organism shows at half weight over black.
    bar = mixed.planes()[0][:16].astype(int)
    want = 16 + (org[:16].astype(int) - 16) / 2
    assert numpy.abs(bar - want).max() <= 1
