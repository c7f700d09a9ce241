"""A compiled binding: one control -> one or more targets, with its runtime state.

Bindings do not write to the store themselves: :meth:`Binding.handle` adds what should
happen to a :class:`Writes` batch, which the mapper applies in one atomic
:meth:`ParamStore.apply_many` per event batch (so a macro fader moves all of its
targets in the same snapshot), plus ramps for smoothed targets and action calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from perform.mapping.controls import ControlEvent, ControlKey
from perform.mapping.decode import decode_relative
from perform.mapping.shape import Shape, clamp01
from perform.mapping.takeover import TakeoverState
from perform.params import ParamStore

Mode = Literal["absolute", "encoder", "button"]

ACCEL_WINDOW = 0.1
"""Encoder ticks closer than this (seconds) count as a fast turn."""


@dataclass
class Target:
    name: str
    action: bool
    shape: Shape
    arg: Any = None
    value: Any = None
    """What a press writes (None: the top of the range)."""
    smoothing: float = 0.0
    takeover: TakeoverState = field(default_factory=lambda: TakeoverState("jump"))

    @property
    def trigger(self) -> bool:
        return self.shape.spec is not None and self.shape.spec.kind == "trigger"


@dataclass
class Writes:
    """What one batch of control events asks of the store and the action registry."""

    values: dict[str, Any] = field(default_factory=dict)
    ramps: dict[str, tuple[Any, float]] = field(default_factory=dict)
    actions: list[tuple[str, Any]] = field(default_factory=list)
    owners: dict[str, Target] = field(default_factory=dict)

    def param(self, target: Target, value: Any) -> None:
        self.owners[target.name] = target
        if target.smoothing > 0 and not target.trigger:
            self.values.pop(target.name, None)
            self.ramps[target.name] = (value, target.smoothing)
        else:
            self.ramps.pop(target.name, None)
            self.values[target.name] = value

    def action(self, name: str, arg: Any) -> None:
        self.actions.append((name, arg))

    def __bool__(self) -> bool:
        return bool(self.values or self.ramps or self.actions)


@dataclass
class Binding:
    device: str
    key: ControlKey
    control: str
    """The control's name in the profile (``fader1``) or its description."""
    targets: list[Target]
    mode: Mode = "absolute"
    button: str | None = None
    group: str | None = None
    threshold: float = 0.5
    encoder: str | None = None
    sensitivity: float = 1.0
    acceleration: float = 0.0
    input: tuple[float, float] | None = None
    page: str | None = None
    shift: bool = False
    file: Path | None = None
    line: int | None = None
    # runtime state
    down: bool = False
    last_tick: float | None = None

    @property
    def where(self) -> str:
        if self.file is None:
            return "(learned)"
        return f"{self.file}:{self.line}" if self.line else str(self.file)

    def describe_targets(self) -> str:
        return ", ".join(t.name for t in self.targets)

    # --- events -------------------------------------------------------------------------
    def position(self, event: ControlEvent) -> float:
        """The control position x (0..1) an event carries (OSC input ranges applied)."""
        if self.input is not None and event.args:
            lo, hi = self.input
            try:
                raw = float(event.args[0])
            except (TypeError, ValueError):
                return event.value
            return clamp01((raw - lo) / (hi - lo)) if hi != lo else 0.0
        return event.value

    def handle(
        self,
        event: ControlEvent,
        x_prev: float | None,
        store: ParamStore,
        writes: Writes,
        groups: dict[tuple[str, str], Binding],
    ) -> None:
        if self.mode == "button":
            self._button(event, store, writes, groups)
        elif self.mode == "encoder":
            self._encoder(event, store, writes)
        else:
            self._absolute(self.position(event), x_prev, event.source, store, writes)

    def _absolute(
        self, x: float, x_prev: float | None, source: str, store: ParamStore, writes: Writes
    ) -> None:
        for target in (t for t in self.targets if not t.action):
            shape = target.shape
            y = shape.forward(x)
            y_prev = shape.forward(x_prev) if x_prev is not None else None
            current = _current(store, writes, target.name)
            owned = target.takeover.owned(store, target.name, source)
            y_out = target.takeover.resolve(y, y_prev, shape.position(current), owned)
            if y_out is not None:
                writes.param(target, shape.value(y_out))

    def _encoder(self, event: ControlEvent, store: ParamStore, writes: Writes) -> None:
        ticks = decode_relative(self.encoder or "twos-complement", event.raw)
        if ticks == 0:
            return
        factor = 1.0
        if self.acceleration and self.last_tick is not None:
            quick = clamp01(1.0 - (event.at - self.last_tick) / ACCEL_WINDOW)
            factor += self.acceleration * quick
        self.last_tick = event.at
        delta = ticks * self.sensitivity * factor / 127
        for target in (t for t in self.targets if not t.action):
            shape = target.shape
            current = _current(store, writes, target.name)
            y_now = shape.position(current)
            spec = shape.spec
            if spec is not None and spec.kind == "enum":
                span = abs(shape.hi - shape.lo) or 1.0
                y = clamp01(y_now + (1 if ticks > 0 else -1) / span)
            else:
                x = clamp01(shape.backward(y_now) + delta)
                y = shape.forward(x, deadzone=False)
                if shape.steps and y == shape.quantize(y_now):
                    step = 1 / (shape.steps - 1)
                    y = clamp01(shape.quantize(y_now) + (step if delta > 0 else -step))
            writes.param(target, shape.value(y))

    def _button(
        self,
        event: ControlEvent,
        store: ParamStore,
        writes: Writes,
        groups: dict[tuple[str, str], Binding],
    ) -> None:
        pressed = (
            event.pressed if event.pressed is not None else self.position(event) >= self.threshold
        )
        if event.key[0] == "osc" and not event.args:
            pressed = True  # a bare OSC message is a press (and its own release)
        elif pressed == self.down:
            return
        self.down = pressed
        if event.key[0] == "osc" and not event.args:
            self.down = False
        mode = self.button or "press"
        if mode == "press" and pressed or mode == "release" and not pressed:
            for target in self.targets:
                self._fire(target, store, writes)
        elif mode == "momentary":
            for target in self.targets:
                if not target.action:
                    on = target.value if target.value is not None else target.shape.value(1.0)
                    writes.param(target, on if pressed else target.shape.value(0.0))
                elif pressed:
                    writes.action(target.name, target.arg)
        elif mode == "toggle" and pressed:
            for target in self.targets:
                if target.action:
                    writes.action(target.name, target.arg)
                    continue
                current = _current(store, writes, target.name)
                if target.value is not None:
                    lit = current == target.value
                    writes.param(target, target.shape.value(0.0) if lit else target.value)
                else:
                    lit = target.shape.position(current) >= 0.5
                    writes.param(target, target.shape.value(0.0 if lit else 1.0))
        elif mode == "radio" and pressed:
            if self.group is not None:
                groups[(self.device, self.group)] = self
            for target in self.targets:
                self._fire(target, store, writes)

    def _fire(self, target: Target, store: ParamStore, writes: Writes) -> None:
        if target.action:
            writes.action(target.name, target.arg)
        elif target.trigger:
            writes.param(target, 1)
        else:
            writes.param(
                target, target.value if target.value is not None else target.shape.value(1.0)
            )

    # --- feedback -----------------------------------------------------------------------
    def level(self, store: ParamStore, groups: dict[tuple[str, str], Binding]) -> float:
        """What its LED should show, 0..1 (buttons: 0 or 1; faders and knobs: position)."""
        first = self.targets[0]
        if self.mode == "button":
            mode = self.button or "press"
            if mode == "radio":
                if first.action:
                    return 1.0 if groups.get((self.device, self.group or "")) is self else 0.0
                return 1.0 if store.get(first.name) == first.value else 0.0
            if mode in ("toggle", "momentary") and not first.action and not first.trigger:
                current = store.get(first.name)
                if first.value is not None:
                    return 1.0 if current == first.value else 0.0
                return 1.0 if first.shape.position(current) >= 0.5 else 0.0
            return 1.0 if self.down else 0.0
        if first.action:
            return 0.0
        return first.shape.position(store.get(first.name))


def _current(store: ParamStore, writes: Writes, name: str) -> Any:
    """The value as it will be once this batch is applied (several events in one batch)."""
    if name in writes.values:
        return writes.values[name]
    return store.get(name)
