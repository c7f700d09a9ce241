"""Real pictures for program tests: organism frames from the offline renderer, and Scope-like
pictures made by PyAV's own RGB -> I420 conversion (what a decoder hands over)."""

from __future__ import annotations

import time

import av
import numpy

from engines import numpy_backend
from perform.program.frame import ProgramFrame
from perform.program.sink import SinkState, SinkStatus
from perform.render.mailbox import Frame
from perform.render.offline import frames


def organism_stills(n: int = 4, size: int = 64) -> list[numpy.ndarray]:
    """``n`` I420 organism frames (a grown medusa, ``size`` square)."""
    return [
        s.yuv
        for s in frames(
            "medusa",
            numpy_backend(),
            world=size,
            width=size,
            height=size,
            seconds=n / 30,
            warmup=1.0,
        )
    ]


def i420(rgb: numpy.ndarray) -> numpy.ndarray:
    """RGB -> I420 through libswscale (BT.601 limited range, like the decoders' output)."""
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p").to_ndarray()


def pattern(width: int, height: int, shift: int = 0) -> numpy.ndarray:
    """A bright, moving test card as I420 (``shift`` moves it)."""
    y, x = numpy.mgrid[0:height, 0:width]
    rgb = numpy.stack(
        [(x * 3 + shift * 7) % 256, (y * 5 + shift * 3) % 256, ((x + y) * 2 + shift) % 256], -1
    ).astype(numpy.uint8)
    rgb[..., 0] = numpy.maximum(rgb[..., 0], 60)
    return i420(rgb)


def mailbox_frame(yuv: numpy.ndarray, seq: int) -> Frame:
    h = yuv.shape[0] * 2 // 3
    rgb = numpy.zeros((h, yuv.shape[1], 3), numpy.uint8)
    return Frame(rgb, seq, 0.0, time.perf_counter(), 0, yuv)


class CollectingSink:
    """The test's own consumer: a real ProgramSink that keeps every frame it is given."""

    kind = "test"

    def __init__(self, name: str = "collector", delay: float = 0.0) -> None:
        self.name = name
        self.delay = delay
        self.frames: list[ProgramFrame] = []
        self.started = False
        self.closed = False

    def start(self) -> None:
        self.started = True

    def submit(self, frame: ProgramFrame) -> None:
        if self.delay:
            time.sleep(self.delay)
        self.frames.append(frame)

    def status(self) -> SinkStatus:
        state = SinkState.ON if self.started and not self.closed else SinkState.OFF
        return SinkStatus(self.kind, self.name, state, frames=len(self.frames))

    def close(self) -> None:
        self.closed = True

    def program(self) -> list[ProgramFrame]:
        return [f for f in self.frames if f.stream == "program"]
