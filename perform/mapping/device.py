"""A device's compiled mapping: its controls, layout, LED rules and bindings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from perform.mapping.binding import Binding
from perform.mapping.controls import ControlKey
from perform.mapping.model import LedModel


@dataclass(frozen=True)
class ControlDef:
    """A named control of a profile (``fader1``, ``play``)."""

    name: str
    key: ControlKey
    button: bool = False
    encoder: str | None = None
    led: LedModel | None = None


@dataclass(frozen=True)
class LedRule:
    control: str
    follows: str | None = None
    param: str | None = None
    above: float | None = None
    equals: Any = None


@dataclass
class DeviceMapping:
    id: str
    """Unique id: the port pattern (MIDI) or ``osc:<name>``."""
    name: str
    kind: Literal["midi", "osc"] = "midi"
    match: str | None = None
    output: str | None = None
    channel: int = 1
    setup: list[str] = field(default_factory=list)
    controls: dict[str, ControlDef] = field(default_factory=dict)
    pages: list[str] = field(default_factory=list)
    next_page: ControlKey | None = None
    prev_page: ControlKey | None = None
    shift: ControlKey | None = None
    leds: list[LedRule] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    auto: bool = False
    """Loaded because a port matched a shipped profile (lower priority than files)."""

    @property
    def output_match(self) -> str | None:
        """The pattern of the LED port (None: no feedback)."""
        if self.kind != "midi":
            return None
        if self.output is None:
            return self.match
        return self.output or None

    @property
    def cc14(self) -> set[tuple[int, int]]:
        return {(b.key[1], b.key[2]) for b in self.bindings if b.key[0] == "cc14"} | {
            (c.key[1], c.key[2]) for c in self.controls.values() if c.key[0] == "cc14"
        }

    def control_by_key(self, key: ControlKey) -> ControlDef | None:
        for control in self.controls.values():
            if control.key == key:
                return control
        return None

    def control_name(self, key: ControlKey) -> str | None:
        control = self.control_by_key(key)
        return None if control is None else control.name
