"""Fixtures for the mapping tests: the real parameter store and a mapping writer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from engines import all_params, presets
from perform.mapping import DeviceMapping, Mapper, load_mapping
from perform.params import ParamStore
from perform.registry import build_store


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> ParamStore:
    store = build_store(presets(), "medusa", all_params(), clock=clock)
    calls: list[tuple[str, object, str]] = []
    for name in store.actions.names():
        store.actions.bind(name, lambda arg, source, name=name: calls.append((name, arg, source)))
    store.calls = calls  # type: ignore[attr-defined]
    return store


HEADER = '[device]\nname = "Test"\nmatch = "testbox"\n\n'


@pytest.fixture
def load(tmp_path: Path, store: ParamStore) -> Callable[..., DeviceMapping]:
    def load(text: str, header: str = HEADER, name: str = "test.toml") -> DeviceMapping:
        path = tmp_path / name
        path.write_text(header + text, encoding="utf-8")
        return load_mapping(path, store, mappings_dir=tmp_path)

    return load


@pytest.fixture
def mapper(store: ParamStore, load) -> Callable[[str], Mapper]:
    def make(text: str, header: str = HEADER) -> Mapper:
        device = load(text, header)
        return Mapper(store, {device.id: device})

    return make
