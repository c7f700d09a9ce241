"""The tempo and setlist components on a real event loop, and the show from the CLI."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import pytest

from engines import numpy_backend
from perform.build import RunOptions, build_session
from perform.config import PROJECT_ROOT
from perform.events import MIDI_CLOCK, SCOPE_LOAD, SHOW_STATE, TEMPO_STATE, MidiClock
from perform.show import SetlistRunner
from perform.tempo import TempoComponent
from tests.conftest import small_config
from tests.helpers import eventually, run_perform


def write_show(tmp_path: Path, body: str, head: str = "") -> Path:
    path = tmp_path / "show.toml"
    path.write_text('[show]\nname = "live"\n' + head + body, encoding="utf-8")
    return path


async def test_quantized_go_fires_on_the_beat_of_the_real_clock(tmp_path):
    body = '[[scenes]]\nname = "a"\n[[scenes]]\nname = "b"\n'
    path = write_show(tmp_path, body, 'bpm = 240\nmin_go_interval = 0\nquantize = "beat"\n')
    session = build_session(small_config(), RunOptions(setlist=path), backend=numpy_backend())
    states = []
    session.events.subscribe(SHOW_STATE, states.append)
    await session.start(engine=False)
    try:
        runner, tempo = session.component(SetlistRunner), session.component(TempoComponent)
        for i in range(6):
            await asyncio.sleep(0.13)  # pressed somewhere between beats (a beat is 0.25 s)
            action = "cue.back" if runner.sequencer.index == 1 else "cue.go"
            assert session.store.actions.invoke(action, None, "osc")
            pending = runner.sequencer.pending
            assert pending is not None
            due = pending[0]
            beat = tempo.clock.beat_at(due)  # the GO waits for the next beat of the clock
            assert beat == pytest.approx(round(beat), abs=1e-6)
            await eventually(lambda i=i: len(runner.sequencer.taken) == i + 1, timeout=30)
            fired = runner.sequencer.taken[-1][0]
            # taken on that beat, never before it (how late is a budget: the loop's lag)
            assert fired >= due - 1e-9
        assert any(s.go_at is not None for s in states)
    finally:
        await session.stop()


async def test_show_asks_scope_for_its_pipeline_and_registers_loras(tmp_path):
    body = """
[scope]
pipeline = ["video-depth-anything", "longlive"]
height = 512
width = 512
load_params = { vace_enabled = false }
[[scope.loras]]
name = "arcane"
path = "/loras/arcane.safetensors"
scale = 0.5
merge_mode = "runtime_peft"
[[scenes]]
name = "a"
loras = { arcane = 0.9 }
transition = { seconds = 0 }
"""
    session = build_session(
        small_config(),
        RunOptions(setlist=write_show(tmp_path, body), headless=True),
        backend=numpy_backend(),
    )
    requests = []
    session.events.subscribe(SCOPE_LOAD, requests.append)
    await session.start(engine=False)
    try:
        (request,) = requests
        assert request.pipeline_ids == ("video-depth-anything", "longlive")
        assert request.load_params == {
            "vace_enabled": False,
            "height": 512,
            "width": 512,
            "loras": [
                {"path": "/loras/arcane.safetensors", "scale": 0.5, "merge_mode": "runtime_peft"}
            ],
            "lora_merge_mode": "runtime_peft",
        }
        assert request.lora_names == {"lora.arcane.scale": "/loras/arcane.safetensors"}
        assert session.store.get("lora.arcane.scale") == 0.9  # headless: the show started itself
    finally:
        await session.stop()


async def test_tempo_follows_midi_clock_and_publishes_beats():
    session = build_session(small_config(), RunOptions(), backend=numpy_backend())
    tempo_states = []
    session.events.subscribe(TEMPO_STATE, tempo_states.append)
    await session.start(engine=False)
    try:
        tempo = session.component(TempoComponent)
        base = time.perf_counter()
        session.events.publish(MIDI_CLOCK, MidiClock("start", base))
        period = 60 / 100 / 24
        for i in range(24 * 4):  # four beats of 100 bpm, already in the past
            session.events.publish(MIDI_CLOCK, MidiClock("tick", base + i * period))
        assert tempo.clock.source == "midi"
        assert tempo.clock.bpm == pytest.approx(100, abs=0.5)
        await asyncio.sleep(0)
        assert session.store.get("tempo.bpm") == pytest.approx(100, abs=0.5)
        assert session.store.last_source("tempo.bpm") == "clock"
        # one tempo: while MIDI leads, a performer's write is refused, not held beside it
        session.store.apply("tempo.bpm", 140, "osc")
        await eventually(lambda: session.store.last_source("tempo.bpm") == "clock", 5)
        assert session.store.get("tempo.bpm") == pytest.approx(tempo.clock.bpm)
        assert tempo.clock.bpm == pytest.approx(100, abs=0.5) and tempo.clock.source == "midi"
        session.events.publish(MIDI_CLOCK, MidiClock("stop", base + 4 * 24 * period))
        assert not tempo.clock.playing
        # stopped: the tempo is the performer's again (taps, tempo.bpm)
        assert tempo_states[-1].playing is False and tempo_states[-1].source == "internal"
    finally:
        await session.stop()


async def test_bpm_from_the_store_and_tap_tempo():
    session = build_session(small_config(), RunOptions(), backend=numpy_backend())
    await session.start(engine=False)
    try:
        tempo = session.component(TempoComponent)
        session.store.apply("tempo.bpm", 128, "osc")
        await asyncio.sleep(0)
        assert tempo.clock.bpm == 128
        for at in (10.0, 10.6, 11.2, 11.8):  # taps on a fake clock, 0.6 s apart
            tempo.now = lambda at=at: at
            session.store.actions.invoke("tap", None, "midi")
        assert tempo.clock.bpm == pytest.approx(100) and tempo.clock.source == "tap"
        assert session.store.get("tempo.bpm") == pytest.approx(100)  # one tempo
        assert tempo.clock.beat_at(11.8) == pytest.approx(round(tempo.clock.beat_at(11.8)))
        assert session.store.actions.failures == 0
    finally:
        await session.stop()


def run_cli(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    return run_perform(*args, timeout=timeout, cwd=PROJECT_ROOT)


@pytest.mark.slow
def test_the_demo_show_plays_headless_and_exits_zero(tmp_path):
    config = tmp_path / "perform.toml"
    config.write_text("[engine]\nworld = 128\n[stream]\nwidth = 128\nheight = 128\n")
    result = run_cli(
        "--config", str(config), "run", "setlists/demo.toml", "--headless", "--bpm", "480"
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for line in (
        "scene 1: Emergence",
        "scene 2: Labyrinth",
        "scene 3: Drift",
        "scene 4: Fade out",
        "finished",
    ):
        assert line in out
    assert out.index("scene 1") < out.index("scene 4") < out.index("finished")
    assert "next: Labyrinth in" in out


def test_dry_run_prints_the_timeline():
    result = run_cli("run", "setlists/demo.toml", "--dry-run", "--bpm", "93")
    assert result.returncode == 0, result.stderr
    assert (
        "93 bpm" in result.stdout and "end of show" in result.stdout and "0:06.5" in result.stdout
    )


def test_a_bad_show_is_refused_before_anything_starts(tmp_path):
    bad = write_show(tmp_path, '[[scenes]]\nname = "x"\npreset = "medusaa"\n')
    result = run_cli("run", str(bad), "--headless")
    assert result.returncode == 2
    assert "Setlist error" in result.stderr and "did you mean 'medusa'" in result.stderr
    assert "Traceback" not in result.stderr


async def test_link_drives_the_clock():
    pytest.importorskip("aalink", reason="aalink (the optional 'link' extra) is not installed")
    config = small_config()
    config = config.model_copy(
        update={"tempo": config.tempo.model_copy(update={"source": "link", "bpm": 132})}
    )
    session = build_session(config, RunOptions(), backend=numpy_backend())
    states = []
    session.events.subscribe(TEMPO_STATE, states.append)
    await session.start(engine=False)
    try:
        for _ in range(40):
            if any(s.source == "link" for s in states):
                break
            await asyncio.sleep(0.1)
        tempo = session.component(TempoComponent)
        assert tempo.clock.source == "link" and tempo.clock.bpm == pytest.approx(132)
    finally:
        await session.stop()
