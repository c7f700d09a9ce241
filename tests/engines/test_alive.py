"""The liveness measure (``perform bench alive``) and the flicker it found.

The measure is checked on synthetic frame series whose answer is known by construction;
the flicker drills run real presets as in a show (``perform.render.offline.frames``: the
same warm-up, flows, breathing, regulation and colour) on a small world and judge the
RGB frames. On the old organism (containment and stir applied once every four steps,
MNCA's picture the raw state) these presets alternated their mean luminance by 4-5 every
frame at 128^2."""

from __future__ import annotations

import numpy as np
import pytest

from perform.bench.alive import watch
from perform.bench.liveness import MAX_FLICKER, Meter, flicker, luminance


def test_flicker_sees_period_two_and_four_alternation_but_not_drift():
    t = np.arange(64)
    drift = 40 + 0.3 * t
    assert flicker(drift) < 1e-9
    assert flicker(drift + 1.5 * (-1.0) ** t) == pytest.approx(3.0)
    assert flicker(drift + 2.0 * np.cos(np.pi * t / 2 + 0.4)) == pytest.approx(4.0)
    # too short to judge
    assert flicker([1.0, 2.0, 1.0]) == 0.0


def _frame(level: float, lit: int, size: int = 32) -> np.ndarray:
    rgb = np.zeros((size, size, 3), np.uint8)
    rgb.reshape(-1, 3)[:lit] = level
    return rgb


def test_meter_judges_dark_still_and_flashing_series():
    assert luminance(_frame(200, 32 * 32))[0, 0] == pytest.approx(200, abs=0.01)
    # a small lit patch that keeps changing: alive, judged by its motion not by the black
    meter = Meter(fps=30)
    for i in range(60):
        meter.add(_frame(100 + 20 * (i % 2), 40))
    report = meter.judge("x", "y")
    assert report.lit_min == pytest.approx(40 / 1024)
    assert report.longest_still_s == 0 and report.flash < 10
    assert report.alive, report.failures
    assert report.flicker == pytest.approx(20 * 40 / 1024, rel=1e-3)  # what it does to the mean
    # frozen for 2 s
    meter = Meter(fps=30)
    for _ in range(60):
        meter.add(_frame(120, 500))
    report = meter.judge("x", "y")
    assert report.longest_still_s == pytest.approx(59 / 30)
    assert any(f.startswith("still") for f in report.failures)
    # nearly black, then a flash
    meter = Meter(fps=30)
    for i in range(40):
        meter.add(_frame(200 if i == 30 else 100 + i % 3, 5))
    report = meter.judge("x", "y")
    assert any(f.startswith("dark") for f in report.failures)
    assert report.flash < 10  # 5 lit pixels of 1024 cannot move the mean by much
    meter = Meter(fps=30)
    for i in range(40):
        meter.add(_frame(250 if i >= 30 else 30 + i % 3, 1024))
    assert any(f.startswith("flash") for f in meter.judge("x", "y").failures)


FLICKERED = ["mnca_soliton", "mnca_mitosis", "mnca_worm", "mnca_hunt", "mnca_coral", "sl_elastic"]


@pytest.mark.slow
@pytest.mark.timeout(900)  # simulated show time; a busy shared machine is slow
@pytest.mark.parametrize("key", FLICKERED)
def test_no_flicker_at_two_steps_per_frame(key):
    report = watch(key, 6.0, world=128, growth=2.0)
    assert report.flicker < MAX_FLICKER, report


@pytest.mark.slow
@pytest.mark.timeout(900)  # simulated show time; a busy shared machine is slow
@pytest.mark.parametrize("key", ["sl_chaos", "mnca_soliton"])
def test_no_flicker_at_one_step_per_frame(key):
    """Half speed (or a busy CPU): one step per frame shows what every step does."""
    report = watch(key, 6.0, world=128, growth=2.0, overrides={"engine.speed": 0.5})
    assert report.flicker < MAX_FLICKER, report


@pytest.mark.slow
@pytest.mark.timeout(900)  # simulated show time; a busy shared machine is slow
def test_bench_alive_runs_chosen_presets_in_processes_and_writes_json(tmp_path):
    import json

    from tests.helpers import run_perform

    record = tmp_path / "alive.json"
    result = run_perform(
        "bench", "alive", "coral", "--preset", "classic_life", "--minutes", "0.05",
        "--world", "64", "--json", str(record), timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "verdict" in result.stdout and "coral" in result.stdout
    assert "[2/2]" in result.stderr  # progress
    rows = {r["name"]: r for r in json.loads(record.read_text())["results"]}
    assert set(rows) == {"coral", "classic_life"}
    assert rows["coral"]["params"] == {"engine": "lenia", "world": 64, "seconds": 3.0}
    assert {"lit_min_pct", "still_max_s", "flash_max", "flicker_pp", "alive"} <= set(
        rows["coral"]["metrics"]
    )


def test_preset_keys_only_pick_what_alive_runs():
    from tests.helpers import run_perform

    result = run_perform("bench", "core", "reef", timeout=60)
    assert result.returncode == 2
    assert "only pick what the 'alive' and 'stream' suites run" in result.stderr
    assert "Traceback" not in result.stderr
