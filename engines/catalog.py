"""The engine registry and the presets, loaded from ``engines/presets/*.toml`` by key.

A preset file holds one table per preset::

    [medusa]
    engine = "gray_scott"
    title = "GS Medusa"
    [medusa.params]
    "gray_scott.feed" = 0.030

Every parameter name is checked against the declarations of the engines and the
colour stage, every value against its range, at load time.
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

from engines.base import Engine, ParamDecl
from engines.color import COLOR_PARAMS
from engines.gray_scott import GrayScott

PRESET_DIR = Path(__file__).parent / "presets"

ENGINES: dict[str, type[Engine]] = {cls.name: cls for cls in (GrayScott,)}

PRESET_KEYS = frozenset({"engine", "title", "params", "notes"})


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


def all_params() -> tuple[ParamDecl, ...]:
    """Every parameter the engines and the colour stage declare."""
    decls: list[ParamDecl] = list(COLOR_PARAMS)
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


def load_preset_file(path: Path) -> dict[str, Preset]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(f"{path}: not valid TOML: {exc}") from None
    decls = {d.name: d for d in all_params()}
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
        params: dict[str, Any] = {}
        for name, value in table.get("params", {}).items():
            decl = decls.get(name)
            if decl is None:
                raise PresetError(
                    f"{where}.params: unknown parameter '{name}'{_suggest(name, list(decls))}"
                )
            params[name] = _check_value(decl, value, f"{where}.params.{name}")
        presets[key] = Preset(
            key=key,
            engine=engine,
            title=str(table.get("title", key)),
            params=MappingProxyType(params),
            notes=str(table.get("notes", "")),
            file=path,
        )
    return presets


@cache
def presets() -> Mapping[str, Preset]:
    """All built-in presets by key (loaded once)."""
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
