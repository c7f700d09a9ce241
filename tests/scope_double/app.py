"""The double's HTTP API: Scope's routes with their exact success and error shapes (§1, §7).

FastAPI conventions reproduced: ``{"detail": "..."}`` for HTTP errors, a 422 list for
validation errors (``loc`` from ``"body"``), 404 "Frontend not built" for an unknown GET,
405 for any other unknown method/path, CORS ``*`` on every answer.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.scope_double import assets, models
from tests.scope_double.pipelines import CATALOGUE
from tests.scope_double.rtc import DoubleSession

if TYPE_CHECKING:
    from tests.scope_double import ScopeDouble

log = logging.getLogger(__name__)


def detail(status: int, message: Any) -> web.Response:
    return web.json_response({"detail": message}, status=status)


async def read_json(request: web.Request) -> Any:
    raw = await request.text()
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise models.RequestInvalid(
            [
                {
                    "type": "json_invalid",
                    "loc": ["body", 0],
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": str(exc)},
                }
            ]
        ) from None


def build_app(double: ScopeDouble) -> web.Application:
    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        double.requests.append(f"{request.method} {request.path}")
        fault = double.faults.get((request.method, request.path))
        if fault is not None:
            status, message = fault
            response: web.StreamResponse = detail(status, message)
        else:
            try:
                response = await handler(request)
            except models.RequestInvalid as exc:
                response = web.json_response({"detail": exc.detail}, status=422)
            except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
                # The SPA catch-all is GET-only: other methods on unknown paths get 405.
                if request.method == "GET":
                    response = detail(404, "Frontend not built")
                else:
                    response = detail(405, "Method Not Allowed")
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    app = web.Application(middlewares=[middleware])

    def bind(route: Any) -> Any:
        async def handler(request: web.Request) -> web.StreamResponse:
            return await route(double, request)

        return handler

    r = app.router
    r.add_get("/health", bind(health))
    r.add_get("/api/v1/pipelines/schemas", bind(schemas))
    r.add_post("/api/v1/pipeline/load", bind(load))
    r.add_get("/api/v1/pipeline/status", bind(status))
    r.add_get("/api/v1/models/status", bind(models_status))
    r.add_get("/api/v1/loras", bind(loras))
    r.add_get("/api/v1/webrtc/ice-servers", bind(ice_servers))
    r.add_post("/api/v1/webrtc/offer", bind(offer))
    r.add_patch("/api/v1/webrtc/offer/{sid}", bind(patch))
    r.add_delete("/api/v1/webrtc/offer/{sid}", bind(delete))
    r.add_get("/api/v1/session/parameters", bind(get_parameters))
    r.add_post("/api/v1/session/parameters", bind(post_parameters))
    r.add_get("/api/v1/session/metrics", bind(metrics))
    assets.register(r, bind)
    r.add_get("/_double/state", bind(state))
    return app


async def health(double: ScopeDouble, request: web.Request) -> web.Response:
    return web.json_response(
        {
            "status": "healthy",
            "timestamp": datetime.now().isoformat(),
            "server_start_time": double.server_start_time,
            "version": double.version,
            "git_commit": "unknown (double)",
        }
    )


async def schemas(double: ScopeDouble, request: web.Request) -> web.Response:
    return web.json_response({"pipelines": {k: p.schema() for k, p in CATALOGUE.items()}})


async def load(double: ScopeDouble, request: web.Request) -> web.Response:
    body = models.parse(models.PipelineLoadRequest, await read_json(request))
    if body.pipelines:
        wanted = [(p.node_id, p.pipeline_id, p.load_params or {}) for p in body.pipelines]
    elif body.pipeline_ids:
        params = body.load_params or {}
        wanted = [(pid, pid, params) for pid in body.pipeline_ids]
    else:
        return detail(400, "Either 'pipelines' or 'pipeline_ids' must be provided")
    double.loader.request(wanted)
    return web.json_response({"message": "Pipeline loading initiated successfully"})


async def status(double: ScopeDouble, request: web.Request) -> web.Response:
    return web.json_response(double.loader.status())


async def models_status(double: ScopeDouble, request: web.Request) -> web.Response:
    pipeline_id = request.query.get("pipeline_id", "")
    info = CATALOGUE.get(pipeline_id)
    downloaded = info is not None and (
        not info.needs_models or pipeline_id not in double.loader.models_missing
    )
    return web.json_response({"downloaded": downloaded, "progress": None})


async def loras(double: ScopeDouble, request: web.Request) -> web.Response:
    files = sorted(double.lora_files, key=lambda f: (f["folder"] or "", f["name"]))
    return web.json_response({"lora_files": files})


async def ice_servers(double: ScopeDouble, request: web.Request) -> web.Response:
    return web.json_response({"iceServers": double.ice_servers})


async def offer(double: ScopeDouble, request: web.Request) -> web.Response:
    body = models.parse(models.WebRTCOfferRequest, await read_json(request))
    initial = models.applied(body.initialParameters or models.Parameters())
    if double.loader.status()["status"] != "loaded":  # consumes a pending error too
        return detail(400, "Pipeline not loaded. Please load pipeline first.")
    session = DoubleSession(double, str(uuid.uuid4()), initial)
    try:
        answer = await session.answer(body.sdp, body.type)
    except Exception as exc:
        await session.close()
        return detail(500, str(exc))
    double.sessions.append(session)
    double.notify()
    return web.json_response({"sdp": answer.sdp, "type": answer.type, "sessionId": session.id})


async def patch(double: ScopeDouble, request: web.Request) -> web.Response:
    sid = request.match_info["sid"]
    body = models.parse(models.IceCandidateRequest, await read_json(request))
    session = double.session_by_id(sid)
    if session is None:
        return detail(404, f"Session {sid} not found")
    if session.closed or session.pc.connectionState in ("closed", "failed"):
        return detail(404, f"Session {sid} is closed or failed")
    from aiortc.sdp import candidate_from_sdp

    for item in body.candidates:
        text = item.candidate.removeprefix("candidate:")
        if len(text.split()) < 8:
            return detail(404, f"Invalid ICE candidate: {item.candidate!r}")
        candidate = candidate_from_sdp(text)
        candidate.sdpMid, candidate.sdpMLineIndex = item.sdpMid, item.sdpMLineIndex
        await session.pc.addIceCandidate(candidate)
        session.trickled += 1
    return web.Response(status=204)


async def delete(double: ScopeDouble, request: web.Request) -> web.Response:
    session = double.session_by_id(request.match_info["sid"])
    if session is not None:
        await session.close()
    return web.Response(status=204)


async def get_parameters(double: ScopeDouble, request: web.Request) -> web.Response:
    live = double.live_sessions()
    return web.json_response({"parameters": live[0].frame_processor_parameters if live else {}})


async def post_parameters(double: ScopeDouble, request: web.Request) -> web.Response:
    body = models.parse(models.Parameters, await read_json(request))
    applied = models.applied(body)
    for session in double.live_sessions():
        session.apply_now(dict(applied))
        session.send({"type": "parameters_updated", "parameters": applied})
    return web.json_response({"status": "ok", "applied_parameters": applied})


async def metrics(double: ScopeDouble, request: web.Request) -> web.Response:
    now = time.monotonic()
    sessions = {}
    for s in double.live_sessions():
        elapsed = max(now - s.started, 1e-6)
        sessions[s.id] = {
            "frames_in": s.frames_received,
            "frames_out": s.frames_sent,
            "elapsed_seconds": elapsed,
            "fps_in": s.frames_received / elapsed,
            "fps_out": s.frames_sent / elapsed,
        }
    return web.json_response({"sessions": sessions, "gpu": {}})


async def state(double: ScopeDouble, request: web.Request) -> web.Response:
    return web.json_response(double.describe())
