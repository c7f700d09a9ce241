"""A virtual camera: the program as a webcam that OBS, Zoom, a browser or a capture card
input can pick (``pyvirtualcam``, ``uv sync --extra vcam``).

Linux: a v4l2loopback device (``sudo modprobe v4l2loopback devices=2 exclusive_caps=1
card_label="perform,perform organism"``). macOS and Windows: OBS's virtual camera (install
OBS, then start its virtual camera once). One device per stream: the organism, when on,
needs a second device (``organism_device``).
"""

from __future__ import annotations

from typing import Any

from perform.program.frame import ProgramFrame
from perform.program.sinks.base import RetryingSink, missing

HOW = {
    "linux": (
        "load v4l2loopback: sudo modprobe v4l2loopback devices=1 exclusive_caps=1 "
        'card_label="perform"'
    ),
    "darwin": "install OBS and start its virtual camera once (OBS: Start Virtual Camera)",
    "win32": "install OBS and start its virtual camera once (OBS: Start Virtual Camera)",
}


class VirtualCameraSink(RetryingSink):
    kind = "vcam"

    def __init__(
        self,
        device: str | None = None,
        organism_device: str | None = None,
        backend: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.device = device
        self.organism_device = organism_device
        self.backend = backend

    def unavailable(self) -> str | None:
        return missing("pyvirtualcam", "vcam")

    def hint(self) -> str | None:
        import sys
        from pathlib import Path

        if sys.platform.startswith("linux") and not any(
            Path("/sys/devices/virtual/video4linux").glob("video*")
        ):
            return f"no v4l2loopback device yet: {HOW['linux']}"
        return None

    def open_output(self, stream: str, name: str, frame: ProgramFrame) -> Any:
        import sys

        import pyvirtualcam

        device = self.organism_device if stream == "organism" else self.device
        if stream == "organism" and device is None:
            raise RuntimeError(
                "the organism needs its own virtual camera: set organism_device (e.g. /dev/video11)"
            )
        try:
            return pyvirtualcam.Camera(
                width=frame.width,
                height=frame.height,
                fps=self.fps,
                fmt=pyvirtualcam.PixelFormat.I420,
                device=device,
                backend=self.backend,
            )
        except Exception as exc:
            platform = "linux" if sys.platform.startswith("linux") else sys.platform
            how = HOW.get(platform, "see pyvirtualcam's documentation")
            raise RuntimeError(f"no virtual camera ({exc}): {how}") from exc

    def send(self, output: Any, frame: ProgramFrame) -> None:
        output.send(frame.yuv)

    def output_size(self, output: Any) -> tuple[int, int] | None:
        return (int(output.width), int(output.height))

    def close_output(self, output: Any) -> None:
        output.close()

    def describe(self) -> str:
        return super().describe() + f" as a virtual camera ({self.device or 'first free device'})"
