"""Which parameters exist: the app's own, the engines', the LoRAs', and a store with them all."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from perform.actions import CORE_ACTIONS
from perform.params import ParamSpec, ParamStore


def core_params(presets: Iterable[str], default_preset: str) -> list[ParamSpec]:
    """Parameters that belong to the app rather than to one engine."""
    keys = tuple(presets)
    return [
        ParamSpec(
            "engine.preset", "enum", default=default_preset, choices=keys, doc="Organism preset."
        ),
        ParamSpec(
            "engine.speed",
            min=0.0,
            max=4.0,
            default=1.0,
            unit="x",
            smoothing=0.3,
            doc="Simulation speed (steps per second times this).",
        ),
        ParamSpec("engine.reseed", "trigger", doc="Re-seed the organism."),
        ParamSpec(
            "engine.freeze",
            "enum",
            default="off",
            choices=("off", "on"),
            doc="Hold the simulation (the last frame keeps streaming).",
        ),
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
            "prompt.transition",
            min=0.0,
            max=120.0,
            default=2.0,
            unit="s",
            doc="How long Scope takes to blend into a new prompt.",
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
            "engine.crossfade",
            min=0.0,
            max=60.0,
            default=2.0,
            unit="s",
            doc="How long a switch to another engine's preset crossfades the two organisms.",
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
        ParamSpec(
            "scope.noise_controller",
            "enum",
            default="off",
            choices=("off", "on"),
            doc="Scope's motion-adaptive noise (overrides scope.noise_scale; its jumps cut).",
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
        ParamSpec(
            "scope.paused",
            "enum",
            default="off",
            choices=("off", "on"),
            doc="Freeze Scope's output (the last picture holds; the stream keeps flowing).",
        ),
    ]


def lora_param_name(stem: str) -> str:
    """``lora.<name>.scale`` for a LoRA file stem: lower case, non-alphanumerics -> ``_``."""
    name = "".join(c if c.isalnum() else "_" for c in stem.lower()).strip("_") or "lora"
    return f"lora.{name}.scale"


def lora_spec(param_name: str, default: float = 1.0, doc: str = "") -> ParamSpec:
    """The spec every part uses for a LoRA scale (register it once, if absent)."""
    return ParamSpec(
        param_name,
        min=-2.0,
        max=2.0,
        default=default,
        doc=doc or "LoRA scale (only for adapters Scope loaded with runtime_peft).",
    )


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
                structural=d.role == "structural",
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
    for action in CORE_ACTIONS:
        store.actions.define(action.name, action.doc, action.takes_arg, action.level)
    return store
