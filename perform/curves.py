"""Response and transition curves on [0, 1] -> [0, 1], shared by mappings and ramps.

All are monotonic, map 0 to 0 and 1 to 1, and are exact inverses in pairs
(exponential <-> logarithmic); the s-curve is smoothstep.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

Curve = Literal["linear", "s-curve", "exponential", "logarithmic"]
CURVES: tuple[Curve, ...] = ("linear", "s-curve", "exponential", "logarithmic")

_K = 4.0  # steepness of the exponential pair
_EK = math.expm1(_K)


def linear(p: float) -> float:
    return p


def s_curve(p: float) -> float:
    return p * p * (3.0 - 2.0 * p)


def exponential(p: float) -> float:
    """Slow start, fast finish (fine control at the bottom of a fader)."""
    return math.expm1(_K * p) / _EK


def logarithmic(p: float) -> float:
    """Fast start, slow finish: the inverse of :func:`exponential`."""
    return math.log1p(p * _EK) / _K


_TABLE: dict[str, Callable[[float], float]] = {
    "linear": linear,
    "s-curve": s_curve,
    "exponential": exponential,
    "logarithmic": logarithmic,
}


def shape(curve: str, p: float) -> float:
    """Apply ``curve`` to ``p`` (clamped to [0, 1])."""
    p = 0.0 if p <= 0.0 else 1.0 if p >= 1.0 else p
    return _TABLE[curve](p)
