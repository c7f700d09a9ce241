"""Measure the candidate window libraries for the stage window (issue 10), one per process.

Each candidate opens a borderless full-screen window on the X server in ``$DISPLAY`` (run
under ``xvfb-run -s "-screen 0 1920x1080x24"`` or a real desktop), makes an OpenGL 3.3 core
context, and draws a 512x512 I420 frame through the same shader renderer the stage window
uses (:mod:`perform.program.window.gl`), paced at 30 fps. The GL work is identical; what
differs is the library's window, context, event pump and swap. Figures: present rate, the
p99 interval between presents, the latency from "frame due" to "swap done" (p95), the
process CPU per presented frame, and the unpaced ceiling.

Not part of the package: the candidates are installed only to run this
(``uv pip install glfw pysdl2 pysdl2-dll pyglet pygame-ce moderngl``).
Usage: ``python -m perform.bench.window_candidates [glfw sdl2 pygame pyglet] [--seconds 5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy

CANDIDATES = ("glfw", "sdl2", "pygame", "pyglet")


def _test_frame(size: int, t: int) -> numpy.ndarray:
    yy, xx = numpy.mgrid[0:size, 0:size]
    y = ((xx + yy + t) % 220 + 16).astype(numpy.uint8)
    c = numpy.full((size // 2 * size // 2 * 2,), 128, numpy.uint8).reshape(-1, size)
    return numpy.concatenate([y, c])


def _open(
    kind: str,
) -> tuple[Callable[[], None], Callable[[], None], Callable[[], tuple[int, int]]]:
    """Open a full-screen window with a current GL 3.3 core context; return (swap, pump,
    framebuffer size)."""
    if kind == "glfw":
        import glfw

        if not glfw.init():
            raise RuntimeError("glfw.init failed")
        glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
        glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
        glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
        glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)
        glfw.window_hint(glfw.DECORATED, False)
        monitor = glfw.get_primary_monitor()
        mode = glfw.get_video_mode(monitor)
        win = glfw.create_window(mode.size.width, mode.size.height, "c", monitor, None)
        glfw.make_context_current(win)
        glfw.swap_interval(1)
        return (
            lambda: glfw.swap_buffers(win),
            glfw.poll_events,
            lambda: tuple(glfw.get_framebuffer_size(win)),  # type: ignore[return-value]
        )
    if kind == "sdl2":
        import ctypes

        import sdl2

        sdl2.SDL_Init(sdl2.SDL_INIT_VIDEO)
        sdl2.SDL_GL_SetAttribute(sdl2.SDL_GL_CONTEXT_MAJOR_VERSION, 3)
        sdl2.SDL_GL_SetAttribute(sdl2.SDL_GL_CONTEXT_MINOR_VERSION, 3)
        sdl2.SDL_GL_SetAttribute(sdl2.SDL_GL_CONTEXT_PROFILE_MASK, sdl2.SDL_GL_CONTEXT_PROFILE_CORE)
        flags = sdl2.SDL_WINDOW_OPENGL | sdl2.SDL_WINDOW_FULLSCREEN_DESKTOP
        win = sdl2.SDL_CreateWindow(b"c", 0, 0, 1920, 1080, flags)
        sdl2.SDL_GL_CreateContext(win)
        sdl2.SDL_GL_SetSwapInterval(1)
        event = sdl2.SDL_Event()

        def pump() -> None:
            while sdl2.SDL_PollEvent(ctypes.byref(event)):
                pass

        def size() -> tuple[int, int]:
            w, h = ctypes.c_int(), ctypes.c_int()
            sdl2.SDL_GL_GetDrawableSize(win, ctypes.byref(w), ctypes.byref(h))
            return w.value, h.value

        return (lambda: sdl2.SDL_GL_SwapWindow(win), pump, size)
    if kind == "pygame":
        os.environ["PYGAME_HIDE_SUPPORT_PROMPT"] = "1"
        import pygame

        pygame.display.init()
        pygame.display.gl_set_attribute(pygame.GL_CONTEXT_MAJOR_VERSION, 3)
        pygame.display.gl_set_attribute(pygame.GL_CONTEXT_MINOR_VERSION, 3)
        pygame.display.gl_set_attribute(
            pygame.GL_CONTEXT_PROFILE_MASK, pygame.GL_CONTEXT_PROFILE_CORE
        )
        flags = pygame.OPENGL | pygame.DOUBLEBUF | pygame.FULLSCREEN | pygame.NOFRAME
        try:
            surface = pygame.display.set_mode((0, 0), flags, vsync=1)
        except pygame.error:  # "regular vsync for OpenGL not available" under Xvfb
            surface = pygame.display.set_mode((0, 0), flags)
        return (pygame.display.flip, pygame.event.pump, surface.get_size)
    if kind == "pyglet":
        import pyglet

        config = pyglet.gl.Config(
            major_version=3, minor_version=3, forward_compatible=True, double_buffer=True
        )
        win = pyglet.window.Window(fullscreen=True, config=config, vsync=True)
        win.switch_to()
        return (win.flip, win.dispatch_events, win.get_framebuffer_size)
    raise SystemExit(f"unknown candidate {kind}")


def measure(kind: str, seconds: float, fps: float) -> dict[str, Any]:
    import moderngl

    from perform.program.window.gl import I420Renderer

    t_open = time.perf_counter()
    swap, pump, size = _open(kind)
    ctx = moderngl.create_context()
    renderer = I420Renderer(ctx)
    open_s = time.perf_counter() - t_open
    frames = [_test_frame(512, t) for t in range(8)]

    def one(i: int) -> None:
        pump()
        renderer.upload(frames[i % len(frames)])
        w, h = size()
        renderer.draw(w, h)
        swap()
        ctx.finish()

    for i in range(10):
        one(i)
    # Paced at the source rate.
    period = 1.0 / fps
    presents: list[float] = []
    latencies: list[float] = []
    cpu0 = time.process_time()
    start = time.perf_counter()
    i = 0
    while True:
        due = start + i * period
        now = time.perf_counter()
        if now - start > seconds:
            break
        if now < due:
            time.sleep(due - now)
        elif now - due > period:
            # Behind: skip to the newest frame, as the latest-wins window does.
            i = int((now - start) / period)
            due = start + i * period
        one(i)
        done = time.perf_counter()
        presents.append(done)
        latencies.append(done - due)
        i += 1
    cpu = time.process_time() - cpu0
    intervals = [b - a for a, b in zip(presents, presents[1:], strict=False)]
    # Unpaced ceiling.
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min(seconds, 3.0):
        one(n)
        n += 1
    ceiling = n / (time.perf_counter() - t0)
    q = statistics.quantiles
    w, h = size()
    return {
        "candidate": kind,
        "framebuffer": f"{w}x{h}",
        "renderer": ctx.info.get("GL_RENDERER", "?"),
        "open_s": round(open_s, 3),
        "present_fps": round(len(presents) / (presents[-1] - start), 2),
        "interval_ms_p99": round(q(intervals, n=100)[98] * 1e3, 2),
        "latency_ms_p95": round(q(latencies, n=100)[94] * 1e3, 2),
        "cpu_ms_per_frame": round(cpu / len(presents) * 1e3, 2),
        "unpaced_fps": round(ceiling, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("candidates", nargs="*", default=list(CANDIDATES))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.candidates[0], args.seconds, args.fps)))
        return 0
    rows = []
    for kind in args.candidates:
        proc = subprocess.run(
            [sys.executable, __file__, kind, "--one", "--seconds", str(args.seconds)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        lines = proc.stdout.strip().splitlines()
        if proc.returncode != 0 or not lines:
            rows.append({"candidate": kind, "error": (proc.stderr.strip() or "?")[-300:]})
        else:
            rows.append(json.loads(lines[-1]))
        print(json.dumps(rows[-1]), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
