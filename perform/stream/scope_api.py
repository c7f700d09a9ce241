"""Scope's HTTP API (contract §1): health, schemas, load + status polling, LoRAs, offer.

Every failure becomes a :class:`~perform.errors.StreamError` whose message a VJ can act
on; :class:`ScopeOffline` marks "nothing answers at that URL" so the link can retry
quietly. The load poller understands the two traps of ``/pipeline/status``: right after
the POST the *previous* state is still visible, and ``error`` is reported exactly once
(a poller that sees ``loading`` and then ``not_loaded`` has seen a failure too).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import aiohttp

from perform.errors import StreamError
from perform.events import PipelineRequest

log = logging.getLogger(__name__)

MIN_VERSION = (0, 1, 8)
TOKEN_ENV = "PERFORM_SCOPE_TOKEN"
"""A bearer token for a Scope behind an authenticating proxy (never in the config file)."""


class ScopeOffline(StreamError):
    title = "Scope offline"


class LoadFailed(StreamError):
    title = "Scope load failed"


@dataclass(frozen=True, slots=True)
class Health:
    version: str
    server_start_time: float
    git_commit: str = ""
    rtt_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class LoraAdapter:
    path: str
    scale: float
    merge_mode: str
    adapter_name: str | None = None

    @property
    def stem(self) -> str:
        return PurePath(self.path).stem

    @property
    def live(self) -> bool:
        """Only runtime_peft adapters take scale changes (§4)."""
        return self.merge_mode == "runtime_peft"


@dataclass(frozen=True, slots=True)
class LoraFile:
    name: str
    path: str
    folder: str | None = None
    size_mb: float | None = None
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class AssetFile:
    """An entry of ``GET /api/v1/assets``: ``path`` is what pipelines open (§1.11)."""

    name: str
    path: str
    type: str
    folder: str | None = None
    size_mb: float | None = None


@dataclass(frozen=True, slots=True)
class PipelineStatus:
    status: str
    pipeline_id: str | None = None
    load_params: dict[str, Any] = field(default_factory=dict)
    adapters: tuple[LoraAdapter, ...] = ()
    loading_stage: str | None = None

    def matches(self, request: PipelineRequest) -> bool:
        return (
            self.status == "loaded"
            and bool(request.pipeline_ids)
            and self.pipeline_id == request.pipeline_ids[0]
            and _canonical(self.load_params) == _canonical(request.load_params)
        )


@dataclass(frozen=True, slots=True)
class Answer:
    sdp: str
    type: str
    session_id: str


def _canonical(value: Any) -> str:
    return json.dumps(value or {}, sort_keys=True, default=str)


def parse_version(text: str) -> tuple[int, ...] | None:
    """Leading numeric components of ``0.2.4``, ``0.1.0b3``, ``0.2.4.dev0`` (None if none)."""
    parts: list[int] = []
    for chunk in text.strip().lstrip("v").split("."):
        digits = ""
        for ch in chunk:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) != len(chunk):
            break
    return tuple(parts) or None


def check_version(version: str, url: str) -> None:
    parsed = parse_version(version)
    if parsed is None:
        log.warning("Scope at %s reports an unreadable version %r; carrying on", url, version)
        return
    if parsed < MIN_VERSION:
        need = ".".join(map(str, MIN_VERSION))
        raise StreamError(
            f"Scope at {url} is version {version}; perform needs {need} or newer "
            "(update Scope: `git pull && uv sync` in its folder, or reinstall daydream-scope).",
            title="Scope too old",
        )


def describe_422(detail: Any) -> str:
    """FastAPI's validation list as ``where: what`` lines."""
    if not isinstance(detail, list):
        return str(detail)
    lines = []
    for item in detail[:5]:
        if not isinstance(item, dict):
            continue
        loc = [str(p) for p in item.get("loc", []) if p != "body"]
        lines.append(f"{'.'.join(loc) or 'request'}: {item.get('msg', 'invalid')}")
    return "; ".join(lines) or "invalid request"


class ScopeAPI:
    """One Scope server's REST API (an aiohttp session, created on first use)."""

    def __init__(self, url: str, *, timeout: float = 10.0, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.token = token if token is not None else os.environ.get(TOKEN_ENV) or None
        self._http: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def __aenter__(self) -> ScopeAPI:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- transport --------------------------------------------------------------------
    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            self._http = aiohttp.ClientSession(
                headers=headers, timeout=aiohttp.ClientTimeout(total=self.timeout)
            )
        return self._http

    async def _call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        what: str = "",
        ok: tuple[int, ...] = (200,),
        raw: bytes | None = None,
        timeout: float | None = None,
    ) -> Any:
        what = what or f"{method} {path}"
        options: dict[str, Any] = {"json": body} if raw is None else {"data": raw}
        if raw is not None:
            options["headers"] = {"Content-Type": "application/octet-stream"}
        if timeout is not None:
            options["timeout"] = aiohttp.ClientTimeout(total=timeout)
        try:
            async with self._session().request(method, self.url + path, **options) as response:
                text = await response.text()
                status = response.status
        except (
            aiohttp.ClientConnectorError,
            aiohttp.ServerDisconnectedError,
            ConnectionError,
        ) as exc:
            raise ScopeOffline(
                f"Scope is not answering at {self.url} ({_reason(exc)}). Is it running? Start it "
                "with `uv run daydream-scope` (add `--host 0.0.0.0` to reach it from another "
                "machine), or check [scope] url."
            ) from None
        except TimeoutError:
            raise ScopeOffline(
                f"Scope at {self.url} did not answer {what} within {self.timeout:.0f} s "
                "(is the network or the pod slow, or the server stuck?)."
            ) from None
        except aiohttp.ClientError as exc:
            raise ScopeOffline(f"Scope at {self.url}: {what} failed ({_reason(exc)}).") from None
        if status in ok:
            if status == 204 or not text:
                return None
            try:
                return json.loads(text)
            except ValueError:
                raise StreamError(
                    f"{self.url} answered {what} with a web page instead of JSON: is this a Scope "
                    f"server (version {'.'.join(map(str, MIN_VERSION))} or newer)?",
                    title="Not a Scope server",
                ) from None
        raise self._error(status, text, what)

    def _error(self, status: int, text: str, what: str) -> StreamError:
        try:
            detail = json.loads(text).get("detail", text)
        except (ValueError, AttributeError):
            detail = text.strip()[:200] or "(no detail)"
        if status in (401, 403):
            return StreamError(
                f"Scope at {self.url} refused access (HTTP {status}); if the server sits behind "
                f"an authenticating proxy, put its token in ${TOKEN_ENV}.",
                title="Scope refused access",
            )
        if status == 422:
            return StreamError(
                f"Scope rejected {what}: {describe_422(detail)}", title="Scope rejected a request"
            )
        if status >= 500:
            return StreamError(
                f"Scope had an internal error on {what}: {detail}. Its log has the details; "
                "perform keeps retrying.",
                title="Scope server error",
            )
        if status in (404, 405):
            return StreamError(
                f"Scope at {self.url} does not know {what} (HTTP {status}: {detail}); it may be "
                f"too old (perform needs {'.'.join(map(str, MIN_VERSION))}+).",
                title="Scope API mismatch",
            )
        return StreamError(f"Scope refused {what}: {detail}", title="Scope refused a request")

    # --- endpoints --------------------------------------------------------------------
    async def health(self, *, check: bool = True) -> Health:
        t0 = time.perf_counter()
        data = await self._call("GET", "/health", what="the health check")
        rtt = (time.perf_counter() - t0) * 1e3
        if not isinstance(data, dict) or "version" not in data:
            raise StreamError(f"{self.url}/health did not answer like Scope: {str(data)[:120]}")
        health = Health(
            version=str(data.get("version")),
            server_start_time=float(data.get("server_start_time") or 0.0),
            git_commit=str(data.get("git_commit") or ""),
            rtt_ms=rtt,
        )
        if check:
            check_version(health.version, self.url)
        return health

    async def schemas(self) -> dict[str, dict[str, Any]]:
        data = await self._call("GET", "/api/v1/pipelines/schemas", what="the pipeline list")
        pipelines = data.get("pipelines") if isinstance(data, dict) else None
        return pipelines if isinstance(pipelines, dict) else {}

    async def loras(self) -> list[LoraFile]:
        data = await self._call("GET", "/api/v1/loras", what="the LoRA list")
        files = data.get("lora_files") if isinstance(data, dict) else None
        return [_lora_file(f) for f in files or [] if isinstance(f, dict) and f.get("path")]

    async def assets(self, kind: str | None = None) -> list[AssetFile]:
        query = f"?type={kind}" if kind else ""
        data = await self._call("GET", f"/api/v1/assets{query}", what="the asset list")
        items = data.get("assets") if isinstance(data, dict) else None
        return [_asset(a) for a in items or [] if isinstance(a, dict) and a.get("path")]

    async def upload_asset(self, filename: str, data: bytes) -> AssetFile:
        """``POST /api/v1/assets?filename=`` with the raw bytes (Scope overwrites silently)."""
        from urllib.parse import quote

        answer = await self._call(
            "POST",
            f"/api/v1/assets?filename={quote(filename)}",
            raw=data,
            what=f"the upload of {filename}",
            timeout=max(self.timeout, 120.0),
        )
        if not isinstance(answer, dict) or not answer.get("path"):
            raise StreamError(f"Scope's answer to the upload of {filename} has no path")
        return _asset(answer)

    async def install_lora(self, url: str, filename: str | None, *, timeout: float) -> LoraFile:
        """``POST /api/v1/loras``: Scope fetches ``url`` (CivitAI or Hugging Face only)."""
        answer = await self._call(
            "POST",
            "/api/v1/loras",
            {"url": url, "filename": filename},
            what="the LoRA install",
            timeout=timeout,
        )
        f = answer.get("file") if isinstance(answer, dict) else None
        if not isinstance(f, dict):
            raise StreamError(f"Scope's answer to the LoRA install has no file: {answer}")
        return _lora_file(f)

    async def download_lora(self, body: dict[str, Any], *, timeout: float) -> dict[str, Any]:
        """``POST /api/v1/lora/download`` (checks ``expected_sha256`` server-side)."""
        answer = await self._call(
            "POST", "/api/v1/lora/download", body, what="the LoRA download", timeout=timeout
        )
        return answer if isinstance(answer, dict) else {}

    async def models_downloaded(self, pipeline_id: str) -> bool | None:
        """None when the server cannot tell (older versions, cloud mode)."""
        try:
            data = await self._call(
                "GET", f"/api/v1/models/status?pipeline_id={pipeline_id}", what="model status"
            )
        except ScopeOffline:
            raise
        except StreamError:
            return None
        return bool(data.get("downloaded")) if isinstance(data, dict) else None

    async def status(self) -> PipelineStatus:
        data = await self._call("GET", "/api/v1/pipeline/status", what="the pipeline status")
        if not isinstance(data, dict):
            raise StreamError(f"Scope's pipeline status is not an object: {str(data)[:120]}")
        adapters = tuple(
            LoraAdapter(
                path=str(a.get("path")),
                scale=float(a.get("scale", 1.0)),
                merge_mode=str(a.get("merge_mode") or "permanent_merge"),
                adapter_name=a.get("adapter_name"),
            )
            for a in data.get("loaded_lora_adapters") or []
            if isinstance(a, dict) and a.get("path")
        )
        return PipelineStatus(
            status=str(data.get("status")),
            pipeline_id=data.get("pipeline_id"),
            load_params=dict(data.get("load_params") or {}),
            adapters=adapters,
            loading_stage=data.get("loading_stage"),
        )

    async def load(self, request: PipelineRequest) -> None:
        body = {"pipeline_ids": list(request.pipeline_ids), "load_params": request.load_params}
        await self._call("POST", "/api/v1/pipeline/load", body, what="the pipeline load")

    async def wait_loaded(
        self,
        request: PipelineRequest,
        *,
        on_stage: Callable[[str | None], None] | None = None,
        timeout: float = 600.0,
        poll: float = 0.5,
        stale_grace: float = 5.0,
    ) -> PipelineStatus:
        """Poll until ``request`` is loaded; LoadFailed on ``error`` or a load that vanished."""
        name = " + ".join(request.pipeline_ids)
        start = time.monotonic()
        seen_loading = False
        while True:
            status = await self.status()
            if status.matches(request):
                return status
            if status.status == "error" or (status.status == "not_loaded" and seen_loading):
                raise LoadFailed(load_failure_message(name))
            if status.status == "loading":
                seen_loading = True
                if on_stage is not None:
                    on_stage(status.loading_stage)
            elif status.status == "loaded" and seen_loading:
                raise StreamError(
                    f"Scope loaded '{status.pipeline_id}' instead of '{name}': someone else "
                    "(Scope's own UI?) is loading pipelines on this server at the same time.",
                    title="Scope busy",
                )
            elapsed = time.monotonic() - start
            if status.status == "not_loaded" and elapsed > stale_grace:
                # The load never became visible: its one-shot error was consumed elsewhere.
                raise LoadFailed(load_failure_message(name))
            if elapsed > timeout:
                raise StreamError(
                    f"Scope is still loading '{name}' after {timeout:.0f} s "
                    f"({status.loading_stage or status.status}); raise [scope] load_timeout?",
                    title="Scope load timed out",
                )
            await asyncio.sleep(poll)

    async def ice_servers(self) -> list[dict[str, Any]]:
        data = await self._call("GET", "/api/v1/webrtc/ice-servers", what="the ICE servers")
        servers = data.get("iceServers") if isinstance(data, dict) else None
        return [s for s in servers or [] if isinstance(s, dict)]

    async def offer(self, sdp: str, sdp_type: str, initial: dict[str, Any]) -> Answer:
        body = {"sdp": sdp, "type": sdp_type, "initialParameters": initial}
        try:
            data = await self._call("POST", "/api/v1/webrtc/offer", body, what="the stream offer")
        except StreamError as exc:
            if "not loaded" in exc.message.lower():
                raise LoadFailed(
                    "Scope says no pipeline is loaded (it restarted, or the load failed); "
                    "perform loads it again.",
                    title="Scope pipeline not loaded",
                ) from None
            raise
        if not isinstance(data, dict) or "sdp" not in data:
            raise StreamError(f"Scope's answer to the offer has no SDP: {str(data)[:120]}")
        return Answer(
            str(data["sdp"]), str(data.get("type", "answer")), str(data.get("sessionId", ""))
        )

    async def close_session(self, session_id: str) -> None:
        await self._call(
            "DELETE", f"/api/v1/webrtc/offer/{session_id}", what="closing the stream", ok=(200, 204)
        )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _asset(a: dict[str, Any]) -> AssetFile:
    return AssetFile(
        str(a.get("name")),
        str(a.get("path")),
        str(a.get("type") or ""),
        a.get("folder"),
        _number(a.get("size_mb")),
    )


def _lora_file(f: dict[str, Any]) -> LoraFile:
    return LoraFile(
        str(f.get("name")),
        str(f.get("path")),
        f.get("folder"),
        _number(f.get("size_mb")),
        f.get("sha256") or None,
    )


def load_failure_message(name: str) -> str:
    return (
        f"Scope says the pipeline '{name}' failed to load; its log has the reason. Common "
        f"causes: model files not downloaded (`uv run download_models --pipeline {name}` on "
        "the Scope machine), height/width not multiples of 16, a LoRA file that is missing or "
        "made for another base model, not enough GPU memory."
    )


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if "Connect call failed" in text or "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host name"
    return text or type(exc).__name__
