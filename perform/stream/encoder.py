"""Our own video encoder: the track hands aiortc finished packets (``av.Packet``).

Why not aiortc's encoders: its H.264 leaves x264 at preset *medium* (6-9x slower than
*ultrafast* here, perf.md §3), its VP8 is clamped to 0.25-1.5 Mbit/s (far below what dense,
fast-changing organism texture needs) and neither lets us pick threads or keyframe spacing.
aiortc sends a track's ``av.Packet`` as is (``Encoder.pack``); keyframe requests from the
receiver (PLI/FIR) are routed to :meth:`PacketEncoder.request_keyframe` by the peer.
"""

from __future__ import annotations

import fractions
import os
import threading
import time
from collections import deque
from dataclasses import dataclass

import av

TIME_BASE = fractions.Fraction(1, 90000)
BITS_PER_PIXEL = 0.25
"""Auto bitrate per pixel per frame: VP8 at qmax 56 already spends ~0.28 bpp on organism
texture at 512² (perf.md §3), and below ~0.15 the blobs smear into blocks."""


def auto_bitrate(width: int, height: int, fps: float) -> int:
    """A target for organism-like texture: ~2 Mbit/s at 512² and 30 fps, 1-16 Mbit/s."""
    return int(min(16e6, max(1e6, width * height * fps * BITS_PER_PIXEL)))


@dataclass(frozen=True, slots=True)
class EncoderSettings:
    codec: str = "vp8"
    """``vp8`` or ``h264``."""
    width: int = 512
    height: int = 512
    fps: int = 30
    bitrate: int = 0
    """bits/s; 0 = :func:`auto_bitrate`."""
    keyframe_seconds: float = 4.0
    threads: int = 0
    """0 = 1 thread up to 640x480, else 2 when the machine has at least 3 CPUs."""

    @property
    def target_bitrate(self) -> int:
        return self.bitrate or auto_bitrate(self.width, self.height, self.fps)

    @property
    def thread_count(self) -> int:
        if self.threads:
            return self.threads
        big = self.width * self.height > 640 * 480
        return 2 if big and (os.cpu_count() or 1) >= 3 else 1


def _vp8(settings: EncoderSettings) -> av.VideoCodecContext:
    codec = av.CodecContext.create("libvpx", "w")
    rate = settings.target_bitrate
    codec.bit_rate = rate
    codec.qmin, codec.qmax = 2, 56
    codec.options = {
        # aiortc's realtime tuning (WebRTC-style CBR, no lag), with our bitrate:
        "deadline": "realtime",
        "cpu-used": "-6",
        "lag-in-frames": "0",
        "bufsize": str(rate),
        "minrate": str(rate),
        "maxrate": str(rate),
        "undershoot-pct": "100",
        "overshoot-pct": "15",
        "static-thresh": "1",
        "partitions": "0",
        "error-resilient": "1",
    }
    return codec


def _h264(settings: EncoderSettings) -> av.VideoCodecContext:
    codec = av.CodecContext.create("libx264", "w")
    rate = settings.target_bitrate
    codec.bit_rate = rate
    codec.profile = "Baseline"  # what the SDP offers (42e01f / 42001f)
    codec.options = {
        "preset": "ultrafast",
        "tune": "zerolatency",
        "maxrate": str(rate),
        "bufsize": str(rate),
        "forced-idr": "1",
    }
    return codec


class PacketEncoder:
    """Encodes yuv420p frames to one packet each; thread-compatible (one caller at a time)."""

    def __init__(self, settings: EncoderSettings) -> None:
        if settings.codec not in ("vp8", "h264"):
            raise ValueError(f"unknown codec {settings.codec!r} (vp8 or h264)")
        self.settings = settings
        self.codec: av.VideoCodecContext | None = None
        self._force_keyframe = threading.Event()
        self.frames = 0
        self.bytes = 0
        self.keyframes = 0
        self.encode_ms: deque[float] = deque(maxlen=600)

    def request_keyframe(self) -> None:
        """The next frame is a keyframe (the receiver lost a picture: PLI/FIR)."""
        self._force_keyframe.set()

    def _open(self, frame: av.VideoFrame) -> av.VideoCodecContext:
        s = self.settings
        codec = _vp8(s) if s.codec == "vp8" else _h264(s)
        codec.width, codec.height = frame.width, frame.height
        codec.pix_fmt = "yuv420p"
        codec.time_base = TIME_BASE
        codec.framerate = fractions.Fraction(s.fps, 1)
        codec.gop_size = max(1, round(s.keyframe_seconds * s.fps))
        codec.thread_count = s.thread_count
        codec.open()
        return codec

    def encode(self, frame: av.VideoFrame) -> av.Packet | None:
        """One encoded frame (``pts``/``time_base`` set), or None if the encoder held it."""
        t0 = time.perf_counter()
        if self.codec is None or (frame.width, frame.height) != (
            self.codec.width,
            self.codec.height,
        ):
            self.codec = self._open(frame)
            self._force_keyframe.clear()
        elif self._force_keyframe.is_set():
            self._force_keyframe.clear()
            frame.pict_type = av.video.frame.PictureType.I
        data = b""
        keyframe = False
        for packet in self.codec.encode(frame):
            data += bytes(packet)
            keyframe = keyframe or packet.is_keyframe
        self.encode_ms.append((time.perf_counter() - t0) * 1e3)
        if not data:
            return None
        out = av.Packet(data)
        out.pts = frame.pts
        out.dts = frame.pts
        out.time_base = frame.time_base or TIME_BASE
        self.frames += 1
        self.bytes += len(data)
        self.keyframes += int(keyframe)
        return out
