"""Spout (Windows): the program as a Spout sender that Resolume, TouchDesigner, OBS (with
the Spout plugin) and MadMapper list by name. Through ``SpoutGL`` (``uv sync --extra
spout``), which shares an OpenGL texture; the sink's feeder thread makes its own hidden GL
context with moderngl for it.

Can't run on Linux or macOS (refused with why); on Windows it is a thin adapter.
"""

from __future__ import annotations

import sys
from typing import Any

from perform.program.frame import ProgramFrame
from perform.program.sinks.base import RetryingSink, missing

GL_RGB = 0x1907


class SpoutSink(RetryingSink):
    kind = "spout"

    def unavailable(self) -> str | None:
        if sys.platform != "win32":
            return (
                "Spout is Windows-only; here use NDI (uv sync --extra ndi) or the virtual "
                "camera (uv sync --extra vcam)"
                + ("; on macOS, Syphon" if sys.platform == "darwin" else "")
            )
        return missing("SpoutGL", "spout")

    def open_output(self, stream: str, name: str, frame: ProgramFrame) -> Any:
        import moderngl
        import SpoutGL

        ctx = moderngl.create_standalone_context()  # current on this (the feeder) thread
        sender = SpoutGL.SpoutSender()
        sender.setSenderName(name)
        return (sender, ctx)

    def send(self, output: Any, frame: ProgramFrame) -> None:
        sender, ctx = output
        rgb = frame.to_rgb()
        with ctx:  # this output's GL context current while Spout copies into its texture
            ok = sender.sendImage(rgb.tobytes(), frame.width, frame.height, GL_RGB, False, 0)
        if not ok:
            raise RuntimeError("Spout refused the frame")

    def close_output(self, output: Any) -> None:
        sender, ctx = output
        sender.releaseSender()
        ctx.release()
