"""Drill (issue 11, 6): a starved CPU never shows black.

Two busy processes (started here, killed after) load the machine while a headless show
plays four scenes, each on another engine, so each one grows a new organism. The warm-up
asked for is long (20 s of simulated time, in a 256² world): on a busy machine growing it
takes far longer than a scene. Before, each scene change threw the growing organism away
and started again, the first never appeared and the whole show was black with 0 steps.
Now growth is bounded in wall time, a scene change never discards the organism about to
appear, and the one on screen keeps running while the next grows.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from perform.build import RunOptions, build_session
from perform.config import AppConfig
from perform.show import SetlistRunner

SHOW = """
[show]
name = "Starved"
bpm = 120
hold = "8 beats"
transition = { beats = 1 }

[[scenes]]
name = "one"
preset = "amoeba"
params = { "master.fade" = 1.0 }

[[scenes]]
name = "two"
preset = "sl_gliders"

[[scenes]]
name = "three"
preset = "spiral"

[[scenes]]
name = "four"
preset = "reef"
"""


@pytest.fixture
def cpu_hog() -> Iterator[None]:
    """Two busy-loop processes for the test's duration."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait()


async def test_headless_show_on_a_starved_cpu_is_never_black(tmp_path: Path, cpu_hog: None) -> None:
    show = tmp_path / "starved.toml"
    show.write_text(SHOW)
    config = AppConfig.model_validate(
        {
            "stream": {"width": 128, "height": 128, "fps": 15},
            "engine": {"world": 256, "warmup": 20.0},
            "scope": {"enabled": False},
            "osc": {"enabled": False},
            "midi": {"auto_profiles": False},
        }
    )
    session = build_session(config, RunOptions(headless=True, setlist=show, no_scope=True))
    await session.start()
    try:
        runner = session.component(SetlistRunner)
        host = session.host
        # (scene index, frame seq, lit?, total steps) every 0.1 s until the last scene ran 4 s
        samples: list[tuple[int, int, bool, int]] = []
        last_started: float | None = None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 240.0
        while loop.time() < deadline:
            await asyncio.sleep(0.1)
            seq = runner.sequencer
            if seq is None or not seq.taken:
                continue
            scene = seq.taken[-1][1]
            frame = host.mailbox.latest()
            if frame is None:
                continue
            samples.append((scene, frame.seq, bool(frame.rgb.max() > 0), host.total_steps))
            if scene == 3 and last_started is None:
                last_started = loop.time()
            if last_started is not None and loop.time() - last_started > 4.0:
                break
        scenes = sorted({s for s, *_ in samples})
        assert scenes == [0, 1, 2, 3], scenes
        for index in scenes:
            mine = [x for x in samples if x[0] == index]
            assert any(lit for _, _, lit, _ in mine), f"scene {index} was black throughout"
            assert mine[-1][3] > mine[0][3], f"scene {index}: 0 steps"
        first_lit = next(i for i, x in enumerate(samples) if x[2])
        dark = [x for x in samples[first_lit:] if not x[2]]
        assert not dark, f"black frames after the organism appeared: {dark[:5]}"
    finally:
        await session.stop()


def test_a_starved_engine_degrades_to_a_smaller_world_and_stays_lit() -> None:
    """Asked for far more steps than any CPU gives (and a hog besides), the host first runs
    fewer steps per frame, then regrows the organism in a world half as wide."""
    import time

    from engines import all_params, numpy_backend, presets
    from perform.registry import build_store
    from perform.render.host import MIN_WORLD, EngineHost

    store = build_store(presets(), "medusa", all_params())
    store.apply("engine.preset", "medusa", "default")
    host = EngineHost.for_store(
        store, numpy_backend(), world=256, width=64, height=64, fps=15,
        steps_per_second=50_000, warmup_steps=20,
    )  # fmt: skip
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    host.start()
    try:
        deadline = time.monotonic() + 120.0
        lit: list[bool] = []
        while time.monotonic() < deadline:
            time.sleep(0.1)
            organism = host.organism
            frame = host.mailbox.latest()
            if organism is not None and frame is not None:
                if lit or frame.rgb.max() > 0:  # from the first picture of an organism on
                    lit.append(bool(frame.rgb.max() > 0))
                if organism.world == MIN_WORLD and host.outgoing is None:
                    break
        assert host.shrinks >= 1 and host.world_now == MIN_WORLD
        assert host.organism is not None and host.organism.world == MIN_WORLD
        assert lit and all(lit), "a black frame while degrading"
        steps = host.total_steps
        time.sleep(1.0)
        assert host.total_steps > steps
    finally:
        host.stop()
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait()


def test_the_world_grows_back_through_a_crossfade_when_the_cpu_keeps_up_again() -> None:
    """Starved, the host shrinks the world; once the steps keep up again with room to
    spare (here the demand drops, so it holds however busy the test machine is), the
    organism regrows in the asked world and crossfades in: lit throughout, no cut."""
    import time

    from engines import all_params, numpy_backend, presets
    from perform.registry import build_store
    from perform.render.host import MIN_WORLD, EngineHost

    store = build_store(presets(), "medusa", all_params())
    store.apply("engine.preset", "medusa", "default")
    host = EngineHost.for_store(
        store, numpy_backend(), world=256, width=64, height=64, fps=15,
        steps_per_second=50_000, warmup_steps=20,
    )  # fmt: skip
    host.start()
    try:
        deadline = time.monotonic() + 120.0
        while time.monotonic() < deadline:
            time.sleep(0.1)
            organism = host.organism
            if organism is not None and organism.world == MIN_WORLD and host.outgoing is None:
                break
        assert host.shrinks >= 1 and host.organism is not None
        assert host.organism.world == MIN_WORLD
        assert host.grows == 0  # never while starved
        store.apply("engine.speed", 0.0002, "tui")  # 10 steps/s wanted: easily kept up
        lit: list[bool] = []
        crossfaded = False
        deadline = time.monotonic() + 120.0
        while time.monotonic() < deadline:
            time.sleep(0.1)
            frame = host.mailbox.latest()
            if frame is not None:
                lit.append(bool(frame.rgb.max() > 0))
            crossfaded = crossfaded or host.outgoing is not None
            organism = host.organism
            if organism is not None and organism.world == 256 and host.outgoing is None:
                break
        assert host.grows == 1 and host.world_now == 256
        assert host.organism is not None and host.organism.world == 256
        assert crossfaded, "the larger organism cut in instead of crossfading"
        assert lit and all(lit), "a black frame while growing back"
        steps = host.total_steps
        time.sleep(1.0)
        assert host.total_steps > steps
    finally:
        host.stop()
