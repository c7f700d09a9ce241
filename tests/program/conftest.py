"""A private X server for the stage-window tests (Xvfb + Mesa llvmpipe).

Without Xvfb the tests that need it are skipped with the reason, unless
``PERFORM_REQUIRE_DISPLAY=1`` (set by ``.ci/run``): then they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from perform.program.window.xvfb import Xvfb, XvfbUnavailable, private_xvfb
from tests.scope_double.fixture import scope_double  # noqa: F401  (pytest fixture)


def require_display(reason: str) -> None:
    if os.environ.get("PERFORM_REQUIRE_DISPLAY") == "1":
        pytest.fail(f"{reason} (PERFORM_REQUIRE_DISPLAY=1: an X server is required here)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def xserver() -> Iterator[Xvfb]:
    """One 1920x1080 Xvfb per test module; DISPLAY points at it meanwhile."""
    try:
        with private_xvfb(1920, 1080) as server:
            yield server
    except XvfbUnavailable as exc:
        require_display(str(exc))
