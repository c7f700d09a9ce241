"""Events as a controller would send them."""

from __future__ import annotations

from perform.mapping import ControlEvent

DEVICE = "testbox"


def cc(number: int, value: int, channel: int = 0, at: float = 0.0) -> ControlEvent:
    return ControlEvent(DEVICE, ("cc", channel, number), value / 127, value, None, at)


def note(number: int, velocity: int, channel: int = 0) -> ControlEvent:
    return ControlEvent(DEVICE, ("note", channel, number), velocity / 127, velocity, velocity > 0)


def osc(address: str, *args: object) -> ControlEvent:
    value = float(args[0]) if args and isinstance(args[0], int | float) else 0.0
    return ControlEvent("127.0.0.1:5000", ("osc", address), value, 0, None, 0.0, tuple(args))
