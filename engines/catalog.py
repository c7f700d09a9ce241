"""The engine registry and the presets, loaded from ``engines/presets/*.toml`` by key.

A preset file holds one table per preset::

    [medusa]
    engine = "gray_scott"
    title = "GS Medusa"
    notes = "Thin rainbow maze ring on black, hollow middle."
    seed = { kind = "dense", density = 0.45 }
    [medusa.params]
    "gray_scott.feed" = 0.030
    "flow.bubble" = 0.5

Every parameter name is checked against the declarations of the engines, the organism
(flows, colour, life support) and the host (``engine.speed``), every value against its
range, at load time. A preset is *complete* when applied: :func:`preset_values` fills
every organism parameter it does not name with its default, so switching presets always
lands on the same picture whatever was played before.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from engines.base import ParamDecl
from engines.color import COLOR_PARAMS
from engines.flow import FLOW_PARAMS
from engines.organism import MIN_BAND, ORGANISM_PARAMS
from engines.registry import ENGINES
from engines.seeds import SEED_KINDS, SeedSpec

_DEFAULTS = {d.name: d.default for d in ORGANISM_PARAMS}

PRESET_DIR = Path(__file__).parent / "presets"

PRESET_KEYS = frozenset({"engine", "title", "params", "notes", "seed"})
SEED_KEYS = frozenset({"kind", "density", "size"})

#: Parameters the host owns (declared by the app, not by engines) that presets may set.
HOST_PARAMS = (
    ParamDecl(
        "engine.speed",
        1.0,
        0.0,
        4.0,
        unit="x",
        smoothing=0.3,
        doc="Simulation speed (steps per second times this).",
    ),
)

__all__ = [
    "ENGINES",
    "HOST_PARAMS",
    "Preset",
    "PresetError",
    "all_params",
    "get_preset",
    "load_preset_file",
    "organism_params",
    "preset_values",
    "presets",
]


class PresetError(ValueError):
    """A preset file or key is wrong; the message names the file and key."""


@dataclass(frozen=True)
class Preset:
    key: str
    engine: str
    title: str
    params: Mapping[str, Any] = field(default_factory=dict)
    notes: str = ""
    file: Path | None = None
    seed: SeedSpec = field(default_factory=SeedSpec)


def organism_params() -> tuple[ParamDecl, ...]:
    """Parameters every engine shares: colour, flows, life support."""
    return (*COLOR_PARAMS, *FLOW_PARAMS, *ORGANISM_PARAMS)


def all_params() -> tuple[ParamDecl, ...]:
    """Every parameter the engines, the organism around them and the host declare."""
    decls: list[ParamDecl] = [*organism_params(), *HOST_PARAMS]
    for cls in ENGINES.values():
        decls.extend(cls.params)
    return tuple(decls)


def _suggest(name: str, pool: list[str]) -> str:
    close = difflib.get_close_matches(name, pool, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _check_value(decl: ParamDecl, value: Any, where: str) -> Any:
    if decl.kind == "enum":
        if value not in decl.choices:
            raise PresetError(f"{where}: '{value}' is not one of {', '.join(decl.choices)}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PresetError(f"{where}: expected a number, got {value!r}")
    if not decl.min <= value <= decl.max:
        raise PresetError(f"{where}: {value} is outside {decl.min}..{decl.max}")
    return float(value)


def _check_band(params: Mapping[str, Any], where: str) -> None:
    """A preset's coverage floor must sit ``MIN_BAND`` under its ceiling (the organism
    would reconcile it, but a preset that says one band and plays another is wrong)."""
    low = params.get("organism.coverage_min", _DEFAULTS["organism.coverage_min"])
    high = params.get("organism.coverage_max", _DEFAULTS["organism.coverage_max"])
    if low > high - MIN_BAND:
        raise PresetError(
            f"{where}: organism.coverage_min {low:g} must be at least {MIN_BAND:g} under "
            f"organism.coverage_max {high:g}"
        )


def _seed(table: Any, engine: str, where: str) -> SeedSpec:
    if table is None:
        return ENGINES[engine].default_seed
    if not isinstance(table, dict):
        raise PresetError(f'{where}: seed must be a table like {{ kind = "blobs" }}')
    for unknown in set(table) - SEED_KEYS:
        raise PresetError(f"{where}: unknown key '{unknown}'{_suggest(unknown, sorted(SEED_KEYS))}")
    default = ENGINES[engine].default_seed
    kind = table.get("kind", default.kind)
    if kind not in SEED_KINDS:
        raise PresetError(f"{where}.kind: '{kind}' is not one of {', '.join(SEED_KINDS)}")
    numbers = {}
    for name in ("density", "size"):
        value = table.get(name, getattr(default, name))
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise PresetError(f"{where}.{name}: expected a number in 0..1, got {value!r}")
        numbers[name] = float(value)
    return SeedSpec(kind, numbers["density"], numbers["size"])


def load_preset_file(path: Path) -> dict[str, Preset]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(f"{path}: not valid TOML: {exc}") from None
    shared = {d.name: d for d in (*organism_params(), *HOST_PARAMS)}
    presets: dict[str, Preset] = {}
    for key, table in data.items():
        where = f"{path}: [{key}]"
        if not isinstance(table, dict):
            raise PresetError(f"{where}: a preset must be a table")
        for unknown in set(table) - PRESET_KEYS:
            raise PresetError(
                f"{where}: unknown key '{unknown}'{_suggest(unknown, sorted(PRESET_KEYS))}"
            )
        engine = table.get("engine")
        if engine not in ENGINES:
            raise PresetError(
                f"{where}: unknown engine {engine!r}{_suggest(str(engine), list(ENGINES))}"
            )
        decls = {**shared, **{d.name: d for d in ENGINES[engine].params}}
        params: dict[str, Any] = {}
        for name, value in table.get("params", {}).items():
            decl = decls.get(name)
            if decl is None:
                others = {d.name for d in all_params()} - set(decls)
                why = " (it belongs to another engine)" if name in others else ""
                hint = why or _suggest(name, list(decls))
                raise PresetError(f"{where}.params: unknown parameter '{name}'{hint}")
            params[name] = _check_value(decl, value, f"{where}.params.{name}")
        _check_band(params, f"{where}.params")
        presets[key] = Preset(
            key=key,
            engine=engine,
            title=str(table.get("title", key)),
            params=MappingProxyType(params),
            notes=str(table.get("notes", "")),
            file=path,
            seed=_seed(table.get("seed"), engine, f"{where}.seed"),
        )
    return presets


@cache
def presets() -> Mapping[str, Preset]:
    """All built-in presets by key (loaded once), in file then definition order."""
    found: dict[str, Preset] = {}
    for path in sorted(PRESET_DIR.glob("*.toml")):
        for key, preset in load_preset_file(path).items():
            if key in found:
                raise PresetError(f"{path}: preset '{key}' is also defined in {found[key].file}")
            found[key] = preset
    return MappingProxyType(found)


def get_preset(key: str) -> Preset:
    table = presets()
    if key not in table:
        raise PresetError(f"unknown preset '{key}'{_suggest(key, list(table))}")
    return table[key]


def preset_values(key: str) -> dict[str, Any]:
    """Everything a preset sets when applied: its params over the organism's defaults.

    Includes the defaults of its own engine's parameters and of every organism
    parameter (flows, colour, life support) and ``engine.speed``, so a preset is a
    complete scene. Other engines' parameters are left alone.
    """
    preset = get_preset(key)
    values: dict[str, Any] = {d.name: d.default for d in (*organism_params(), *HOST_PARAMS)}
    values.update(ENGINES[preset.engine].defaults())
    values.update(preset.params)
    return values
