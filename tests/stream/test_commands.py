"""The CLI against a double in another thread: ``perform scope status`` and a headless stream."""

from __future__ import annotations

import json
import subprocess

import av

from tests.helpers import run_perform
from tests.scope_double.threaded import ThreadedScopeDouble


def perform(*args: str, timeout: float = 90, cwd=None) -> subprocess.CompletedProcess:
    return run_perform(*args, timeout=timeout, cwd=cwd)


def with_loras(double) -> None:
    arcane, pixel = (f["path"] for f in double.lora_files)
    double.preload(
        "longlive",
        height=512,
        width=512,
        loras=[
            {"path": arcane, "scale": 0.8},
            {"path": pixel, "scale": 0.5, "merge_mode": "permanent_merge"},
        ],
        lora_merge_mode="runtime_peft",
    )


def test_scope_status_prints_version_pipeline_and_lora_merge_modes():
    with ThreadedScopeDouble() as td:
        td.call(with_loras)
        result = perform("scope", "status", "--scope", td.url)
        as_json = perform("scope", "status", "--scope", td.url, "--json")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "version      0.2.4" in out and "pipeline     longlive  [loaded]" in out
    assert "runtime_peft     rides live as lora.arcane.scale" in out
    assert "permanent_merge  scale fixed until the next load" in out
    report = json.loads(as_json.stdout)
    assert {lora["name"]: lora["live"] for lora in report["loras"]} == {
        "arcane": True,
        "pixel_art": False,
    }
    assert report["pipelines"] == ["longlive", "passthrough", "streamdiffusionv2"]


def test_scope_status_offline_is_one_clean_line():
    result = perform("scope", "status", "--scope", "http://127.0.0.1:9")
    assert result.returncode == 2
    assert "Scope offline" in result.stderr and "Traceback" not in result.stderr


def test_headless_run_streams_to_scope_and_records(tmp_path):
    config = tmp_path / "perform.toml"
    config.write_text(
        "[engine]\nworld = 128\n[stream]\nwidth = 128\nheight = 128\n"
        '[scope]\npipeline = "passthrough"\n'
    )
    record = tmp_path / "out.mp4"
    with ThreadedScopeDouble() as td:
        result = perform(
            "--config", str(config), "run", "--headless", "--seconds", "8",
            "--scope", td.url, "--record", str(record),
        )  # fmt: skip
        received = td.call(lambda d: sum(s.frames_received for s in d.sessions))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "ERROR" not in result.stderr, result.stderr
    assert received > 30
    with av.open(str(record)) as container:
        assert sum(1 for _ in container.decode(video=0)) > 10


def test_bad_scope_url_is_a_clean_error():
    result = perform("run", "--headless", "--scope", "localhost:8000", "--seconds", "1")
    assert result.returncode == 2 and "must start with http://" in result.stderr
