"""Prompt sets: what ``prompt.a`` / ``prompt.b`` hold, and the A/B blend Scope receives.

A prompt set is text: one or more prompts separated by ``|``, each with an optional
``:: weight`` (default 1)::

    a neon jellyfish | deep sea bioluminescence :: 0.5

:func:`blend` crossfades two sets by ``prompt.mix`` into the weighted list Scope takes
(``[{"text": ..., "weight": ...}]``); the same prompt in both sets merges its weights.
"""

from __future__ import annotations

from dataclasses import dataclass

from perform.errors import ParamError


@dataclass(frozen=True, slots=True)
class PromptItem:
    text: str
    weight: float = 1.0

    def as_scope(self) -> dict[str, object]:
        return {"text": self.text, "weight": round(self.weight, 4)}


def parse_prompt_set(text: str) -> list[PromptItem]:
    """``"a | b :: 0.5"`` -> items; empty parts are dropped; a bad weight is an error."""
    items: list[PromptItem] = []
    for part in text.split("|"):
        part = part.strip()
        if not part:
            continue
        weight = 1.0
        if "::" in part:
            part, _, raw = part.rpartition("::")
            part = part.strip()
            try:
                weight = float(raw)
            except ValueError:
                raise ParamError(
                    f"prompt weight {raw.strip()!r} is not a number (in {text!r})"
                ) from None
            if weight < 0:
                raise ParamError(f"prompt weight must be >= 0 (got {weight} in {text!r})")
        if part:
            items.append(PromptItem(part, weight))
    return items


def blend(a: str, b: str, mix: float) -> list[PromptItem]:
    """Crossfade set ``a`` (mix 0) into set ``b`` (mix 1); weights within a set are kept."""
    mix = min(1.0, max(0.0, mix))
    merged: dict[str, float] = {}
    for items, share in ((parse_prompt_set(a), 1.0 - mix), (parse_prompt_set(b), mix)):
        total = sum(i.weight for i in items) or 1.0
        for item in items:
            if share > 0:
                merged[item.text] = merged.get(item.text, 0.0) + share * item.weight / total
    return [PromptItem(text, weight) for text, weight in merged.items() if weight > 0]
