"""NDI: the program (and optionally the organism) as NDI sources on the LAN, for Resolume,
TouchDesigner, OBS, vMix... on this machine or another.

Through ``cyndilib`` (``uv sync --extra ndi``), whose Linux x86_64 and Windows wheels ship
the NDI runtime (``libndi.so``, ``Processing.NDI.Lib.x64.dll``), so nothing else needs
installing there; its macOS wheel doesn't (install NDI Tools from ndi.video). Frames go out as I420,
the bus's own format: no conversion on our side.

Receivers find sources by mDNS. Where multicast doesn't reach (containers, some venue
networks) NDI's own config file can list IPs to ask directly (``~/.ndi/ndi-config.v1.json``
or ``$NDI_CONFIG_DIR``, ``{"ndi": {"networks": {"ips": "192.168.1.20"}}}``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from perform.program.frame import ProgramFrame
from perform.program.sinks.base import RetryingSink, missing


class NdiSink(RetryingSink):
    kind = "ndi"

    def unavailable(self) -> str | None:
        why = missing("cyndilib", "ndi")
        if why is not None:
            return why
        try:
            import cyndilib.sender  # noqa: F401  (loads the NDI runtime)
        except Exception as exc:
            return f"the NDI runtime did not load ({exc}): install NDI Tools from ndi.video"
        return None

    def open_output(self, stream: str, name: str, frame: ProgramFrame) -> Any:
        from cyndilib.sender import Sender
        from cyndilib.video_frame import VideoSendFrame
        from cyndilib.wrapper.ndi_structs import FourCC

        video = VideoSendFrame()
        video.set_resolution(frame.width, frame.height)
        video.set_frame_rate(Fraction(self.fps).limit_denominator(1001))
        video.set_fourcc(FourCC.I420)
        # clock_video=False: the bus sets the pace; a clocked sender would sleep in send.
        sender = Sender(name, clock_video=False)
        sender.set_video_frame(video)
        sender.open()
        return sender

    def send(self, output: Any, frame: ProgramFrame) -> None:
        if not output.write_video(frame.yuv.reshape(-1)):
            raise RuntimeError(f"NDI refused a {frame.width}x{frame.height} frame")

    def output_size(self, output: Any) -> tuple[int, int] | None:
        video = output.video_frame
        return tuple(video.get_resolution()) if video is not None else None  # type: ignore[return-value]

    def close_output(self, output: Any) -> None:
        output.close()
