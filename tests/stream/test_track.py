"""The outgoing track: pacing, repeats, no queue, I420 hand-over, our encoder, the stamp."""

from __future__ import annotations

import asyncio
import time

import av
import numpy
import pytest

from perform.render.mailbox import Frame, FrameMailbox
from perform.stream import stamp
from perform.stream.encoder import EncoderSettings, PacketEncoder, auto_bitrate
from perform.stream.peer import ScopePeer
from perform.stream.track import FrameConverter, OrganismTrack


def frame(seq: int, size: int = 64, yuv: bool = False) -> Frame:
    rng = numpy.random.default_rng(seq)
    rgb = rng.integers(0, 255, (size, size, 3), dtype=numpy.uint8)
    planes = None
    if yuv:
        planes = (
            av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p").to_ndarray()
        )
    return Frame(rgb, seq, 0.0, time.perf_counter(), 0, planes)


async def test_paced_monotonic_and_repeats_the_last_frame():
    mailbox = FrameMailbox()
    mailbox.put(frame(1))
    track = OrganismTrack(mailbox, width=64, height=64, fps=50)
    try:
        frames = [await track.recv() for _ in range(5)]
        mailbox.put(frame(2))
        frames.append(await track.recv())
    finally:
        track.stop()
    pts = [f.pts for f in frames]
    assert pts == sorted(set(pts))
    if track.stats.reanchors == 0:  # on time (a loaded machine may re-anchor): exact slots
        assert {b - a for a, b in zip(pts, pts[1:], strict=False)} == {1800}  # 90 kHz / 50 fps
    assert track.stats.repeats == 4 and track.stats.delivered == 6
    assert frames[0].format.name == "yuv420p" and frames[0].width == 64


async def test_paced_below_its_fps_the_timestamps_run_slightly_fast_and_never_back():
    """Scope paces stamped frames from an anchor that only moves later: real-time stamps
    kept a backlog's latency for ever. Paced down, media time runs at PACED_PTS_SPEED of
    the wall clock (monotonic, steps by the slot), and at full rate it is the wall's."""
    from perform.stream.track import PACED_PTS_SPEED

    mailbox = FrameMailbox()
    mailbox.put(frame(1))
    track = OrganismTrack(mailbox, width=64, height=64, fps=50)
    try:
        track.set_rate(25)
        paced = [await track.recv() for _ in range(6)]
        track.set_rate(50)
        full = [await track.recv() for _ in range(6)]
    finally:
        track.stop()
    pts = [f.pts for f in paced + full]
    assert pts == sorted(set(pts))
    if track.stats.reanchors == 0:  # on time: exact slots
        assert {b - a for a, b in zip(pts[1:6], pts[2:6], strict=False)} == {
            round(3600 * PACED_PTS_SPEED)
        }
        assert {b - a for a, b in zip(pts[7:], pts[8:], strict=False)} == {1800}


async def test_a_late_caller_gets_no_burst():
    mailbox = FrameMailbox()
    mailbox.put(frame(1))
    track = OrganismTrack(mailbox, width=64, height=64, fps=50)
    try:
        await track.recv()
        await asyncio.sleep(0.2)  # ten periods late
        t0 = time.perf_counter()
        await track.recv()  # immediately: the schedule restarts from now
        await track.recv()
        await track.recv()
        elapsed = time.perf_counter() - t0
    finally:
        track.stop()
    assert track.stats.reanchors == 1
    assert elapsed >= 2 * 0.02 * 0.9  # the next two waited their periods (no catch-up burst)


def test_i420_frames_are_wrapped_not_converted():
    converter = FrameConverter(64, 64)
    f = frame(3, yuv=True)
    out = converter.convert(f, 1)
    assert numpy.array_equal(out.to_ndarray(), f.yuv420p)
    rgb_only = converter.convert(frame(3), 1)
    assert numpy.abs(rgb_only.to_ndarray().astype(int) - f.yuv420p.astype(int)).max() <= 2


def test_rgb_of_another_size_is_scaled_to_the_stream():
    out = FrameConverter(128, 96).convert(frame(4, size=64), 1)
    assert (out.width, out.height) == (128, 96)


def test_no_frame_yet_sends_black():
    out = FrameConverter(64, 64).convert(None, 1)
    assert out.to_ndarray()[:64].max() == 0


@pytest.mark.parametrize(("codec", "decoder"), [("vp8", "libvpx"), ("h264", "h264")])
def test_encoder_packets_decode_and_keyframes_on_request(codec, decoder):
    encoder = PacketEncoder(EncoderSettings(codec=codec, width=64, height=64, keyframe_seconds=60))
    dec = av.CodecContext.create(decoder, "r")
    converter = FrameConverter(64, 64)
    decoded = 0
    for i in range(8):
        video = converter.convert(frame(i), i)
        video.pts = i * 3000
        if i == 5:
            encoder.request_keyframe()
        packet = encoder.encode(video)
        assert packet is not None and packet.pts == i * 3000
        decoded += len(dec.decode(packet))
    assert decoded >= 7
    assert encoder.keyframes == 2  # the first frame and the requested one


def test_auto_bitrate_scales_with_pixels():
    assert auto_bitrate(512, 512, 30) == pytest.approx(1.97e6, rel=0.01)
    assert auto_bitrate(64, 64, 30) == 1_000_000
    assert auto_bitrate(4096, 4096, 60) == 16_000_000


def test_stamp_survives_vp8_and_rejects_garbage():
    yuv = numpy.full((192, 128), 90, numpy.uint8)
    yuv[128:] = 128
    stamp.stamp_yuv420p(yuv, 4242)
    video = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
    video.pts = 0
    encoder = PacketEncoder(EncoderSettings(width=128, height=128))
    dec = av.CodecContext.create("libvpx", "r")
    (out,) = dec.decode(encoder.encode(video))
    assert stamp.read_rgb(out.to_ndarray(format="rgb24")) == 4242
    noise = numpy.random.default_rng(1).integers(0, 255, (128, 128, 3), dtype=numpy.uint8)
    assert stamp.read_rgb(noise) is None


async def test_peer_routes_keyframe_requests_to_our_encoder():
    mailbox = FrameMailbox()
    encoder = PacketEncoder(EncoderSettings(width=64, height=64))
    track = OrganismTrack(mailbox, width=64, height=64, fps=30, encoder=encoder)
    peer = ScopePeer(ice_servers=[], track=track, codec="vp8", on_track=lambda peer, t: None)
    try:
        peer.transceiver.sender._send_keyframe()  # what aiortc calls on PLI/FIR
        assert encoder._force_keyframe.is_set()
        offer = await peer.offer()
        video = [line for line in offer.sdp.splitlines() if line.startswith("a=rtpmap")]
        assert any("VP8" in line for line in video) and not any("H264" in line for line in video)
        assert "a=sendrecv" in offer.sdp
    finally:
        await peer.close()
        track.stop()
