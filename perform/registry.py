"""Which parameters exist: the app's own, the engines', the LoRAs', and a store with them all.

Each fact is declared here once: the core parameters, the one LoRA spec (and its range,
which show files, the config and live writes are all checked against), and the one
meaning of a preset (:func:`expand_preset`), installed in every store :func:`build_store`
makes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from engines import PresetError, get_preset, preset_values
from engines.organism import MIN_BAND
from perform.actions import CORE_ACTIONS, bind_param_actions
from perform.params import Expansion, ParamSpec, ParamStore

COVERAGE_MIN, COVERAGE_MAX = "organism.coverage_min", "organism.coverage_max"

LORA_MIN, LORA_MAX = -2.0, 2.0
"""The one range of a LoRA scale. Scope accepts -10..10, but past about 2 an adapter burns
the picture and below -2 it inverts into noise; performers ride 0..1 and sometimes a
little negative. Show files, the config and live writes are all checked against this
range and refused (with the range named) outside it, so nothing is clamped silently."""


def _switch(name: str, doc: str) -> ParamSpec:
    """An off/on parameter (a toggle: see :func:`perform.actions.toggle`)."""
    return ParamSpec(name, "enum", default="off", choices=("off", "on"), doc=doc)


def core_params(presets: Iterable[str], default_preset: str) -> list[ParamSpec]:
    """Parameters that belong to the app rather than to one engine."""
    keys = tuple(presets)
    return [
        ParamSpec(
            "engine.preset", "enum", default=default_preset, choices=keys, doc="Organism preset."
        ),
        ParamSpec("engine.reseed", "trigger", doc="Re-seed the organism."),
        _switch("engine.freeze", "Hold the simulation (the last frame keeps streaming)."),
        ParamSpec(
            "master.fade",
            min=0.0,
            max=1.0,
            default=1.0,
            smoothing=0.05,
            doc="Output level: 0 is black (blackout, panic fade).",
        ),
        ParamSpec(
            "program.source",
            "enum",
            default="scope",
            choices=("organism", "scope", "mix"),
            doc="What the audience sees: the organism, Scope, or both crossfaded by program.mix.",
        ),
        ParamSpec(
            "program.mix",
            min=0.0,
            max=1.0,
            default=1.0,
            doc="With program.source = mix: organism (0) to Scope (1).",
        ),
        ParamSpec("prompt.a", "text", default="", doc="Prompt set A (sent to Scope)."),
        ParamSpec(
            "prompt.b", "text", default="", doc="Prompt set B (crossfaded with A by prompt.mix)."
        ),
        ParamSpec(
            "prompt.mix", min=0.0, max=1.0, default=0.0, doc="Crossfade from prompt A (0) to B (1)."
        ),
        ParamSpec(
            "tempo.bpm",
            min=20.0,
            max=300.0,
            default=120.0,
            unit=" bpm",
            doc="Tempo of the show clock (followed by tap, MIDI clock or Link when they lead).",
        ),
        ParamSpec(
            "scope.input_mode",
            "enum",
            default="video",
            choices=("video", "text"),
            doc="Scope input: the organism as video, or prompts only (text).",
        ),
        ParamSpec(
            "scope.noise_scale",
            min=0.0,
            max=1.0,
            default=0.7,
            doc="How much Scope re-imagines the input video (video mode).",
        ),
        _switch(
            "scope.noise_controller",
            "Scope's motion-adaptive noise (overrides scope.noise_scale; its jumps cut).",
        ),
        ParamSpec(
            "scope.vace_scale",
            min=0.0,
            max=2.0,
            default=1.0,
            doc="VACE context scale: how strongly the reference images steer Scope.",
        ),
        ParamSpec(
            "scope.vace_images",
            "text",
            default="",
            doc="VACE reference images (local files, one per line; empty clears them).",
        ),
        _switch(
            "scope.paused",
            "Freeze Scope's output (the last picture holds; the stream keeps flowing).",
        ),
    ]


def lora_param_name(stem: str) -> str:
    """``lora.<name>.scale`` for a LoRA file stem: lower case, non-alphanumerics -> ``_``."""
    name = "".join(c if c.isalnum() else "_" for c in stem.lower()).strip("_") or "lora"
    return f"lora.{name}.scale"


def lora_spec(param_name: str, default: float = 1.0, doc: str = "") -> ParamSpec:
    """The spec every part uses for a LoRA scale (see :func:`register_lora`)."""
    return ParamSpec(
        param_name,
        min=LORA_MIN,
        max=LORA_MAX,
        default=min(LORA_MAX, max(LORA_MIN, default)),
        strict=True,
        doc=doc or "LoRA scale (only for adapters Scope loaded with runtime_peft).",
    )


def lora_range_error(value: float) -> str | None:
    """Why ``value`` cannot be a LoRA scale (None when it can)."""
    if LORA_MIN <= value <= LORA_MAX:
        return None
    return f"LoRA scale {value:g} is outside {LORA_MIN:g}..{LORA_MAX:g}"


def register_lora(store: ParamStore, param_name: str, default: float = 1.0, doc: str = "") -> None:
    """Register a LoRA scale parameter unless it exists (the one place that does).

    A default outside the range (a pipeline someone else loaded at 5.0) registers at the
    nearest bound; the Scope link refuses to ride such an adapter and never re-sends it.
    """
    if param_name not in store:
        store.register(lora_spec(param_name, default=default, doc=doc))


def expand_preset(key: Any, current: Any) -> Expansion:
    """The one meaning of a preset, whoever takes it: a complete scene.

    Everything :func:`engines.preset_values` lists (the preset's values over the
    organism's defaults, so what it does not name returns to its default). When the
    preset runs on another engine than the current one, that engine's own parameters
    snap: the new organism grows with them while the pictures crossfade.
    """
    values = preset_values(str(key))
    engine = get_preset(str(key)).engine
    try:
        crosses = get_preset(str(current)).engine != engine
    except PresetError:
        crosses = True
    snap = frozenset(n for n in values if n.split(".", 1)[0] == engine) if crosses else frozenset()
    return Expansion(values, snap)


def limit_coverage(store: ParamStore) -> None:
    """Keep the coverage floor ``MIN_BAND`` under its ceiling in the store itself.

    A floor at or above the ceiling would plant a nucleus and erode on alternate frames
    (the organism reconciles such a pair too, :func:`engines.organism.coverage_band`, but
    the store must not hold it: a TUI, a show file or OSC would show a band that is not
    played). The ceiling wins, as in the organism: a floor written above it is held under
    it, and a ceiling lowered onto the floor takes the floor down with it; both logged.
    """
    if COVERAGE_MIN not in store or COVERAGE_MAX not in store:
        return

    def floor(value: Any, after: Any) -> tuple[Any, str]:
        ceiling = float(after[COVERAGE_MAX])
        kept = round(min(float(value), max(0.0, ceiling - MIN_BAND)), 6)
        return kept, f"it stays {MIN_BAND:g} under {COVERAGE_MAX} = {ceiling:g}"

    def ceiling(value: Any, current: Any) -> Expansion:
        low = store.ramp_target(COVERAGE_MIN)
        low = store.get(COVERAGE_MIN) if low is None else low
        if float(low) <= float(value) - MIN_BAND:
            return Expansion({})
        return Expansion({COVERAGE_MIN: round(max(0.0, float(value) - MIN_BAND), 6)})

    store.set_limit(COVERAGE_MIN, floor)
    store.set_expander(COVERAGE_MAX, ceiling)


def engine_specs(decls: Iterable[Any]) -> list[ParamSpec]:
    """Turn the engines' plain-data declarations into ParamSpecs."""
    specs: list[ParamSpec] = []
    for d in decls:
        specs.append(
            ParamSpec(
                name=d.name,
                kind=d.kind,
                min=float(d.min),
                max=float(d.max),
                default=d.default,
                unit=d.unit,
                smoothing=float(d.slew),
                doc=d.doc,
                choices=tuple(d.choices),
                integer=bool(getattr(d, "integer", False)),
            )
        )
    return specs


def build_store(
    presets: Iterable[str],
    default_preset: str,
    engine_decls: Iterable[Any],
    *,
    clock: Callable[[], float] | None = None,
) -> ParamStore:
    """A store with the core parameters, every engine parameter and the core actions."""
    store = ParamStore(
        [*core_params(presets, default_preset), *engine_specs(engine_decls)], clock=clock
    )
    store.set_expander("engine.preset", expand_preset)
    limit_coverage(store)
    for action in CORE_ACTIONS:
        store.actions.define(action)
    bind_param_actions(store)
    return store
