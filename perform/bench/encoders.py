"""The encoders of ``perform bench stream``: aiortc's VP8 and H.264 as shipped, and ours
(VP8 at our bitrate, H.264 ultrafast), on organism frames, a dense texture or a preset's
frames as a show renders them: ms per frame, output bitrate at 30 fps, PSNR after
depacketising and decoding (what Scope sees); and H.264 at constant quality (CRF 23), the
bitrate a look costs at the same quality (issue 15: one-pixel mazes cost far more than
round waves).
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from perform.bench.common import Result, percentiles

SUITE = "stream"
"""The suite these results belong to (``perform bench stream``)."""
SIZE = 512
FPS = 30


def organism_frames(count: int) -> list[Any]:
    """Distinct organism frames as yuv420p VideoFrames (one shared reformatter)."""
    import av
    from av.video.reformatter import VideoReformatter

    from engines import ENGINES, get_preset, numpy_backend

    preset = get_preset("medusa")
    engine = ENGINES[preset.engine](numpy_backend(), SIZE, 1)
    params = {**engine.defaults(), **preset.params}
    for _ in range(400):
        engine.step(params, 1.0)
    reformatter = VideoReformatter()
    frames = []
    for _ in range(count):
        for _ in range(4):
            engine.step(params, 1.0)
        rgb = av.VideoFrame.from_ndarray(engine.render(params, SIZE, SIZE), format="rgb24")
        frames.append(reformatter.reformat(rgb, format="yuv420p", threads=1))
    return frames


PRESET_AT = 60.0
"""Simulated seconds a ``--preset`` organism grows before its frames are encoded."""
CRF = 23


def preset_frames(key: str, count: int) -> list[Any]:
    """``count`` frames of preset ``key`` at 30 fps from t = 60 s, as yuv420p VideoFrames."""
    import av

    from engines import numpy_backend
    from perform.render import offline

    frames = []
    stills = offline.frames(
        key, numpy_backend(), world=SIZE, width=SIZE, height=SIZE, fps=FPS,
        seconds=count / FPS, warmup=PRESET_AT,
    )  # fmt: skip
    for still in stills:
        frames.append(av.VideoFrame.from_ndarray(still.yuv, format="yuv420p"))
    return frames


def constant_quality(frames: list[Any], count: int, content: str) -> Result:
    """H.264 at CRF ``CRF`` (the encoder picks the bits for a fixed quality): kbit/s, PSNR."""
    import av

    encoder = av.CodecContext.create("libx264", "w")
    encoder.width = encoder.height = SIZE
    encoder.pix_fmt = "yuv420p"
    encoder.framerate = Fraction(FPS)
    encoder.options = {"crf": str(CRF), "preset": "veryfast", "tune": "zerolatency"}
    decoder = av.CodecContext.create("h264", "r")
    sizes, quality = [], []
    for i in range(count):
        source = frames[i % len(frames)]
        source.pts = i
        for packet in encoder.encode(source):
            sizes.append(packet.size)
            for decoded in decoder.decode(packet):
                quality.append(_psnr(source, decoded))
    return Result(
        SUITE,
        f"encode H.264 CRF {CRF} (constant quality)",
        {
            "kbps_at_30fps": statistics.fmean(sizes) * 8 * FPS / 1000 if sizes else 0.0,
            "psnr_db": statistics.fmean(quality) if quality else float("nan"),
        },
        {"content": content, "size": f"{SIZE}x{SIZE}", "frames": count},
    )


def texture_frames(count: int) -> list[Any]:
    """Dense, fast-changing texture (perf.md's "blobs"): band-passed noise drifting through
    a colour map, the hard case for an encoder (denser than a calm Gray-Scott organism)."""
    import av
    import numpy
    from av.video.reformatter import VideoReformatter

    rng = numpy.random.default_rng(7)
    fy = numpy.fft.fftfreq(SIZE)[:, None]
    fx = numpy.fft.rfftfreq(SIZE)[None, :]
    radius = numpy.sqrt(fx**2 + fy**2)
    band = numpy.exp(-(((radius - 0.04) / 0.015) ** 2))
    fields = []
    for _ in range(2):
        field = numpy.fft.irfft2(numpy.fft.rfft2(rng.standard_normal((SIZE, SIZE))) * band)
        fields.append(field / (field.std() * 3))
    ramp = numpy.linspace(0.0, 1.0, 256)
    lut = (numpy.stack([ramp**2, numpy.sin(ramp * numpy.pi), 1 - ramp], axis=1) * 255).astype(
        numpy.uint8
    )
    reformatter = VideoReformatter()
    frames = []
    for k in range(count):
        t = 2 * numpy.pi * k / count
        field = numpy.roll(numpy.cos(t) * fields[0] + numpy.sin(t) * fields[1], k * 3, axis=1)
        index = numpy.clip((field + 1) * 127.5, 0, 255).astype(numpy.uint8)
        rgb = av.VideoFrame.from_ndarray(numpy.ascontiguousarray(lut[index]), format="rgb24")
        frames.append(reformatter.reformat(rgb, format="yuv420p", threads=1))
    return frames


class OtherLoad:
    """CPU cores used by *other* processes while a case ran (Linux /proc/stat), so a noisy
    figure can be told from a slow one (this machine is shared)."""

    def __init__(self) -> None:
        self.start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float] | None:
        import os

        try:
            with open("/proc/stat", encoding="ascii") as f:
                fields = [float(x) for x in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        ticks = os.sysconf("SC_CLK_TCK")
        busy = (sum(fields) - fields[3] - (fields[4] if len(fields) > 4 else 0)) / ticks
        mine = sum(os.times()[:2])
        return busy, mine, time.perf_counter()

    def cores(self) -> float:
        end = self._sample()
        if self.start is None or end is None:
            return float("nan")
        busy, mine, wall = (b - a for a, b in zip(self.start, end, strict=True))
        return max(0.0, (busy - mine) / max(wall, 1e-6))


def _psnr(reference: Any, decoded: Any) -> float:
    import numpy

    a = reference.to_ndarray()[:SIZE].astype(numpy.float32)
    b = decoded.to_ndarray(format="yuv420p")[:SIZE].astype(numpy.float32)
    mse = float(((a - b) ** 2).mean())
    return 99.0 if mse == 0 else 10 * math.log10(255.0**2 / mse)


def _measure_encoder(
    name: str,
    encode: Callable[[Any], list[bytes]],
    codec: str,
    frames: list[Any],
    count: int,
    content: str,
) -> Result:
    """``encode(frame) -> RTP payloads``; payloads are depacketised and decoded for PSNR."""
    import av
    from aiortc.codecs import h264_depayload, vp8_depayload

    depayload = vp8_depayload if codec == "vp8" else h264_depayload
    decoder = av.CodecContext.create("libvpx" if codec == "vp8" else "h264", "r")
    times, sizes, quality = [], [], []
    load = OtherLoad()
    for i in range(count):
        source = frames[i % len(frames)]
        source.pts = i * 3000
        t0 = time.perf_counter()
        payloads = encode(source)
        times.append((time.perf_counter() - t0) * 1e3)
        data = b"".join(depayload(p) for p in payloads)
        sizes.append(len(data))
        for decoded in decoder.decode(av.Packet(data)) if data else []:
            quality.append(_psnr(source, decoded))
    p = percentiles(times, (50, 95))
    return Result(
        SUITE,
        f"encode {name}",
        {
            "ms_p50": p["p50"],
            "ms_p95": p["p95"],
            "frames_per_s": 1000.0 / statistics.fmean(times),
            "kbps_at_30fps": statistics.fmean(sizes) * 8 * FPS / 1000,
            "psnr_db": statistics.fmean(quality) if quality else float("nan"),
            "other_procs_cores": load.cores(),
        },
        {"content": content, "size": f"{SIZE}x{SIZE}", "frames": count},
    )


def compare(contents: dict[str, list[Any]], count: int) -> list[Result]:
    from aiortc.codecs.h264 import H264Encoder
    from aiortc.codecs.vpx import Vp8Encoder

    from perform.stream.encoder import EncoderSettings, PacketEncoder, auto_bitrate

    def aiortc_encoder(encoder: Any) -> Callable[[Any], list[bytes]]:
        return lambda frame: encoder.encode(frame)[0]

    def ours(codec: str, bitrate: int) -> Callable[[Any], list[bytes]]:
        packer = Vp8Encoder() if codec == "vp8" else H264Encoder()  # aiortc's pack()
        encoder = PacketEncoder(
            EncoderSettings(codec=codec, width=SIZE, height=SIZE, fps=FPS, bitrate=bitrate)
        )

        def encode(frame: Any) -> list[bytes]:
            packet = encoder.encode(frame)
            return packer.pack(packet)[0] if packet is not None else []

        return encode

    auto = auto_bitrate(SIZE, SIZE, FPS)
    results = []
    for content, frames in contents.items():
        cases: list[tuple[str, Callable[[Any], list[bytes]], str]] = [
            ("aiortc VP8 as shipped (0.5 Mbit/s)", aiortc_encoder(Vp8Encoder()), "vp8"),
            ("aiortc H.264 as shipped (medium, 1 Mbit/s)", aiortc_encoder(H264Encoder()), "h264"),
            (f"ours VP8 {auto / 1e6:.1f} Mbit/s (auto)", ours("vp8", auto), "vp8"),
            (f"ours H.264 ultrafast {auto / 1e6:.1f} Mbit/s", ours("h264", auto), "h264"),
        ]
        if content == "texture":
            cases += [
                ("ours VP8 1 Mbit/s", ours("vp8", 1_000_000), "vp8"),
                ("ours VP8 4 Mbit/s", ours("vp8", 4_000_000), "vp8"),
                ("ours H.264 ultrafast 1 Mbit/s", ours("h264", 1_000_000), "h264"),
                ("ours H.264 ultrafast 4 Mbit/s", ours("h264", 4_000_000), "h264"),
            ]
        for name, fn, codec in cases:
            results.append(_measure_encoder(name, fn, codec, frames, count, content))
    return results
