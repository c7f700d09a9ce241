"""The mapping file format (``mappings/*.toml``) as strict pydantic models.

A mapping file describes one device (a MIDI controller, or an OSC sender such as
TouchDesigner) and what its controls do::

    [device]
    name = "Korg nanoKONTROL2"
    match = "nanoKONTROL2"          # port name pattern (ALSA numbers are ignored)

    [controls]
    fader = { cc = [0, 1, 2, 3, 4, 5, 6, 7] }     # fader1 .. fader8
    play = { cc = 41, button = true, led = "cc" }

    [[bind]]
    control = "fader1"
    param = "engine.speed"
    range = [0.0, 2.0]
    takeover = "pickup"

Only the *shape* is checked here (unknown keys, types, one source and one target per
binding); :mod:`perform.mapping.load` checks names against the parameter store.
"""

from __future__ import annotations

from typing import Literal

import pydantic
from pydantic import Field

from perform.curves import Curve
from perform.tomlfile import MAX_ENTRIES, Strict

Encoder = Literal["twos-complement", "binary-offset", "sign-magnitude", "signed-bit-2"]
Takeover = Literal["jump", "pickup", "value-scaling"]
Button = Literal["momentary", "toggle", "press", "release", "radio"]
LedKind = Literal["cc", "note", "ring"]

SOURCE_KEYS = ("control", "cc", "cc14", "note", "nrpn", "pitchbend", "osc")
"""The keys that say which control a binding listens to (exactly one per binding)."""

Midi7 = Field(ge=0, le=127)
Value = float | str | bool


class LedModel(Strict):
    """How to light a control: which message, which values mean on and off."""

    kind: LedKind = "cc"
    """``cc`` / ``note``: send the control's own number; ``ring``: send the value as a CC."""
    on: int = Field(127, ge=0, le=127)
    """Value (CC) or velocity (note) for on; palette index on APC/Launch Control pads."""
    off: int = Field(0, ge=0, le=127)
    channel: int | None = Field(None, ge=1, le=16)
    """Channel for the LED message (APC mini mk2: the channel sets brightness/blink)."""


class ControlModel(Strict):
    """A named physical control; a list of numbers makes ``name1``, ``name2``..."""

    cc: int | list[int] | None = None
    cc14: int | list[int] | None = None
    """14-bit CC pair: the MSB number (0-31); the LSB is that number + 32."""
    note: int | list[int] | None = None
    nrpn: int | list[int] | None = None
    pitchbend: bool = False
    channel: int | None = Field(None, ge=1, le=16)
    button: bool = False
    """A button (sends press/release) rather than a fader or knob."""
    encoder: Encoder | None = None
    """A relative encoder and its encoding (None: absolute)."""
    led: LedKind | LedModel | None = None
    doc: str = ""

    @pydantic.model_validator(mode="after")
    def _one_kind(self) -> ControlModel:
        kinds = [k for k in ("cc", "cc14", "note", "nrpn") if getattr(self, k) is not None]
        if self.pitchbend:
            kinds.append("pitchbend")
        if len(kinds) != 1:
            raise ValueError("give exactly one of cc, cc14, note, nrpn, pitchbend = true")
        return self


class TargetModel(Strict):
    """One thing a control moves; a macro binding has several, each with its own shape."""

    param: str | None = None
    action: str | None = None
    arg: Value | None = None
    """Argument passed to the action (``cue.goto``: a scene number or name)."""
    value: Value | None = None
    """What a press writes (radio buttons, press/release on a parameter)."""
    range: tuple[Value, Value] | None = None
    """Native values at the bottom and top of the control (enums: choice names)."""
    invert: bool | None = None
    curve: Curve | None = None
    steps: int | None = Field(None, ge=2, le=16384)
    smoothing: float | None = Field(None, ge=0.0, le=30.0)
    takeover: Takeover | None = None

    @pydantic.model_validator(mode="after")
    def _one_target(self) -> TargetModel:
        if (self.param is None) == (self.action is None):
            raise ValueError("give exactly one of param or action")
        return self


class BindModel(TargetModel):
    """One ``[[bind]]`` table: a source control and one target (or ``targets``)."""

    control: str | None = None
    cc: int | None = Field(None, ge=0, le=127)
    cc14: int | None = Field(None, ge=0, le=31)
    note: int | None = Field(None, ge=0, le=127)
    nrpn: int | None = Field(None, ge=0, le=16383)
    pitchbend: bool = False
    osc: str | None = None
    channel: int | None = Field(None, ge=1, le=16)

    targets: list[TargetModel] | None = None
    """A macro: several targets moved by one control."""
    button: Button | None = None
    group: str | None = None
    """Radio group name (buttons in a group light one at a time)."""
    threshold: float = Field(0.5, gt=0.0, le=1.0)
    """A CC button counts as pressed at or above this (0..1)."""
    deadzone: float = Field(0.0, ge=0.0, lt=0.5)
    """Snap this much of the travel at each end to the end value (noisy pots)."""
    encoder: Encoder | None = None
    sensitivity: float = Field(1.0, gt=0.0, le=100.0)
    """Encoder: one tick moves 1/127 of the range times this."""
    acceleration: float = Field(0.0, ge=0.0, le=20.0)
    """Encoder: fast turns (ticks < 100 ms apart) move up to (1 + this) times further."""
    input: tuple[float, float] | None = None
    """OSC: the sender's range (default 0..1), mapped onto the bottom..top of ``range``."""
    page: str | None = None
    """Only on this page (see ``[layout] pages``); None: on every page."""
    shift: bool = False
    """Only while the layout's shift control is held."""

    @pydantic.model_validator(mode="after")
    def _one_target(self) -> BindModel:  # type: ignore[override]
        # ``is``, not ``in (None, False)``: 0 == False, and CC 0 / note 0 are real sources
        given = [
            k for k in SOURCE_KEYS if getattr(self, k) is not None and getattr(self, k) is not False
        ]
        if len(given) != 1:
            raise ValueError(
                'give exactly one source: control = "name", or cc, cc14, note, nrpn, '
                f'pitchbend = true, osc = "/address" (got {", ".join(given) or "none"})'
            )
        has_single = self.param is not None or self.action is not None
        if has_single == (self.targets is not None):
            raise ValueError("give exactly one of param, action or targets = [...]")
        if self.param is not None and self.action is not None:
            raise ValueError("give param or action, not both (use targets for a macro)")
        return self


class LayoutModel(Strict):
    pages: list[str] = Field(default_factory=list)
    """Page names; bindings with ``page = "name"`` are live only on that page."""
    next_page: str | None = None
    """Control that moves to the next page."""
    prev_page: str | None = None
    shift: str | None = None
    """Control that, while held, selects the bindings with ``shift = true``."""


class LedRuleModel(Strict):
    """An LED that shows something other than its own binding."""

    control: str
    follows: str | None = None
    """Lit while this control's binding is in control (picked up), off while it waits."""
    param: str | None = None
    above: float | None = Field(None, ge=0.0, le=1.0)
    """Lit while ``param`` (0..1 of its range) is above this."""
    equals: Value | None = None
    """Lit while ``param`` equals this value."""

    @pydantic.model_validator(mode="after")
    def _one_rule(self) -> LedRuleModel:
        if (self.follows is None) == (self.param is None):
            raise ValueError('give exactly one of follows = "control" or param = "name"')
        if self.param is not None and (self.above is None) == (self.equals is None):
            raise ValueError("with param, give exactly one of above = 0.5 or equals = value")
        return self


class DeviceModel(Strict):
    name: str
    """Shown in the UI and in messages."""
    kind: Literal["midi", "osc"] = "midi"
    match: str | None = None
    """MIDI port name pattern: case-insensitive, ALSA ``client:port`` numbers and Windows
    index suffixes ignored; the longest matching pattern wins a port."""
    output: str | None = None
    """Port pattern for LED feedback (default: ``match``; ``""``: no feedback)."""
    channel: int = Field(1, ge=1, le=16)
    """Default MIDI channel of the controls."""
    setup: list[str] = Field(default_factory=list)
    """Things to do on the hardware once (shown by ``perform ports`` and ``check``)."""

    @pydantic.model_validator(mode="after")
    def _match_for_midi(self) -> DeviceModel:
        if self.kind == "midi" and not self.match:
            raise ValueError('a MIDI device needs match = "part of its port name"')
        return self


class MappingFile(Strict):
    profile: str | None = None
    """Reuse another file's [device], [controls], [layout] and [[led]] (not its bindings):
    a shipped profile name (``"nanokontrol2"``) or a path relative to this file."""
    device: DeviceModel | None = None
    controls: dict[str, ControlModel] = Field(default_factory=dict)
    layout: LayoutModel = LayoutModel()
    led: list[LedRuleModel] = Field(default_factory=list, max_length=MAX_ENTRIES)
    bind: list[BindModel] = Field(default_factory=list, max_length=MAX_ENTRIES)

    @pydantic.model_validator(mode="after")
    def _device_or_profile(self) -> MappingFile:
        if self.device is None and self.profile is None:
            raise ValueError('a mapping file needs a [device] table or profile = "name"')
        return self
