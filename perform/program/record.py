"""``--record PATH``: the program, as the audience saw it, into a file.

A :class:`~perform.program.sink.ProgramSink` around :class:`perform.stream.recorder.Recorder`
(PyAV, its own thread, a small queue that drops rather than blocks). Frames are stamped
with the bus's pts, so the file's timeline is the show's: a Scope stall shows as the
organism that stood in, not as a gap.
"""

from __future__ import annotations

from pathlib import Path

import av

from perform.program.frame import ProgramFrame
from perform.program.sink import SinkState, SinkStatus
from perform.stream.recorder import Recorder


class RecordSink:
    kind = "record"

    def __init__(self, path: str | Path, *, fps: int = 30) -> None:
        self.recorder = Recorder(path, fps=fps)
        self.name = str(self.recorder.path)
        self._started = False

    def start(self) -> None:
        self.recorder.start()
        self._started = True

    def submit(self, frame: ProgramFrame) -> None:
        if frame.stream != "program" or self.recorder.error:
            return
        video = av.VideoFrame.from_ndarray(frame.yuv, format="yuv420p")
        self.recorder(video, at=frame.pts)

    def status(self) -> SinkStatus:
        r = self.recorder
        if r.error:
            state, detail = SinkState.UNAVAILABLE, f"recording stopped: {r.error}"
        else:
            state, detail = (SinkState.ON, "") if self._started else (SinkState.OFF, "")
        return SinkStatus(self.kind, self.name, state, detail, r.frames, r.dropped)

    def close(self) -> None:
        if self._started:
            self._started = False
            self.recorder.stop()
