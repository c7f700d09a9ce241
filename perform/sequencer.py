"""The setlist runner: GO / back / goto / standby, holds, transitions, panic.

:class:`Sequencer` is a state machine that writes to the ParamStore (source ``setlist``)
and reads the :class:`~perform.clock.TempoClock`. Every method takes the current time,
nothing sleeps, so tests run whole shows on a fake clock; :class:`SetlistRunner` (in
``perform.show``) drives it on the event loop.

Taking a scene is one :meth:`ParamStore.transition`: the scene's targets (its preset,
parameters, prompts, LoRA scales), its duration resolved once with the tempo clock, its
curve and ``snap`` list. The store expands the preset with the same meaning as a preset
taken from a fader, OSC or the TUI, glides what is continuous and sets the rest at once;
every change carries the transition's timing, so the engine host crossfades another
engine's organism, the Scope link blends the prompt and the LoRA rider lands its last
scale over the same duration. A performer touching a parameter during a transition wins
for that parameter only: the store cancels that ramp.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from perform.clock import TempoClock
from perform.events import ShowState
from perform.params import ParamStore
from perform.safety import Blackout, cut_out, fade_out
from perform.setlist import Scene, Setlist, Span, seconds

log = logging.getLogger(__name__)

SOURCE = "setlist"


@dataclass
class Timing:
    """When the current scene's phases end (loop-clock seconds)."""

    started: float
    transition_end: float
    hold_end: float | None
    """None: the hold is manual."""
    auto_at: float | None
    """When the next scene starts by itself (auto-follow / auto-continue), else None."""


class Sequencer:
    """Runs one setlist against one store and one tempo clock."""

    def __init__(
        self,
        setlist: Setlist,
        store: ParamStore,
        clock: TempoClock,
        *,
        publish: Callable[[ShowState], None] | None = None,
        invoke: Callable[[str], bool] | None = None,
    ) -> None:
        self.setlist = setlist
        self.store = store
        self.clock = clock
        self.publish = publish
        self.invoke = invoke or (lambda name: False)
        self.index: int | None = None
        self.standby: int | None = 0
        self.phase: str = "idle"
        self.timing: Timing | None = None
        self.pending: tuple[float, int] | None = None
        """A quantized GO waiting for its beat: (fire time, scene index)."""
        self.last_go = -1e9
        self.rejected_gos = 0
        self.taken: list[tuple[float, int]] = []
        """(time, scene index) of every scene taken, for the log and the tests."""
        self._panic_level: float | None = None
        self._blackout = Blackout()

    # --- what performers do --------------------------------------------------------------
    def go(self, now: float) -> bool:
        """Take the standby scene (quantized when the scene asks). False if refused."""
        if now - self.last_go < self.setlist.show.min_go_interval:
            self.rejected_gos += 1
            log.info("GO ignored: %.2f s after the previous one", now - self.last_go)
            return False
        target = self.standby
        if target is None:
            return False
        self.last_go = now
        return self._request(target, now)

    def back(self, now: float) -> bool:
        if self.index is None or self.index == 0:
            return False
        return self._request(self.index - 1, now)

    def goto(self, target: int | str, now: float) -> bool:
        return self._request(self.setlist.index_of(target), now)

    def arm(self, target: int | str, now: float) -> None:
        """Put a scene on standby: the next GO takes it."""
        self.standby = self.setlist.index_of(target)
        self._publish(now)

    def panic(self, now: float) -> None:
        """First press: fade to black over ``panic_fade``; a second press cuts at once."""
        self.pending = None
        if self.phase == "panic":
            cut_out(self.store, SOURCE)
            self.invoke("scope.cut")
        else:
            if self._panic_level is None:
                self._panic_level = float(self.store.get("master.fade")) or 1.0
            fade_out(self.store, self.setlist.show.panic_fade, SOURCE)
        self.phase = "panic"
        if self.timing is not None:
            self.timing.auto_at = None
        self._publish(now)

    @property
    def blacked_out(self) -> bool:
        """The blackout toggle is on (the program says BLACK (blackout))."""
        return self._blackout.level is not None

    def blackout(self, now: float) -> None:
        """Toggle: cut to black, then back to the level it had."""
        self._blackout.toggle(self.store, SOURCE)

    def replace(self, setlist: Setlist, now: float) -> None:
        """Swap in an edited show: the running scene (found by name) carries on."""
        names = [s.name for s in setlist.scenes]
        if self.index is not None:
            current = self.setlist.scenes[self.index].name
            self.index = (
                names.index(current) if current in names else min(self.index, len(names) - 1)
            )
        standby = self.setlist.scenes[self.standby].name if self.standby is not None else None
        self.setlist = setlist
        if standby in names:
            self.standby = names.index(standby)
        else:
            self.standby = self._following(self.index)
        if self.pending is not None and self.pending[1] >= len(names):
            self.pending = None
        self._publish(now)

    # --- time ----------------------------------------------------------------------------
    def update(self, now: float) -> None:
        """Fire whatever is due at ``now`` (a pending GO, an automatic continue, a phase)."""
        if self.pending is not None and now >= self.pending[0] - 1e-9:
            _, target = self.pending
            self.pending = None
            self._take(target, now)
        timing = self.timing
        if timing is None or self.phase in ("done", "panic"):
            return
        if timing.auto_at is not None and now >= timing.auto_at - 1e-9:
            timing.auto_at = None
            nxt = self._following(self.index)
            if nxt is None:
                self.phase = "done"
                self._publish(now)
            else:
                self._take(nxt, now)
            return
        phase = self.phase
        if now < timing.transition_end:
            self.phase = "transition"
        elif timing.hold_end is None or now < timing.hold_end:
            self.phase = "hold" if timing.hold_end is not None else "waiting"
        else:
            self.phase = "waiting"
        if self.phase != phase:
            self._publish(now)

    def next_event(self) -> float | None:
        """The next time :meth:`update` has something to do (None: nothing scheduled)."""
        times = []
        if self.pending is not None:
            times.append(self.pending[0])
        timing = self.timing
        if timing is not None and self.phase not in ("done", "panic"):
            if timing.auto_at is not None:
                times.append(timing.auto_at)
            if self.phase == "transition":
                times.append(timing.transition_end)
            if self.phase in ("transition", "hold") and timing.hold_end is not None:
                times.append(timing.hold_end)
        return min(times) if times else None

    def state(self, now: float) -> ShowState:
        scenes = self.setlist.scenes
        current = scenes[self.index] if self.index is not None else None
        nxt = scenes[self.standby] if self.standby is not None else None
        timing = self.timing
        remaining = None
        if (
            timing is not None
            and timing.auto_at is not None
            and self.phase not in ("done", "panic")
        ):
            remaining = max(0.0, timing.auto_at - now)
        return ShowState(
            show=self.setlist.name,
            index=self.index,
            scene=current.name if current else None,
            next_index=self.standby,
            next_scene=nxt.name if nxt else None,
            next_notes=nxt.notes if nxt else "",
            phase=self.phase,  # type: ignore[arg-type]
            hold_remaining=remaining,
            go_at=self.pending[0] if self.pending else None,
        )

    # --- inside --------------------------------------------------------------------------
    def _following(self, index: int | None) -> int | None:
        if index is None:
            return 0
        if index + 1 < len(self.setlist.scenes):
            return index + 1
        return 0 if self.setlist.show.run_order == "loop" else None

    def _request(self, target: int, now: float) -> bool:
        scene = self.setlist.scenes[target]
        lookahead = self.setlist.show.lookahead_ms / 1000.0
        fire = self.clock.next_boundary(now, self.setlist.quantize(scene), lookahead)
        if fire > now + 1e-9:
            self.pending = (fire, target)
            self._publish(now)
        else:
            self._take(target, now)
        return True

    def _seconds(self, span: Span) -> float:
        return seconds(span, self.clock.bpm, self.clock.beats_per_bar)

    def _take(self, index: int, now: float) -> None:
        scene = self.setlist.scenes[index]
        transition = self.setlist.transition(scene)
        duration = self._seconds(transition)
        hold = self.setlist.hold(scene)
        hold_s = None if hold == "manual" else self._seconds(hold)
        self._apply_scene(scene, duration, transition.curve, set(transition.snap))
        mode = self.setlist.continue_mode(scene)
        auto_at = None
        if mode == "auto-follow" and hold_s is not None:
            auto_at = now + duration + hold_s
        elif mode == "auto-continue" and scene.post_wait is not None:
            auto_at = now + self._seconds(scene.post_wait)
        hold_end = None if hold_s is None else now + duration + hold_s
        self.timing = Timing(now, now + duration, hold_end, auto_at)
        self.index = index
        self.standby = self._following(index)
        self.phase = "transition" if duration > 0 else ("hold" if hold_end else "waiting")
        self._panic_level = None
        self.taken.append((now, index))
        log.info("scene %d/%d %s", index + 1, len(self.setlist.scenes), scene.name)
        self._publish(now)

    def _apply_scene(self, scene: Scene, duration: float, curve: str, snap_names: set[str]) -> None:
        targets: dict[str, Any] = {}
        if scene.preset is not None:
            targets["engine.preset"] = scene.preset
        targets.update(scene.params)
        for name, value in scene.loras.items():
            targets[f"lora.{name}.scale"] = value
        if scene.vace_scale is not None:
            targets["scope.vace_scale"] = scene.vace_scale
        if self._panic_level is not None and "master.fade" not in targets:
            targets["master.fade"] = self._panic_level
        text = scene.prompt_text()
        if text is not None:
            targets["prompt.a"] = text
        if scene.prompt_b is not None:
            targets["prompt.b"] = scene.prompt_b
        if scene.mix is not None:
            targets["prompt.mix"] = scene.mix
        if scene.input_mode is not None:
            targets["scope.input_mode"] = scene.input_mode
        images = self.setlist.vace_paths(scene)
        if images is not None and "scope.vace_images" in self.store:
            targets["scope.vace_images"] = "\n".join(map(str, images))
        # A LoRA the Scope link has not registered (a show without a Scope section).
        targets = {n: v for n, v in targets.items() if n in self.store}
        self.store.transition(targets, duration, curve, SOURCE, snap=snap_names)

    def _publish(self, now: float) -> None:
        if self.publish is not None:
            self.publish(self.state(now))
