"""The setlist component: runs a :class:`~perform.sequencer.Sequencer` on the event loop.

It binds the cue actions (``cue.go``, ``cue.back``, ``cue.goto``, ``cue.arm``, ``panic``,
``blackout``), asks the Scope link for the show's pipeline (the show's LoRA
parameters are registered when the show loads, in :mod:`perform.build`), and wakes the
sequencer exactly when something is due with ``loop.call_at`` (a quantized GO fires on
its beat, not on a polling tick).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from perform.events import (
    NOTICE,
    SCOPE_LOAD,
    SHOW_STATE,
    Notice,
    PipelineRequest,
    ShowState,
    undo_all,
)
from perform.sequencer import Sequencer
from perform.setlist import Setlist
from perform.tempo import TempoComponent

if TYPE_CHECKING:
    from perform.session import Session

log = logging.getLogger(__name__)

STATE_EVERY = 0.5
"""While a hold counts down, the show state is re-published this often (seconds)."""


def pipeline_request(setlist: Setlist) -> PipelineRequest | None:
    """What the show asks Scope to load (None: the show leaves Scope to the config)."""
    scope = setlist.scope
    if scope is None:
        if setlist.vace_assets():  # the config's pipeline, but the images go up first
            return PipelineRequest((), {}, {}, setlist.vace_assets())
        return None
    params: dict[str, Any] = dict(scope.load_params)
    if scope.height is not None:
        params["height"] = scope.height
    if scope.width is not None:
        params["width"] = scope.width
    if scope.loras:
        params["loras"] = [
            {"path": lora.path, "scale": lora.scale}
            | ({"merge_mode": lora.merge_mode} if lora.merge_mode else {})
            for lora in scope.loras
        ]
        params["lora_merge_mode"] = scope.lora_merge_mode
    assets = setlist.vace_assets()
    if assets:
        params.setdefault("vace_enabled", True)  # the reference images need VACE loaded
    names = {name: lora.path for name, lora in setlist.lora_params().items()}
    return PipelineRequest(scope.pipeline_ids, params, names, assets)


class SetlistRunner:
    name = "setlist"

    def __init__(
        self, setlist: Setlist, *, autostart: bool = False, bpm: float | None = None
    ) -> None:
        self.setlist = setlist
        self.autostart = autostart
        self.bpm = bpm
        self.sequencer: Sequencer | None = None
        self.session: Session | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._ticker: asyncio.TimerHandle | None = None
        self._unbind: list[Any] = []
        self.fire_errors: list[float] = []
        """Seconds between when a timed event was due and when it ran (quantized GO accuracy)."""

    def now(self) -> float:
        assert self._loop is not None
        return self._loop.time()

    async def start(self, session: Session) -> None:
        self.session = session
        self._loop = asyncio.get_running_loop()
        show = self.setlist.show
        tempo = session.require(TempoComponent)
        tempo.set_show_tempo(self.bpm or show.bpm, show.beats_per_bar)
        store = session.store
        request = pipeline_request(self.setlist)
        if request is not None:
            session.events.publish(SCOPE_LOAD, request)
        self.sequencer = Sequencer(
            self.setlist, store, tempo.clock, publish=self._on_state, invoke=store.actions.invoke
        )
        seq = self.sequencer
        actions = {
            "cue.go": lambda arg, source: seq.go(self.now()),
            "cue.back": lambda arg, source: seq.back(self.now()),
            "cue.goto": lambda arg, source: seq.goto(arg, self.now()),
            "cue.arm": lambda arg, source: seq.arm(arg, self.now()),
            "panic": lambda arg, source: seq.panic(self.now()),
            "blackout": lambda arg, source: seq.blackout(self.now()),
        }
        for name, handler in actions.items():
            self._unbind.append(store.actions.bind(name, self._wrap(handler)))
        self._on_state(seq.state(self.now()))
        if self.autostart:
            seq.go(self.now())
            self._reschedule()
        self._tick()

    async def stop(self) -> None:
        undo_all(self._unbind)
        for handle in (self._handle, self._ticker):
            if handle is not None:
                handle.cancel()

    def replace(self, setlist: Setlist) -> None:
        """Use an edited version of the show (already validated) from now on."""
        self.setlist = setlist
        if self.sequencer is not None:
            self.sequencer.replace(setlist, self.now())
            self._reschedule()

    def _wrap(self, handler: Any) -> Any:
        def run(arg: Any, source: str) -> Any:
            result = handler(arg, source)
            self._reschedule()
            return result

        return run

    # --- timing --------------------------------------------------------------------------
    def _reschedule(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        seq, loop = self.sequencer, self._loop
        if seq is None or loop is None:
            return
        when = seq.next_event()
        if when is not None:
            self._handle = loop.call_at(when, self._fire, when)

    def _fire(self, due: float) -> None:
        self._handle = None
        now = self.now()
        self.fire_errors.append(now - due)
        assert self.sequencer is not None and self.session is not None
        try:
            self.sequencer.update(now)
        except Exception as exc:  # a bad scene must not stop the show's clock
            log.exception("setlist step failed")
            self.session.events.publish(
                NOTICE, Notice("error", "Setlist", f"{type(exc).__name__}: {exc}")
            )
        self._reschedule()

    def _tick(self) -> None:
        """Re-publish the state while a countdown runs (headless lines, OSC, the UI)."""
        seq, loop = self.sequencer, self._loop
        if seq is None or loop is None:
            return
        if seq.state(self.now()).hold_remaining is not None:
            self._on_state(seq.state(self.now()))
        self._ticker = loop.call_later(STATE_EVERY, self._tick)

    def _on_state(self, state: ShowState) -> None:
        if self.session is not None:
            self.session.events.publish(SHOW_STATE, state)
