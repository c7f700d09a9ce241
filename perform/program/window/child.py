"""The stage window's own process: its main thread owns the window (macOS allows windows
only there) and the GL context; it takes the newest frame out of the shared ring, draws it
and presents it.

It talks to the sink over one duplex pipe, with small tuples:

parent → child: ``("fullscreen", bool | None)`` (None toggles), ``("display", int | None)``
(None: the next display), ``("readback",)`` (reply with the pixels on screen), ``("stats",)``
(reply with what was presented, for the bench), ``("quit",)``.

child → parent: ``("ready", state)``, ``("state", state)`` after a change,
``("unavailable", why)`` when it can't open a window at all (no display, no GL 3.3),
``("readback", width, height, rgb_bytes)``, ``("stats", records, cpu_s)``.

Keys in the window: ``f`` toggles full-screen, ``d`` moves it to the next display, Escape
leaves full-screen. Closing the window (its close button, Alt-F4) is refused: on stage the
window goes away only when the show does.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import deque
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from typing import Any

from perform.program.window.ring import FrameRing

WINDOWED_SIZE = (960, 540)
IDLE_WAIT_S = 0.002
"""How long the loop waits for window events when no new frame has come."""


@dataclass
class WindowState:
    fullscreen: bool
    display: int
    """0-based index into :func:`list_displays`."""
    displays: list[dict[str, Any]]
    framebuffer: tuple[int, int]
    renderer: str = ""


def list_displays() -> list[dict[str, Any]]:
    """Every monitor glfw sees: name, size, refresh rate, position (glfw must be
    initialised)."""
    import glfw

    out = []
    for monitor in glfw.get_monitors() or []:
        mode = glfw.get_video_mode(monitor)
        x, y = glfw.get_monitor_pos(monitor)
        name = glfw.get_monitor_name(monitor)
        out.append(
            {
                "name": name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name),
                "width": mode.size.width,
                "height": mode.size.height,
                "refresh_hz": mode.refresh_rate,
                "x": x,
                "y": y,
            }
        )
    return out


class StageWindow:
    """The window, its GL renderer and the loop; lives in the child process only."""

    def __init__(
        self,
        ring: FrameRing,
        conn: Connection,
        display: int,
        fullscreen: bool,
        vsync: bool,
        title: str = "perform",
    ) -> None:
        import glfw
        import moderngl

        from perform.program.window.gl import I420Renderer

        self.glfw = glfw
        self.ring = ring
        self.conn = conn
        self.records: deque[tuple[int, int, float, float, float, float]] = deque(maxlen=4096)
        """Per present: seq, index, submitted, picked up here, presented, upload seconds."""
        glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
        glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
        glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
        glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)
        glfw.window_hint(glfw.DECORATED, False)
        glfw.window_hint(glfw.AUTO_ICONIFY, False)  # stay up when focus goes to the TUI
        monitors = glfw.get_monitors() or []
        if not monitors:
            raise RuntimeError("no display: glfw sees no monitor")
        self.display = min(max(display, 0), len(monitors) - 1)
        self.fullscreen = fullscreen
        self.window = glfw.create_window(*WINDOWED_SIZE, title, None, None)
        if not self.window:
            raise RuntimeError("no OpenGL 3.3 window: glfw.create_window failed")
        glfw.make_context_current(self.window)
        glfw.swap_interval(1 if vsync else 0)
        self.ctx = moderngl.create_context()
        self.renderer = I420Renderer(self.ctx)
        self.place()
        glfw.set_key_callback(self.window, self._on_key)
        glfw.set_window_close_callback(
            self.window, lambda win: glfw.set_window_should_close(win, False)
        )
        self.seq = 0
        self.dirty = True
        self.keyed: list[tuple[Any, ...]] = []
        """Commands from keys pressed in the window, applied after the event pump."""

    # -- placement -----------------------------------------------------------------------

    def place(self) -> None:
        """Put the window full-screen on (or centred on) the chosen display. Full-screen is
        "windowed full-screen" at the display's current mode: no mode switch, no flicker."""
        glfw = self.glfw
        monitors = glfw.get_monitors() or []
        if not monitors:
            return
        self.display %= len(monitors)
        monitor = monitors[self.display]
        mode = glfw.get_video_mode(monitor)
        mx, my = glfw.get_monitor_pos(monitor)
        if self.fullscreen:
            glfw.set_window_monitor(
                self.window, monitor, 0, 0, mode.size.width, mode.size.height, mode.refresh_rate
            )
        else:
            w, h = WINDOWED_SIZE
            x = mx + max(0, (mode.size.width - w) // 2)
            y = my + max(0, (mode.size.height - h) // 2)
            glfw.set_window_monitor(self.window, None, x, y, w, h, 0)
        self.dirty = True

    def state(self) -> WindowState:
        fb = self.glfw.get_framebuffer_size(self.window)
        return WindowState(
            fullscreen=self.fullscreen,
            display=self.display,
            displays=list_displays(),
            framebuffer=(int(fb[0]), int(fb[1])),
            renderer=str(self.ctx.info.get("GL_RENDERER", "")),
        )

    def set_fullscreen(self, on: bool | None) -> None:
        self.fullscreen = (not self.fullscreen) if on is None else bool(on)
        self.place()
        self._announce()

    def set_display(self, index: int | None) -> None:
        count = len(self.glfw.get_monitors() or [])
        if index is None:
            self.display = (self.display + 1) % max(count, 1)
        else:
            self.display = min(max(index, 0), max(count - 1, 0))
        self.place()
        self._announce()

    def _announce(self) -> None:
        self._settle()
        self.conn.send(("state", asdict(self.state())))

    def _settle(self) -> None:
        # Let the window system apply a move/resize before reporting the new size.
        glfw = self.glfw
        expected = WINDOWED_SIZE
        monitors = glfw.get_monitors() or []
        if self.fullscreen and monitors:
            mode = glfw.get_video_mode(monitors[self.display % len(monitors)])
            expected = (mode.size.width, mode.size.height)
        for _ in range(50):
            glfw.poll_events()
            self.present()
            if tuple(glfw.get_framebuffer_size(self.window)) == expected:
                break
            time.sleep(0.01)

    def _on_key(self, window: Any, key: int, scancode: int, action: int, mods: int) -> None:
        glfw = self.glfw
        if action != glfw.PRESS:
            return
        # Applied by the loop after the event pump returns: glfw must not be re-entered
        # (poll_events) from inside its own callback.
        if key == glfw.KEY_F:
            self.keyed.append(("fullscreen", None))
        elif key == glfw.KEY_D:
            self.keyed.append(("display", None))
        elif key == glfw.KEY_ESCAPE and self.fullscreen:
            self.keyed.append(("fullscreen", False))

    # -- drawing -------------------------------------------------------------------------

    def draw(self) -> tuple[int, int]:
        fb_w, fb_h = self.glfw.get_framebuffer_size(self.window)
        self.renderer.draw(fb_w, fb_h)
        return fb_w, fb_h

    def present(self) -> None:
        self.draw()
        self.glfw.swap_buffers(self.window)
        self.dirty = False

    def readback(self) -> None:
        fb_w, fb_h = self.draw()
        rgb = self.renderer.read(fb_w, fb_h)
        self.glfw.swap_buffers(self.window)
        self.conn.send(("readback", fb_w, fb_h, rgb.tobytes()))

    # -- the loop ------------------------------------------------------------------------

    def command(self, message: tuple[Any, ...]) -> bool:
        """Apply one command; False to stop."""
        what = message[0]
        if what == "quit":
            return False
        if what == "fullscreen":
            self.set_fullscreen(message[1])
        elif what == "display":
            self.set_display(message[1])
        elif what == "readback":
            self.readback()
        elif what == "stats":
            self.conn.send(("stats", list(self.records), time.process_time()))
        return True

    def run(self) -> None:
        glfw = self.glfw
        self.ring.beat()
        self.conn.send(("ready", asdict(self.state())))
        while True:
            self.ring.beat()
            while self.keyed:
                self.command(self.keyed.pop(0))
            while self.conn.poll():
                if not self.command(self.conn.recv()):
                    return
            picked = time.perf_counter()
            frame = self.ring.read_latest(self.seq)
            if frame is not None:
                t0 = time.perf_counter()
                self.renderer.upload(frame.yuv)
                t_up = time.perf_counter()
                self.present()
                self.ctx.finish()
                done = time.perf_counter()
                self.seq = frame.seq
                self.ring.presented()
                self.records.append(
                    (frame.seq, frame.index, frame.submit_t, picked, done, t_up - t0)
                )
                glfw.poll_events()
            else:
                if self.dirty:
                    self.present()
                glfw.wait_events_timeout(IDLE_WAIT_S)


_ERRORS: list[str] = []


def _on_glfw_error(code: int, description: Any) -> None:
    text = (
        description.decode("utf-8", "replace")
        if isinstance(description, bytes)
        else str(description)
    )
    _ERRORS.append(f"{text} (GLFW error {code:#x})")


def _glfw_error(glfw: Any) -> str:
    return _ERRORS[-1] if _ERRORS else "glfw gave no reason"


def _quiet_output() -> None:
    """Send this process's stdout/stderr (Mesa's and the GL driver's chatter, a traceback)
    to ``window.log`` beside perform's log: the TUI owns the terminal we inherited."""
    from perform.logs import log_dir

    path = log_dir() / "window.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    except OSError:
        fd = os.open(os.devnull, os.O_WRONLY)
    for target in (1, 2):
        with contextlib.suppress(OSError):
            os.dup2(fd, target)
    os.close(fd)


def main(
    shm_name: str,
    capacity: int,
    conn: Connection,
    display: int,
    fullscreen: bool,
    vsync: bool,
    title: str = "perform",
) -> None:
    """The child process's entry point (``multiprocessing`` target, spawn start method)."""
    _quiet_output()
    ring = FrameRing.attach(shm_name, capacity)
    try:
        try:
            import glfw
        except Exception as exc:  # the wheel's libglfw failed to load
            conn.send(("unavailable", f"glfw can't load: {exc}"))
            return
        glfw.set_error_callback(_on_glfw_error)
        if not glfw.init():
            conn.send(("unavailable", f"no display: {_glfw_error(glfw)}"))
            return
        try:
            try:
                window = StageWindow(ring, conn, display, fullscreen, vsync, title)
            except Exception as exc:
                conn.send(("unavailable", f"{exc} ({_glfw_error(glfw)})"))
                return
            window.run()
        finally:
            glfw.terminate()
    except (BrokenPipeError, EOFError, ConnectionResetError):
        pass  # the parent went away: so do we
    finally:
        ring.close()
