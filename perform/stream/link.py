"""The Scope link: the session component that keeps the organism streaming into Scope.

One supervisor task runs ``check -> load -> offer -> stream`` and, when anything ends the
stream (the server went away, the connection failed, the watchdog saw no frames, the input
mode or the pipeline changed), tears down and goes round again, waiting with exponential
backoff after failures. Each new stream carries the whole current state in its
``initialParameters`` (prompts, noise, LoRA scales) and on open (pause, tempo), so a
reconnect loses nothing. Everything the performer should know becomes a ``ScopeStatus``
(published on change and about once a second while streaming) and, for failures, one
notice per distinct message — never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiortc.mediastreams import MediaStreamTrack

from perform.config import AppConfig
from perform.errors import PerformError, StreamError
from perform.events import (
    SCOPE_LOAD,
    TEMPO_STATE,
    PipelineRequest,
    ScopeStatus,
    TempoState,
    undo_all,
)
from perform.params import ChangeSet
from perform.registry import register_lora
from perform.stream import loading
from perform.stream.assets import AssetUploader
from perform.stream.channel import Planner, Settings
from perform.stream.ice import check_host_addresses, select_ice_servers
from perform.stream.lora import LoraTable
from perform.stream.output import OutputReceiver
from perform.stream.pacing import Pacer
from perform.stream.peer import ScopePeer
from perform.stream.pump import Pump
from perform.stream.scope_api import Health, ScopeAPI, ScopeOffline
from perform.stream.status import StatusBoard
from perform.stream.track import OrganismTrack, track_for

if TYPE_CHECKING:
    from perform.session import Session

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 20.0
PROBE_TIMEOUT = 5.0
"""How long the watchdog waits for ``/health`` before it calls Scope unreachable."""
BACKOFF_START = 0.5


class Restart(Exception):
    """The stream ends on purpose (mode switch, new pipeline, reconnect action)."""


class Backoff:
    def __init__(self, maximum: float) -> None:
        self.maximum = maximum
        self.delay = BACKOFF_START

    def next(self) -> float:
        delay = self.delay * random.uniform(0.9, 1.1)
        self.delay = min(self.maximum, self.delay * 2)
        return delay

    def reset(self) -> None:
        self.delay = BACKOFF_START


class ScopeLink:
    """Session component ``scope``: see the module docstring."""

    name = "scope"

    def __init__(
        self,
        config: AppConfig,
        *,
        url: str | None = None,
        requested: PipelineRequest | None = None,
    ) -> None:
        self.config = config
        self.scope = config.scope
        self.url = (url or config.scope.url).rstrip("/")
        self.api = ScopeAPI(self.url)
        self.loras = LoraTable()
        self.assets = AssetUploader(self.api)
        self._vace_refusal: str | None = None
        self._uploads: set[asyncio.Task[None]] = set()
        self.receiver = OutputReceiver(input_width=config.stream.width)
        self.output = self.receiver.mailbox
        """Scope's returned frames, for the TUI preview (a FrameMailbox)."""
        self.board = StatusBoard(self.url)
        self.pacer = Pacer(max_fps=float(config.stream.fps))
        """Paces the track to what the pipeline consumes (a slow pipeline's queue stays empty)."""
        self.health: Health | None = None
        self.reconnects = 0
        self.streams = 0
        self.peer: ScopePeer | None = None
        self.track: OrganismTrack | None = None
        self.planner: Planner | None = None
        self.pump: Pump | None = None
        self.pipeline: PipelineRequest | None = None
        self._session: Session | None = None
        self._requested: PipelineRequest | None = requested
        """A show's pipeline (SCOPE_LOAD, or given at construction); else the config's."""
        self._restart_reason: str | None = None
        self._wake = asyncio.Event()
        self._first_frame = asyncio.Event()
        """Set by the current peer's first frame (cleared when a new peer takes over)."""
        self._attempt_worked = False
        self._stream_mode = "video"
        self._loading = ""
        self._schemas: tuple[float, dict[str, Any]] | None = None
        self._last_frame_at = 0.0
        self._tasks: list[asyncio.Task[Any]] = []
        self._stream_tasks: list[asyncio.Task[Any]] = []
        self._unsubscribe: list[Callable[[], None]] = []

    # --- component ----------------------------------------------------------------------
    async def start(self, session: Session) -> None:
        self._session = session
        self.board.attach(session)
        store = session.store
        self.planner = Planner(
            store, Settings.from_config(self.scope), self.loras, refuse=self._refuse
        )
        self.pump = Pump(self.planner, self._send)
        if store.get("scope.noise_controller") != ("on" if self.scope.noise_controller else "off"):
            store.apply(
                "scope.noise_controller", "on" if self.scope.noise_controller else "off", "default"
            )
        self._unsubscribe += [
            store.subscribe(self._on_changes),
            session.events.subscribe(SCOPE_LOAD, self._on_load),
            session.events.subscribe(TEMPO_STATE, self._on_tempo),
            # scope.pause and scope.mode only write parameters: the store binds them.
            store.actions.bind("scope.cut", self._cut),
            store.actions.bind("scope.reconnect", self._reconnect),
        ]
        self.receiver.hold(store.get("scope.paused") == "on")
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._supervise(), name="scope-link"),
            loop.create_task(self._status_loop(), name="scope-status"),
            loop.create_task(self.pump.run(), name="scope-channel"),
        ]

    async def stop(self) -> None:
        undo_all(self._unsubscribe)
        for task in (*self._tasks, *self._uploads):
            task.cancel()
        await asyncio.gather(*self._tasks, *self._uploads, return_exceptions=True)
        await self._close_stream(self.peer, goodbye=True)
        self.peer = None
        self.receiver.close()
        await self.api.close()
        self.board.state("offline", "stopped")

    # --- supervisor -----------------------------------------------------------------------
    async def _supervise(self) -> None:
        backoff = Backoff(self.scope.reconnect_max_seconds)
        while True:
            planned = False
            try:
                await self._stream_once()
            except Restart as reason:
                planned = True
                log.info("Scope stream restarts: %s", reason)
            except ScopeOffline as exc:
                self.board.fail("offline", exc)
            except PerformError as exc:
                self.board.fail("error", exc)
            except Exception as exc:
                log.exception("Scope link failed")
                self.board.fail(
                    "error",
                    StreamError(
                        f"unexpected problem in the Scope link ({type(exc).__name__}: {exc}); "
                        "retrying"
                    ),
                )
            if not planned and self.peer is not None:
                await self._close_stream(self.peer)
                self.peer = None
            if self._attempt_worked:
                backoff.reset()  # that stream worked: the next failure retries quickly
            self.reconnects += 1
            self.board.reconnects = self.reconnects
            if planned or self._restart_reason is not None:
                self._restart_reason = None
                continue
            delay = backoff.next()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            self._restart_reason = None

    async def _stream_once(self) -> None:
        assert self._session is not None and self.planner is not None
        self._attempt_worked = False
        self.board.state("checking", f"contacting Scope at {self.url}")
        health = await self.api.health()
        if self.health is not None and health.server_start_time != self.health.server_start_time:
            self.board.notice(
                "information",
                "Scope restarted",
                f"Scope at {self.url} restarted; setting it up again.",
            )
            self.assets.forget()
        self.health = health
        self.board.version = health.version
        request = await self._wanted()
        self._loading = " + ".join(request.pipeline_ids)
        self.board.state("loading", f"checking that {self._loading} is loaded")
        status = await loading.ensure_loaded(
            self.api, request, timeout=self.scope.load_timeout, on_stage=self._on_stage
        )
        self.pipeline = request
        meta = await self._meta(request)
        self.loras.unsupported = (
            request.pipeline_ids[-1] if meta.get("supports_lora") is False else None
        )
        self._adopt_loras(status.adapters, request)
        self.planner.chunk_period = self.scope.chunk_period
        mode = await self._input_mode(request)
        await self._vace_setup(request)
        check_host_addresses()
        self.board.state("connecting", f"opening the stream ({mode} mode)")
        ice = await select_ice_servers(self.url, await self.api.ice_servers(), self.scope.ice)
        track = self._make_track() if mode == "video" else None
        peer = ScopePeer(
            ice_servers=ice,
            track=track,
            codec=self.config.stream.codec,
            on_track=self._on_remote_track,
            on_message=self._on_server_message,
        )
        try:
            offer = await peer.offer()
            old, self.peer, self.track = self.peer, peer, track
            # From here on only the new peer's frames count: the old stream (still showing
            # during a planned switch) must neither announce "streaming" nor feed the watchdog.
            self._first_frame.clear()
            if old is not None:  # planned switch: the old stream ran until the new offer was ready
                await self._close_stream(old, goodbye=True)
            self._stream_mode = mode
            initial = self.planner.initial(
                list(request.pipeline_ids), mode, loading.base_parameters(self.config)
            )
            sent_images = self._vace_images() if self._vace_refusal is None else []
            refs = self.assets.resolved(sent_images)
            if sent_images and refs:
                initial["vace_ref_images"] = refs
            answer = await self.api.offer(offer.sdp, offer.type, initial)
            await peer.accept(answer)
            await peer.wait_connected(CONNECT_TIMEOUT)
        except BaseException:
            if self.peer is not peer:
                await peer.close()
            raise
        for message in self.planner.on_open():
            self._send_now(message)
        if self._vace_images() != sent_images or (sent_images and not refs):
            self._on_vace_images()  # changed (or a new file) while the stream was set up
        self.streams += 1
        if not self._first_frame.is_set():  # its first frame may already have come
            self.board.state("connecting", "waiting for the first frame from Scope")
        await self._watch(peer)

    async def _watch(self, peer: ScopePeer) -> None:
        """Until the stream ends: connection state, watchdog, planned restarts."""
        started = time.perf_counter()
        while True:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.25)
            if self._restart_reason is not None:
                raise Restart(self._restart_reason)
            if peer.ended.is_set():
                raise ScopeOffline(f"the stream to Scope ended: {peer.end_reason}; reconnecting.")
            now = time.perf_counter()
            if self._first_frame.is_set():
                silent, limit = now - self._last_frame_at, self.scope.watchdog_seconds
            else:
                silent, limit = now - started, self.scope.first_frame_seconds
            if silent > limit:
                await self._reachable(silent)
                self.board.state("stalled", f"no frames from Scope for {silent:.0f} s")
                raise StreamError(
                    f"No frames from Scope for {silent:.0f} s (its pipeline may have crashed, "
                    "e.g. out of GPU memory; Scope sends no error for that). "
                    "Restarting the stream.",
                    title="Scope stalled",
                )

    async def _reachable(self, silent: float) -> None:
        """Before blaming the pipeline for silence, ask whether Scope is there at all (after
        ``kill -9`` the media just stops; the health check says "connection refused")."""
        try:
            await asyncio.wait_for(self.api.health(check=False), PROBE_TIMEOUT)
        except (ScopeOffline, TimeoutError) as exc:
            why = exc.message if isinstance(exc, ScopeOffline) else "no answer"
            raise ScopeOffline(
                f"Scope is unreachable (no frames for {silent:.0f} s): {why}"
            ) from None

    # --- pieces -----------------------------------------------------------------------
    async def _wanted(self) -> PipelineRequest:
        requested = self._requested
        if requested is not None and requested.pipeline_ids:
            return loading.complete_request(requested, self.config)
        request = await loading.config_request(self.config, self.api)
        return loading.with_assets(request, requested.assets if requested else ())

    async def _vace_setup(self, request: PipelineRequest) -> None:
        """Refuse VACE on a pipeline without it; else upload the show's (and current) images."""
        assert self._session is not None and self._schemas is not None
        pipeline = request.pipeline_ids[-1]
        images = self._vace_images()
        self._vace_refusal = loading.vace_refusal(pipeline, self._schemas[1].get(pipeline) or {})
        if self._vace_refusal is None and request.load_params.get("vace_enabled") is False:
            self._vace_refusal = (
                f"{pipeline} was loaded without VACE (vace_enabled = false): the reference "
                "images are not sent. Set [scope] vace_enabled = true."
            )
        if not (request.assets or images):
            return
        if self._vace_refusal is not None:
            self._refuse_vace()
            return
        self.board.state("loading", "uploading the VACE reference images")
        try:
            await self.assets.ensure([*request.assets, *images])
        except ScopeOffline:
            raise
        except (PerformError, OSError) as exc:  # the show goes on without the images
            self.board.notice("error", "VACE upload failed", _upload_failure(exc), key="vace")

    def _refuse_vace(self) -> None:
        assert self._vace_refusal is not None
        self.board.notice("error", "VACE refused", self._vace_refusal, key="vace")
        self.board.warn("VACE: refused")

    def _vace_images(self) -> list[str]:
        assert self._session is not None
        store = self._session.store
        text = str(store.get("scope.vace_images")) if "scope.vace_images" in store else ""
        return [line for line in text.splitlines() if line.strip()]

    def _on_vace_images(self) -> None:
        """A scene (or the performer) changed the reference images: send the server paths."""
        assert self.planner is not None and self.pump is not None
        images = self._vace_images()
        if self._vace_refusal is not None:
            if images:
                self._refuse_vace()
            return
        if self.peer is None:
            return  # the next stream's initialParameters carry them
        refs = self.assets.resolved(images)
        if refs is not None:
            self.planner.vace_images(refs, time.monotonic())
            self.pump.wake()
            return

        async def upload() -> None:
            try:
                refs = await self.assets.ensure(images)
            except (PerformError, OSError) as exc:
                self.board.notice("error", "VACE upload failed", _upload_failure(exc), key="vace")
                return
            if self._vace_images() == images and self.planner and self.pump:
                self.planner.vace_images(refs, time.monotonic())
                self.pump.wake()

        task = asyncio.get_running_loop().create_task(upload(), name="vace-upload")
        self._uploads.add(task)
        task.add_done_callback(self._uploads.discard)

    def _make_track(self) -> OrganismTrack:
        assert self._session is not None
        track = track_for(self.config, self._session.host.mailbox)
        self.pacer.reset()
        if self.pipeline is not None:
            self.pacer.chunk = loading.frames_per_chunk(self.config, self.pipeline.pipeline_ids)
        self.receiver.sent_at = track.sent_at if self.scope.latency_stamp else None
        return track

    def _adopt_loras(self, adapters: Any, request: PipelineRequest) -> None:
        assert self._session is not None
        store = self._session.store
        for param, adapter in self.loras.update(adapters, request.lora_names).items():
            register_lora(
                store, param, adapter.scale, f"LoRA {adapter.stem} ({adapter.merge_mode})."
            )
        self.board.warnings = self.loras.warnings()
        self.board.pipeline = " + ".join(request.pipeline_ids)

    def _on_remote_track(self, peer: ScopePeer, track: MediaStreamTrack) -> None:
        """Scope's video for ``peer``: only frames of the current stream feed the watchdog
        (during a planned switch the old stream keeps the preview alive meanwhile)."""

        def on_frame() -> None:
            if peer is self.peer:
                self._on_frame()

        task = asyncio.get_running_loop().create_task(self.receiver.consume(track, on_frame))
        self._stream_tasks = [t for t in self._stream_tasks if not t.done()] + [task]

    async def _input_mode(self, request: PipelineRequest) -> str:
        """``scope.input_mode``, unless the pipeline cannot take it (then its own mode)."""
        assert self._session is not None
        store = self._session.store
        wanted = str(store.get("scope.input_mode"))
        meta = await self._meta(request)
        mode, refusal = loading.choose_input_mode(wanted, request.pipeline_ids[-1], meta)
        if refusal is not None:
            self.board.notice("warning", "Scope input mode", refusal)
            store.apply("scope.input_mode", mode, "scope")
        return mode

    async def _meta(self, request: PipelineRequest) -> dict[str, Any]:
        """The schema of the pipeline that makes the picture (cached per server start)."""
        start = self.health.server_start_time if self.health else 0.0
        if self._schemas is None or self._schemas[0] != start:
            self._schemas = (start, await self.api.schemas())
        meta = self._schemas[1].get(request.pipeline_ids[-1])
        return meta if isinstance(meta, dict) else {}

    def _on_frame(self) -> None:
        self._last_frame_at = time.perf_counter()
        if not self._first_frame.is_set():
            self._first_frame.set()
            self._attempt_worked = True
            mode = self._stream_mode
            name = " + ".join(self.pipeline.pipeline_ids) if self.pipeline else ""
            self.board.state("streaming", f"{name} ({mode} mode)")
            self.board.recovered()
            codec = self.config.stream.codec.upper() if mode == "video" else "no input video"
            self.board.notice(
                "information",
                "Scope streaming",
                f"streaming to Scope at {self.url}: {name}, {mode} mode, {codec}.",
            )

    def _on_server_message(self, message: dict[str, Any]) -> None:
        if message.get("type") == "stream_stopped":
            detail = message.get("error_message")
            log.info("Scope stopped the stream%s", f": {detail}" if detail else "")

    def _send(self, text: str) -> None:
        if self.peer is None:
            raise ConnectionError("no stream")
        self.peer.send(text)

    def _send_now(self, message: dict[str, Any]) -> None:
        import json

        with contextlib.suppress(ConnectionError):
            self._send(json.dumps(message))

    async def _close_stream(self, peer: ScopePeer | None, *, goodbye: bool = False) -> None:
        if peer is None:
            return
        if goodbye and peer.session_id:
            with contextlib.suppress(PerformError):
                await asyncio.wait_for(self.api.close_session(peer.session_id), 3.0)
        await peer.close()
        if peer.track is not None:
            peer.track.stop()

    # --- events -----------------------------------------------------------------------
    def _on_changes(self, changes: ChangeSet) -> None:
        assert self.planner is not None and self.pump is not None
        paused = changes.get("scope.paused")
        if paused is not None:
            self.receiver.hold(paused.value == "on")
        mode = changes.get("scope.input_mode")
        if mode is not None and mode.value != self._stream_mode and self.peer is not None:
            refusal = self._mode_refusal(str(mode.value))
            if refusal is None:
                self.restart(f"switching to {mode.value} mode")
            else:  # refused before the stream is touched: the picture carries on
                self.board.notice("warning", "Scope input mode", refusal)
                asyncio.get_running_loop().call_soon(self._keep_mode, self._stream_mode)
        images = changes.get("scope.vace_images")
        if images is not None and images.source != "scope":
            self._on_vace_images()
        if self.planner.changes(changes, time.monotonic()):
            self.pump.wake()

    def _mode_refusal(self, wanted: str) -> str | None:
        """Why the loaded pipeline cannot stream in ``wanted`` mode (None: it can, or its
        schema is not known yet and the next stream will find out)."""
        if self._schemas is None or self.pipeline is None:
            return None
        requested = self._requested
        if requested is not None and requested.pipeline_ids != self.pipeline.pipeline_ids:
            return None  # another pipeline is on its way: the next stream decides
        pipeline = self.pipeline.pipeline_ids[-1]
        meta = self._schemas[1].get(pipeline)
        if not meta:
            return None
        _, refusal = loading.choose_input_mode(wanted, pipeline, meta)
        if refusal is None:
            return None
        modes = " or ".join(str(m) for m in meta.get("supported_modes") or [])
        return (
            f"{pipeline} takes {modes} input only: {wanted} mode refused, "
            f"the stream stays in {self._stream_mode} mode."
        )

    def _keep_mode(self, mode: str) -> None:
        assert self._session is not None
        if self._session.store.get("scope.input_mode") != mode:
            self._session.store.apply("scope.input_mode", mode, "scope")

    def _on_load(self, request: PipelineRequest) -> None:
        if not isinstance(request, PipelineRequest):
            log.warning("ignored %s payload %r", SCOPE_LOAD, request)
            return
        if request == self._requested:
            return
        self._requested = request
        self.restart(f"loading {' + '.join(request.pipeline_ids)}")

    def _on_tempo(self, state: TempoState) -> None:
        if self.planner is not None and self.pump is not None and isinstance(state, TempoState):
            self.planner.tempo(state, time.monotonic())
            self.pump.wake()

    def _on_stage(self, stage: str | None) -> None:
        name = self._loading
        self.board.state("loading", f"loading {name}: {stage}" if stage else f"loading {name}")

    def restart(self, reason: str) -> None:
        """End the current stream on purpose and start a new one now."""
        self._restart_reason = reason
        self._wake.set()

    def _cut(self, arg: Any, source: str) -> None:
        """Action ``scope.cut``: Scope resets its cache (a fresh picture)."""
        if self.planner is not None and self.pump is not None:
            self.planner.cut(time.monotonic())
            self.pump.wake()

    def _reconnect(self, arg: Any, source: str) -> None:
        """Action ``scope.reconnect``."""
        self.restart("reconnect requested")

    # --- status ---------------------------------------------------------------------------
    def link_up(self) -> bool:
        """A stream to Scope is open (read from the program bus thread: a flag, no locks)."""
        peer = self.peer
        return peer is not None and not peer.ended.is_set()

    @property
    def status(self) -> ScopeStatus:
        return self.board.status

    def _refuse(self, param: str, message: str) -> None:
        assert self._session is not None
        self.board.notice("warning", "Scope refused", message, key=f"refused {param}")
        self.board.warn(message.split(":", 1)[0] + ": refused")
        adapter = self.loras.adapter(param)
        if adapter is not None and param in self._session.store:
            self._session.store.apply(param, adapter.scale, "scope")  # show the real scale

    async def _status_loop(self) -> None:
        """About once a second: figures, the chunk-period estimate, a status while streaming."""
        while True:
            await asyncio.sleep(1.0)
            try:
                await self._refresh()
            except Exception:
                log.exception("Scope status refresh failed")

    async def _refresh(self) -> None:
        fps_out = self.receiver.fps
        if self.planner is not None and self.pipeline is not None and fps_out > 1.0:
            chunk = loading.frames_per_chunk(self.config, self.pipeline.pipeline_ids) / fps_out
            self.planner.chunk_period = min(2.0, max(1 / 60, chunk))
        track = self.track
        if track is not None and self._first_frame.is_set():
            rate = self.pacer.update(
                time.perf_counter(), track.stats.delivered, self.receiver.frames
            )
            if rate is not None:
                track.set_rate(rate)
                log.info("Scope input paced to %.1f fps (its output: %.1f fps)", rate, fps_out)
        rtt = await self.peer.rtt_ms() if self.peer is not None else None
        if rtt is None and self.health is not None:
            rtt = self.health.rtt_ms
        delivered = self.track.stats.delivered if self.track is not None else None
        self.board.figures(
            fps_in=self.board.input_rate(delivered),
            fps_out=fps_out,
            latency_ms=self.receiver.latency_ms,
            rtt_ms=rtt,
        )


def _upload_failure(exc: BaseException) -> str:
    return f"{exc}; the reference images are not sent (the stream goes on without them)."
