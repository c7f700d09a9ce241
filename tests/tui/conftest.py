"""TUI fixtures: sessions whose previews hold one deterministic frame, engine stopped."""

from __future__ import annotations

import time
from pathlib import Path

import av
import pytest

from engines import get_preset, numpy_backend
from engines.gray_scott import GrayScott
from perform.build import RunOptions, build_session
from perform.render.mailbox import Frame
from perform.session import Session
from perform.tempo import TempoComponent
from tests.conftest import small_config
from tests.scope_double.fixture import scope_double  # noqa: F401  (pytest fixture)

SHOW = """
[show]
name = "Snapshot show"
bpm = 120
min_go_interval = 0
[[scenes]]
name = "Emergence"
notes = "Out of the dark."
preset = "medusa"
prompt = "bioluminescent jellyfish"
transition = { seconds = 0 }
[[scenes]]
name = "Labyrinth"
notes = "Ride the hue by hand."
preset = "labyrinth"
transition = { beats = 4 }
hold = "2 bars"
[[scenes]]
name = "Fade out"
params = { "master.fade" = 0.0 }
hold = "manual"
"""


def frozen_frame(width: int, height: int) -> Frame:
    engine = GrayScott(numpy_backend(), 128, seed=7)
    params = {
        **GrayScott.defaults(),
        "color.palette": "oil_slick",
        **get_preset("labyrinth").params,
    }
    for _ in range(600):
        engine.step(params)
    rgb = engine.render(params, width, height)
    yuv = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p").to_ndarray()
    # Both pictures, as the engine posts them (the program bus composes the I420 one).
    return Frame(rgb, 1, 10.0, time.perf_counter(), 0, yuv)


@pytest.fixture
def still_session() -> Session:
    """A session for UI tests: numpy, small, with a fixed frame in the mailbox."""
    session = build_session(small_config(), RunOptions(), backend=numpy_backend())
    session.host.mailbox.put(frozen_frame(128, 128))
    return session


@pytest.fixture
def show_path(tmp_path: Path) -> Path:
    path = tmp_path / "show.toml"
    path.write_text(SHOW, encoding="utf-8")
    return path


@pytest.fixture
def show_session(show_path: Path) -> Session:
    session = build_session(small_config(), RunOptions(setlist=show_path), backend=numpy_backend())
    session.host.mailbox.put(frozen_frame(128, 128))
    return session


@pytest.fixture
def quiet_tempo(monkeypatch):
    """No beat ticks: the beat counter stays where it started (snapshots)."""
    monkeypatch.setattr(TempoComponent, "_schedule_beat", lambda self: None)
