"""The engine tests' fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engines import cpu
from tests.engines.helpers import COMPILE_S, HAS_NUMBA, fresh_loader


@pytest.fixture
def kernels(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The Numba kernels loaded (compiled on the first run after an install, else from the
    cache), for the tests that compare them or need their speed for a long show."""
    if not HAS_NUMBA:
        pytest.skip("Numba is not installed")
    fresh_loader(monkeypatch)
    assert cpu.wait(COMPILE_S), cpu.reason()
    yield
