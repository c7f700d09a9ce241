"""One WebRTC session of the double: the peer, the data channel and the pipeline loop.

Like Scope (``webrtc.py``, ``frame_processor.py``, ``tracks.py``): the output track is
added *before* the offer is applied, so it lands on the client's first video m-line;
any client-created data channel is accepted; in video mode the loop waits for
``frames_per_chunk`` input frames (queue of 30, newest dropped), samples them, and emits
them as output (passthrough: same size and timestamps); one parameter update is merged per
loop iteration. Without ``pipeline_ids`` (or with ids that are not loaded) the session
connects and then does nothing at all: no frames, no message.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import json
import logging
import statistics
import time
import zlib
from collections import deque
from typing import TYPE_CHECKING, Any

import av
import numpy
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from tests.scope_double.pipelines import CATALOGUE
from tests.scope_double.processor import CONTROL_KEYS, Processor

if TYPE_CHECKING:
    from tests.scope_double import ScopeDouble

log = logging.getLogger(__name__)
INPUT_QUEUE = 30
TEXT_FPS = 16.0
QUANTUM_BEATS = {"beat": 1, "bar": 4, "2_bar": 8, "4_bar": 16}


class OutputTrack(MediaStreamTrack):
    """The server's video: pipeline output paced by timestamps, repeated while paused."""

    kind = "video"

    def __init__(self, session: DoubleSession) -> None:
        super().__init__()
        self.session = session
        self._anchor: tuple[float, int] | None = None
        self._last: av.VideoFrame | None = None
        self._last_pts: int | None = None
        self._deltas: deque[float] = deque(maxlen=16)
        self.resets = 0
        """Hard resets of the output pacing (a timestamp jump or a step back)."""

    async def recv(self) -> av.VideoFrame:
        s = self.session
        if s.input_mode == "video" and not s.inbound_seen:
            # recvonly pitfall: no inbound track, no active input -> "Track stopped".
            await asyncio.sleep(0.2)
            if not s.inbound_seen:
                raise MediaStreamError("Track stopped")
        while True:
            if s.inbound_ended and s.input_mode == "video":
                raise MediaStreamError("Track stopped")
            if s.silent:
                await s.never.wait()
            if s.output_held:  # what the pipeline makes meanwhile is lost, pacing restarts
                s.output.clear()
                self._anchor = None
                await asyncio.sleep(0.01)
                continue
            if s.paused and self._last is not None:
                await asyncio.sleep(1 / 30)
                if s.double.pause_rewinds:
                    await self._pause_fault()
                return self._stamp_repeat(self._last)
            try:
                frame = s.output.popleft()
            except IndexError:
                s.output_ready.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(s.output_ready.wait(), 0.05)
                continue
            await self._pace(frame)
            self._last = frame
            s.frames_sent += 1
            s.notify()
            return frame

    async def _pause_fault(self) -> None:
        """Scope 0.2.4 paused: the last frame goes out again with an older timestamp, the
        encoder raises and the output never sends another frame this session (silently)."""
        s = self.session
        s.output_failure = "pts is smaller than initial pts"
        log.error("video encoder failed: %s; no more output this session", s.output_failure)
        s.notify()
        await s.never.wait()

    def _stamp_repeat(self, frame: av.VideoFrame) -> av.VideoFrame:
        copy = av.VideoFrame.from_ndarray(frame.to_ndarray(format="yuv420p"), format="yuv420p")
        copy.pts = (frame.pts or 0) + 3000
        copy.time_base = frame.time_base or fractions.Fraction(1, 90000)
        self._last = copy
        self.session.frames_sent += 1
        return copy

    async def _pace(self, frame: av.VideoFrame) -> None:
        """Scope's ``compute_pacing_decision`` (contract 3.3): wall-clock pacing by
        timestamp, +-10 ms dead-band, soft re-anchor when over 0.5 s behind, hard reset on
        a non-monotonic timestamp or a jump of at least max(0.25 s, 8x the typical delta)."""
        if frame.pts is None or frame.time_base is None:
            return
        now = time.monotonic()
        previous, self._last_pts = self._last_pts, frame.pts
        if previous is not None and frame.pts > previous:
            delta = float((frame.pts - previous) * frame.time_base)
            typical = statistics.median(self._deltas) if self._deltas else delta
            self._deltas.append(delta)
            if delta >= max(0.25, 8 * typical):
                self._anchor = None  # a jump: hard reset
                self.resets += 1
        if self._anchor is None or previous is None or frame.pts < previous:
            self._anchor = (now, frame.pts)
            return
        target = self._anchor[0] + float((frame.pts - self._anchor[1]) * frame.time_base)
        if target - now > 0.010:
            await asyncio.sleep(min(target - now, 1.0))
        elif now - target > 0.5:
            self._anchor = (now, frame.pts)  # soft re-anchor


class DoubleSession:
    """A live session: what tests inspect (``parameters``, ``cache_resets``, frames)."""

    def __init__(self, double: ScopeDouble, session_id: str, initial: dict[str, Any]) -> None:
        self.double = double
        self.id = session_id
        self.initial = initial
        self.input_mode = str(initial.get("input_mode") or "text")
        self.pipeline_ids = list(initial.get("pipeline_ids") or [])
        self.control: dict[str, Any] = {k: v for k, v in initial.items() if k in CONTROL_KEYS}
        self.frame_processor_parameters = dict(initial)
        self.processor = Processor(
            initial, input_mode=self.input_mode, adapter=double.loader.adapter
        )
        self.pc = RTCPeerConnection()
        self.channel: Any = None
        self.channel_label: str | None = None
        self.inbound_seen = False
        self.inbound_ended = False
        self.inputs: deque[av.VideoFrame] = deque()
        self.output: deque[av.VideoFrame] = deque()
        self.output_ready = asyncio.Event()
        self.never = asyncio.Event()
        self.paused = bool(initial.get("paused", False))
        self.silent = False
        self.output_failure: str | None = None
        """Why this session's output died (the 0.2.4 pause fault), if it did."""
        self.output_held = False
        """Fault drill (program failover): while True the output track sends nothing and
        what the pipeline makes is lost (a transient stall); frames flow again when False."""
        self.closed = False
        self.worker_started = False
        self.started = time.monotonic()
        self.trickled = 0
        self.frames_received = 0
        self.inputs_dropped = 0
        self.outputs_dropped = 0
        """Pipeline output the output queue (2 chunks) had no room for."""
        self.frames_sent = 0
        self.chunks = 0
        self.messages = 0
        self.invalid_messages = 0
        self.sent_to_client: list[dict[str, Any]] = []
        self.quantized_pending: dict[str, Any] | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._quantum_handle: asyncio.TimerHandle | None = None

    # --- inspection -------------------------------------------------------------------
    @property
    def parameters(self) -> dict[str, Any]:
        """The effective (merged, per-chunk) parameters the pipeline is using now."""
        return dict(self.processor.params)

    @property
    def cache_resets(self) -> int:
        return self.processor.cache_resets

    @property
    def cut_reasons(self) -> list[str]:
        return self.processor.cut_reasons

    @property
    def updates_dropped(self) -> int:
        return self.processor.dropped

    def notify(self) -> None:
        self.double.notify()

    # --- negotiation ------------------------------------------------------------------
    async def answer(self, sdp: str, sdp_type: str) -> RTCSessionDescription:
        pc = self.pc
        self.track = OutputTrack(self)
        pc.addTrack(self.track)  # before the offer: lands on the client's first video m-line

        @pc.on("datachannel")
        def on_datachannel(channel: Any) -> None:
            self.channel = channel
            self.channel_label = channel.label
            channel.on("message", self._on_message)
            self.notify()

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                self.inbound_seen = True
                self._spawn(self._read(track))

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            self.notify()
            if pc.connectionState in ("failed", "closed"):
                await self.close()

        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type=sdp_type))
        await pc.setLocalDescription(await pc.createAnswer())
        self._spawn(self._work())
        return pc.localDescription

    def _spawn(self, coro: Any) -> None:
        self._tasks.append(asyncio.get_running_loop().create_task(coro))

    # --- media ------------------------------------------------------------------------
    async def _read(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                self.frames_received += 1
                if len(self.inputs) >= INPUT_QUEUE:
                    self.inputs_dropped += 1
                else:
                    self.inputs.append(frame)
                self.notify()
        except MediaStreamError:
            self.inbound_ended = True
            self.output_ready.set()
            self.notify()

    def _runnable(self) -> bool:
        if not self.pipeline_ids:
            log.warning("No pipeline IDs provided, cannot start")
            return False
        missing = [p for p in self.pipeline_ids if self.double.loader.loaded(p) is None]
        if missing:
            log.warning("Pipeline %s not loaded, cannot start", missing)
            return False
        return True

    async def _work(self) -> None:
        if not self._runnable():
            return  # the silent outcome: connected, no frames, no message
        self.worker_started = True
        inst = self.double.loader.loaded(self.pipeline_ids[-1])
        assert inst is not None
        info = CATALOGUE[inst.pipeline_id]
        n = self.double.frames_per_chunk or info.frames_per_chunk
        size = (
            int(inst.load_params.get("height", info.default_size[0])),
            int(inst.load_params.get("width", info.default_size[1])),
        )
        proc = self.processor
        text_pts = 0
        while not self.closed and not self.silent:
            proc.iterate()
            self.notify()
            if proc.flush_output:
                proc.flush_output = False
                self.output.clear()
            if self.paused:
                await asyncio.sleep(0.01)
                continue
            if self.input_mode == "video":
                if len(self.inputs) < n:
                    await asyncio.sleep(0.01)
                    continue
                if self.double.consume_all:
                    queued = list(self.inputs)
                    self.inputs.clear()
                else:  # only its own chunk, oldest first: the rest waits in the queue
                    queued = [self.inputs.popleft() for _ in range(n)]
                picks = numpy.linspace(0, len(queued) - 1, n).round().astype(int)
                frames = [self._resize(queued[i], size, info.id) for i in picks]
            else:
                await asyncio.sleep(n / TEXT_FPS)
                frames = []
                for _ in range(n):
                    frames.append(self._synthesize(size, text_pts))
                    text_pts += int(90000 / TEXT_FPS)
            if self.double.chunk_time > 0:
                await asyncio.sleep(self.double.chunk_time)
            if self.closed or self.silent:
                break
            proc.chunk_done()
            self.chunks += 1
            for frame in frames:
                if len(self.output) < 2 * n:  # overflow frames dropped at the producer
                    self.output.append(frame)
                else:
                    self.outputs_dropped += 1
            self.output_ready.set()
            self.notify()

    @staticmethod
    def _resize(frame: av.VideoFrame, size: tuple[int, int], pipeline: str) -> av.VideoFrame:
        if pipeline == "passthrough" or (frame.height, frame.width) == size:
            return frame
        out = frame.reformat(width=size[1], height=size[0], format="yuv420p")
        out.pts, out.time_base = frame.pts, frame.time_base
        return out

    def _synthesize(self, size: tuple[int, int], pts: int) -> av.VideoFrame:
        text = json.dumps(self.processor.params.get("prompts"), sort_keys=True)
        shade = zlib.crc32(text.encode()) % 200 + 28
        rgb = numpy.full((size[0], size[1], 3), shade, dtype=numpy.uint8)
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
        frame.pts, frame.time_base = pts, fractions.Fraction(1, 90000)
        return frame

    # --- data channel -----------------------------------------------------------------
    def _on_message(self, message: Any) -> None:
        self.messages += 1
        try:
            data = json.loads(message)
        except (TypeError, ValueError):
            self.invalid_messages += 1  # logged and dropped; the stream carries on
            return
        if not isinstance(data, dict):
            self.invalid_messages += 1
            return
        self.receive(data)

    def receive(self, data: dict[str, Any]) -> None:
        """Apply one client message (data channel or REST): no validation at all."""
        if "paused" in data:
            self.paused = bool(data["paused"])  # immediate, never quantized
        if data.pop("_quantized", False) and self._quantum_delay() is not None:
            self._schedule(data)
            return
        self.apply_now(data)

    def apply_now(self, data: dict[str, Any]) -> None:
        control = {k: v for k, v in data.items() if k in CONTROL_KEYS}
        rest = {k: v for k, v in data.items() if k not in CONTROL_KEYS}
        self.control.update(control)
        self.frame_processor_parameters.update(rest)
        if rest:
            self.processor.offer(rest)
        self.notify()

    def _quantum_delay(self) -> float | None:
        bpm = self.double.tempo_bpm
        mode = self.control.get("quantize_mode", "none")
        if bpm is None or mode not in QUANTUM_BEATS:
            return None
        unit = QUANTUM_BEATS[mode] * 60.0 / bpm
        t = time.monotonic() - self.double.tempo_epoch
        delay = unit - (t % unit) - float(self.control.get("lookahead_ms", 0)) / 1000.0
        while delay < 0:
            delay += unit
        return delay

    def _schedule(self, data: dict[str, Any]) -> None:
        if self.quantized_pending is not None:
            self.quantized_pending.update(data)  # merged into the pending change
            return
        delay = self._quantum_delay() or 0.0
        self.quantized_pending = dict(data)
        self.send({"type": "change_scheduled", "delay_ms": round(delay * 1000)})
        self._quantum_handle = asyncio.get_running_loop().call_later(delay, self._fire)

    def _fire(self) -> None:
        pending, self.quantized_pending = self.quantized_pending or {}, None
        self.apply_now(pending)
        self.send({"type": "change_applied"})

    def send(self, message: dict[str, Any]) -> None:
        self.sent_to_client.append(message)
        if self.channel is not None and self.channel.readyState == "open":
            self.channel.send(json.dumps(message))

    # --- teardown ---------------------------------------------------------------------
    def go_silent(self) -> None:
        """OOM-style failure: the worker stops; frames stop; no message is sent."""
        self.silent = True
        self.output.clear()
        self.notify()

    def cut_network(self) -> None:
        """Kill -9: every socket of this peer closes without a goodbye packet."""
        for transport in _udp_transports(self.pc):
            transport.abort()

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._quantum_handle is not None:
            self._quantum_handle.cancel()
        with contextlib.suppress(Exception):
            self.send({"type": "stream_stopped"})
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.pc.close()
        self.notify()


def _udp_transports(pc: RTCPeerConnection) -> list[Any]:
    """The UDP sockets under a peer connection (aiortc/aioice internals; test-only)."""
    found: list[Any] = []
    ice_transports = [
        t.sender.transport.transport for t in pc.getTransceivers() if t.sender.transport
    ]
    if pc.sctp is not None:
        ice_transports.append(pc.sctp.transport.transport)
    for ice in ice_transports:
        connection = getattr(ice, "_connection", None)
        for protocol in getattr(connection, "_protocols", []):
            transport = getattr(protocol, "transport", None)
            if transport is not None and transport not in found:
                found.append(transport)
    return found
