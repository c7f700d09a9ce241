"""The stage window as a :class:`~perform.program.sink.ProgramSink`: the parent's side.

The window lives in a child process (see :mod:`perform.program.window.child`) fed through
a shared-memory ring (:mod:`perform.program.window.ring`). ``submit`` is one memcpy into
the ring and never waits for the window. A supervisor thread here watches the child: if it
dies, or stops beating for ``hang_s`` (a GL driver stuck in a swap, a stopped process), it
is killed and a new one started ``retry_s`` later, showing the newest frame at once, on the
same display and in the same full-screen state. The show never waits for any of it.

Commands (full-screen, display) go to the child through a queue that the supervisor
drains, so an app action never blocks on a pipe either.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import multiprocessing
import os
import queue
import sys
import threading
import time
from typing import Any

import numpy

from perform.program.frame import ProgramFrame
from perform.program.sink import SinkState, SinkStatus
from perform.program.window.ring import FrameRing

log = logging.getLogger(__name__)

INSTALL_HINT = "the stage window needs glfw and moderngl: uv sync (they are default dependencies)"


def display_unavailable() -> str | None:
    """Why no window can open here (None when one may): missing libraries, or no display
    on a Linux/BSD machine. Cheap: imports nothing heavy, opens nothing."""
    for module in ("glfw", "moderngl"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed ({INSTALL_HINT})"
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")) and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return (
            "no display: neither DISPLAY nor WAYLAND_DISPLAY is set (run perform from the "
            "desktop session that drives the projector)"
        )
    return None


class WindowSink:
    """The borderless, full-screen, letterboxed stage window."""

    kind = "window"

    def __init__(
        self,
        name: str = "perform",
        display: int = 1,
        fullscreen: bool = True,
        vsync: bool = True,
        max_width: int = 2048,
        max_height: int = 2048,
        hang_s: float = 3.0,
        start_timeout_s: float = 30.0,
        retry_s: float = 1.0,
        stream: str = "program",
        **_: Any,
    ) -> None:
        self.name = name
        self.display = max(1, int(display))
        """1-based, as ``perform outputs`` numbers them (and ``[output] window.display``);
        a number past the last display falls back to the last one."""
        self.fullscreen = fullscreen
        self.vsync = vsync
        self.max_size = (max_width, max_height)
        self.hang_s = hang_s
        self.start_timeout_s = start_timeout_s
        self.retry_s = retry_s
        self.stream = stream
        """Which stream this window shows (the program, unless told otherwise)."""
        self._state = SinkState.OFF
        self._detail = ""
        self._failures = 0
        self._submitted = 0
        self._oversize = 0
        self._presented = 0
        self._ring: FrameRing | None = None
        self._process: Any = None
        self._conn: Any = None
        self._commands: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._replies: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.window_state: dict[str, Any] = {}
        """The child's last report: fullscreen, display, displays, framebuffer, renderer."""

    # -- ProgramSink ---------------------------------------------------------------------

    def start(self) -> None:
        try:
            if self._thread is not None and self._thread.is_alive():
                return
            why = display_unavailable()
            if why is not None:
                self._set(SinkState.UNAVAILABLE, why)
                return
            if self._ring is None:
                self._ring = FrameRing.create(*self.max_size)
            self._stop.clear()
            while not self._commands.empty():  # a "quit" left by an earlier close()
                self._commands.get_nowait()
            self._set(SinkState.STARTING, "opening the window")
            self._thread = threading.Thread(
                target=self._supervise, name="perform-window", daemon=True
            )
            self._thread.start()
        except Exception as exc:  # never into the bus
            self._fail(f"could not start the window: {exc}")

    def submit(self, frame: ProgramFrame) -> None:
        try:
            ring = self._ring
            if ring is None or frame.stream != self.stream:
                return
            if self._state not in (SinkState.ON, SinkState.STARTING, SinkState.RETRYING):
                return
            if not ring.fits(frame.width, frame.height):
                self._oversize += 1
                return
            ring.write(frame.yuv, frame.index, frame.pts, frame.source)
            self._submitted += 1
        except Exception as exc:
            log.debug("window submit failed: %s", exc)

    def status(self) -> SinkStatus:
        if self._ring is not None:
            self._presented = self._ring.presented_count
        presented = self._presented
        with self._lock:
            state, detail = self._state, self._detail
        if state is SinkState.ON:
            detail = self._describe()
        if self._oversize:
            w, h = self.max_size
            detail += f"; {self._oversize} frames larger than {w}x{h} were not shown"
        return SinkStatus(
            kind=self.kind,
            name=self.name,
            state=state,
            detail=detail,
            frames=presented,
            dropped=max(0, self._submitted - presented - 1) + self._oversize,
            failures=self._failures,
        )

    def close(self) -> None:
        self._stop.set()
        self._commands.put(("quit",))
        thread = self._thread
        if thread is not None:
            thread.join(timeout=10)
        self._thread = None
        self._reap(graceful=True)
        if self._ring is not None:
            self._presented = self._ring.presented_count
            self._ring.close()
            self._ring = None
        if self._state is not SinkState.UNAVAILABLE:
            self._set(SinkState.OFF, "")

    # -- actions (the app's, and the window's own keys do the same in the child) ----------

    def toggle_fullscreen(self) -> None:
        self._commands.put(("fullscreen", None))

    def set_fullscreen(self, on: bool) -> None:
        self.fullscreen = on
        self._commands.put(("fullscreen", on))

    def next_display(self) -> None:
        self._commands.put(("display", None))

    def set_display(self, number: int) -> None:
        """Move to display ``number`` (1-based, as ``perform outputs`` lists them)."""
        self.display = max(1, int(number))
        self._commands.put(("display", self.display - 1))

    # -- for tests and the bench ---------------------------------------------------------

    def readback(self, timeout: float = 30.0) -> numpy.ndarray:
        """What the window shows now: ``(h, w, 3)`` uint8 RGB, read back from its
        framebuffer after drawing the newest frame."""
        reply = self._request(("readback",), "readback", timeout)
        _, w, h, data = reply
        return numpy.frombuffer(data, numpy.uint8).reshape(h, w, 3)

    def stats(self, timeout: float = 30.0) -> tuple[list[tuple[Any, ...]], float]:
        """The child's present records ``(seq, index, submitted, picked_up, presented,
        upload_s)`` (``perf_counter`` times, comparable across processes) and its CPU
        seconds so far."""
        reply = self._request(("stats",), "stats", timeout)
        return [tuple(r) for r in reply[1]], float(reply[2])

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None else None

    def _request(self, command: tuple[Any, ...], kind: str, timeout: float) -> tuple[Any, ...]:
        while True:  # drop stale replies
            try:
                self._replies.get_nowait()
            except queue.Empty:
                break
        self._commands.put(command)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the window did not answer {kind!r} within {timeout:.0f} s")
            try:
                reply = self._replies.get(timeout=remaining)
            except queue.Empty:
                continue
            if reply[0] == kind:
                return reply

    # -- the supervisor ------------------------------------------------------------------

    def _set(self, state: SinkState, detail: str) -> None:
        with self._lock:
            self._state = state
            self._detail = detail

    def _fail(self, why: str) -> None:
        self._failures += 1
        self._set(SinkState.RETRYING, why)
        log.warning("stage window: %s", why)

    def _spawn(self) -> None:
        from perform.program.window import child

        assert self._ring is not None
        ctx = multiprocessing.get_context("spawn")
        parent, child_end = ctx.Pipe(duplex=True)
        self._ring.reset_child_state()
        process = ctx.Process(
            target=child.main,
            args=(
                self._ring.name,
                self._ring.capacity,
                child_end,
                self.display - 1,
                self.fullscreen,
                self.vsync,
                self.name,
            ),
            name="perform-stage-window",
            daemon=True,
        )
        process.start()
        child_end.close()
        self._process, self._conn = process, parent

    def _reap(self, graceful: bool = False) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if process is None:
            return
        if graceful and process.is_alive():
            with contextlib.suppress(Exception):
                conn.send(("quit",))
            process.join(timeout=3)
        if process.is_alive():
            process.kill()
        process.join(timeout=5)
        with contextlib.suppress(Exception):
            conn.close()
        with contextlib.suppress(ValueError):
            process.close()

    def _supervise(self) -> None:
        while not self._stop.is_set():
            try:
                outcome = self._run_child()
            except Exception as exc:
                outcome = f"window supervisor error: {exc}"
            self._reap(graceful=self._stop.is_set())
            if self._stop.is_set() or outcome is None:
                return
            self._fail(f"{outcome}; restarting")
            if self._stop.wait(self.retry_s):
                return

    def _run_child(self) -> str | None:
        """Run one child until it fails (returns why) or we stop (None)."""
        self._spawn()
        process, conn, ring = self._process, self._conn, self._ring
        assert process is not None and conn is not None and ring is not None
        started = time.monotonic()
        ready = False
        while not self._stop.is_set():
            try:
                while conn.poll(0.02):
                    message = conn.recv()
                    what = message[0]
                    if what in ("ready", "state"):
                        self.window_state = dict(message[1])
                        self.display = int(message[1]["display"]) + 1
                        self.fullscreen = bool(message[1]["fullscreen"])
                        if what == "ready":
                            ready = True
                            self._set(SinkState.ON, self._describe())
                    elif what == "unavailable":
                        self._set(SinkState.UNAVAILABLE, str(message[1]))
                        self._stop.set()
                        return None
                    else:
                        self._replies.put(message)
            except (EOFError, OSError):
                time.sleep(0.02)  # the child is going; the checks below say how
            while True:
                try:
                    command = self._commands.get_nowait()
                except queue.Empty:
                    break
                if command[0] == "quit" and self._stop.is_set():
                    return None
                try:
                    conn.send(command)
                except (OSError, ValueError):
                    break
            if not process.is_alive():
                from perform.logs import log_dir

                return (
                    f"the window process died (exit code {process.exitcode};"
                    f" its output is in {log_dir() / 'window.log'})"
                )
            if not ready:
                if time.monotonic() - started > self.start_timeout_s:
                    return f"the window did not open within {self.start_timeout_s:.0f} s"
                continue
            age = time.perf_counter() - ring.heartbeat
            if age > self.hang_s:
                return f"the window process hung (no heartbeat for {age:.1f} s)"
        return None

    def _describe(self) -> str:
        state = self.window_state
        displays = state.get("displays") or []
        index = int(state.get("display", 0))
        where = displays[index] if 0 <= index < len(displays) else {}
        fb = state.get("framebuffer") or (0, 0)
        mode = "full-screen" if state.get("fullscreen") else "windowed"
        return (
            f"{mode} on display {index + 1} of {len(displays)}"
            f" ({where.get('name', '?')} {where.get('width', '?')}x{where.get('height', '?')}),"
            f" {fb[0]}x{fb[1]}"
        )
