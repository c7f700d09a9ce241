"""Cellular-automata engines: pure step/render objects over numpy or cupy.

Importable without the app: nothing here imports ``perform``, a UI or an I/O library.
"""

from engines.base import Engine, ParamDecl
from engines.catalog import ENGINES, Preset, PresetError, all_params, get_preset, presets
from engines.xp import Backend, numpy_backend, select_backend

__all__ = [
    "ENGINES",
    "Backend",
    "Engine",
    "ParamDecl",
    "Preset",
    "PresetError",
    "all_params",
    "get_preset",
    "numpy_backend",
    "presets",
    "select_backend",
]
