"""The outgoing video: the organism's newest frame, paced at the stream fps, never queued.

``recv()`` is aiortc's pull. Frames leave on a fixed schedule (monotonic timestamps from
that schedule): shortly before each slot (by the recent convert+encode time) it takes the
newest frame from the engine's size-1 mailbox (the last one again when the engine is
late), converts and encodes it on one worker thread, and returns the packet at the slot,
so encode-time variations do not become send jitter. If the caller is late by more than
half a period the schedule re-anchors instead of bursting. Frames arrive as I420 when the
engine provides it; RGB frames go through one shared reformatter (aiortc would build a new
colour converter per frame).
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import av
import numpy
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.video.reformatter import VideoReformatter

from perform.config import AppConfig
from perform.render.mailbox import Frame, FrameMailbox
from perform.stream import stamp
from perform.stream.encoder import EncoderSettings, PacketEncoder

TIME_BASE = fractions.Fraction(1, 90000)
PACED_PTS_SPEED = 0.85
"""While the pacer holds the track below the stream's fps, timestamps advance at this
fraction of the wall clock (see :meth:`OrganismTrack.set_rate`)."""


@dataclass
class TrackStats:
    delivered: int = 0
    repeats: int = 0
    """Ticks where the engine had no new frame (the last one was sent again)."""
    reanchors: int = 0
    """Times the caller was so late the schedule restarted from now."""


class FrameConverter:
    """Mailbox frames -> yuv420p ``VideoFrame`` at the stream size (one shared reformatter)."""

    def __init__(self, width: int, height: int, *, stamp_frames: bool = False) -> None:
        self.width = width
        self.height = height
        self.stamp_frames = stamp_frames and stamp.fits(width, height)
        self._reformatter = VideoReformatter()
        self._black: numpy.ndarray | None = None

    def convert(self, frame: Frame | None, seq: int) -> av.VideoFrame:
        if frame is None:
            if self._black is None:
                self._black = numpy.zeros((self.height * 3 // 2, self.width), numpy.uint8)
                self._black[self.height :] = 128
            yuv = self._black.copy() if self.stamp_frames else self._black
            out = self._from_yuv(yuv, seq)
        elif frame.yuv420p is not None and (frame.width, frame.height) == (self.width, self.height):
            yuv = frame.yuv420p.copy() if self.stamp_frames else frame.yuv420p
            out = self._from_yuv(yuv, seq)
        else:
            rgb = av.VideoFrame.from_ndarray(numpy.ascontiguousarray(frame.rgb), format="rgb24")
            out = self._reformatter.reformat(
                rgb, width=self.width, height=self.height, format="yuv420p", threads=1
            )
            if self.stamp_frames:
                out = self._from_yuv(out.to_ndarray(), seq)
        return out

    def _from_yuv(self, yuv: numpy.ndarray, seq: int) -> av.VideoFrame:
        if self.stamp_frames:
            stamp.stamp_yuv420p(yuv, seq)
        return av.VideoFrame.from_ndarray(yuv, format="yuv420p")


class OrganismTrack(MediaStreamTrack):
    """aiortc video track over a :class:`FrameMailbox`."""

    kind = "video"

    def __init__(
        self,
        mailbox: FrameMailbox,
        *,
        width: int,
        height: int,
        fps: float,
        encoder: PacketEncoder | None = None,
        stamp_frames: bool = False,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        super().__init__()
        self.mailbox = mailbox
        self.period = 1.0 / fps
        self.encoder = encoder
        self.converter = FrameConverter(width, height, stamp_frames=stamp_frames)
        self.clock = clock
        self.stats = TrackStats()
        self.sent_at: dict[int, float] = {}
        """Stamp number -> send time (for latency), the last few hundred."""
        self.intervals_ms: deque[float] = deque(maxlen=2000)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="perform-encode")
        self._start: float | None = None
        self._next = 0.0
        self._last_return: float | None = None
        self._last_seq = -1
        self._last_video: av.VideoFrame | None = None
        self._last_pts = -1
        self.max_fps = fps
        self.pts_speed = 1.0
        self._pts_clock = 0.0
        """Seconds of media time so far (the wall clock's, times :attr:`pts_speed`)."""
        self._pts_slot: float | None = None
        self._count = 0
        self._produce_ms: deque[float] = deque(maxlen=60)
        self._lead_used = 0.0

    def set_rate(self, fps: float) -> None:
        """Send ``fps`` frames per second from the next slot on (the pacer's rate).

        Below the stream's fps (a pipeline slower than the input), timestamps run at
        :data:`PACED_PTS_SPEED` of the wall clock. Scope paces frames that carry
        timestamps from an anchor that only moves later (scope-contract 3.3) and its
        output queue (2 chunks) drains only when frames are due faster than they come:
        with real-time stamps the latency of the first seconds' backlog stayed locked in
        (5 s at 2 fps against a 7.5 fps pipeline) and the frames it held overflowed that
        queue, which read as a slower pipeline still. Slightly fast stamps keep that queue
        empty: each frame leaves as the pipeline makes it. Monotonic, never backwards.
        """
        self.period = 1.0 / max(fps, 0.5)
        self.pts_speed = 1.0 if fps >= self.max_fps - 1e-6 else PACED_PTS_SPEED

    def stop(self) -> None:
        super().stop()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _next_slot(self) -> float:
        """The time the next frame is due; re-anchors instead of bursting when late."""
        now = self.clock()
        if self._start is None:
            self._start = self._next = now
        elif now - self._next > self.period / 2:
            self._next = now  # too late: restart the schedule, don't burst
            self.stats.reanchors += 1
        slot = self._next
        self._next += self.period
        return slot

    def _lead(self) -> float:
        """How long before its slot a frame is taken: enough to convert and encode it."""
        if not self._produce_ms:
            return min(0.004, self.period / 2)
        recent = sorted(self._produce_ms)[int(len(self._produce_ms) * 0.9)]
        return min(self.period / 2, max(0.001, recent / 1e3 + 0.0005))

    async def recv(self) -> av.Packet | av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        slot = self._next_slot()
        self._lead_used = self._lead()
        early = slot - self._lead_used - self.clock()
        if early > 0:
            await asyncio.sleep(early)
        assert self._start is not None
        if self._pts_slot is not None:
            self._pts_clock += (slot - self._pts_slot) * self.pts_speed
        self._pts_slot = slot
        pts = max(self._last_pts + 1, round(self._pts_clock * 90000))
        self._last_pts = pts
        if self.clock is time.perf_counter:  # the engine's clock: tell it when we take frames
            self.mailbox.want(self._next - self._lead(), self.period)
        frame = self.mailbox.latest()
        seq = frame.seq if frame is not None else 0
        fresh = frame is None and self._last_video is None or seq != self._last_seq
        self._count += 1
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(
                self._executor, self._produce, frame, fresh, pts, self._count, slot
            )
        except RuntimeError:  # executor shut down: the track was stopped
            raise MediaStreamError from None
        if not fresh:
            self.stats.repeats += 1
        self._last_seq = seq
        now = self.clock()
        if self._last_return is not None:
            self.intervals_ms.append((now - self._last_return) * 1e3)
        self._last_return = now
        self.stats.delivered += 1
        if self.converter.stamp_frames:
            self.sent_at[self._count & 0xFFFF] = now
            if len(self.sent_at) > 512:
                self.sent_at.pop(next(iter(self.sent_at)))
        return result

    def _produce(
        self, frame: Frame | None, fresh: bool, pts: int, count: int, slot: float
    ) -> av.Packet | av.VideoFrame:
        """Convert and encode (worker thread), then hold the result until its slot: a
        thread's sleep is sub-millisecond, the loop's timers round up to the next ms."""
        result = self._convert_and_encode(frame, fresh, pts, count)
        self._produce_ms.append((self.clock() - (slot - self._lead_used)) * 1e3)
        wait = slot - self.clock()
        if wait > 0:
            time.sleep(wait)
        return result

    def _convert_and_encode(
        self, frame: Frame | None, fresh: bool, pts: int, count: int
    ) -> av.Packet | av.VideoFrame:
        if fresh or self._last_video is None or self.converter.stamp_frames:
            video = self.converter.convert(frame, count & 0xFFFF)
            self._last_video = video
        elif self.encoder is None:  # aiortc will hold this one: hand it a copy
            video = av.VideoFrame.from_ndarray(self._last_video.to_ndarray(), format="yuv420p")
        else:
            video = self._last_video
        video.pts = pts
        video.time_base = TIME_BASE
        if self.encoder is None:
            return video
        packet = self.encoder.encode(video)
        while packet is None:  # an encoder that holds frames: feed it the same frame again
            video.pts += 1
            packet = self.encoder.encode(video)
        return packet

    def request_keyframe(self) -> None:
        if self.encoder is not None:
            self.encoder.request_keyframe()


def track_for(config: AppConfig, mailbox: FrameMailbox) -> OrganismTrack:
    """The track (and its encoder) the config asks for."""
    stream = config.stream
    encoder = PacketEncoder(
        EncoderSettings(
            codec=stream.codec,
            width=stream.width,
            height=stream.height,
            fps=stream.fps,
            bitrate=stream.bitrate_kbps * 1000,
            keyframe_seconds=stream.keyframe_seconds,
        )
    )
    return OrganismTrack(
        mailbox,
        width=stream.width,
        height=stream.height,
        fps=stream.fps,
        encoder=encoder,
        stamp_frames=config.scope.latency_stamp,
    )
