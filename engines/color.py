"""Colour: cosine palettes (a + b*cos(2*pi*(c*t + d))) folded into small lookup tables."""

from __future__ import annotations

from typing import Any

import numpy

from engines.base import ParamDecl

#: The prototype's named palettes: (a, b, c, d) per RGB channel.
PALETTES: dict[str, tuple[tuple[float, float, float], ...]] = {
    "oil_slick": ((0.50, 0.50, 0.50), (0.50, 0.50, 0.50), (2.0, 2.0, 2.0), (0.00, 0.33, 0.67)),
    "cuttlefish": ((0.50, 0.50, 0.50), (0.50, 0.50, 0.50), (2.5, 1.8, 2.2), (0.00, 0.25, 0.55)),
    "bioluminescent": ((0.45, 0.52, 0.55), (0.50, 0.45, 0.42), (2.2, 1.6, 2.0), (0.08, 0.30, 0.55)),
    "deep_coral": ((0.52, 0.45, 0.48), (0.48, 0.42, 0.45), (2.0, 2.5, 1.8), (0.00, 0.28, 0.55)),
}


def palette_rgb(palette: str, t: numpy.ndarray, hue: float = 0.0) -> numpy.ndarray:
    """Evaluate a palette at ``t`` (any shape) -> ``t.shape + (3,)`` floats in [0, 1]."""
    a, b, c, d = (numpy.asarray(v, dtype=numpy.float32) for v in PALETTES[palette])
    phase = 2 * numpy.pi * (c * t[..., None] + d + hue)
    return numpy.clip(a + b * numpy.cos(phase), 0.0, 1.0)


class DensityLut:
    """A 256-entry RGB table over density: colour by palette, opacity ``v ** 0.85``.

    Rebuilt only when palette, hue or brightness change (about 0.1 ms), so colouring a
    frame is a single gather.
    """

    def __init__(self, xp: Any) -> None:
        self.xp = xp
        self._key: tuple[str, float, float] | None = None
        self.table: Any = None

    def get(self, palette: str, hue: float, brightness: float) -> Any:
        key = (palette, round(float(hue), 4), round(float(brightness), 3))
        if key != self._key:
            v = numpy.linspace(0.0, 1.0, 256, dtype=numpy.float32)
            rgb = palette_rgb(palette, v, key[1]) * (v**0.85)[:, None] * key[2]
            table = numpy.clip(rgb * 255.0 + 0.5, 0, 255).astype(numpy.uint8)
            self.table = self.xp.asarray(table)
            self._key = key
        return self.table


#: Render parameters shared by every engine (safe to jump: they only touch the colour table).
COLOR_PARAMS = (
    ParamDecl(
        "color.palette", "oil_slick", kind="enum", choices=tuple(PALETTES), doc="Cosine palette."
    ),
    ParamDecl("color.hue", 0.0, 0.0, 1.0, doc="Rotates the palette (wraps around seamlessly)."),
    ParamDecl("color.brightness", 1.0, 0.1, 3.0, doc="Overall gain of the colour table."),
)
