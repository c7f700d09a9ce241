"""Small worlds and preset parameters for engine tests."""

from __future__ import annotations

import importlib.util
import threading
from typing import Any

import pytest

from engines import ENGINES, Engine, Organism, cpu, get_preset, numpy_backend, preset_values

HAS_NUMBA = importlib.util.find_spec("numba") is not None
COMPILE_S = 900
"""The first compile on a fresh clone of a busy two-core machine took half a minute; the
tests that use the kernels wait for it (and only they), with room to spare."""


def fresh_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    """engines.cpu as a new process finds it, with the kernels allowed (tests/conftest.py
    turns them off for every other test)."""
    monkeypatch.setenv("PERFORM_NUMBA", "1")
    monkeypatch.setattr(cpu, "_done", threading.Event())
    monkeypatch.setattr(cpu, "_stop", threading.Event())
    monkeypatch.setattr(cpu, "_thread", None)
    monkeypatch.setattr(cpu, "_kernels", None)
    monkeypatch.setattr(cpu, "_reason", None)


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
