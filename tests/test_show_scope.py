"""A whole show, headless, against the Scope test double: what Scope received, and when.

The show runs at 240 bpm on the real clock, streams the organism over WebRTC, sends each
scene's prompt as a Scope transition as long as the scene's, and rides a LoRA scale
within the link's rate limit. The double timestamps every update it merges.
"""

from __future__ import annotations

import pytest

from engines import numpy_backend
from perform.build import RunOptions, build_session
from perform.config import AppConfig
from perform.events import NOTICE
from perform.headless import run_headless
from perform.show import SetlistRunner
from tests.scope_double import ScopeDouble

SHOW = """
[show]
name = "Scope show"
bpm = 240

[scope]
pipeline = "longlive"
height = 128
width = 128
lora_merge_mode = "runtime_peft"

[[scope.loras]]
name = "arcane"
path = "{arcane}"
scale = 0.0

[[scenes]]
name = "Storm"
preset = "medusa"
prompt = "a storm over the sea"
loras = {{ arcane = 0.4 }}
transition = {{ beats = 1 }}
hold = "4 bars"

[[scenes]]
name = "City"
preset = "labyrinth"
prompt = "a neon city at night"
loras = {{ arcane = 1.0 }}
transition = {{ beats = 8, curve = "linear" }}
hold = "2 beats"

[[scenes]]
name = "Forest"
prompt = "a deep green forest | moss :: 0.5"
loras = {{ arcane = 0.0 }}
transition = {{ beats = 4 }}
hold = "4 beats"
"""


def texts(prompts) -> list[str]:
    return [p["text"] for p in prompts or []]


@pytest.mark.slow
async def test_a_headless_show_drives_scope_with_transitions_and_lora_scales(tmp_path):
    double = ScopeDouble(frames_per_chunk=4)
    await double.start()
    try:
        arcane = next(f["path"] for f in double.lora_files if "arcane" in f["path"])
        show = tmp_path / "show.toml"
        show.write_text(SHOW.format(arcane=arcane))
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
        lines: list[str] = []
        notices: list = []
        session.events.subscribe(NOTICE, notices.append)
        assert await run_headless(session, seconds=60, out=lines.append) == 0
        assert any("finished" in line for line in lines), lines
        # Per scene, when the organism and the prompt reached their targets (how close
        # they land is tests/test_transitions.py's, on a fake clock).
        for scene, seconds in (("scene 2 City", 2.0), ("scene 3 Forest", 1.0)):
            landing = next(line for line in lines if line.startswith(scene + ":"))
            assert f"transition {seconds:.2f} s; organism at target +" in landing, landing
            assert " chunks of " in landing and "apart " in landing, landing
        runner = session.component(SetlistRunner)
        taken = {runner.setlist.scenes[i].name: t for t, i in runner.sequencer.taken}
        assert list(taken) == ["Storm", "City", "Forest"]

        assert len(double.sessions) == 1  # the show's pipeline loaded once: one stream
        scope = double.sessions[0]
        assert not [n for n in notices if n.severity != "information"], notices
        processor = scope.processor
        updates = list(zip(processor.applied_at, processor.applied, strict=True))
        transitions = [
            (t, texts(u["transition"]["target_prompts"]), u["transition"]["num_steps"])
            for t, u in updates
            if isinstance(u.get("transition"), dict)
        ]
        # City and Forest arrive as transitions, in order, after their scene started
        # (Storm may already be in the stream's initial parameters).
        city = next(x for x in transitions if x[1] == ["a neon city at night"])
        forest = next(x for x in transitions if x[1] == ["a deep green forest", "moss"])
        assert city[0] >= taken["City"] and forest[0] >= taken["Forest"]
        assert city[0] < forest[0]
        # Every prompt change is a blend of at least two chunks, longer for a longer scene.
        assert all(steps >= 2 for _, _, steps in transitions)
        assert city[2] > forest[2]
        # No prompt change hard-cut the picture: the only cuts are LoRA scale updates.
        assert set(scope.cut_reasons) <= {"lora_scales"}

        # The LoRA rides: rate-limited (<= 2/s, plus the final value), rising during City.
        loras = [
            (t, item["scale"])
            for t, u in updates
            if "lora_scales" in u
            for item in u["lora_scales"]
            if item["path"] == arcane
        ]
        during_city = [(t, s) for t, s in loras if taken["City"] <= t < taken["Forest"]]
        assert len(during_city) >= 2 and during_city[-1][1] == pytest.approx(1.0)
        assert all(b >= a for (_, a), (_, b) in zip(during_city, during_city[1:], strict=False))
        gaps = [b - a for (a, _), (b, _) in zip(loras, loras[1:], strict=False)]
        assert sum(1 for g in gaps if g < 0.45) <= 2  # trailing-edge sends may come early
        assert double.loader.adapter(arcane)["scale"] == pytest.approx(0.0)  # Forest's value
    finally:
        await double.stop()
