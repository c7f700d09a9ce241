"""The stage window under a real X server (Xvfb + Mesa llvmpipe): pixels read back from
its framebuffer, full-screen and letterboxing, the app's actions and the window's keys, a
killed or hung window process restarted, and no display refused cleanly."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
from collections.abc import Iterator

import numpy
import pytest

from perform.program.frame import ProgramFrame
from perform.program.sink import ProgramSink, SinkState
from perform.program.window import WindowSink
from perform.program.window.gl import letterbox
from perform.program.window.xvfb import Xvfb
from tests.helpers import eventually
from tests.program.conftest import require_display
from tests.program.pictures import frame, resize_nearest

pytestmark = pytest.mark.timeout(300)

START_S = 90.0
"""Generous: a spawned Python process plus llvmpipe on a busy two-core machine."""


@pytest.fixture
def window(xserver: Xvfb) -> Iterator[WindowSink]:
    sink = WindowSink(hang_s=5.0, retry_s=0.2)
    yield sink
    sink.close()


async def on(sink: WindowSink) -> None:
    sink.start()
    await eventually(
        lambda: sink.status().state is SinkState.ON, START_S, lambda: f"window ON: {sink.status()}"
    )


async def shows(sink: WindowSink, picture: ProgramFrame) -> numpy.ndarray:
    """Submit ``picture`` until the window has presented it; return what it shows."""
    before = sink.status().frames
    sink.submit(picture)
    await eventually(
        lambda: sink.status().frames > before, START_S, lambda: f"a present: {sink.status()}"
    )
    return sink.readback()


def compare(shown: numpy.ndarray, picture: ProgramFrame) -> None:
    """The letterboxed picture matches ``to_rgb()`` scaled; the bars are black."""
    fb_h, fb_w = shown.shape[:2]
    x, y_gl, w, h = letterbox(picture.width, picture.height, fb_w, fb_h)
    top = fb_h - y_gl - h
    inside = shown[top : top + h, x : x + w].astype(numpy.int16)
    expected = resize_nearest(picture.to_rgb(), w, h).astype(numpy.int16)
    diff = numpy.abs(inside - expected)
    # Linear filtering and chroma interpolation differ from nearest/repeat at edges only.
    assert diff.mean() < 4.0, f"mean abs diff {diff.mean():.2f}"
    assert numpy.percentile(diff, 99) < 48, f"p99 abs diff {numpy.percentile(diff, 99)}"
    mask = numpy.ones((fb_h, fb_w), bool)
    mask[top : top + h, x : x + w] = False
    assert shown[mask].max(initial=0) == 0, "letterbox bars must be black"


async def test_512_square_fills_the_height_with_black_bars_left_and_right(
    window: WindowSink, xserver: Xvfb
) -> None:
    await on(window)
    picture = frame(512, 512, seed=1)
    shown = await shows(window, picture)
    assert shown.shape == (1080, 1920, 3), "full-screen at the X screen's size"
    assert letterbox(512, 512, 1920, 1080) == (420, 0, 1080, 1080)
    compare(shown, picture)
    assert isinstance(window, ProgramSink)
    assert window.status().detail.startswith("full-screen on display 1 of 1")


async def test_832x480_fills_the_height_with_narrow_bars(window: WindowSink) -> None:
    await on(window)
    picture = frame(832, 480, seed=2)
    shown = await shows(window, picture)
    assert letterbox(832, 480, 1920, 1080) == (24, 0, 1872, 1080)
    compare(shown, picture)
    # A new picture replaces the old one (not a frozen first frame).
    second = frame(832, 480, index=2, seed=3)
    compare(await shows(window, second), second)


async def test_only_the_program_stream_is_shown(window: WindowSink) -> None:
    await on(window)
    program = frame(512, 512, seed=4)
    await shows(window, program)
    window.submit(frame(512, 512, index=2, seed=5, stream="organism"))
    compare(window.readback(), program)


async def test_actions_toggle_full_screen_and_cycle_displays(window: WindowSink) -> None:
    await on(window)
    picture = frame(512, 512, seed=6)
    await shows(window, picture)
    window.toggle_fullscreen()
    await eventually(lambda: not window.window_state["fullscreen"], START_S)
    small = window.readback()
    assert small.shape == (540, 960, 3), "windowed at 960x540"
    compare(small, picture)
    window.next_display()  # one display here: it stays on display 1 and says so
    await eventually(lambda: "windowed on display 1 of 1" in window.status().detail, START_S)
    window.set_fullscreen(True)
    await eventually(lambda: window.window_state["fullscreen"], START_S)
    compare(window.readback(), picture)


async def test_app_actions_drive_the_window(window: WindowSink) -> None:
    from perform.actions import CORE_ACTIONS, ActionRegistry
    from perform.events import undo_all
    from perform.program.window.actions import bind_window_actions

    actions = ActionRegistry()
    for spec in CORE_ACTIONS:
        actions.define(spec)
    unbind = bind_window_actions(actions, window)
    await on(window)
    await shows(window, frame(512, 512, seed=12))
    assert actions.invoke("window.fullscreen", "off", source="osc")
    await eventually(lambda: not window.window_state["fullscreen"], START_S)
    assert window.readback().shape == (540, 960, 3)
    assert actions.invoke("window.fullscreen")  # toggle: back on
    await eventually(lambda: window.window_state["fullscreen"], START_S)
    assert window.readback().shape == (1080, 1920, 3)
    assert actions.invoke("window.display", "1") and actions.invoke("window.display")
    assert not actions.invoke("window.fullscreen", "maybe")  # refused, counted, not raised
    assert not actions.invoke("window.display", "0")
    assert actions.failures == 2
    undo_all(unbind)
    assert not actions.bound("window.fullscreen") and not actions.bound("window.display")
    await eventually(lambda: window.display == 1 and window.window_state["display"] == 0, START_S)


def _xtest() -> tuple[object, object, int]:
    """libX11 + libXtest through ctypes: real key presses into the X server."""
    x11_name, xtst_name = ctypes.util.find_library("X11"), ctypes.util.find_library("Xtst")
    if not x11_name or not xtst_name:
        require_display("libX11/libXtst not found to press keys (Debian: libxtst6)")
    x11, xtst = ctypes.CDLL(x11_name), ctypes.CDLL(xtst_name)
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    x11.XFlush.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
    display = x11.XOpenDisplay(os.environ["DISPLAY"].encode())
    assert display, "XOpenDisplay failed"
    return x11, xtst, display


def press(key: str) -> None:
    x11, xtst, display = _xtest()
    code = x11.XKeysymToKeycode(display, ord(key))  # type: ignore[attr-defined]
    xtst.XTestFakeKeyEvent(display, code, True, 0)  # type: ignore[attr-defined]
    xtst.XTestFakeKeyEvent(display, code, False, 0)  # type: ignore[attr-defined]
    x11.XFlush(display)  # type: ignore[attr-defined]
    x11.XCloseDisplay(display)  # type: ignore[attr-defined]


async def test_f_key_in_the_window_toggles_full_screen(window: WindowSink) -> None:
    await on(window)
    await shows(window, frame(512, 512, seed=7))
    press("f")
    await eventually(lambda: not window.window_state["fullscreen"], START_S, "f: windowed")
    assert window.status().detail.startswith("windowed")
    # Back to full-screen with the key again (the window is under the pointer only when
    # it covers the screen; centre the pointer-independent path via the action).
    window.set_fullscreen(True)
    await eventually(lambda: window.window_state["fullscreen"], START_S)
    press("d")
    await eventually(lambda: window.window_state["display"] == 0, START_S)


async def test_a_killed_window_process_is_reported_and_restarted(window: WindowSink) -> None:
    await on(window)
    picture = frame(512, 512, seed=8)
    await shows(window, picture)
    pid = window.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    await eventually(
        lambda: "died" in window.status().detail, START_S, lambda: f"died: {window.status()}"
    )
    assert window.status().failures == 1
    await eventually(lambda: window.status().state is SinkState.ON and window.pid != pid, START_S)
    # The new window shows the newest frame at once, full-screen again.
    compare(window.readback(), picture)


async def test_a_hung_window_process_is_killed_and_restarted(window: WindowSink) -> None:
    await on(window)
    await shows(window, frame(512, 512, seed=9))
    pid = window.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        # Meanwhile the show goes on: submit never waits for the stopped window.
        for i in range(30):
            window.submit(frame(512, 512, index=10 + i, seed=i))
        assert window.status().state is not SinkState.UNAVAILABLE
        await eventually(
            lambda: "hung" in window.status().detail, START_S, lambda: f"hung: {window.status()}"
        )
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)
    await eventually(lambda: window.status().state is SinkState.ON and window.pid != pid, START_S)
    latest = frame(512, 512, index=99, seed=11)
    compare(await shows(window, latest), latest)


async def test_a_display_that_cannot_be_opened_is_unavailable(
    xserver: Xvfb, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPLAY", ":9999")  # no X server there
    sink = WindowSink()
    try:
        sink.start()
        await eventually(lambda: sink.status().state is SinkState.UNAVAILABLE, START_S)
        assert "no display" in sink.status().detail
        sink.submit(frame(512, 512))  # no exception
    finally:
        sink.close()
    assert sink.status().state is SinkState.UNAVAILABLE


async def test_a_frame_too_big_for_the_ring_is_counted_and_said(xserver: Xvfb) -> None:
    sink = WindowSink(name="perform small", max_width=256, max_height=256)
    try:
        await on(sink)
        assert tuple(sink.window_state["framebuffer"]) == (1920, 1080)
        sink.submit(frame(512, 512))
        status = sink.status()
        assert status.dropped == 1 and status.frames == 0
        assert "1 frames larger than 256x256 were not shown" in status.detail
        small = frame(256, 128, seed=13)
        compare(await shows(sink, small), small)
    finally:
        sink.close()
