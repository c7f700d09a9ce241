"""``--record out.mp4``: the program written to a file with PyAV, off the loop.

The program bus feeds it through :class:`perform.program.record.RecordSink`. Frames are
handed over into a small queue and encoded on the
recorder's own thread (H.264 ``veryfast``, or MPEG-4 when libx264 is missing); a full queue
drops frames rather than slowing the show. Timestamps follow arrival time (millisecond time
base) — the program's own pts when the caller gives them — so gaps and variable rate
play back as they happened.
"""

from __future__ import annotations

import fractions
import logging
import queue
import threading
import time
from pathlib import Path

import av

from perform.errors import StreamError

log = logging.getLogger(__name__)


class Recorder:
    def __init__(self, path: str | Path, *, fps: int = 30) -> None:
        self.path = Path(path)
        self.fps = fps
        self.frames = 0
        self.dropped = 0
        self.error: str | None = None
        self._queue: queue.Queue[tuple[av.VideoFrame, float] | None] = queue.Queue(maxsize=8)
        self._thread: threading.Thread | None = None
        self._t0: float | None = None
        if not self.path.parent.exists():
            raise StreamError(f"--record {self.path}: folder {self.path.parent} does not exist")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="perform-record", daemon=True)
        self._thread.start()

    def __call__(self, frame: av.VideoFrame, at: float | None = None) -> None:
        """Hand a frame over (any thread); never blocks. ``at`` is when it was made
        (``perf_counter`` seconds; now if not given)."""
        try:
            self._queue.put_nowait((frame, time.perf_counter() if at is None else at))
        except queue.Full:
            self.dropped += 1

    def stop(self, timeout: float = 10.0) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        while thread.is_alive():  # the thread may have died (disk full): never block on it
            try:
                self._queue.put(None, timeout=0.1)
                break
            except queue.Full:
                continue
        thread.join(timeout)

    def _run(self) -> None:
        container = None
        stream = None
        last_pts = -1
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    break
                frame, at = item
                if container is None:
                    container, stream = self._open(frame)
                    self._t0 = at
                assert stream is not None and self._t0 is not None
                out = frame.reformat(width=stream.width, height=stream.height, format="yuv420p")
                pts = max(last_pts + 1, round((at - self._t0) * 1000))
                out.pts, out.time_base, last_pts = pts, fractions.Fraction(1, 1000), pts
                for packet in stream.encode(out):
                    container.mux(packet)
                self.frames += 1
            if stream is not None and container is not None:
                for packet in stream.encode(None):
                    container.mux(packet)
        except Exception as exc:  # a full disk must not stop the show
            self.error = f"{type(exc).__name__}: {exc}"
            log.error("recording to %s stopped: %s", self.path, self.error)
            log.debug("recorder failure", exc_info=True)
        finally:
            if container is not None:
                container.close()

    def _open(self, frame: av.VideoFrame) -> tuple[av.container.OutputContainer, av.VideoStream]:
        container = av.open(str(self.path), mode="w")
        try:
            stream = container.add_stream("libx264", rate=self.fps)
            stream.options = {"preset": "veryfast", "crf": "20"}
        except Exception:
            stream = container.add_stream("mpeg4", rate=self.fps)
        stream.width = frame.width - frame.width % 2
        stream.height = frame.height - frame.height % 2
        stream.pix_fmt = "yuv420p"
        # Millisecond timestamps at the codec too: arrival times are uneven, and a 1/fps
        # codec time base would round two close frames onto one pts.
        stream.time_base = fractions.Fraction(1, 1000)
        stream.codec_context.time_base = fractions.Fraction(1, 1000)
        return container, stream
