"""``perform outputs``: displays with their sizes and every sink with why/how, as text and
JSON, with and without an X server."""

from __future__ import annotations

import json
import os

from perform.program.window.xvfb import Xvfb
from tests.helpers import run_perform


def _env(**changes: str | None) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def test_outputs_lists_the_x_servers_display_and_every_sink(xserver: Xvfb) -> None:
    done = run_perform("outputs", env=_env(DISPLAY=xserver.display))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "  1: screen 1920x1080" in out
    for kind in ("window", "ndi", "syphon", "spout", "vcam"):
        assert f"\n  {kind} " in out
    assert "why: Syphon is macOS-only" in out and "why: Spout is Windows-only" in out

    info = json.loads(run_perform("outputs", "--json", env=_env(DISPLAY=xserver.display)).stdout)
    assert info["displays"][0]["width"] == 1920 and info["displays"][0]["height"] == 1080
    rows = {row["kind"]: row for row in info["sinks"]}
    assert rows["window"]["available"] and rows["window"]["why"] is None
    assert not rows["spout"]["available"] and "uv sync --extra" in rows["spout"]["why"]


def test_outputs_without_a_display_says_why() -> None:
    done = run_perform("outputs", "--json", env=_env(DISPLAY=None, WAYLAND_DISPLAY=None))
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["displays"] == []
    assert info["displays_unavailable"].startswith("no display: neither DISPLAY")
    window = next(row for row in info["sinks"] if row["kind"] == "window")
    assert not window["available"] and window["why"].startswith("no display")
