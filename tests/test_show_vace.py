"""A VACE show, headless, against the Scope test double: uploads, paths, the scale ride.

Two runs of the same show on the same server: each distinct image is uploaded once in
all (the second run finds them in Scope's asset list), every scene sends the server-side
paths Scope returned (``[]`` clears), and ``vace_scale`` glides like any parameter and
ends on its target. A pipeline whose schema says ``supports_vace = false`` is refused.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engines import numpy_backend
from perform.build import RunOptions, build_session
from perform.config import AppConfig
from perform.events import NOTICE
from perform.headless import run_headless
from perform.show import SetlistRunner
from tests.scope_double import ScopeDouble
from tests.scope_double.assets import ASSETS_DIR

IMAGES = Path(__file__).resolve().parent.parent / "setlists" / "vace"

SHOW = """
[show]
name = "VACE show"
bpm = 240

[scope]
pipeline = "{pipeline}"
height = 128
width = 128

[[scenes]]
name = "Glow"
preset = "medusa"
prompt = "a jellyfish"
vace_images = ["refs/glow.png"]
vace_scale = 0.6
transition = {{ beats = 1 }}
hold = "2 bars"

[[scenes]]
name = "Coral"
prompt = "a coral reef"
vace_images = ["refs/coral.png", "refs/glow.png"]
vace_scale = 1.4
transition = {{ beats = 8, curve = "linear" }}
hold = "2 bars"  # Scope merges one update per chunk: on a loaded machine a chunk can take
# longer than a beat, and the ride's last value must land before Plain's first is merged

[[scenes]]
name = "Plain"
prompt = "the open sea"
vace_images = []
vace_scale = 0.2
transition = {{ beats = 2 }}
hold = "4 bars"  # long enough for the last value to land before the show ends
"""


def write_show(tmp_path: Path, pipeline: str) -> Path:
    refs = tmp_path / "refs"
    refs.mkdir(exist_ok=True)
    for name in ("glow.png", "coral.png"):
        shutil.copy(IMAGES / name, refs / name)
    show = tmp_path / "show.toml"
    show.write_text(SHOW.format(pipeline=pipeline))
    return show


def config(url: str) -> AppConfig:
    return AppConfig.model_validate(
        {
            "stream": {"width": 128, "height": 128, "fps": 30},
            "engine": {"world": 128, "warmup": 0.5},
            "midi": {"auto_profiles": False},
            "osc": {"enabled": False},
            "scope": {"url": url, "first_frame_seconds": 20.0},
        }
    )


async def play(double: ScopeDouble, show: Path) -> tuple[list, object]:
    session = build_session(
        config(double.url), RunOptions(setlist=show, headless=True), backend=numpy_backend()
    )
    notices: list = []
    session.events.subscribe(NOTICE, notices.append)
    lines: list[str] = []
    assert await run_headless(session, seconds=60, out=lines.append) == 0
    assert any("finished" in line for line in lines), lines
    return notices, session.component(SetlistRunner)


@pytest.mark.slow
async def test_a_vace_show_uploads_once_sends_server_paths_and_glides_the_scale(tmp_path):
    double = ScopeDouble(frames_per_chunk=4)
    await double.start()
    try:
        show = write_show(tmp_path, "longlive")
        for run in range(2):
            notices, runner = await play(double, show)
            assert not [n for n in notices if n.severity != "information"], notices
            # Two distinct images in all, uploaded by the first run only.
            assert len(double.files.uploads) == 2, double.files.uploads
            assert double.loader.instances["longlive"].load_params["vace_enabled"] is True

            glow, coral = (
                next(a.info()["path"] for a in double.files.assets.values() if a.data == data)
                for data in (
                    (IMAGES / "glow.png").read_bytes(),
                    (IMAGES / "coral.png").read_bytes(),
                )
            )
            assert glow.startswith(f"{ASSETS_DIR}/perform/") and glow != coral
            scope = double.sessions[run]
            assert scope.processor.ref_images == [[glow], [coral, glow], []]

            taken = {runner.setlist.scenes[i].name: t for t, i in runner.sequencer.taken}
            updates = list(zip(scope.processor.applied_at, scope.processor.applied, strict=True))
            scales = [(t, u["vace_context_scale"]) for t, u in updates if "vace_context_scale" in u]
            after = [s for t, s in scales if t >= taken["Coral"]]
            # The ride up, until Plain turns it down (Coral's last value may land just after
            # Plain is taken: Scope merges one update per chunk).
            turn = next((i for i in range(1, len(after)) if after[i] < after[i - 1]), len(after))
            coral_ride = after[:turn]
            # It glides: several steps on the way up, never down, ending on the target.
            assert len(coral_ride) >= 3, coral_ride
            assert all(b >= a for a, b in zip(coral_ride, coral_ride[1:], strict=False))
            assert 0.6 < coral_ride[0] < 1.4 and coral_ride[-1] == pytest.approx(1.4)
            assert scope.parameters["vace_context_scale"] == pytest.approx(0.2)
        assert len(double.files.uploads) == 2  # the rerun uploaded nothing
    finally:
        await double.stop()


@pytest.mark.slow
async def test_a_pipeline_without_vace_is_refused_at_load_and_nothing_is_uploaded(tmp_path):
    double = ScopeDouble()
    await double.start()
    try:
        notices, _ = await play(double, write_show(tmp_path, "passthrough"))
        refused = [n for n in notices if n.title == "VACE refused"]
        assert len(refused) == 1 and refused[0].severity == "error"
        assert "passthrough has no VACE support" in refused[0].message
        assert double.files.uploads == []
        assert double.sessions and all(s.processor.ref_images == [] for s in double.sessions)
        assert double.sessions[0].frames_sent > 0  # the show itself went on
    finally:
        await double.stop()


@pytest.mark.slow
def test_the_shipped_vace_demo_runs_headless_against_the_double(tmp_path):
    from tests.helpers import run_perform
    from tests.scope_double.threaded import ThreadedScopeDouble

    demo = IMAGES.parent / "vace-demo.toml"
    config = tmp_path / "perform.toml"
    config.write_text(
        "[engine]\nworld = 128\nwarmup = 0.5\n[stream]\nwidth = 128\nheight = 128\n"
        "[midi]\nauto_profiles = false\n[osc]\nenabled = false\n"
    )
    with ThreadedScopeDouble(frames_per_chunk=4) as td:
        result = run_perform(
            "--config", str(config), "run", str(demo), "--headless", "--bpm", "300",
            "--scope", td.url, timeout=240,
        )  # fmt: skip
        uploads = td.call(lambda d: list(d.files.uploads))
        refs = td.call(lambda d: [s.processor.ref_images for s in d.sessions])
        paths = td.call(lambda d: {a.data: a.info()["path"] for a in d.files.assets.values()})
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "ERROR" not in result.stderr, result.stderr
    assert "scene 2: Coral" in result.stdout, result.stdout
    assert len(uploads) == 2
    glow, coral = (paths[(IMAGES / n).read_bytes()] for n in ("glow.png", "coral.png"))
    # One stream normally; a reconnect on a loaded machine re-sends the scene's images.
    sent = [images for session in refs for images in session]
    assert sent[0] == [glow] and sent[-1] == [coral] and [coral] in sent
    assert all(images in ([glow], [coral]) for images in sent)
