"""Show files: ``setlists/*.toml`` -> a validated :class:`Setlist` (pure data).

A show file has a ``[show]`` table (name, tempo, defaults), an optional ``[scope]`` table
(the pipeline to load, its load parameters and LoRAs) and one ``[[scenes]]`` table per
scene. See ``setlists/demo.toml`` for a commented example.

Validation is strict and happens at load, never during the show: unknown keys, unknown
presets, parameters or LoRA names, out-of-range values and impossible timing (negative
durations, an automatic continue after a manual hold) are refused with the file, line and
key, and a suggestion. A show that loads is never half-applied.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import Field

from perform.config import LoraScale
from perform.curves import Curve
from perform.errors import ParamError, SetlistError, did_you_mean
from perform.params import ParamSpec
from perform.registry import lora_param_name, lora_range_error
from perform.tomlfile import MAX_ENTRIES, Problems, Strict, TomlSource, read_toml, validate

Unit = Literal["seconds", "beats", "bars"]
BPM_MIN, BPM_MAX = 20.0, 300.0
"""A show's tempo range (the file's ``bpm`` and ``--bpm``)."""
ContinueMode = Literal["manual", "auto-follow", "auto-continue"]
Quantize = Literal["none", "beat", "bar"]

_SPAN_TEXT = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(s|sec|secs|seconds?|beats?|bars?)\s*$")


class Span(Strict):
    """A duration in seconds, beats or bars: ``{ beats = 8 }`` or ``"8 beats"``."""

    seconds: float | None = Field(None, ge=0)
    beats: float | None = Field(None, ge=0)
    bars: float | None = Field(None, ge=0)

    @pydantic.model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if isinstance(data, str):
            match = _SPAN_TEXT.match(data)
            if not match:
                raise ValueError(
                    f'{data!r} is not a duration: write e.g. "8 beats", "2 bars" or "4 s"'
                )
            amount, unit = float(match.group(1)), match.group(2)
            key = (
                "beats"
                if unit.startswith("beat")
                else "bars"
                if unit.startswith("bar")
                else "seconds"
            )
            return {key: amount}
        if isinstance(data, int | float) and not isinstance(data, bool):
            raise ValueError(
                'give a unit: { seconds = N }, { beats = N } or { bars = N } (or "N beats")'
            )
        return data

    @pydantic.model_validator(mode="after")
    def _exactly_one(self) -> Span:
        given = [k for k in ("seconds", "beats", "bars") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of seconds, beats or bars")
        return self

    @property
    def unit(self) -> Unit:
        return (
            "seconds" if self.seconds is not None else "beats" if self.beats is not None else "bars"
        )

    @property
    def amount(self) -> float:
        return float(getattr(self, self.unit))

    def describe(self) -> str:
        amount = f"{self.amount:g}"
        if self.unit == "seconds":
            return f"{amount} s"
        return f"{amount} {self.unit[:-1] if self.amount == 1 else self.unit}"


def _hold(value: Any) -> Any:
    """``"manual"`` or a Span, with one clear error (not one per union branch)."""
    if value == "manual" or isinstance(value, Span):
        return value
    try:
        return Span.model_validate(value)
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        raise ValueError(f"{where}: {msg}" if where else msg) from None


Hold = Annotated[Literal["manual"] | Span, pydantic.BeforeValidator(_hold)]


class Transition(Span):
    """How a scene comes in: a duration, a curve, and which parameters snap."""

    curve: Curve = "s-curve"
    snap: tuple[str, ...] = ()
    """Continuous parameters to set at once instead of gliding."""

    @pydantic.model_validator(mode="before")
    @classmethod
    def _default_seconds(cls, data: Any) -> Any:
        if isinstance(data, dict) and not ({"seconds", "beats", "bars"} & set(data)):
            return {**data, "seconds": 0.0}
        return data


class Prompt(Strict):
    text: str = Field(min_length=1)
    weight: float = Field(1.0, ge=0)


class Lora(Strict):
    name: str
    """Short name used by scenes (``loras = { arcane = 0.6 }``); drives ``lora.<name>.scale``."""
    path: str
    """Absolute path on the Scope server (``GET /api/v1/loras`` lists them)."""
    scale: LoraScale = 1.0
    merge_mode: Literal["runtime_peft", "permanent_merge"] | None = None

    @pydantic.field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if lora_param_name(value) != f"lora.{value}.scale":
            raise ValueError(
                f"use lower-case letters, digits and _ (e.g. {lora_param_name(value)[5:-6]!r})"
            )
        return value

    @pydantic.field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not (value.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", value)):
            raise ValueError("must be the absolute path Scope reports (GET /api/v1/loras)")
        return value


class ScopeSection(Strict):
    pipeline: str | list[str]
    """Pipeline id(s) to load, in chain order (preprocessors first)."""
    height: int | None = Field(None, ge=16, le=4096, multiple_of=16)
    width: int | None = Field(None, ge=16, le=4096, multiple_of=16)
    lora_merge_mode: Literal["runtime_peft", "permanent_merge"] = "runtime_peft"
    """``runtime_peft``: scenes ride LoRA scales (slower inference); ``permanent_merge``: fixed."""
    loras: list[Lora] = Field(default_factory=list)
    load_params: dict[str, Any] = Field(default_factory=dict)
    """Other load parameters passed to Scope as they are (``vace_enabled``, ``base_seed``...)."""
    input_mode: Literal["video", "text"] | None = None
    """``text``: a text-only show (no input video; scenes switch prompts only)."""

    @property
    def pipeline_ids(self) -> tuple[str, ...]:
        return (self.pipeline,) if isinstance(self.pipeline, str) else tuple(self.pipeline)


class Scene(Strict):
    name: str = Field(min_length=1)
    notes: str = ""
    preset: str | None = None
    """Engine preset: in one engine its parameters glide; across engines the organisms crossfade."""
    params: dict[str, float | int | str | bool] = Field(default_factory=dict)
    prompt: str | None = None
    """Prompt set for Scope (``"a | b :: 0.5"``); or use ``prompts``."""
    prompts: list[Prompt] | None = None
    prompt_b: str | None = None
    """Prompt set B for the A/B crossfader (``prompt.mix``)."""
    mix: float | None = Field(None, ge=0, le=1)
    loras: dict[str, float] = Field(default_factory=dict)
    transition: Transition | None = None
    hold: Hold | None = None
    continue_: ContinueMode | None = Field(None, alias="continue")
    post_wait: Span | None = None
    """For ``continue = "auto-continue"``: time from this scene's start to the next one's."""
    quantize: Quantize | None = None
    """When a GO into this scene fires: at once, on the next beat or on the next bar."""
    input_mode: Literal["video", "text"] | None = None
    vace_images: list[str] | None = None
    """VACE reference images (files relative to the show file); ``[]`` clears them."""
    vace_scale: float | None = Field(None, ge=0, le=2)
    """VACE context scale (``scope.vace_scale``): glides over the transition."""

    @pydantic.model_validator(mode="after")
    def _one_prompt_form(self) -> Scene:
        if self.prompt is not None and self.prompts is not None:
            raise ValueError("give either prompt or prompts, not both")
        return self

    def prompt_text(self) -> str | None:
        if self.prompts is not None:
            return " | ".join(
                p.text if p.weight == 1 else f"{p.text} :: {p.weight:g}" for p in self.prompts
            )
        return self.prompt


class ShowSection(Strict):
    name: str = Field(min_length=1)
    bpm: float = Field(120.0, ge=BPM_MIN, le=BPM_MAX)
    time_signature: str = "4/4"
    run_order: Literal["linear", "loop"] = "linear"
    quantize: Quantize = "none"
    """Default GO quantization of the scenes."""
    lookahead_ms: float = Field(0.0, ge=0, le=2000)
    """Quantized GOs fire this much before the boundary, to absorb the stream's latency."""
    min_go_interval: float = Field(0.5, ge=0, le=10)
    """GO protection: a second GO within this many seconds is ignored."""
    panic_fade: float = Field(2.0, ge=0, le=60)
    """Seconds the first panic takes to fade to black; a second panic cuts at once."""
    transition: Transition = Transition(seconds=2.0)
    """Default transition of the scenes."""
    hold: Hold = "manual"
    """Default hold of the scenes."""
    mappings: list[str] = Field(default_factory=list)
    """Mapping files this show loads (relative to the show file)."""

    @pydantic.field_validator("time_signature")
    @classmethod
    def _signature(cls, value: str) -> str:
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", value)
        if not match or not 1 <= int(match.group(1)) <= 16:
            raise ValueError('write it like "4/4" or "7/8" (1 to 16 beats per bar)')
        return f"{match.group(1)}/{match.group(2)}"

    @property
    def beats_per_bar(self) -> int:
        return int(self.time_signature.split("/")[0])


class SetlistFile(Strict):
    show: ShowSection
    scope: ScopeSection | None = None
    scenes: list[Scene] = Field(min_length=1, max_length=MAX_ENTRIES)


@dataclass(frozen=True)
class Setlist:
    """A validated show: the file's data plus resolved defaults."""

    path: Path
    data: SetlistFile

    @property
    def name(self) -> str:
        return self.data.show.name

    @property
    def show(self) -> ShowSection:
        return self.data.show

    @property
    def scenes(self) -> list[Scene]:
        return self.data.scenes

    @property
    def scope(self) -> ScopeSection | None:
        return self.data.scope

    def transition(self, scene: Scene) -> Transition:
        return scene.transition or self.show.transition

    def hold(self, scene: Scene) -> Literal["manual"] | Span:
        return scene.hold if scene.hold is not None else self.show.hold

    def continue_mode(self, scene: Scene) -> ContinueMode:
        if scene.continue_ is not None:
            return scene.continue_
        return "manual" if self.hold(scene) == "manual" else "auto-follow"

    def quantize(self, scene: Scene) -> Quantize:
        return scene.quantize or self.show.quantize

    def index_of(self, target: int | str) -> int:
        """A scene by 1-based number (int or digits) or by name; SetlistError otherwise."""
        if isinstance(target, str) and target.strip().isdigit():
            target = int(target)
        if isinstance(target, int):
            if 1 <= target <= len(self.scenes):
                return target - 1
            raise SetlistError(f"{self.path}: there is no scene {target} (1..{len(self.scenes)})")
        names = [s.name for s in self.scenes]
        if target in names:
            return names.index(target)
        lowered = [n.lower() for n in names]
        if target.lower() in lowered:
            return lowered.index(target.lower())
        raise SetlistError(f"{self.path}: no scene named '{target}'{did_you_mean(target, names)}")

    def lora_params(self) -> dict[str, Lora]:
        """``lora.<name>.scale`` -> the LoRA it drives."""
        return {
            lora_param_name(lora.name): lora for lora in (self.scope.loras if self.scope else [])
        }

    def vace_paths(self, scene: Scene) -> list[Path] | None:
        """The scene's reference images as absolute paths (None: the scene names none)."""
        if scene.vace_images is None:
            return None
        return [(self.path.parent / name).resolve() for name in scene.vace_images]

    def vace_assets(self) -> tuple[str, ...]:
        """Every distinct reference image of the show, in order of first use."""
        out: dict[str, None] = {}
        for scene in self.scenes:
            for path in self.vace_paths(scene) or []:
                out[str(path)] = None
        return tuple(out)

    def mapping_paths(self) -> list[Path]:
        return [(self.path.parent / m).resolve() for m in self.show.mappings]


# --- semantic checks (need the parameter registry and the presets) ----------------------


def _check_value(spec: ParamSpec, value: Any) -> str | None:
    """Why ``value`` is wrong for ``spec`` (None if it is fine). Show files do not clamp."""
    try:
        coerced = spec.coerce(value)
    except ParamError as exc:
        return exc.message
    if spec.kind == "continuous" and coerced != float(value) and not spec.integer:
        return f"{value} is outside {spec.min:g}..{spec.max:g}"
    if spec.kind == "trigger":
        return "is a trigger; use an action instead"
    return None


def check_semantics(
    source: TomlSource,
    data: SetlistFile,
    specs: Mapping[str, ParamSpec],
    presets: Mapping[str, Any],
) -> None:
    """Everything pydantic cannot know: presets, parameter names and ranges, LoRAs, timing."""
    problems = Problems(source)
    loras = {lora.name for lora in (data.scope.loras if data.scope else [])}
    if data.scope is not None:
        seen: set[str] = set()
        for i, lora in enumerate(data.scope.loras):
            if lora.name in seen:
                problems.add(("scope", "loras", i, "name"), f"LoRA '{lora.name}' is listed twice")
            seen.add(lora.name)
    names: dict[str, int] = {}
    for i, scene in enumerate(data.scenes):
        at: tuple[str | int, ...] = ("scenes", i)
        if scene.name in names:
            problems.add(
                (*at, "name"),
                f"scene name '{scene.name}' is also used by scene {names[scene.name] + 1}",
            )
        names.setdefault(scene.name, i)
        if scene.preset is not None and scene.preset not in presets:
            problems.add(
                (*at, "preset"),
                f"unknown preset '{scene.preset}'{did_you_mean(scene.preset, presets)}",
            )
        for name, value in scene.params.items():
            if name == "engine.preset":
                problems.add((*at, "params", name), "set the preset with the scene's 'preset' key")
            elif name.startswith("lora."):
                problems.add(
                    (*at, "params", name), "set LoRA scales with the scene's 'loras' table"
                )
            elif name not in specs:
                problems.add(
                    (*at, "params", name), f"unknown parameter '{name}'{did_you_mean(name, specs)}"
                )
            elif (why := _check_value(specs[name], value)) is not None:
                problems.add((*at, "params", name), why)
        for name, value in scene.loras.items():
            if name not in loras:
                hint = did_you_mean(name, loras) or (
                    " (declare it under [[scope.loras]])" if not loras else ""
                )
                problems.add((*at, "loras", name), f"unknown LoRA '{name}'{hint}")
            elif (why := lora_range_error(value)) is not None:
                problems.add((*at, "loras", name), why)
        for j, image in enumerate(scene.vace_images or []):
            from perform.stream.assets import check_image

            if (why := check_image(source.path.parent / image)) is not None:
                problems.add((*at, "vace_images", j), why)
        if scene.vace_scale is not None and "scope.vace_scale" in scene.params:
            problems.add(
                (*at, "vace_scale"), "give vace_scale or params.scope.vace_scale, not both"
            )
        transition = scene.transition
        if transition is not None:
            for name in transition.snap:
                if name not in specs:
                    problems.add(
                        (*at, "transition", "snap"),
                        f"unknown parameter '{name}'{did_you_mean(name, specs)}",
                    )
        hold = scene.hold if scene.hold is not None else data.show.hold
        mode = scene.continue_ or ("manual" if hold == "manual" else "auto-follow")
        if mode == "auto-follow" and hold == "manual":
            problems.add((*at, "continue"), 'auto-follow needs a timed hold (e.g. hold = "8 bars")')
        if mode == "auto-continue" and scene.post_wait is None:
            problems.add(
                (*at, "continue"), 'auto-continue needs a post_wait (e.g. post_wait = "4 beats")'
            )
        if scene.post_wait is not None and mode != "auto-continue":
            problems.add(
                (*at, "post_wait"), 'post_wait only applies with continue = "auto-continue"'
            )
    for i, mapping in enumerate(data.show.mappings):
        if not (source.path.parent / mapping).is_file():
            problems.add(
                ("show", "mappings", i), f"mapping file '{mapping}' not found next to the show"
            )
    problems.raise_if_any(SetlistError)


def default_registry() -> tuple[Mapping[str, ParamSpec], Mapping[str, Any]]:
    """The parameters and presets a show is checked against when no session is at hand."""
    from engines import all_params, presets
    from perform.registry import build_store

    table = presets()
    store = build_store(table, next(iter(table)), all_params())
    return store.specs, table


def load_setlist(
    path: str | Path,
    specs: Mapping[str, ParamSpec] | None = None,
    presets: Mapping[str, Any] | None = None,
) -> Setlist:
    """Read, validate and check a show file; SetlistError names the file, line and key."""
    source = read_toml(path, SetlistError)
    data = validate(source, SetlistFile, SetlistError)
    if specs is None or presets is None:
        default_specs, default_presets = default_registry()
        specs = specs if specs is not None else default_specs
        presets = presets if presets is not None else default_presets
    check_semantics(source, data, specs, presets)
    return Setlist(path=Path(path), data=data)


def seconds(span: Span, bpm: float, beats_per_bar: int) -> float:
    """A span in seconds at ``bpm``."""
    if span.unit == "seconds":
        return span.amount
    beats = span.amount * (beats_per_bar if span.unit == "bars" else 1)
    return beats * 60.0 / bpm


def describe(setlist: Setlist, index: int) -> str:
    scene = setlist.scenes[index]
    return f"{index + 1}/{len(setlist.scenes)} {scene.name}" + (
        f" ({scene.preset})" if scene.preset else ""
    )


def check_file(path: Path) -> str | None:
    """``perform check``: validate a show file; None if ``path`` is not a show file."""
    source = read_toml(path, SetlistError)
    if (
        not isinstance(source.data, dict)
        or "scenes" not in source.data
        and "show" not in source.data
    ):
        return None
    setlist = load_setlist(path)
    show = setlist.show
    return (
        f"{path}: show '{show.name}', {len(setlist.scenes)} scenes, "
        f"{show.bpm:g} bpm {show.time_signature}"
        + (f", Scope pipeline {'+'.join(setlist.scope.pipeline_ids)}" if setlist.scope else "")
        + (f", {len(setlist.vace_assets())} VACE images" if setlist.vace_assets() else "")
        + (", text only" if setlist.scope and setlist.scope.input_mode == "text" else "")
    )
