"""Edit mapping files as text (for MIDI learn): append a ``[[bind]]``, remove one.

Learned bindings are appended to the user's file as plain TOML, so comments, order
and formatting of everything else are kept byte for byte; a replaced binding's block
(from its ``[[bind]]`` header to the next table header) is removed. The caller
validates the new text before writing it with :func:`perform.fileio.atomic_write`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from perform.mapping.controls import ControlKey

_HEADER = re.compile(r"^\s*\[")


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")


def source_fields(key: ControlKey, control: str | None, default_channel: int) -> dict[str, Any]:
    """The keys that name a control in a ``[[bind]]`` (its profile name when it has one)."""
    if control is not None:
        return {"control": control}
    if key[0] == "osc":
        return {"osc": key[1]}
    kind, channel, number = key
    fields: dict[str, Any] = {"pitchbend": True} if kind == "pitchbend" else {kind: number}
    if channel + 1 != default_channel:
        fields["channel"] = channel + 1
    return fields


def bind_block(fields: Mapping[str, Any], comment: str = "") -> str:
    lines = [f"# {comment}"] if comment else []
    lines.append("[[bind]]")
    lines += [f"{name} = {toml_value(value)}" for name, value in fields.items()]
    return "\n".join(lines) + "\n"


def append_block(text: str, block: str) -> str:
    if text and not text.endswith("\n"):
        text += "\n"
    if text and not text.endswith("\n\n"):
        text += "\n"
    return text + block


def remove_blocks(text: str, header_lines: Iterable[int]) -> str:
    """Remove the tables whose headers are at these 1-based lines (to the next header)."""
    lines = text.splitlines(keepends=True)
    drop: set[int] = set()
    for start in header_lines:
        i = start - 1
        if not 0 <= i < len(lines) or not _HEADER.match(lines[i]):
            raise ValueError(f"line {start} is not a table header")
        drop.add(i)
        j = i + 1
        while j < len(lines) and not _HEADER.match(lines[j]):
            drop.add(j)
            j += 1
    return "".join(line for i, line in enumerate(lines) if i not in drop)


def new_file(name: str, kind: str, match: str | None, channel: int = 1) -> str:
    """The text of a fresh mapping file for a device that has none yet."""
    lines = [
        f"# Mapping for {name}, started by MIDI learn. Edit freely: perform check FILE",
        "",
        "[device]",
        f"name = {toml_value(name)}",
    ]
    if kind == "osc":
        lines.append('kind = "osc"')
    else:
        lines.append(f"match = {toml_value(match or name)}")
        if channel != 1:
            lines.append(f"channel = {channel}")
    return "\n".join(lines) + "\n"
