"""Syphon (macOS): the program as a Syphon server that Resolume, VDMX, MadMapper,
TouchDesigner and OBS (with the Syphon plugin) list by name. Through ``syphon-python``
(``uv sync --extra syphon``; Metal backend, macOS 11+).

Can't run on Linux or Windows (refused with why); on macOS it is a thin adapter: the frame
is converted to RGBA on the CPU and copied into a Metal texture the server publishes.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy

from perform.program.frame import ProgramFrame
from perform.program.sinks.base import RetryingSink, missing


class SyphonSink(RetryingSink):
    kind = "syphon"

    def unavailable(self) -> str | None:
        if sys.platform != "darwin":
            return (
                "Syphon is macOS-only; here use NDI (uv sync --extra ndi) or the virtual "
                "camera (uv sync --extra vcam)"
                + ("; on Windows, Spout" if sys.platform == "win32" else "")
            )
        return missing("syphon", "syphon")

    def open_output(self, stream: str, name: str, frame: ProgramFrame) -> Any:
        import syphon
        from syphon.utils.raw import create_mtl_texture

        server = syphon.SyphonMetalServer(name)
        texture = create_mtl_texture(server.device, frame.width, frame.height)
        return (server, texture, (frame.width, frame.height))

    def send(self, output: Any, frame: ProgramFrame) -> None:
        from syphon.utils.numpy import copy_image_to_mtl_texture

        server, texture, _ = output
        rgb = frame.to_rgb()
        rgba = numpy.empty((frame.height, frame.width, 4), numpy.uint8)
        rgba[..., :3] = rgb
        rgba[..., 3] = 255
        copy_image_to_mtl_texture(rgba, texture)
        server.publish_frame_texture(texture)

    def output_size(self, output: Any) -> tuple[int, int] | None:
        return output[2]

    def close_output(self, output: Any) -> None:
        output[0].stop()
