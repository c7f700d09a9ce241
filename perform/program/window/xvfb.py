"""A private X server (Xvfb with Mesa's software OpenGL) for tests and for the window bench
on a machine without a desktop.

``-displayfd`` lets Xvfb pick a free display number and tell us, so parallel runs never
collide; ``LIBGL_ALWAYS_SOFTWARE=1`` makes Mesa use llvmpipe even where a GPU driver is
installed, so figures and pixels are the same everywhere.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass


class XvfbUnavailable(RuntimeError):
    """Xvfb isn't installed or didn't start (the message says which)."""


@dataclass(frozen=True)
class Xvfb:
    display: str
    """``:N``."""
    width: int
    height: int
    pid: int


@contextlib.contextmanager
def private_xvfb(
    width: int = 1920, height: int = 1080, screens: int = 1, timeout: float = 30.0
) -> Iterator[Xvfb]:
    """Start ``Xvfb`` with ``screens`` side-by-side monitors of ``width x height`` (Xinerama,
    so a window library sees several displays) and point ``DISPLAY`` at it for the block;
    restore the environment and stop the server after."""
    exe = shutil.which("Xvfb")
    if exe is None:
        raise XvfbUnavailable(
            "Xvfb is not installed (Debian/Ubuntu: apt-get install xvfb xauth libgl1-mesa-dri)"
        )
    read_fd, write_fd = os.pipe()
    args = [exe, "-displayfd", str(write_fd), "-nolisten", "tcp", "-noreset"]
    for n in range(screens):
        args += ["-screen", str(n), f"{width}x{height}x24"]
    if screens > 1:
        args.append("+xinerama")
    proc = subprocess.Popen(
        args, pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    os.close(write_fd)
    try:
        number = b""
        deadline = time.monotonic() + timeout
        while not number.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([read_fd], [], [], max(remaining, 0))
            chunk = os.read(read_fd, 16) if ready else b""
            if not chunk:
                proc.kill()
                _, err = proc.communicate(timeout=5)
                raise XvfbUnavailable(
                    f"Xvfb did not start: {err.decode(errors='replace').strip()[-300:]}"
                )
            number += chunk
    finally:
        os.close(read_fd)
    saved = {k: os.environ.get(k) for k in ("DISPLAY", "LIBGL_ALWAYS_SOFTWARE", "WAYLAND_DISPLAY")}
    os.environ["DISPLAY"] = f":{number.decode().strip()}"
    os.environ["LIBGL_ALWAYS_SOFTWARE"] = "1"
    os.environ.pop("WAYLAND_DISPLAY", None)
    try:
        yield Xvfb(os.environ["DISPLAY"], width, height, proc.pid)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()
