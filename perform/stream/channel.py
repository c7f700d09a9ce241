"""The ``parameters`` data channel: store changes -> at most one merged message per chunk.

Scope merges each message into the pipeline's parameters one message per pipeline call
(chunk) from a queue of 8 that drops the *newest* message when full (§2.2). So this
module coalesces: changes collect as pending keys (latest value wins) and go out as one
message no sooner than one chunk period after the previous one; a quiet channel sends at
once (leading edge). Prompt changes always travel as ``prompts`` + ``transition`` with at
least 2 steps, so no prompt change hard-cuts the cache (§2.4-2.5); LoRA scales go by exact
path, throttled (each one cuts); with tempo sync on, prompt changes and cuts carry
``_quantized`` so Scope lands them on the beat.

Timing comes with each change (:class:`perform.params.Transition`): a prompt moved by a
store transition goes once, straight to the transition's final blend, over the time the
transition has left, so Scope's picture arrives when the store's ramps (the organism)
do; a LoRA ride is sent on a grid that ends one chunk before the transition's end with
the target value, so the last scale shows with them. A plain write blends over
``prompt_transition``.

:class:`Planner` is pure (time is passed in); :class:`perform.stream.pump.Pump` runs it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from perform.config import ScopeConfig
from perform.errors import ParamError
from perform.events import TempoState
from perform.params import ChangeSet, ParamStore, Transition
from perform.prompts import blend
from perform.stream.lora import LoraTable, Throttle

log = logging.getLogger(__name__)

#: Store parameter -> Scope key, for the plain (persisting, idempotent) values.
SIMPLE_KEYS = {
    "scope.noise_scale": "noise_scale",
    "scope.noise_controller": "noise_controller",
    "scope.vace_scale": "vace_context_scale",
}
"""``scope.paused`` is not here: Scope 0.2.3+ breaks its own output when paused (it re-sends
its last frame with an older timestamp and its encoder fails for the rest of the session),
so a pause is held on our side (``OutputReceiver.hold``) and Scope never hears of it."""
VIDEO_ONLY = frozenset({"noise_scale", "noise_controller"})
PROMPT_PARAMS = frozenset({"prompt.a", "prompt.b", "prompt.mix"})
MIN_TRANSITION_STEPS = 2
"""A transition of fewer steps counts as a cut (§2.5)."""
SETTLE_CHUNKS = 8
"""Scope's queue depth: after this many chunks of quiet the last values are sent once more
(plain values and short fader blends only: a repeat of those is harmless), in case the
chunk estimate was short and the queue dropped the final message of a burst."""
SETTLE_KEYS = frozenset(SIMPLE_KEYS.values())
BEAT_FORWARD_INTERVAL = 1.0
"""Scope uses forwarded beat state only while it is fresh (< 2 s)."""


def scope_value(param: str, value: Any) -> Any:
    if param == "scope.noise_controller":
        return value == "on"
    return float(value)


def num_steps(seconds: float, chunk_period: float) -> int:
    """Pipeline calls a transition of ``seconds`` spans (never fewer than 2)."""
    return max(MIN_TRANSITION_STEPS, round(max(seconds, 0.0) / max(chunk_period, 1e-3)))


@dataclass
class Settings:
    default_prompt: str
    interpolation: str = "linear"
    lora_rate: float = 2.0
    tempo_sync: bool = False
    quantize: str = "bar"
    lookahead_ms: float = 0.0
    prompt_transition: float = 2.0
    chunk_period: float = 1 / 15

    @classmethod
    def from_config(cls, scope: ScopeConfig) -> Settings:
        return cls(
            default_prompt=scope.prompt,
            interpolation=scope.interpolation,
            lora_rate=scope.lora_rate,
            tempo_sync=scope.tempo_sync,
            quantize=scope.quantize,
            lookahead_ms=scope.lookahead_ms,
            prompt_transition=scope.prompt_transition,
            chunk_period=scope.chunk_period,
        )


class Planner:
    """Decides what goes on the channel and when (no I/O, no clock of its own)."""

    def __init__(
        self,
        store: ParamStore,
        settings: Settings,
        loras: LoraTable,
        *,
        refuse: Callable[[str, str], None] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.loras = loras
        self.chunk_period = settings.chunk_period
        self.input_mode = "video"
        self._refuse = refuse or (lambda param, message: None)
        self._pending: dict[str, Any] = {}
        self._prompt_kind: str | None = None
        self._prompt_timing: Transition | None = None
        """The timed transition the pending prompt change belongs to (None: plain)."""
        self._prompt_timing_sent: Transition | None = None
        self._prompt_at = 0.0
        """When the held timed prompt change may go (see :meth:`_prompt_ready`)."""
        self._lora_end: float | None = None
        """While a timed LoRA ride runs: when it ends (its sends are aligned to it)."""
        self._lora_params: dict[str, str] = {}
        self._cut = False
        self._lora_pending: dict[str, float] = {}
        self._lora_sent: dict[str, float] = {}
        self._lora_throttle = Throttle(settings.lora_rate)
        self._beat_throttle = Throttle(1.0 / BEAT_FORWARD_INTERVAL)
        self._tempo: TempoState | None = None
        self._beat_dirty = False
        self._settle: dict[str, Any] = {}
        self._settle_at = 0.0
        self.prompts_sent: list[dict[str, Any]] | None = None
        self.pending_since: float | None = None
        self.bad_prompt: str | None = None
        self.landings: dict[Transition, tuple[float, int]] = {}
        """For the last few timed prompt changes: (when Scope's blend should end on our
        clock, its number of chunks). The headless runner prints it per scene."""

    # --- input ------------------------------------------------------------------------
    def changes(self, changes: ChangeSet, now: float) -> bool:
        """Take a coalesced change set; True if something is now pending."""
        before = self.has_pending()
        for name, change in changes.items():
            if change.source == "scope":
                continue  # our own write-back (e.g. a refused LoRA snapped back)
            if name in SIMPLE_KEYS:
                self._pending[SIMPLE_KEYS[name]] = scope_value(name, change.value)
            elif name in PROMPT_PARAMS:
                self._prompt_change(name, change.transition)
            elif name.startswith("lora.") and name.endswith(".scale"):
                self._lora_change(name, float(change.value), change.transition)
        if self.has_pending() and not before:
            self.pending_since = now
        return self.has_pending()

    def _prompt_change(self, name: str, timing: Transition | None) -> None:
        if timing is not None and timing.seconds > 0:
            if timing == self._prompt_timing_sent:
                return  # a later step of a glide whose final blend is already on its way
            self._prompt_timing = timing
            self._prompt_kind = "text"
            self._prompt_at = 0.0
            return
        kind = "mix" if name == "prompt.mix" else "text"
        self._prompt_kind = "text" if "text" in (kind, self._prompt_kind) else "mix"
        if kind == "text":
            self._prompt_timing = timing

    def _lora_change(self, param: str, value: float, timing: Transition | None) -> None:
        if not self.loras.known:
            return  # before the first load: the stream opens with the store's current scales
        refusal = self.loras.refusal(param)
        if refusal is not None:
            self._refuse(param, refusal)
            return
        adapter = self.loras.adapter(param)
        assert adapter is not None
        self._lora_pending[adapter.path] = value
        self._lora_params[adapter.path] = param
        # Scope applies a scale at its next chunk and shows it a chunk later: the last
        # send of a ride goes one chunk before the ride ends.
        timed = timing is not None and timing.seconds > 0
        self._lora_end = timing.end - self.chunk_period if timing is not None and timed else None

    def vace_images(self, server_paths: list[str], now: float) -> None:
        """Send these reference images (Scope's paths) once; ``[]`` clears them (§2.3)."""
        if not self.has_pending():
            self.pending_since = now
        self._pending["vace_ref_images"] = list(server_paths)

    def cut(self, now: float) -> None:
        if not self.has_pending():
            self.pending_since = now
        self._cut = True

    def tempo(self, state: TempoState, now: float) -> None:
        if not self.settings.tempo_sync:
            return
        changed = self._tempo is None or (self._tempo.playing, self._tempo.bpm) != (
            state.playing,
            state.bpm,
        )
        self._tempo = state
        self._beat_dirty = True
        if changed:
            self._beat_throttle.last = None  # a tempo or transport change goes at once
        if not self.has_pending():
            self.pending_since = now

    def has_pending(self) -> bool:
        return bool(
            self._pending
            or self._prompt_kind
            or self._cut
            or self._lora_pending
            or self._beat_dirty
        )

    # --- prompts ----------------------------------------------------------------------
    def desired_prompts(self, final: bool = False) -> list[dict[str, Any]] | None:
        """The A/B blend Scope should target (the default prompt when both are empty);
        ``final``: at the end of a running ``prompt.mix`` glide."""
        a, b = str(self.store.get("prompt.a")), str(self.store.get("prompt.b"))
        mix = float(self.store.get("prompt.mix"))
        if final and self.store.ramping("prompt.mix"):
            mix = float(self.store.ramp_target("prompt.mix"))
        try:
            items = blend(a, b, mix)
            if not items:
                items = blend(self.settings.default_prompt, "", 0.0)
        except ParamError as exc:
            if self.bad_prompt != exc.message:
                self.bad_prompt = exc.message
                self._refuse("prompt", f"{exc.message}; Scope keeps the previous prompt.")
            return None
        self.bad_prompt = None
        return [item.as_scope() for item in items]

    def transition_seconds(self, now: float) -> float:
        """How long the pending prompt change blends: what its transition has left."""
        timing = self._prompt_timing
        if timing is None:
            return self.settings.prompt_transition
        return max(0.0, timing.end - now)

    def _transition(self, prompts: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
        return {
            "target_prompts": prompts,
            "num_steps": num_steps(seconds, self.chunk_period),
            "temporal_interpolation_method": self.settings.interpolation,
        }

    # --- output -----------------------------------------------------------------------
    def initial(
        self, pipeline_ids: list[str], input_mode: str, base: Mapping[str, Any]
    ) -> dict[str, Any]:
        """``initialParameters`` with the whole current state (also after a reconnect)."""
        self.input_mode = input_mode
        params: dict[str, Any] = {"pipeline_ids": list(pipeline_ids), "input_mode": input_mode}
        params.update(base)
        prompts = self.desired_prompts() or blend(self.settings.default_prompt, "", 0.0)
        prompts = [p if isinstance(p, dict) else p.as_scope() for p in prompts]
        params["prompts"] = prompts
        self.prompts_sent = prompts
        if input_mode == "video":
            params["noise_scale"] = scope_value(
                "scope.noise_scale", self.store.get("scope.noise_scale")
            )
            params["noise_controller"] = scope_value(
                "scope.noise_controller", self.store.get("scope.noise_controller")
            )
        if "scope.vace_scale" in self.store:  # Scope injects 1.0 unless it is given
            params["vace_context_scale"] = float(self.store.get("scope.vace_scale"))
        scales = self._current_lora_scales()
        if scales:
            params["lora_scales"] = scales
        self._pending.clear()
        self._prompt_kind = None
        self._prompt_timing = None
        self._cut = False
        self._lora_pending.clear()
        self._lora_end = None
        self._settle = {}
        self.pending_since = None
        return params

    def _current_lora_scales(self) -> list[dict[str, Any]]:
        """Live adapters whose parameter differs from the scale Scope has."""
        out = []
        self._lora_sent = {}
        for param, adapter in self.loras.by_param.items():
            if self.loras.refusal(param) is not None or param not in self.store:
                continue
            value = float(self.store.get(param))
            self._lora_sent[adapter.path] = value
            if abs(value - adapter.scale) >= 1e-6:
                out.append({"path": adapter.path, "scale": value})
        return out

    def on_open(self) -> list[dict[str, Any]]:
        """Sent once the channel opens: what ``initialParameters`` cannot carry."""
        messages: list[dict[str, Any]] = []
        if self.settings.tempo_sync:
            messages.append(
                {
                    "quantize_mode": self.settings.quantize,
                    "lookahead_ms": self.settings.lookahead_ms,
                }
            )
        return messages

    def due(self, now: float) -> list[dict[str, Any]]:
        """The messages to send now (at most one live, one quantized, one beat message)."""
        live: dict[str, Any] = {}
        quantized: dict[str, Any] = {}
        for key, value in self._pending.items():
            if key in VIDEO_ONLY and self.input_mode != "video":
                continue
            live[key] = value
        self._pending.clear()
        timed = self._prompt_timing is not None and self._prompt_timing.seconds > 0
        if self._prompt_kind is not None and (not timed or self._prompt_ready(now)):
            prompts = self.desired_prompts(final=timed)
            if prompts is not None and prompts != self.prompts_sent:
                if self._prompt_kind == "text":
                    seconds = self.transition_seconds(now)
                    target = quantized if self.settings.tempo_sync else live
                else:
                    seconds, target = 0.0, live  # a fader glide: the shortest clean blend
                target["prompts"] = prompts
                target["transition"] = self._transition(prompts, seconds)
                self.prompts_sent = prompts
                if timed and self._prompt_timing is not None:
                    steps = target["transition"]["num_steps"]
                    self._landed(self._prompt_timing, now + steps * self.chunk_period, steps)
            if timed:
                self._prompt_timing_sent = self._prompt_timing
            self._prompt_kind = None
            self._prompt_timing = None
        if self._cut:
            (quantized if self.settings.tempo_sync else live)["reset_cache"] = True
            self._cut = False
        if self._lora_pending and self._lora_throttle.ready(now, self._lora_end):
            if self._lora_end is not None and now >= self._lora_end - 1e-3:
                self._lora_finals()
            scales: list[dict[str, Any]] = [
                {"path": path, "scale": round(scale, 5)}
                for path, scale in self._lora_pending.items()
                if abs(scale - self._lora_sent.get(path, float("nan"))) >= 1e-6
                or path not in self._lora_sent
            ]
            self._lora_pending.clear()
            if scales:
                live["lora_scales"] = scales
                self._lora_throttle.mark(now)
                for item in scales:
                    self._lora_sent[item["path"]] = item["scale"]
        messages = []
        if live:
            messages.append(live)
            self._remember(live, now)
        elif self._settle and now >= self._settle_at and not quantized:
            messages.append(self._settle)
            self._settle = {}
        if quantized:
            quantized["_quantized"] = True
            messages.append(quantized)
        if self._beat_dirty and self._tempo is not None and self._beat_throttle.ready(now):
            messages.append(self._beat_message(self._tempo))
            self._beat_throttle.mark(now)
            self._beat_dirty = False
        self.pending_since = now if self.has_pending() else None
        return messages

    def _landed(self, timing: Transition, at: float, steps: int) -> None:
        self.landings[timing] = (at, steps)
        while len(self.landings) > 8:
            del self.landings[next(iter(self.landings))]

    def _prompt_ready(self, now: float) -> bool:
        """Whether a timed prompt change may go now. It waits (less than a chunk) for a
        whole number of chunks before its transition's end: Scope then ends the blend on
        a chunk boundary in the same phase as the LoRA rider's last send, so the prompt
        and the scale show together, when the store's ramps end."""
        timing = self._prompt_timing
        assert timing is not None
        if not self._prompt_at:
            chunks = math.floor((timing.end - now) / self.chunk_period + 1e-6)
            if chunks < MIN_TRANSITION_STEPS:
                return True
            self._prompt_at = timing.end - chunks * self.chunk_period
        return now >= self._prompt_at - 1e-6

    def _lora_finals(self) -> None:
        """At a ride's end, send each ridden scale's target (the store's last ramp step
        may land a tick after the send)."""
        for path, param in self._lora_params.items():
            if path in self._lora_pending and self.store.ramping(param):
                self._lora_pending[path] = float(self.store.ramp_target(param))
        self._lora_end = None

    def _remember(self, message: dict[str, Any], now: float) -> None:
        """Keep what a settle re-send may repeat (see :data:`SETTLE_CHUNKS`)."""
        self._settle.update({k: v for k, v in message.items() if k in SETTLE_KEYS})
        if "transition" in message:
            if message["transition"]["num_steps"] <= MIN_TRANSITION_STEPS:
                self._settle["prompts"] = message["prompts"]
                self._settle["transition"] = message["transition"]
            else:
                self._settle.pop("prompts", None)
                self._settle.pop("transition", None)
        if self._settle:
            self._settle_at = now + SETTLE_CHUNKS * self.chunk_period + 0.5

    @staticmethod
    def _beat_message(state: TempoState) -> dict[str, Any]:
        return {
            "bpm": state.bpm,
            "beat_phase": state.phase,
            "bar_position": (state.beat % state.beats_per_bar) / state.beats_per_bar,
            "beat_count": int(state.beat),
            "is_playing": state.playing,
        }

    def next_wake(self) -> float | None:
        """When a held-back item (LoRA, beat) becomes sendable; None if nothing waits."""
        times = []
        if self._lora_pending:
            times.append(self._lora_throttle.next_at(self._lora_end))
        if self._beat_dirty:
            times.append(self._beat_throttle.next_at())
        if self._pending or self._cut:
            times.append(0.0)
        if self._prompt_kind:
            timed = self._prompt_timing is not None and self._prompt_timing.seconds > 0
            times.append(self._prompt_at if timed else 0.0)
        if self._settle:
            times.append(self._settle_at)
        return min(times) if times else None
