"""``perform check`` for mapping files: load it exactly as a run would, summarise it."""

from __future__ import annotations

from pathlib import Path

from perform.config import AppConfig
from perform.errors import MappingError
from perform.mapping.load import load_mapping
from perform.params import ParamStore
from perform.tomlfile import read_toml

MAPPING_KEYS = {"device", "profile", "bind", "controls"}


def validation_store(config: AppConfig) -> ParamStore:
    """The store a session would build (core, engine and action names), without an engine."""
    from engines import all_params, presets
    from perform.registry import build_store

    return build_store(presets(), config.engine.preset, all_params())


def check_mapping(path: Path, config: AppConfig) -> str | None:
    """A summary of a valid mapping file; None if ``path`` is not a mapping file."""
    if path.suffix != ".toml":
        return None
    source = read_toml(path, MappingError)
    if not MAPPING_KEYS & set(source.data):
        return None
    device = load_mapping(path, validation_store(config), mappings_dir=config.paths.mappings)
    controls = {b.control for b in device.bindings}
    lines = [
        f"{device.kind.upper()} mapping for {device.name}: {len(device.bindings)} bindings "
        f"on {len(controls)} controls"
        + (f", pages {', '.join(device.pages)}" if device.pages else "")
        + (f", {len(device.leds)} LED rules" if device.leds else "")
    ]
    if device.kind == "midi":
        out = device.output_match
        lines.append(
            f"opens ports matching '{device.match}'"
            + (f", LEDs on '{out}'" if out else ", no LED feedback")
            + f", channel {device.channel}"
        )
    for hint in device.setup:
        lines.append(f"setup: {hint}")
    return "\n".join(lines)
