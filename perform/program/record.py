"""``--record PATH``: the program, as the audience saw it, into a file.

A :class:`~perform.program.sink.ProgramSink` that encodes with PyAV (H.264 ``veryfast``,
or MPEG-4 when libx264 is missing) on the feeder thread the bus gives every sink: a slow
disk makes the recording skip frames (the feeder's latest-wins slot), never the show.
Frames are stamped with the bus's pts in milliseconds, so the file's timeline is the
show's: uneven arrivals stay uneven, and a Scope stall shows as the organism that stood
in, not as a gap. A failure (a full or unplugged disk) stops the recording with the reason
in its status; the show goes on.
"""

from __future__ import annotations

import fractions
import logging
from pathlib import Path

import av

from perform.errors import StreamError
from perform.program.frame import ProgramFrame
from perform.program.sink import SinkState, SinkStatus

log = logging.getLogger(__name__)

MS = fractions.Fraction(1, 1000)


class RecordSink:
    kind = "record"

    def __init__(self, path: str | Path, *, fps: int = 30) -> None:
        self.path = Path(path)
        if not self.path.parent.exists():
            raise StreamError(f"--record {self.path}: folder {self.path.parent} does not exist")
        self.name = str(self.path)
        self.fps = fps
        self.frames = 0
        self.error: str | None = None
        self._started = False
        self._container: av.container.OutputContainer | None = None
        self._stream: av.VideoStream | None = None
        self._t0 = 0.0
        self._last_pts = -1

    def start(self) -> None:
        self._started = True

    def submit(self, frame: ProgramFrame) -> None:
        if frame.stream != "program" or self.error or not self._started:
            return
        try:
            self._encode(frame)
        except Exception as exc:  # a full disk must not stop the show
            self._failed(exc)

    def _encode(self, frame: ProgramFrame) -> None:
        video = av.VideoFrame.from_ndarray(frame.yuv, format="yuv420p")
        if self._stream is None:
            self._open(video)
            self._t0 = frame.pts
        assert self._container is not None and self._stream is not None
        pts = max(self._last_pts + 1, round((frame.pts - self._t0) * 1000))
        video.pts, video.time_base, self._last_pts = pts, MS, pts
        for packet in self._stream.encode(video):
            self._container.mux(packet)
        self.frames += 1

    def _open(self, frame: av.VideoFrame) -> None:
        self._container = av.open(str(self.path), mode="w")
        try:
            stream = self._container.add_stream("libx264", rate=self.fps)
            stream.options = {"preset": "veryfast", "crf": "20"}
        except Exception:
            stream = self._container.add_stream("mpeg4", rate=self.fps)
        stream.width, stream.height = frame.width, frame.height
        stream.pix_fmt = "yuv420p"
        # Millisecond timestamps at the codec too: arrival times are uneven, and a 1/fps
        # codec time base would round two close frames onto one pts.
        stream.time_base = stream.codec_context.time_base = MS
        self._stream = stream

    def _failed(self, exc: Exception) -> None:
        self.error = f"{type(exc).__name__}: {exc}"
        log.error("recording to %s stopped: %s", self.path, self.error)
        log.debug("recorder failure", exc_info=True)

    def status(self) -> SinkStatus:
        if self.error:
            state, detail = SinkState.UNAVAILABLE, f"recording stopped: {self.error}"
        else:
            state, detail = (SinkState.ON, "") if self._started else (SinkState.OFF, "")
        return SinkStatus(self.kind, self.name, state, detail, self.frames)

    def close(self) -> None:
        self._started = False
        container, stream, self._container, self._stream = self._container, self._stream, None, None
        if container is None:
            return
        try:
            if stream is not None and not self.error:
                for packet in stream.encode(None):
                    container.mux(packet)
        except Exception as exc:
            self._failed(exc)
        finally:
            container.close()
