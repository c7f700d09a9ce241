"""A text-only show (``[scope] input_mode = "text"``): no input track, prompts only.

Against the double: the stream opens in text mode with no video track at all (Scope
receives no frame), scenes switch prompts as transitions, and the TUI says so.
"""

from __future__ import annotations

import pytest

from engines import numpy_backend
from perform.build import RunOptions, build_session
from perform.config import AppConfig
from perform.events import NOTICE
from perform.headless import run_headless
from perform.tui.app import PerformApp
from perform.tui.screens.live import TEXT_ONLY_NOTE
from tests.conftest import small_config
from tests.scope_double import ScopeDouble

SHOW = """
[show]
name = "Words only"
bpm = 240

[scope]
pipeline = "longlive"
input_mode = "text"
height = 128
width = 128

[[scenes]]
name = "Sea"
prompt = "a calm sea at dawn"
transition = { beats = 1 }
hold = "4 bars"

[[scenes]]
name = "Storm"
prompt = "a storm over the sea"
transition = { beats = 4 }
hold = "8 beats"
"""


@pytest.mark.slow
async def test_a_text_only_show_streams_without_an_input_track(tmp_path):
    show = tmp_path / "show.toml"
    show.write_text(SHOW)
    double = ScopeDouble()
    await double.start()
    try:
        config = AppConfig.model_validate(
            {
                "stream": {"width": 128, "height": 128, "fps": 30},
                "engine": {"world": 128, "warmup": 0.5},
                "midi": {"auto_profiles": False},
                "osc": {"enabled": False},
                "scope": {"url": double.url, "first_frame_seconds": 20.0},
            }
        )
        session = build_session(
            config, RunOptions(setlist=show, headless=True), backend=numpy_backend()
        )
        notices: list = []
        session.events.subscribe(NOTICE, notices.append)
        lines: list[str] = []
        assert await run_headless(session, seconds=60, out=lines.append) == 0
        assert any("finished" in line for line in lines), lines
        assert not [n for n in notices if n.severity != "information"], notices
        assert len(double.sessions) == 1  # never switched to video on the way
        scope = double.sessions[0]
        assert scope.input_mode == "text"
        assert scope.frames_received == 0 and scope.frames_sent > 0  # no organism frames
        targets = [
            [p["text"] for p in u["transition"]["target_prompts"]]
            for u in scope.processor.applied
            if isinstance(u.get("transition"), dict)
        ]
        assert ["a storm over the sea"] in targets
        assert "noise_scale" not in scope.parameters
    finally:
        await double.stop()


async def test_the_live_screen_says_a_show_is_text_only(tmp_path):
    show = tmp_path / "show.toml"
    show.write_text(SHOW)
    session = build_session(small_config(), RunOptions(setlist=show), backend=numpy_backend())
    assert session.store.get("scope.input_mode") == "text"
    app = PerformApp(session, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        note = app.screen.query_one("#mode-note")
        assert note.display and str(note.render()) == TEXT_ONLY_NOTE
        session.store.apply("scope.input_mode", "video", "tui")
        app.screen.update_status()
        assert not note.display
