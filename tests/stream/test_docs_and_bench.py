"""The README's Scope config example is valid; ``perform bench stream --quick`` runs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from perform.config import AppConfig

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_scope_config_example_validates():
    text = README.read_text(encoding="utf-8")
    section = text.split("### `[scope]` and `[stream]` keys", 1)[1]
    block = re.search(r"```toml\n(.*?)```", section, re.S).group(1)
    config = AppConfig.model_validate(tomllib.loads(block))
    assert config.scope.loras[0].file == "arcane"
    assert config.scope.output_sinks.ndi is not None and config.stream.codec == "vp8"
    defaults = AppConfig()
    for key in ("lora_rate", "watchdog_seconds", "chunk_period", "ice", "lora_merge_mode"):
        assert getattr(config.scope, key) == pytest.approx(
            getattr(defaults.scope, key), abs=1e-3
        ), key


@pytest.mark.slow
def test_bench_stream_quick(tmp_path):
    record = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "-m", "perform", "bench", "stream", "--quick", "--json", str(record)],
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stderr
    results = {r["name"]: r["metrics"] for r in json.loads(record.read_text())["results"]}
    vp8 = results["track delivery, vp8 encode included"]
    assert vp8["frames_per_s"] > 0 and vp8["jitter_ms_p99"] >= vp8["jitter_ms_p50"]
    assert any(name.startswith("encode ours H.264") for name in results)
    assert results["store -> channel send, lone change"]["ms_p50"] >= 0
