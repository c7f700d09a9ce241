"""LoRA scales: which ``lora.<name>.scale`` parameter rides which loaded adapter, and whether
it may (contract §4).

Only adapters Scope loaded with ``runtime_peft`` take live scale changes, matched by the
*exact* path string Scope reports in ``loaded_lora_adapters``. Every ``lora_scales`` message
hard-cuts the picture (even a no-op one), so updates are throttled: at most ``rate`` per
second, and the last value of a ride is always sent (trailing edge).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from perform.registry import lora_param_name, lora_range_error
from perform.stream.scope_api import LoraAdapter


class LoraTable:
    """Parameter name -> loaded adapter, rebuilt from every pipeline status."""

    def __init__(self) -> None:
        self.by_param: dict[str, LoraAdapter] = {}
        self.known = False
        """False until Scope's loaded adapters are known (before the first load)."""
        self.unsupported: str | None = None
        """The loaded pipeline, when its schema says it has no LoRA support at all."""

    def update(
        self, adapters: Iterable[LoraAdapter], names: Mapping[str, str] | None = None
    ) -> dict[str, LoraAdapter]:
        """Rebuild from Scope's adapters; ``names`` (param -> path) wins over the file stem."""
        by_path = {path: param for param, path in (names or {}).items()}
        self.by_param = {}
        self.known = True
        for adapter in adapters:
            param = by_path.get(adapter.path) or lora_param_name(adapter.stem)
            self.by_param[param] = adapter
        return dict(self.by_param)

    def adapter(self, param: str) -> LoraAdapter | None:
        return self.by_param.get(param)

    def refusal(self, param: str) -> str | None:
        """Why ``param`` cannot ride live (None when it can)."""
        adapter = self.by_param.get(param)
        name = param.removeprefix("lora.").removesuffix(".scale")
        if adapter is None and self.unsupported is not None:
            return (
                f"{param}: {self.unsupported} does not support LoRAs (its schema says "
                "supports_lora = false), so no LoRA is loaded and no scale can change; "
                "use a pipeline that supports them (e.g. longlive) to ride it."
            )
        if adapter is None:
            loaded = ", ".join(sorted(self.by_param)) or "none"
            return (
                f"{param}: no LoRA called '{name}' is loaded in Scope (loaded: {loaded}); "
                "add it to [scope] loras (or the scene's pipeline) to ride it."
            )
        if (why := lora_range_error(adapter.scale)) is not None:
            return (
                f"{param}: Scope has '{adapter.stem}' loaded at {why.removeprefix('LoRA ')}, "
                "so perform does not ride it (a ride would change its look at once). Load it "
                "with a scale in range to ride it."
            )
        if not adapter.live:
            return (
                f"{param}: '{adapter.stem}' was loaded with {adapter.merge_mode}, so Scope "
                "cannot change its scale live (a change would only cut the picture). Load it "
                'with lora_merge_mode = "runtime_peft" to ride it.'
            )
        return None

    def warnings(self) -> list[str]:
        return [
            f"LoRA {a.stem}: {a.merge_mode} (scale fixed)"
            for a in self.by_param.values()
            if not a.live
        ]


class Throttle:
    """At most one event per ``1/rate`` seconds."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.last: float | None = None

    def ready(self, now: float, end: float | None = None) -> bool:
        return now >= self.next_at(end) - 1e-9

    def next_at(self, end: float | None = None) -> float:
        """When the next event may go. With ``end`` (a timed ride), sends are aligned to a
        grid that ends exactly on ``end``, so the last one lands then, never a full
        interval after it, and never two closer than ``interval``."""
        earliest = 0.0 if self.last is None else self.last + self.interval
        if end is None or earliest >= end or self.last is None:
            return earliest
        return end - math.floor((end - earliest) / self.interval + 1e-9) * self.interval

    def mark(self, now: float) -> None:
        self.last = now
