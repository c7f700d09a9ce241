"""The Scope link's speed: encoders side by side, frames delivered to the track, channel latency.

Everything runs beside the real engine thread (Gray-Scott at 512², 60 steps/s, frames at
30 fps), as in a show, because the encoder and the engine share this machine's cores.

* encoders (``perform/bench/encoders.py``): aiortc's VP8 and H.264 as shipped, and ours
  (VP8 at our bitrate, H.264 ultrafast), on organism frames: ms per frame, output bitrate
  at 30 fps, PSNR after depacketising and decoding (what Scope sees);
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
import random
import statistics
import sys
import time
from typing import Any

from perform.bench.common import Result, percentiles, standalone_host
from perform.bench.encoders import (
    FPS,
    SIZE,
    SUITE,
    OtherLoad,
    compare,
    constant_quality,
    organism_frames,
    preset_frames,
    texture_frames,
)

NAME = SUITE
HELP = "VP8 vs H.264 beside the engine, frames/s and jitter into the track, store->channel latency"


def _start_engine() -> Any:
    return standalone_host(SIZE, FPS, 60)


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
            frames = preset_frames(key, count)
            results += compare({f"preset {key}": frames}, count)
            results.append(constant_quality(frames, count, f"preset {key}"))
        return results
    old = sys.getswitchinterval()
    sys.setswitchinterval(0.001)  # as in a show (perform.session)
    contents = {"organism": organism_frames(count), "texture": texture_frames(count)}
    host, store = _start_engine()
    try:
        time.sleep(0.5)
        results = compare(contents, 45 if quick else 150)
        for codec in ("vp8", "h264"):
            results.append(asyncio.run(_delivery(host, codec, 3.0 if quick else 10.0)))
        results.append(asyncio.run(_input_to_wire(host, store, 3.0 if quick else 10.0)))
        results += asyncio.run(_channel_latency(2.0 if quick else 5.0))
    finally:
        host.stop()
        sys.setswitchinterval(old)
    return results
