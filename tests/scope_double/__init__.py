"""A faithful Daydream Scope test double (contract ``scope-contract.md`` §7).

An aiohttp + aiortc server in the test's own event loop. A client that works against it
must work against a real Scope 0.2.x, so where the contract marks something as derived the
double takes the stricter reading. Use it like this::

    from tests.scope_double import ScopeDouble

    double = ScopeDouble()                  # options: see ScopeDouble.__init__
    url = await double.start()              # free port on 127.0.0.1
    double.preload("passthrough", height=128, width=128)   # or let the client POST a load
    ...                                     # point the client at ``url``
    session = await double.wait_session()   # the newest live WebRTC session
    await double.wait_for(lambda: session.frames_sent > 10, "output frames")
    session.parameters                      # effective parameters (merged per chunk)
    session.cache_resets, session.cut_reasons   # hard cuts and why
    session.frames_received, session.updates_dropped, session.processor.transitions
    double.go_silent()                      # frames stop, no message (CUDA OOM)
    double.pause_rewinds = False            # pause like Scope < 0.2.3 (the default breaks)
    double.consume_all = False              # a slow pipeline lets its input queue fill
    await double.kill()                     # like kill -9: HTTP gone, media silent
    await double.restart()                  # same port, fresh state (nothing loaded)
    await double.stop()

Pytest: ``from tests.scope_double.fixture import scope_double`` in a conftest gives a
started double per test. For another process (``perform run --scope URL``), use
:class:`tests.scope_double.threaded.ThreadedScopeDouble` or ``python -m tests.scope_double``.
Inspection over HTTP: ``GET /_double/state`` (test-only route).

What it reproduces: the endpoints of §1 with their 400/404/405/422/500 shapes; the load
state machine (a stale window after the POST, loading stages, ``error`` reported once,
``error`` field always null, identical re-load is a no-op); unknown pipeline, size not a
multiple of 16, missing LoRA file and missing models as load errors; the offer's 400/422/500
and the silent no-frames session without ``pipeline_ids``; host-only ICE candidates on
non-loopback interfaces (aiortc, like Scope) while HTTP is on 127.0.0.1; a STUN-only
ICE-servers list pointing at a public server; the data channel's merge semantics (no
validation, invalid JSON dropped, ``paused`` immediate, control keys stripped, queue of 8
dropping the newest, one update per loop iteration, one-shot keys, cache-reset counter,
``_quantized`` scheduling when ``tempo_bpm`` is set); output only after ``frames_per_chunk``
input frames; the recvonly pitfall; output stops when the inbound track ends; the assets
endpoints (raw-body upload, silent overwrite, newest-first list) and the LoRA install and
download endpoints (allowed hosts, 409, ``expected_sha256``), see
:mod:`tests.scope_double.assets`; every ``vace_ref_images`` a pipeline took
(``session.processor.ref_images``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from tests.scope_double.app import build_app
from tests.scope_double.assets import Store
from tests.scope_double.pipelines import Loader, lora_file
from tests.scope_double.rtc import DoubleSession

__all__ = ["DoubleSession", "ScopeDouble"]

PUBLIC_STUN = [{"urls": ["stun:stun.l.google.com:19302"], "username": None, "credential": None}]


class ScopeDouble:
    """The double's server and everything a test inspects or switches."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        version: str = "0.2.4",
        load_delay: float = 0.3,
        stale_window: float = 0.15,
        frames_per_chunk: int | None = None,
        chunk_time: float = 0.0,
        loras: Iterable[str] = ("arcane", "pixel_art"),
        models_missing: Iterable[str] = (),
        ice_servers: list[dict[str, Any]] | None = None,
    ) -> None:
        """
        Args:
            host, port: where HTTP listens (port 0: a free one, kept across restarts).
            version: what ``/health`` reports.
            load_delay: seconds a load takes once it is visible as ``loading``.
            stale_window: seconds after a load POST during which status is unchanged.
            frames_per_chunk: override the pipeline's input frames per call (4 or 12).
            chunk_time: extra seconds each pipeline call takes (a slow GPU).
            loras: LoRA file stems the server has (absolute paths under its lora dir).
            models_missing: pipeline ids whose model files are not downloaded.
            ice_servers: what ``/api/v1/webrtc/ice-servers`` returns (a public STUN).
        """
        self.host = host
        self.port = port
        self.version = version
        self.frames_per_chunk = frames_per_chunk
        self.chunk_time = chunk_time
        self.lora_files = [lora_file(stem) for stem in loras]
        self.files = Store()
        """Assets (uploads, overwrites) and LoRA installs; ``files.remote`` is the internet."""
        self.ice_servers = ice_servers if ice_servers is not None else PUBLIC_STUN
        self._load_delay = load_delay
        self._stale_window = stale_window
        self._models_missing = set(models_missing)
        self.faults: dict[tuple[str, str], tuple[int, Any]] = {}
        """``(method, path) -> (status, detail)``: answer that route with an error."""
        self.tempo_bpm: float | None = None
        """A server tempo source (Link): ``_quantized`` messages wait for the boundary."""
        self.tempo_epoch = time.monotonic()
        self.requests: list[str] = []
        self.sessions: list[DoubleSession] = []
        self.restarts = 0
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        # --- Scope 0.2.x faults (issue 11, item 5) -------------------------------------
        self.pause_rewinds = True
        """Scope 0.2.3+ (timestamps end to end): ``paused`` re-sends the last frame with an
        older timestamp, the output encoder fails ("pts is smaller than initial pts") and
        the session's output is gone for good, with no message. False: the old repeat."""
        self.consume_all = True
        """Each pipeline call consumes everything queued (Scope's sampling). False: a
        pipeline slower than its input takes only its ``frames_per_chunk`` oldest frames, so
        the input queue (30, newest dropped) fills and latency grows until it is full."""
        self._reset_state()

    def _reset_state(self) -> None:
        self.server_start_time = time.time()
        self.loader = Loader(
            lora_paths={f["path"] for f in self.lora_files},
            models_missing=self._models_missing,
            load_delay=self._load_delay,
            stale_window=self._stale_window,
        )

    # --- lifecycle --------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> str:
        self._runner = web.AppRunner(build_app(self), access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        if self.port == 0:
            self.port = self._runner.addresses[0][1]
        return self.url

    async def stop(self) -> None:
        """A clean shutdown (sessions closed with ``stream_stopped``)."""
        for session in self.sessions:
            await session.close()
        await self._stop_http()
        await self.loader.close()

    async def kill(self) -> None:
        """Like ``kill -9``: HTTP refuses, media and data channel go silent, no goodbye."""
        for session in self.sessions:
            session.cut_network()
            session.go_silent()
        await self._stop_http()
        await self.loader.close()
        for session in self.sessions:
            with contextlib.suppress(Exception):
                await session.close()

    async def restart(self) -> None:
        """Start again on the same port with fresh state: nothing loaded, new start time."""
        await self._stop_http()
        self._reset_state()
        self.restarts += 1
        await self.start()
        self.notify()

    async def _stop_http(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- state ------------------------------------------------------------------------
    def preload(self, pipeline_id: str = "passthrough", **load_params: Any) -> None:
        """Make a pipeline loaded at once, as if someone had loaded it earlier."""
        self.loader.preload(pipeline_id, pipeline_id, load_params)

    def live_sessions(self) -> list[DoubleSession]:
        return [s for s in self.sessions if not s.closed]

    @property
    def session(self) -> DoubleSession | None:
        live = self.live_sessions()
        return live[-1] if live else None

    def session_by_id(self, session_id: str) -> DoubleSession | None:
        return next((s for s in self.sessions if s.id == session_id), None)

    def go_silent(self) -> None:
        """Every live session's pipeline stops: no more frames and no message."""
        for session in self.live_sessions():
            session.go_silent()

    @property
    def cache_resets(self) -> int:
        """Hard cuts over every session so far."""
        return sum(s.cache_resets for s in self.sessions)

    # --- waiting ----------------------------------------------------------------------
    def notify(self) -> None:
        self._changed.set()

    async def wait_for(
        self, predicate: Callable[[], Any], what: str = "condition", timeout: float = 30.0
    ) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked on every change of the double)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.1))

    async def wait_session(self, *, after: int = 0, timeout: float = 30.0) -> DoubleSession:
        """The newest live session once there are more than ``after`` sessions in all."""
        await self.wait_for(
            lambda: len(self.sessions) > after and self.session is not None,
            f"WebRTC session #{after + 1}",
            timeout,
        )
        session = self.session
        assert session is not None
        return session

    def describe(self) -> dict[str, Any]:
        """Everything a test in another process may want (``GET /_double/state``)."""
        return {
            "instances": {k: i.state for k, i in self.loader.instances.items()},
            "loads_started": self.loader.loads_started,
            "restarts": self.restarts,
            "asset_uploads": list(self.files.uploads),
            "sessions": [
                {
                    "id": s.id,
                    "closed": s.closed,
                    "input_mode": s.input_mode,
                    "parameters": s.parameters,
                    "control": s.control,
                    "cache_resets": s.cache_resets,
                    "cut_reasons": s.cut_reasons,
                    "transitions": s.processor.transitions,
                    "ref_images": s.processor.ref_images,
                    "updates_dropped": s.updates_dropped,
                    "frames_received": s.frames_received,
                    "frames_sent": s.frames_sent,
                    "output_failure": s.output_failure,
                    "messages": s.messages,
                }
                for s in self.sessions
            ],
        }
