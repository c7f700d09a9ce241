"""Writing frames to files with PyAV: PNG stills and sheets, video clips from I420."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import cast

import av
import numpy
from av.video.stream import VideoStream

from perform.errors import PerformError

VIDEO_SUFFIXES = {".mp4": "libx264", ".mkv": "libx264", ".mov": "libx264", ".webm": "libvpx"}


def write_png(path: Path, rgb: numpy.ndarray) -> None:
    """One ``(H, W, 3)`` uint8 image as a PNG (PyAV's image2 muxer with the png encoder)."""
    frame = av.VideoFrame.from_ndarray(numpy.ascontiguousarray(rgb), format="rgb24")
    _encode(path, "png", "rgb24", [frame], rgb.shape[1], rgb.shape[0], format="image2")


def sheet(images: list[numpy.ndarray], gap: int = 2) -> numpy.ndarray:
    """Images side by side, separated by ``gap`` black columns."""
    height = images[0].shape[0]
    parts = []
    for i, image in enumerate(images):
        if i:
            parts.append(numpy.zeros((height, gap, 3), numpy.uint8))
        parts.append(image)
    return numpy.concatenate(parts, axis=1)


def write_video(
    path: Path, planes: Iterable[numpy.ndarray], width: int, height: int, fps: float
) -> int:
    """Encode yuv420p planes (``(H*3/2, W)`` uint8) to a video file; returns the frame count."""
    frames = (av.VideoFrame.from_ndarray(yuv, format="yuv420p") for yuv in planes)
    codec = VIDEO_SUFFIXES[path.suffix.lower()]
    return _encode(path, codec, "yuv420p", frames, width, height, rate=round(fps))


def _encode(
    path: Path,
    codec: str,
    pix_fmt: str,
    frames: Iterable[av.VideoFrame],
    width: int,
    height: int,
    *,
    format: str | None = None,
    rate: int | None = None,
) -> int:
    """Encode ``frames`` into ``path`` (flushing the encoder); returns the frame count."""
    count = 0
    try:
        with av.open(str(path), "w", format=format) as container:
            stream = cast(VideoStream, container.add_stream(codec, rate=rate))
            stream.width, stream.height = width, height
            stream.pix_fmt = pix_fmt
            for frame in frames:
                for packet in stream.encode(frame):
                    container.mux(packet)
                count += 1
            for packet in stream.encode():
                container.mux(packet)
    except OSError as exc:
        raise PerformError(f"{path}: cannot write ({exc})") from None
    return count
