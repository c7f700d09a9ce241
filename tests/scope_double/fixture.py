"""A pytest fixture: ``from tests.scope_double.fixture import scope_double`` in a conftest."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.scope_double import ScopeDouble


@pytest.fixture
async def scope_double() -> AsyncIterator[ScopeDouble]:
    """A started double on a free port (nothing loaded); stopped after the test."""
    double = ScopeDouble()
    await double.start()
    try:
        yield double
    finally:
        await double.stop()
