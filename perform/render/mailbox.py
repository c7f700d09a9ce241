"""A size-1, latest-wins slot between the engine thread and its readers."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy


@dataclass(frozen=True, slots=True)
class Frame:
    """One rendered frame, in host memory, never mutated after it is posted."""

    rgb: numpy.ndarray
    """``(height, width, 3)`` uint8."""
    seq: int
    """1, 2, 3... in production order."""
    sim_time: float
    """Seconds of simulation (steps / steps per second) when it was rendered."""
    produced_at: float
    """``time.perf_counter()`` when it was posted."""
    param_version: int
    """Version of the parameter snapshot the last step before it used."""
    yuv420p: numpy.ndarray | None = None
    """The same frame as I420 (``(height * 3 // 2, width)`` uint8, Y then U then V planes,
    the layout ``av.VideoFrame.from_ndarray(format="yuv420p")`` takes), when the renderer
    provides it; the stream then converts nothing on the CPU."""

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])


class FrameMailbox:
    """Holds only the newest frame: a slow reader skips frames, it never queues them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frame: Frame | None = None
        self.posted = 0
        self.replaced_unread = 0
        self.wanted: tuple[float, float] | None = None
        """(next take time, period) from the stream's track, if one pulls."""
        self._read_seq = 0

    def want(self, at: float, period: float) -> None:
        """The stream says when it will take its next frame (``perf_counter`` time) and
        how often: the engine then renders each frame just before it is taken, instead of
        at an unrelated phase (which can cost almost a frame of latency)."""
        self.wanted = (at, period)

    def next_wanted(self, now: float) -> float | None:
        """The first take time after ``now`` (None without a recent schedule)."""
        wanted = self.wanted
        if wanted is None:
            return None
        at, period = wanted
        if now - at > 1.0:  # the stream stopped pulling: forget it
            return None
        if at <= now:
            at += (int((now - at) / period) + 1) * period
        return at

    def put(self, frame: Frame) -> None:
        with self._lock:
            if self._frame is not None and self._frame.seq > self._read_seq:
                self.replaced_unread += 1
            self._frame = frame
            self.posted += 1

    def latest(self) -> Frame | None:
        """The newest frame (or None before the first one); marks it read."""
        with self._lock:
            frame = self._frame
            if frame is not None:
                self._read_seq = max(self._read_seq, frame.seq)
            return frame

    def peek(self) -> Frame | None:
        """The newest frame without marking it read (previews, diagnostics)."""
        return self._frame
