"""Load mapping files: read, resolve profiles, compile (:mod:`.compile`), merge devices.

Every problem is reported as ``file:line: key: problem (did you mean 'x'?)``; all of
a file's problems are reported together (:class:`perform.tomlfile.Problems`), and a file
with any problem is refused whole, never half-applied (see :mod:`perform.mapping.compile`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from perform import library
from perform.errors import MappingError, did_you_mean
from perform.mapping.binding import Binding
from perform.mapping.compile import (
    Compiler,
    check_conflicts,
    compile_controls,
    find_control,
    led_rule,
)
from perform.mapping.device import DeviceMapping
from perform.mapping.model import MappingFile
from perform.params import ParamStore
from perform.tomlfile import Problems, TomlSource, check_size, read_toml, validate


def resolve_path(name: str | Path, mappings_dir: Path | None, base: Path | None = None) -> Path:
    """``nanokontrol2`` -> the user's, the ``mappings_dir``'s or the shipped
    ``nanokontrol2.toml`` (:func:`perform.library.find`); paths stay paths."""
    return library.find("mappings", name, mappings_dir, base).path


def read_mapping(path: Path, text: str | None = None) -> tuple[TomlSource, MappingFile]:
    """Parse and shape-check a mapping file (or ``text`` that would be written to it)."""
    if text is None:
        source = read_toml(path, MappingError)
    else:
        check_size(path, len(text.encode("utf-8")), MappingError)
        try:
            source = TomlSource(path, text, tomllib.loads(text))
        except tomllib.TOMLDecodeError as exc:
            raise MappingError(f"{path}: not valid TOML: {exc}") from None
    return source, validate(source, MappingFile, MappingError)


def load_mapping(
    path: str | Path,
    store: ParamStore,
    *,
    mappings_dir: Path | None = None,
    text: str | None = None,
) -> DeviceMapping:
    """Read, validate and compile one mapping file against ``store``.

    With ``text``, that text is checked as if it were the file's content (learn checks
    what it is about to write this way).
    """
    path = Path(path)
    source, model = read_mapping(path, text)
    problems = Problems(source)
    device_model, controls_src, layout, leds = (
        model.device,
        dict(model.controls),
        model.layout,
        model.led,
    )
    if model.profile is not None:
        profile_path = resolve_path(model.profile, mappings_dir, path.parent)
        if not profile_path.exists():
            problems.add(
                ("profile",),
                f"no profile file {profile_path}" + _shipped_hint(model.profile, mappings_dir),
            )
            problems.raise_if_any(MappingError)
        _, profile = read_mapping(profile_path)
        device_model = device_model or profile.device
        controls_src = {**profile.controls, **controls_src}
        if not layout.pages and not layout.shift and not layout.next_page:
            layout = profile.layout
        leds = leds or profile.led
    assert device_model is not None  # the model insists on a device or a profile
    device = DeviceMapping(
        id=device_model.match
        if device_model.kind == "midi" and device_model.match
        else f"osc:{device_model.name}",
        name=device_model.name,
        kind=device_model.kind,
        match=device_model.match,
        output=device_model.output,
        channel=device_model.channel,
        setup=list(device_model.setup),
        files=[path],
    )
    device.controls = compile_controls(controls_src, device.channel - 1, problems)
    device.pages = list(layout.pages)
    for attr in ("next_page", "prev_page", "shift"):
        name = getattr(layout, attr)
        if name is not None:
            control = find_control(device, name, problems, ("layout", attr))
            setattr(device, attr, None if control is None else control.key)
    compiler = Compiler(store, device, problems, path)
    for index, bind in enumerate(model.bind):
        compiler.bind(index, bind)
    check_conflicts(device, problems)
    device.leds = [
        r for i, rule in enumerate(leds) if (r := led_rule(device, store, rule, i, problems))
    ]
    problems.raise_if_any(MappingError)
    return device


def _shipped_hint(name: str, mappings_dir: Path | None) -> str:
    names = list(library.catalogue("mappings", mappings_dir))
    if not names:
        return ""
    return did_you_mean(name, names) or f"; profiles: {', '.join(names)}"


def merge(devices: Iterable[DeviceMapping]) -> list[DeviceMapping]:
    """Merge files that describe the same device (same ``match``); conflicts are errors."""
    merged: dict[str, DeviceMapping] = {}
    for device in devices:
        into = merged.get(device.id)
        if into is None:
            merged[device.id] = device
            continue
        into.files.extend(device.files)
        into.controls = {**into.controls, **device.controls}
        into.leds.extend(device.leds)
        into.pages = into.pages or device.pages
        for attr in ("next_page", "prev_page", "shift"):
            if getattr(into, attr) is None:
                setattr(into, attr, getattr(device, attr))
        into.bindings.extend(b for b in device.bindings)
        for b in into.bindings:
            b.device = into.id
        lines: list[str] = []
        seen: dict[tuple[Any, ...], Binding] = {}
        for b in into.bindings:
            layer = (b.key, b.page, b.shift)
            if layer in seen and seen[layer].file != b.file:
                lines.append(
                    f"{b.where}: {b.control} is also bound in {seen[layer].where} "
                    f"(same device '{into.name}')"
                )
            seen[layer] = b
        if lines:
            raise MappingError("\n".join(lines))
    return list(merged.values())
