"""Fixtures for the live-input tests: one private JACK server for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from perform.inputs.jackd import JackServer
from tests.jack import VirtualController, jack_server


@pytest.fixture(scope="session")
def jack() -> Iterator[JackServer]:
    with jack_server() as server:
        yield server


@pytest.fixture
def controllers(jack: JackServer) -> Iterator[list[VirtualController]]:
    """Virtual controllers made in a test are unplugged after it."""
    made: list[VirtualController] = []
    yield made
    for controller in made:
        controller.unplug()
