"""The double's WebRTC side behaves like Scope's: a bare aiortc client against it."""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import ipaddress
import json

import aiohttp
import av
import numpy
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from tests.scope_double import ScopeDouble
from tests.stream.conftest import TIMEOUT, wait_until


class ManualTrack(MediaStreamTrack):
    """Sends exactly the frames a test pushes."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self.queue: asyncio.Queue[int | None] = asyncio.Queue()
        self.pts = 0

    def push(self, count: int = 1) -> None:
        for _ in range(count):
            self.queue.put_nowait(1)

    async def recv(self) -> av.VideoFrame:
        item = await self.queue.get()
        if item is None:
            raise MediaStreamError
        frame = av.VideoFrame.from_ndarray(
            numpy.full((64 * 3 // 2, 64), 100, numpy.uint8), format="yuv420p"
        )
        self.pts += 3000
        frame.pts, frame.time_base = self.pts, fractions.Fraction(1, 90000)
        return frame


class Client:
    def __init__(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.channel = self.pc.createDataChannel("parameters", ordered=True)
        self.opened = asyncio.Event()
        self.frames = 0
        self.messages: list[dict] = []
        self.channel.on("open", self.opened.set)
        self.channel.on("message", lambda m: self.messages.append(json.loads(m)))
        self.answer_sdp = ""

        @self.pc.on("track")
        def on_track(track):
            asyncio.ensure_future(self._read(track))

    async def _read(self, track):
        try:
            while True:
                await track.recv()
                self.frames += 1
        except MediaStreamError:
            pass

    async def connect(self, double: ScopeDouble, initial: dict, track=None, direction="sendrecv"):
        self.pc.addTransceiver(track or "video", direction=direction)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        body = {"sdp": self.pc.localDescription.sdp, "type": "offer", "initialParameters": initial}
        async with (
            aiohttp.ClientSession() as http,
            http.post(double.url + "/api/v1/webrtc/offer", json=body) as response,
        ):
            assert response.status == 200, await response.text()
            answer = await response.json()
        self.answer_sdp = answer["sdp"]
        await self.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        await asyncio.wait_for(self.opened.wait(), TIMEOUT)
        return await double.wait_session()

    def send(self, message) -> None:
        self.channel.send(message if isinstance(message, str) else json.dumps(message))

    async def close(self) -> None:
        await self.pc.close()


VIDEO = {"pipeline_ids": ["passthrough"], "input_mode": "video", "prompts": [{"text": "x"}]}


@contextlib.asynccontextmanager
async def connected(double: ScopeDouble, initial=VIDEO, *, direction="sendrecv", track=True):
    """A bare client streaming to ``double`` (passthrough loaded): (client, track, session)."""
    if double.loader.loaded("passthrough") is None:
        double.preload("passthrough")
    client, manual = Client(), ManualTrack() if track else None
    try:
        session = await client.connect(double, initial, manual, direction)
        yield client, manual, session
    finally:
        await client.close()


async def test_answer_uses_non_loopback_host_candidates(scope_double):
    async with connected(scope_double) as (client, track, session):
        hosts = [
            line.split()[4]
            for line in client.answer_sdp.splitlines()
            if line.startswith("a=candidate:")
        ]
        assert hosts and not any(ipaddress.ip_address(h).is_loopback for h in hosts)
        assert "VP8" in client.answer_sdp


async def test_output_only_after_a_full_chunk_of_input(scope_double):
    async with connected(scope_double) as (client, track, session):
        # aiortc's receiver hands a frame over when the next one starts arriving: 4 sent, 3 in.
        track.push(4)
        await scope_double.wait_for(lambda: session.frames_received == 3, "3 input frames")
        await asyncio.sleep(0.3)
        assert session.frames_received == 3 and session.chunks == 0 and session.frames_sent == 0
        track.push(1)
        await scope_double.wait_for(lambda: session.frames_sent >= 4, "a chunk out")
        await wait_until(lambda: client.frames >= 3, "frames at the client")
        assert session.parameters["prompt_interpolation_method"] == "linear"
        assert session.parameters["vace_context_scale"] == 1.0


async def test_without_pipeline_ids_it_connects_and_never_sends_a_frame(scope_double):
    no_ids = {"input_mode": "video", "prompts": [{"text": "x"}]}
    async with connected(scope_double, no_ids) as (client, track, session):
        track.push(13)
        await scope_double.wait_for(lambda: session.frames_received >= 12, "input frames")
        await asyncio.sleep(0.5)
        assert session.frames_sent == 0 and client.frames == 0
        assert not session.worker_started and client.messages == []
        assert client.pc.connectionState == "connected"


async def test_recvonly_offer_gets_no_video(scope_double):
    async with connected(scope_double, direction="recvonly", track=False) as (client, _, session):
        await asyncio.sleep(0.6)
        assert not session.inbound_seen and session.frames_sent == 0 and client.frames == 0


async def test_output_stops_when_the_inbound_track_ends(scope_double):
    async with connected(scope_double) as (client, track, session):
        track.push(5)
        await scope_double.wait_for(lambda: session.frames_sent >= 4, "a chunk out")
        await client.pc.getTransceivers()[0].sender.stop()  # RTCP BYE: the inbound track ends
        await scope_double.wait_for(lambda: session.inbound_ended, "inbound ended")
        sent = session.frames_sent
        track.push(8)
        await asyncio.sleep(0.5)
        assert session.frames_sent == sent


async def test_queue_of_8_drops_the_newest_update(scope_double):
    double = ScopeDouble(chunk_time=0.4)
    await double.start()
    try:
        async with connected(double) as (client, track, session):
            track.push(5)
            await double.wait_for(lambda: session.frames_received >= 4, "input")
            await asyncio.sleep(0.05)  # the worker is inside a 0.4 s chunk now
            for i in range(1, 21):
                client.send({"noise_scale": i / 100})
            await double.wait_for(lambda: session.messages >= 20, "20 messages")
            assert session.updates_dropped >= 11
            await double.wait_for(lambda: not session.processor.queue, "queue drained", 30)
            assert session.parameters["noise_scale"] < 0.2  # the final value was lost
    finally:
        await double.stop()


async def test_one_shot_keys_cuts_and_invalid_json(scope_double):
    async with connected(scope_double) as (client, track, session):
        client.send("{not json")
        client.send("[1, 2]")
        client.send({"reset_cache": True, "noise_scale": 0.3})
        await scope_double.wait_for(lambda: session.cache_resets == 1, "a cut")
        assert "reset_cache" not in session.parameters
        assert session.parameters["noise_scale"] == 0.3 and session.invalid_messages == 2
        client.send({"prompts": [{"text": "y", "weight": 1}]})  # video input: a cut
        await scope_double.wait_for(lambda: session.cache_resets == 2, "prompt cut")
        target = [{"text": "z", "weight": 1}]
        client.send({"prompts": target, "transition": {"target_prompts": target, "num_steps": 4}})
        await scope_double.wait_for(lambda: session.processor.transitions == 1, "a transition")
        client.send({"lora_scales": [{"path": "/nowhere.safetensors", "scale": 0.5}]})
        await scope_double.wait_for(lambda: session.cache_resets == 3, "the LoRA cut")
        assert session.cut_reasons == [
            "reset_cache",
            "prompt change without transition",
            "lora_scales",
        ]
        assert "lora_scales" not in session.parameters
        client.send({"paused": True})
        await scope_double.wait_for(lambda: session.paused, "paused at once")


async def test_quantized_change_waits_for_the_beat(scope_double):
    scope_double.tempo_bpm = 120.0
    async with connected(scope_double) as (client, track, session):
        client.send({"quantize_mode": "beat"})
        client.send({"_quantized": True, "noise_scale": 0.2})
        await wait_until(
            lambda: (
                {"change_scheduled", "change_applied"} <= {m.get("type") for m in client.messages}
            ),
            "scheduled and applied",
        )
        scheduled = next(m for m in client.messages if m["type"] == "change_scheduled")
        assert 0 <= scheduled["delay_ms"] <= 500
        await scope_double.wait_for(
            lambda: session.frame_processor_parameters.get("noise_scale") == 0.2, "applied"
        )
        assert session.control["quantize_mode"] == "beat"
        assert "quantize_mode" not in session.frame_processor_parameters


async def test_rest_parameters_broadcast_with_injected_defaults(scope_double):
    async with connected(scope_double) as (client, track, session):
        async with aiohttp.ClientSession() as http:
            url = scope_double.url + "/api/v1/session/parameters"
            async with http.post(url, json={"noise_scale": 0.4}) as response:
                assert response.status == 200
                body = await response.json()
            async with http.post(url, json={"noise_scale": 4}) as response:
                assert response.status == 422
            async with http.get(url) as response:
                current = (await response.json())["parameters"]
        assert body["applied_parameters"] == {
            "noise_scale": 0.4,
            "prompt_interpolation_method": "linear",
            "vace_context_scale": 1.0,
        }
        assert current["noise_scale"] == 0.4
        await wait_until(
            lambda: any(m.get("type") == "parameters_updated" for m in client.messages),
            "parameters_updated",
        )


async def test_trickled_candidates_are_accepted_on_a_live_session(scope_double):
    async with connected(scope_double) as (client, track, session):
        line = next(
            line for line in client.pc.localDescription.sdp.splitlines() if "typ host" in line
        )
        candidate = {"candidate": line.removeprefix("a="), "sdpMid": "0", "sdpMLineIndex": 0}
        async with (
            aiohttp.ClientSession() as http,
            http.patch(
                f"{scope_double.url}/api/v1/webrtc/offer/{session.id}",
                json={"candidates": [candidate]},
            ) as response,
        ):
            assert response.status == 204
        assert session.trickled == 1
