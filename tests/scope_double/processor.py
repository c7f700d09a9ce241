"""How one pipeline processor applies parameter updates (contract §2.2, §2.4, §2.5, §4).

Pure logic, no asyncio: a queue of 8 that drops the *newest* update when full, one update
merged per loop iteration (one chunk while generating), one-shot keys consumed, and a
count of every hard cut (cache reset) with its reason, so tests can assert "no unnecessary
cuts". Where the contract marks a rule as derived, the double takes the stricter reading
(a transition of fewer than 2 steps that changes the prompt counts as a cut).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

QUEUE_SIZE = 8
CONTROL_KEYS = frozenset(
    {
        "quantize_mode",
        "lookahead_ms",
        "output_sinks",
        "input_source",
        "modulations",
        "beat_cache_reset_rate",
        "bpm",
        "beat_phase",
        "bar_position",
        "beat_count",
        "is_playing",
    }
)
ONE_SHOT_KEYS = frozenset(
    {
        "reset_cache",
        "lora_scales",
        "vace_ref_images",
        "images",
        "first_frame_image",
        "last_frame_image",
    }
)

Prompts = tuple[tuple[str, float], ...]


def normalize_prompts(value: Any) -> Prompts | None:
    """Scope's normalised prompt list: weights sum to 1 (all zero: equal); str/[str] allowed."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    items: list[tuple[str, float]] = []
    for item in value:
        if isinstance(item, str):
            items.append((item, 1.0))
        elif isinstance(item, dict) and "text" in item:
            items.append((str(item["text"]), float(item.get("weight", 1.0))))
    total = sum(w for _, w in items)
    if not items:
        return ()
    if total <= 0:
        return tuple((t, round(1.0 / len(items), 6)) for t, _ in items)
    return tuple((t, round(w / total, 6)) for t, w in items)


class Processor:
    """The parameter side of ``PipelineProcessor``."""

    def __init__(
        self,
        initial: dict[str, Any],
        *,
        input_mode: str,
        adapter: Callable[[str], dict[str, Any] | None],
    ) -> None:
        self.params: dict[str, Any] = {k: v for k, v in initial.items() if k not in CONTROL_KEYS}
        self.input_mode = input_mode
        if input_mode == "text":
            self.params.pop("noise_scale", None)  # forced to null in text mode
        self._adapter = adapter
        self.queue: deque[dict[str, Any]] = deque()
        self.dropped = 0
        self.applied: list[dict[str, Any]] = []
        self.applied_at: list[float] = []
        """``time.monotonic()`` when each of :attr:`applied` was merged (the loop's clock)."""
        self.cache_resets = 0
        self.cut_reasons: list[str] = []
        self.transitions = 0
        self.lora_updates = 0
        self.ref_images: list[list[str]] = []
        """Every ``vace_ref_images`` list the pipeline took (one-shot; ``[]`` clears)."""
        self.prompts = normalize_prompts(
            (initial.get("transition") or {}).get("target_prompts") or initial.get("prompts")
        )
        self._transition_left = 0
        self.flush_output = False
        if "transition" in self.params:
            self._start_transition(self.params["transition"], count=False)
        if isinstance(self.params.get("vace_ref_images"), list):
            self.ref_images.append(list(self.params["vace_ref_images"]))
        for key in ONE_SHOT_KEYS:  # applied by the first call (which builds a fresh cache)
            if key == "lora_scales" and key in self.params:
                self._scale_loras(self.params[key])
            self.params.pop(key, None)

    # --- the queue --------------------------------------------------------------------
    def offer(self, update: dict[str, Any]) -> bool:
        if len(self.queue) >= QUEUE_SIZE:
            self.dropped += 1  # "Parameter queue full": the NEW update is lost
            return False
        self.queue.append(update)
        return True

    def iterate(self) -> dict[str, Any] | None:
        """One loop iteration: merge at most one queued update."""
        if not self.queue:
            return None
        update = self.queue.popleft()
        self._merge(update)
        self.applied.append(update)
        self.applied_at.append(time.monotonic())
        return update

    # --- merging ----------------------------------------------------------------------
    def _cut(self, reason: str) -> None:
        self.cache_resets += 1
        self.cut_reasons.append(reason)

    def _merge(self, update: dict[str, Any]) -> None:
        manage = self.params.get("manage_cache", True) is not False
        if update.get("reset_cache"):
            self._cut("reset_cache")
            self.flush_output = True
        if "lora_scales" in update:
            if manage:
                self._cut("lora_scales")
            self._scale_loras(update["lora_scales"])
        if isinstance(update.get("vace_ref_images"), list):
            self.ref_images.append(list(update["vace_ref_images"]))
        steps = update.get("denoising_step_list")
        if steps is not None and manage and steps != self.params.get("denoising_step_list"):
            self._cut("denoising_step_list")
        if isinstance(update.get("transition"), dict):
            target = normalize_prompts(update["transition"].get("target_prompts"))
            if target != self.prompts and int(update["transition"].get("num_steps", 0)) < 2:
                self._cut("transition shorter than 2 steps")
            self._start_transition(update["transition"], count=True)
        elif "prompts" in update:
            new = normalize_prompts(update["prompts"])
            if new != self.prompts:
                if self.input_mode == "video" and manage:
                    self._cut("prompt change without transition")
                self.prompts = new
        for key, value in update.items():
            if key in ONE_SHOT_KEYS:
                continue
            self.params[key] = value
        if self.input_mode == "text":
            self.params.pop("noise_scale", None)

    def _start_transition(self, transition: dict[str, Any], *, count: bool) -> None:
        self.prompts = normalize_prompts(transition.get("target_prompts"))
        self._transition_left = max(0, int(transition.get("num_steps", 0)))
        if count:
            self.transitions += 1

    def _scale_loras(self, updates: Any) -> None:
        self.lora_updates += 1
        for item in updates if isinstance(updates, list) else []:
            if not isinstance(item, dict):
                continue
            adapter = self._adapter(str(item.get("path")))
            # Exact path only; permanent_merge (and unknown paths) ignore it silently.
            if adapter is None or adapter.get("merge_mode") != "runtime_peft":
                continue
            scale = float(item.get("scale", adapter["scale"]))
            if abs(scale - adapter["scale"]) >= 1e-6:
                adapter["scale"] = scale

    def chunk_done(self) -> None:
        """After one pipeline call: a running transition advances; finished ones vanish."""
        if self._transition_left > 0:
            self._transition_left -= 1
            if self._transition_left == 0:
                self.params.pop("transition", None)

    @property
    def transition_running(self) -> bool:
        return self._transition_left > 0
