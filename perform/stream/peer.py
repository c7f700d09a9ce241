"""One WebRTC connection to Scope (contract §2.1, §3.1, Appendix A steps 4-5).

The data channel ``parameters`` (ordered) is created before the offer; exactly one video
transceiver, ``sendrecv`` even in text mode (Scope attaches its output to the first video
m-line, and with no inbound track its output loop stops); the codec list is restricted to
the one our encoder produces (VP8, like Scope's UI, unless configured otherwise); aiortc puts
every candidate in the offer SDP, so nothing trickles. Receiver keyframe requests (PLI/FIR)
reach our encoder.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamTrack
from aiortc.sdp import SessionDescription

from perform.errors import StreamError
from perform.stream.scope_api import Answer

log = logging.getLogger(__name__)

MIME = {"vp8": ("video/VP8",), "h264": ("video/H264",)}


def negotiated_codec(sdp: str) -> str | None:
    """The codec the answer picked for the first video m-line (``vp8``/``h264``)."""
    for media in SessionDescription.parse(sdp).media:
        if media.kind == "video" and media.rtp.codecs:
            return media.rtp.codecs[0].mimeType.split("/")[1].lower()
    return None


class ScopePeer:
    """The peer connection, its data channel and its one video transceiver."""

    def __init__(
        self,
        *,
        ice_servers: list[RTCIceServer],
        track: MediaStreamTrack | None,
        codec: str,
        on_track: Callable[[ScopePeer, MediaStreamTrack], None],
        on_message: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.codec = codec
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=ice_servers))
        self.channel = self.pc.createDataChannel("parameters", ordered=True)
        self.transceiver = self.pc.addTransceiver(track or "video", direction="sendrecv")
        self._prefer(codec)
        self.track = track
        self.connected = asyncio.Event()
        self.channel_open = asyncio.Event()
        self.ended = asyncio.Event()
        """Set when the connection failed or closed, or the channel closed."""
        self.end_reason = ""
        self.session_id: str | None = None
        self._on_message = on_message
        self._hook_keyframes()

        @self.pc.on("track")
        def _track(remote: MediaStreamTrack) -> None:
            if remote.kind == "video":
                on_track(self, remote)

        @self.pc.on("connectionstatechange")
        def _state() -> None:
            state = self.pc.connectionState
            log.info("WebRTC connection %s", state)
            if state == "connected":
                self.connected.set()
            elif state in ("failed", "closed"):
                self._end(f"the WebRTC connection {state}")

        @self.channel.on("open")
        def _open() -> None:
            self.channel_open.set()

        @self.channel.on("close")
        def _close() -> None:
            self._end("Scope closed the data channel")

        @self.channel.on("message")
        def _message(message: Any) -> None:
            try:
                data = json.loads(message)
            except (TypeError, ValueError):
                return
            if isinstance(data, dict) and self._on_message is not None:
                self._on_message(data)

    def _end(self, reason: str) -> None:
        if not self.ended.is_set():
            self.end_reason = reason
            self.ended.set()

    def _prefer(self, codec: str) -> None:
        wanted = MIME[codec]
        caps = RTCRtpSender.getCapabilities("video").codecs
        chosen = [c for c in caps if c.mimeType in wanted]
        chosen += [c for c in caps if c.mimeType == "video/rtx"]
        self.transceiver.setCodecPreferences(chosen)

    def _hook_keyframes(self) -> None:
        """Route PLI/FIR to our encoder: aiortc only forces keyframes in its own encoders."""
        sender = self.transceiver.sender
        request = getattr(self.track, "request_keyframe", None)
        if request is not None and hasattr(sender, "_send_keyframe"):
            sender._send_keyframe = request  # type: ignore[method-assign]

    async def offer(self) -> RTCSessionDescription:
        """Create the offer; returns once ICE gathering is complete."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription

    async def accept(self, answer: Answer) -> None:
        self.session_id = answer.session_id
        got = negotiated_codec(answer.sdp)
        if got is not None and got != self.codec:
            raise StreamError(
                f"Scope answered with {got} although perform offered only {self.codec}"
            )
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer.sdp, type=answer.type))

    async def wait_connected(self, timeout: float) -> None:
        """Until ICE/DTLS are up and the data channel is open; StreamError otherwise."""
        waiters: list[asyncio.Future[Any]] = [
            asyncio.ensure_future(asyncio.gather(self.connected.wait(), self.channel_open.wait())),
            asyncio.ensure_future(self.ended.wait()),
        ]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        if self.connected.is_set() and self.channel_open.is_set():
            return
        raise StreamError(
            f"WebRTC could not connect to Scope "
            f"({self.end_reason or f'no ICE route within {timeout:.0f} s'}). On a LAN, check "
            "that no firewall blocks UDP between the machines; for a cloud pod, Scope needs a "
            "TURN server (set HF_TOKEN on the pod) or exposed UDP ports.",
            title="Scope stream failed",
        )

    def send(self, text: str) -> None:
        if self.channel.readyState != "open":
            raise ConnectionError("data channel is not open")
        self.channel.send(text)

    async def rtt_ms(self) -> float | None:
        """Round trip from RTCP receiver reports (None until Scope has sent one)."""
        with contextlib.suppress(Exception):
            stats = await self.transceiver.sender.getStats()
            for item in stats.values():
                rtt = getattr(item, "roundTripTime", None)
                if item.type == "remote-inbound-rtp" and rtt is not None:
                    return float(rtt) * 1e3
        return None

    async def close(self) -> None:
        self._end("closed by perform")
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.pc.close(), 5.0)
