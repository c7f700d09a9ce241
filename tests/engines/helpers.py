"""Small worlds and preset parameters for engine tests."""

from __future__ import annotations

from typing import Any

from engines import ENGINES, Engine, Organism, get_preset, numpy_backend, preset_values


def params(key: str, **over: Any) -> dict[str, Any]:
    """A preset's full parameter set (as the store would hold it) with overrides."""
    return {"master.fade": 1.0, **preset_values(key), **over}


def engine_for(key: str, world: int = 64, seed: int = 1) -> Engine:
    spec = get_preset(key)
    cls = ENGINES[spec.engine]
    return cls(numpy_backend(), world, seed, seed_spec=spec.seed, params=params(key))


def organism_for(key: str, world: int = 64, seed: int = 1) -> Organism:
    spec = get_preset(key)
    return Organism(
        numpy_backend(), spec.engine, world, seed, spec.seed, params=params(key), background=False
    )


#: One preset per engine (the ones the tests use to exercise each rule).
ONE_PER_ENGINE = {
    "lenia": "coral",
    "smoothlife": "sl_gliders",
    "mnca": "mnca_soliton",
    "gray_scott": "medusa",
    "life": "classic_life",
    "excitable": "spiral",
    "cyclic": "whirlpool",
}
