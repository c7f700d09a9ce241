"""TUI fixtures: a session whose preview holds one deterministic frame, engine stopped."""

from __future__ import annotations

import time

import pytest

from engines import get_preset, numpy_backend
from engines.gray_scott import GrayScott
from perform.render.mailbox import Frame
from perform.session import Session
from tests.conftest import small_config


def frozen_frame(width: int, height: int) -> Frame:
    engine = GrayScott(numpy_backend(), 128, seed=7)
    params = {
        **GrayScott.defaults(),
        "color.palette": "oil_slick",
        **get_preset("labyrinth").params,
    }
    for _ in range(600):
        engine.step(params)
    return Frame(engine.render(params, width, height), 1, 10.0, time.perf_counter(), 0)


@pytest.fixture
def still_session() -> Session:
    """A session for UI tests: numpy, small, with a fixed frame in the mailbox."""
    session = Session(small_config(), backend=numpy_backend())
    session.host.mailbox.put(frozen_frame(128, 128))
    return session
