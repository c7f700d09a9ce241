"""A whole show on a fake clock: store ramps, tempo clock and sequencer share one time."""

from __future__ import annotations

from pathlib import Path

from engines import all_params, presets
from perform.clock import TempoClock
from perform.registry import build_store, register_lora
from perform.sequencer import Sequencer
from perform.setlist import load_setlist


class ShowHarness:
    def __init__(self, path: Path, bpm: float | None = None, start: float = 100.0) -> None:
        self.t = start
        self.store = build_store(presets(), "medusa", all_params(), clock=lambda: self.t)
        self.setlist = load_setlist(path, self.store.specs, presets())
        for name, lora in self.setlist.lora_params().items():
            register_lora(self.store, name, lora.scale)
        show = self.setlist.show
        self.clock = TempoClock(bpm=bpm or show.bpm, beats_per_bar=show.beats_per_bar)
        self.clock.start(start)
        self.states = []
        self.invoked: list[str] = []
        self.seq = Sequencer(
            self.setlist, self.store, self.clock, publish=self.states.append, invoke=self._invoke
        )

    def _invoke(self, name: str) -> bool:
        self.invoked.append(name)
        return True

    def at(self, t: float) -> None:
        """Move time to ``t``, firing every due event on the way and moving the ramps."""
        while True:
            due = self.seq.next_event()
            if due is None or due > t:
                break
            self.t = max(self.t, due)
            self.store.advance(self.t)
            self.seq.update(self.t)
        self.t = t
        self.store.advance(t)
        self.seq.update(t)

    def wait(self, seconds: float) -> None:
        self.at(self.t + seconds)

    def taken(self) -> list[tuple[float, str]]:
        """(time since start, scene name) of every scene taken."""
        return [(round(t - 100.0, 6), self.setlist.scenes[i].name) for t, i in self.seq.taken]
