"""``perform bench window --quick``: the figures exist and hang together (no speed
thresholds: this machine is shared)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from perform.program.window.xvfb import Xvfb
from tests.helpers import run_perform

KEYS = (
    "window_present_fps",
    "window_frame_interval_ms_p99",
    "window_added_latency_ms_p95",
    "window_hop_ms_p95",
    "window_hop_idle_ms_p95",
    "program_submit_ms_per_frame",
    "program_upload_ms_per_frame",
    "window_cpu_ms_per_frame",
)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_bench_window_quick(tmp_path: Path, xserver: Xvfb) -> None:
    record = tmp_path / "bench.json"
    env = dict(os.environ, DISPLAY=xserver.display)
    done = run_perform("bench", "window", "--quick", "--json", str(record), env=env, timeout=240)
    assert done.returncode == 0, done.stderr
    (result,) = json.loads(record.read_text())["results"]
    metrics = result["metrics"]
    assert set(KEYS) <= set(metrics), result
    assert metrics["presented"] > 1 and metrics["submitted"] >= metrics["presented"]
    assert metrics["window_present_fps"] > 0
    assert metrics["window_added_latency_ms_p95"] >= metrics["window_hop_ms_p95"] >= 0
    assert metrics["window_hop_idle_ms_p95"] >= 0
    assert result["params"]["screen"] == "1920x1080"
    assert f"X server {xserver.display}" in result["note"] and "llvmpipe" in result["note"]
    assert "window_present_fps" in done.stdout
