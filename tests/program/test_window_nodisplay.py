"""No display at all: the window is refused with a clear status and nothing raises."""

from __future__ import annotations

import pytest

from perform.program.sink import SinkState
from perform.program.window import WindowSink, display_unavailable
from tests.program.pictures import frame


def test_no_display_means_unavailable_and_no_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    why = display_unavailable()
    assert why is not None and why.startswith("no display: neither DISPLAY nor WAYLAND_DISPLAY")
    sink = WindowSink()
    sink.start()
    status = sink.status()
    assert status.state is SinkState.UNAVAILABLE
    assert status.detail == why
    sink.submit(frame(64, 64))
    sink.toggle_fullscreen()
    sink.close()
    assert sink.status().state is SinkState.UNAVAILABLE
    assert sink.status().frames == 0


def test_missing_library_is_named_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "moderngl" else real(name, *a)
    )
    why = display_unavailable()
    assert why is not None and why.startswith("moderngl is not installed") and "uv sync" in why
