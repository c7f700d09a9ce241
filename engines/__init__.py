"""Cellular-automata engines: pure step/render objects over numpy or cupy.

Importable without the app: nothing here imports ``perform``, a UI or an I/O library.
:class:`~engines.organism.Organism` wraps one engine with everything that makes it a
living picture (flows, containment, breathing, regulation, colour).
"""

from engines.base import Engine, ParamDecl
from engines.catalog import (
    ENGINES,
    Preset,
    PresetError,
    all_params,
    get_preset,
    preset_values,
    presets,
)
from engines.color import Picture
from engines.organism import Organism
from engines.seeds import SeedSpec
from engines.xp import Backend, numpy_backend, select_backend

__all__ = [
    "ENGINES",
    "Backend",
    "Engine",
    "Organism",
    "ParamDecl",
    "Picture",
    "Preset",
    "PresetError",
    "SeedSpec",
    "all_params",
    "get_preset",
    "numpy_backend",
    "preset_values",
    "presets",
    "select_backend",
]
