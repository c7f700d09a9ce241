"""Response shaping: range, invert, curve (and its inverse), deadzone, steps, enums."""

from __future__ import annotations

import pytest

from perform.curves import CURVES, shape
from perform.mapping.shape import Shape, curve_inverse
from perform.params import ParamSpec

SPEC = ParamSpec("x.y", min=0.0, max=10.0, default=5.0)
ENUM = ParamSpec("x.mode", "enum", default="a", choices=("a", "b", "c", "d"))


@pytest.mark.parametrize("curve", CURVES)
def test_curve_inverse_round_trips(curve):
    for i in range(11):
        y = i / 10
        assert shape(curve, curve_inverse(curve, y)) == pytest.approx(y, abs=1e-9)


def test_range_invert_curve_steps():
    plain = Shape.for_spec(SPEC, (2.0, 4.0))
    assert plain.value(plain.forward(0.0)) == 2.0 and plain.value(plain.forward(1.0)) == 4.0
    inverted = Shape.for_spec(SPEC, None, invert=True)
    assert inverted.value(inverted.forward(0.0)) == 10.0
    expo = Shape.for_spec(SPEC, None, curve="exponential")
    assert expo.forward(0.5) < 0.2  # slow start: fine control at the bottom
    stepped = Shape.for_spec(SPEC, None, steps=5)
    assert [stepped.value(stepped.forward(x)) for x in (0.0, 0.1, 0.2, 0.6, 1.0)] == [
        0,
        0,
        2.5,
        5,
        10,
    ]
    reversed_range = Shape.for_spec(SPEC, (10.0, 0.0))
    assert reversed_range.value(0.25) == 7.5 and reversed_range.position(7.5) == 0.25


def test_deadzone_snaps_the_ends():
    shape_ = Shape.for_spec(SPEC, None, deadzone=0.05)
    assert shape_.forward(0.03) == 0.0 and shape_.forward(0.97) == 1.0
    assert shape_.forward(0.5) == pytest.approx(0.5)


def test_enum_spread_and_named_range():
    full = Shape.for_spec(ENUM)
    assert [full.value(y) for y in (0.0, 0.34, 0.67, 1.0)] == ["a", "b", "c", "d"]
    part = Shape.for_spec(ENUM, ("b", "c"))
    assert part.value(0.0) == "b" and part.value(1.0) == "c" and part.position("c") == 1.0


def test_position_is_the_inverse_of_value():
    s = Shape.for_spec(SPEC, (2.0, 6.0), curve="s-curve")
    for y in (0.0, 0.3, 0.5, 1.0):
        assert s.position(s.value(y)) == pytest.approx(y)
        assert s.forward(s.backward(y), deadzone=False) == pytest.approx(y)
