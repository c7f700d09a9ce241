"""Scope's returned video: consumed continuously, measured, kept for the preview and the program.

The remote track must be read all the time (a blocked ``recv()`` backs frames up inside
aiortc). Each frame is converted to RGB on a worker thread and put in :attr:`mailbox`, a
``FrameMailbox`` the TUI preview reads like the engine's, together with the decoder's own
I420 planes (``Frame.yuv420p``) that the program bus composes without converting anything.
The receiver outlives streams: a reconnect feeds the same mailbox, so the preview keeps
the last picture through a gap (the program bus notices the gap and fails over).

A pause (``scope.paused``) is a :meth:`OutputReceiver.hold` here, not a message to Scope:
Scope 0.2.3+ answers ``paused`` by re-sending its last frame with an older timestamp, its
encoder fails ("pts is smaller than initial pts") and its output is gone for the session.
While held, frames keep arriving (and feed the watchdog and the figures) but the mailbox
(the preview, the program and so its recording) keeps the picture the pause froze.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from perform.rates import RateMeter
from perform.render.mailbox import Frame, FrameMailbox
from perform.stream import stamp


class OutputReceiver:
    """Reads Scope's frames into :attr:`mailbox`, with fps and latency figures."""

    def __init__(
        self,
        *,
        sent_at: Mapping[int, float] | None = None,
        input_width: int = 0,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.mailbox = FrameMailbox()
        self.sent_at = sent_at
        self.input_width = input_width
        self.clock = clock
        self.frames = 0
        self.meter = RateMeter()
        self.latencies_ms: deque[float] = deque(maxlen=120)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="perform-scope-out")
        self._seq = 0
        self.held = False
        """Paused: the mailbox keeps the last picture (see the module doc)."""

    @property
    def fps(self) -> float:
        return self.meter.rate(self.clock())

    @property
    def latency_ms(self) -> float | None:
        if not self.latencies_ms:
            return None
        return float(numpy.median(self.latencies_ms))

    async def consume(
        self, track: MediaStreamTrack, on_frame: Callable[[], None] | None = None
    ) -> None:
        """Read ``track`` until it ends (returns quietly); ``on_frame`` after each frame."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                video = await track.recv()
            except MediaStreamError:
                return
            now = self.clock()
            self.frames += 1
            self.meter.add(now)
            try:
                await loop.run_in_executor(self._executor, self._take, video, now)
            except RuntimeError:  # executor shut down while stopping
                return
            if on_frame is not None:
                on_frame()

    def hold(self, on: bool) -> None:
        """Freeze (True) or release (False) what the mailbox shows."""
        self.held = on

    def _take(self, video: Any, now: float) -> None:
        rgb = video.to_ndarray(format="rgb24")
        if not (self.held and self._seq):  # held: the picture the pause froze stays
            yuv = None
            if video.width % 2 == 0 and video.height % 2 == 0:
                yuv = video.to_ndarray(format="yuv420p")  # the decoder's planes: a copy
            self._seq += 1
            self.mailbox.put(Frame(rgb, self._seq, 0.0, now, 0, yuv))
        if self.sent_at is not None and self.input_width:
            seq = stamp.read_rgb(rgb, rgb.shape[1] / self.input_width)
            sent = self.sent_at.get(seq) if seq is not None else None
            if sent is not None:
                self.latencies_ms.append((now - sent) * 1e3)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
