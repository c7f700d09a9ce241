"""The Scope link's speed: encoders side by side, frames delivered to the track, channel latency.

Everything runs beside the real engine thread (Gray-Scott at 512², 60 steps/s, frames at
30 fps), as in a show, because the encoder and the engine share this machine's cores.

* encoders: aiortc's VP8 and H.264 as shipped, and ours (VP8 at our bitrate, H.264
  ultrafast), on organism frames: ms per frame, output bitrate at 30 fps, PSNR after
  depacketising and decoding (what Scope sees);
* delivery: :class:`OrganismTrack` over the engine's mailbox, pulled like aiortc's sender
  pulls it: frames/s and send-interval jitter (|interval - period|);
* channel: ParamStore write -> data-channel send, for a lone change and a 60 Hz fader.

``--preset KEY`` (repeatable) measures only the encoders, on that preset's organism as a
show renders it (``perform.render.offline``: warm-up, regulation, colour) from t = 60 s,
and adds H.264 at constant quality (CRF 23): the bitrate a look costs at the same quality
(issue 15: one-pixel mazes cost far more than round waves).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from perform.bench.common import Result, percentiles, standalone_host

NAME = "stream"
HELP = "VP8 vs H.264 beside the engine, frames/s and jitter into the track, store->channel latency"
SIZE = 512
FPS = 30


def _organism_frames(count: int) -> list[Any]:
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


def _preset_frames(key: str, count: int) -> list[Any]:
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


def _constant_quality(frames: list[Any], count: int, content: str) -> Result:
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
        NAME,
        f"encode H.264 CRF {CRF} (constant quality)",
        {
            "kbps_at_30fps": statistics.fmean(sizes) * 8 * FPS / 1000 if sizes else 0.0,
            "psnr_db": statistics.fmean(quality) if quality else float("nan"),
        },
        {"content": content, "size": f"{SIZE}x{SIZE}", "frames": count},
    )


def _texture_frames(count: int) -> list[Any]:
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


def _start_engine() -> Any:
    return standalone_host(SIZE, FPS, 60)


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
        NAME,
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


def _encoders(contents: dict[str, list[Any]], count: int) -> list[Result]:
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


async def _delivery(host: Any, codec: str, seconds: float) -> Result:
    """Pull the track like aiortc's sender: recv (convert + encode), pack, next."""
    import av
    from aiortc.codecs.h264 import H264Encoder
    from aiortc.codecs.vpx import Vp8Encoder

    from perform.stream.encoder import EncoderSettings, PacketEncoder
    from perform.stream.track import OrganismTrack

    encoder = PacketEncoder(EncoderSettings(codec=codec, width=SIZE, height=SIZE, fps=FPS))
    packer = Vp8Encoder() if codec == "vp8" else H264Encoder()
    track = OrganismTrack(host.mailbox, width=SIZE, height=SIZE, fps=FPS, encoder=encoder)
    try:
        for _ in range(FPS):  # warm-up: the first second
            await track.recv()
        track.intervals_ms.clear()
        delivered0, repeats0 = track.stats.delivered, track.stats.repeats
        load = OtherLoad()
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            packet = await track.recv()
            assert isinstance(packet, av.Packet)
            packer.pack(packet)
        elapsed = time.perf_counter() - t0
    finally:
        track.stop()
    period = 1000.0 / FPS
    jitter = [abs(i - period) for i in track.intervals_ms]
    delivered = track.stats.delivered - delivered0
    p = percentiles(jitter)
    return Result(
        NAME,
        f"track delivery, {codec} encode included",
        {
            "frames_per_s": delivered / elapsed,
            "jitter_ms_p50": p["p50"],
            "jitter_ms_p99": p["p99"],
            "repeats_pct": 100.0 * (track.stats.repeats - repeats0) / max(delivered, 1),
            "encode_ms_p50": statistics.median(encoder.encode_ms),
            "other_procs_cores": load.cores(),
        },
        {"size": f"{SIZE}x{SIZE}", "fps": FPS, "engine": "gray_scott 60 steps/s"},
        note="the engine's I420 planes are wrapped, not converted",
    )


async def _input_to_wire(host: Any, store: Any, seconds: float) -> Result:
    """A parameter write until the first encoded frame built from it leaves the track.

    The DESIGN budget: MIDI/OSC input -> encoded frame on the wire, p95 <= 50 ms (input ->
    store is another ~1 ms, see ``perform bench control``). A frame carries the version of
    the parameter snapshot its last simulation step read.
    """
    import av

    from perform.stream.encoder import EncoderSettings, PacketEncoder
    from perform.stream.track import OrganismTrack

    class Spy:
        """The host's mailbox, remembering which frame the track took last."""

        def __init__(self, mailbox: Any) -> None:
            self.mailbox, self.frame = mailbox, None

        def latest(self) -> Any:
            self.frame = self.mailbox.latest()
            return self.frame

        def want(self, at: float, period: float) -> None:
            self.mailbox.want(at, period)

    spy = Spy(host.mailbox)
    encoder = PacketEncoder(EncoderSettings(codec="vp8", width=SIZE, height=SIZE, fps=FPS))
    track = OrganismTrack(spy, width=SIZE, height=SIZE, fps=FPS, encoder=encoder)  # type: ignore[arg-type]
    sent: list[tuple[float, int]] = []  # (time a packet left the track, its frame's version)
    stop = asyncio.Event()

    async def pull() -> None:
        """What aiortc's sender does: recv, pack, recv again, without pause."""
        while not stop.is_set():
            packet = await track.recv()
            assert isinstance(packet, av.Packet)
            frame = spy.frame
            sent.append((time.perf_counter(), frame.param_version if frame is not None else -1))

    puller = asyncio.create_task(pull())
    writes: list[tuple[float, int]] = []
    rng = random.Random(3)
    try:
        await asyncio.sleep(1.0)  # the track settles (and locks onto the engine's phase)
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            await asyncio.sleep(rng.uniform(0.05, 0.25))  # inputs arrive at random phases
            store.apply("color.brightness", rng.uniform(0.5, 2.0), "midi")
            writes.append((time.perf_counter(), store.version))
        await asyncio.sleep(0.5)
    finally:
        stop.set()
        await puller
        track.stop()
    latencies = []
    for written, version in writes:
        first = next((t for t, v in sent if t >= written and v >= version), None)
        latencies.append((first - written) * 1e3 if first is not None else float("inf"))
    p = percentiles(latencies)
    return Result(
        NAME,
        "input -> encoded frame leaving the track",
        {
            "ms_p50": p["p50"],
            "ms_p95": p["p95"],
            "ms_max": max(latencies),
            "samples": float(len(latencies)),
        },
        {"size": f"{SIZE}x{SIZE}", "fps": FPS, "codec": "vp8"},
        note="goal p95 <= 50 ms: up to a frame of wait + a sim step + render + encode",
    )


async def _channel_latency(seconds: float) -> list[Result]:
    from engines import all_params, presets
    from perform.registry import build_store
    from perform.stream.channel import Planner, Settings
    from perform.stream.lora import LoraTable
    from perform.stream.pump import Pump

    store = build_store(presets(), "medusa", all_params())
    store.attach(asyncio.get_running_loop())
    planner = Planner(store, Settings(default_prompt="x"), LoraTable())
    planner.initial(["p"], "video", {})
    sends: list[float] = []
    pump = Pump(planner, lambda text: sends.append(time.perf_counter()))

    def on_changes(changes: Any) -> None:
        if planner.changes(changes, time.monotonic()):
            pump.wake()

    store.subscribe(on_changes)
    task = asyncio.ensure_future(pump.run())
    results = []
    try:
        lone = []
        for i in range(int(seconds * 5)):  # a lone change every 200 ms (idle channel)
            t0 = time.perf_counter()
            store.apply("scope.noise_scale", (i % 100) / 100, "midi")
            count = len(sends)
            while len(sends) == count:
                await asyncio.sleep(0)
            lone.append((sends[-1] - t0) * 1e3)
            await asyncio.sleep(0.2)
        p = percentiles(lone)
        results.append(
            Result(
                NAME,
                "store -> channel send, lone change",
                {"ms_p50": p["p50"], "ms_p99": p["p99"]},
                {"tick_ms": round(planner.chunk_period * 1e3, 1)},
                note="leading edge: a quiet channel sends at once",
            )
        )
        writes: list[float] = []
        sends.clear()
        t_end = time.perf_counter() + seconds
        i = 0
        while time.perf_counter() < t_end:  # a 60 Hz fader
            writes.append(time.perf_counter())
            store.apply("scope.noise_scale", (i % 100) / 100, "midi")
            i += 1
            await asyncio.sleep(1 / 60)
        await asyncio.sleep(planner.chunk_period * 2)
        waits = []
        for at in writes:  # each write -> the first send after it
            later = [s for s in sends if s >= at]
            if later:
                waits.append((later[0] - at) * 1e3)
        p = percentiles(waits)
        results.append(
            Result(
                NAME,
                "store -> channel send, 60 Hz fader",
                {
                    "ms_p50": p["p50"],
                    "ms_p99": p["p99"],
                    "messages_per_s": len(sends) / seconds,
                },
                {"tick_ms": round(planner.chunk_period * 1e3, 1)},
                note="bounded by one tick (<= 1 message per chunk)",
            )
        )
    finally:
        task.cancel()
        store.detach()
    return results


def run(options: argparse.Namespace) -> list[Result]:
    quick = bool(getattr(options, "quick", False))
    count = 30 if quick else 60
    presets = list(getattr(options, "presets", None) or [])
    if presets:
        results = []
        for key in presets:
            frames = _preset_frames(key, count)
            results += _encoders({f"preset {key}": frames}, count)
            results.append(_constant_quality(frames, count, f"preset {key}"))
        return results
    old = sys.getswitchinterval()
    sys.setswitchinterval(0.001)  # as in a show (perform.session)
    contents = {"organism": _organism_frames(count), "texture": _texture_frames(count)}
    host, store = _start_engine()
    try:
        time.sleep(0.5)
        results = _encoders(contents, 45 if quick else 150)
        for codec in ("vp8", "h264"):
            results.append(asyncio.run(_delivery(host, codec, 3.0 if quick else 10.0)))
        results.append(asyncio.run(_input_to_wire(host, store, 3.0 if quick else 10.0)))
        results += asyncio.run(_channel_latency(2.0 if quick else 5.0))
    finally:
        host.stop()
        sys.setswitchinterval(old)
    return results
