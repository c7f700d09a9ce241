"""Response shaping: control position (0..1) -> the value a target receives, and back.

Two spaces are involved:

* ``x``, the control's position: 0..1 as the hardware reports it;
* ``y``, the target's position: 0..1 across the binding's ``range``.

:meth:`Shape.forward` goes from x to y (deadzone, invert, curve, steps);
:meth:`Shape.value` turns y into the parameter's native value; :meth:`Shape.position`
is its inverse, used by takeover and relative encoders to know where a parameter is
"on this control". Curves are the shared ones in :mod:`perform.curves`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from perform import curves
from perform.params import ParamSpec


def curve_inverse(curve: str, y: float) -> float:
    """The x with ``curves.shape(curve, x) == y`` (all curves are monotonic)."""
    y = 0.0 if y <= 0.0 else 1.0 if y >= 1.0 else y
    if curve == "exponential":
        return curves.logarithmic(y)
    if curve == "logarithmic":
        return curves.exponential(y)
    if curve == "s-curve":
        return 0.5 - math.sin(math.asin(1.0 - 2.0 * y) / 3.0)
    return y


def clamp01(x: float) -> float:
    return 0.0 if x <= 0.0 else 1.0 if x >= 1.0 else x


@dataclass(frozen=True, slots=True)
class Shape:
    """How one target responds to its control."""

    spec: ParamSpec | None
    """None for an action target (only button presses reach it)."""
    lo: float = 0.0
    """Bottom of the range: a native value, or a choice index for enums."""
    hi: float = 1.0
    invert: bool = False
    curve: str = "linear"
    deadzone: float = 0.0
    steps: int | None = None

    @classmethod
    def for_spec(
        cls, spec: ParamSpec | None, range_: tuple[Any, Any] | None = None, **kw: Any
    ) -> Shape:
        """Resolve ``range`` against the spec (enum ranges are choice names or indexes)."""
        if spec is None:
            return cls(None, **kw)
        if spec.kind == "enum":
            top = max(0, len(spec.choices) - 1)
            if range_ is None:
                return cls(spec, 0.0, float(top), **kw)
            lo, hi = (_choice_index(spec, v) for v in range_)
            return cls(spec, float(lo), float(hi), **kw)
        if range_ is None:
            return cls(spec, spec.min, spec.max, **kw)
        return cls(spec, float(range_[0]), float(range_[1]), **kw)

    # --- x <-> y ------------------------------------------------------------------------
    def forward(self, x: float, *, deadzone: bool = True) -> float:
        x = clamp01(x)
        if deadzone and self.deadzone > 0.0:
            x = clamp01((x - self.deadzone) / (1.0 - 2.0 * self.deadzone))
        if self.invert:
            x = 1.0 - x
        y = curves.shape(self.curve, x)
        return self.quantize(y)

    def backward(self, y: float) -> float:
        """The control position x that gives ``y`` (undoes curve and invert)."""
        x = curve_inverse(self.curve, y)
        return 1.0 - x if self.invert else x

    def quantize(self, y: float) -> float:
        if self.steps:
            return round(y * (self.steps - 1)) / (self.steps - 1)
        return y

    # --- y <-> native value ---------------------------------------------------------------
    def value(self, y: float) -> Any:
        """The native value at position ``y`` (coerced and clamped by the spec)."""
        spec = self.spec
        if spec is None:
            return y
        native = self.lo + clamp01(y) * (self.hi - self.lo)
        if spec.kind == "enum":
            if not spec.choices:
                return spec.default
            return spec.choices[int(min(len(spec.choices) - 1, max(0, round(native))))]
        return spec.coerce(native)

    def position(self, value: Any) -> float:
        """Where ``value`` sits on this target's range (0..1, clamped)."""
        spec = self.spec
        if spec is None:
            return 0.0
        if spec.kind == "enum":
            native = float(spec.choices.index(value)) if value in spec.choices else 0.0
        else:
            try:
                native = float(value)
            except (TypeError, ValueError):
                return 0.0
        span = self.hi - self.lo
        if span == 0:
            return 0.0
        return clamp01((native - self.lo) / span)


def _choice_index(spec: ParamSpec, value: Any) -> int:
    if isinstance(value, str):
        return spec.choices.index(value)
    return int(value)
