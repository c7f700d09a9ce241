"""The HTTP client: version checks, the load poller's traps, every failure as a clear message."""

from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp import web

from perform.errors import StreamError
from perform.events import PipelineRequest
from perform.stream.scope_api import (
    LoadFailed,
    ScopeAPI,
    ScopeOffline,
    check_version,
    describe_422,
    parse_version,
)
from tests.scope_double import ScopeDouble


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("0.2.4", (0, 2, 4)), ("0.1.0b3", (0, 1, 0)), ("v0.1.8.dev2", (0, 1, 8)), ("dev", None)],
)
def test_parse_version(text, parsed):
    assert parse_version(text) == parsed


def test_version_gate():
    check_version("0.1.8", "u")
    check_version("unknown", "u")  # unreadable: carry on
    with pytest.raises(StreamError, match=r"0\.1\.5.*needs 0\.1\.8"):
        check_version("0.1.5", "http://gpu:8000")


def test_422_is_summarised_per_field():
    detail = [
        {"loc": ["body", "initialParameters", "noise_scale"], "msg": "Input should be <= 1"},
        {"loc": ["body", "sdp"], "msg": "Field required"},
    ]
    assert describe_422(detail) == (
        "initialParameters.noise_scale: Input should be <= 1; sdp: Field required"
    )


async def test_nothing_listening_is_offline_with_a_hint():
    api = ScopeAPI(f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(ScopeOffline, match="not answering.*connection refused.*daydream-scope"):
            await api.health()
    finally:
        await api.close()


async def test_old_scope_is_refused_by_version():
    double = ScopeDouble(version="0.1.5")
    await double.start()
    try:
        async with ScopeAPI(double.url) as api:
            with pytest.raises(StreamError) as info:
                await api.health()
        assert info.value.title == "Scope too old"
    finally:
        await double.stop()


async def test_http_errors_become_messages(scope_double):
    async with ScopeAPI(scope_double.url, token="s3cret") as api:
        assert api._session().headers["Authorization"] == "Bearer s3cret"
        scope_double.faults[("GET", "/api/v1/pipeline/status")] = (500, "CUDA error")
        with pytest.raises(StreamError, match="internal error on the pipeline status: CUDA error"):
            await api.status()
        scope_double.faults[("GET", "/api/v1/loras")] = (401, "Unauthorized")
        with pytest.raises(StreamError, match="PERFORM_SCOPE_TOKEN"):
            await api.loras()
        scope_double.faults.clear()
        scope_double.preload("passthrough")
        with pytest.raises(
            StreamError, match=r"rejected the stream offer: initialParameters\.noise"
        ):
            await api.offer("v=0", "offer", {"noise_scale": 2})
        with pytest.raises(StreamError, match="internal error on the stream offer"):
            await api.offer("garbage", "offer", {"pipeline_ids": ["passthrough"]})


async def test_offer_before_a_load_says_so(scope_double):
    async with ScopeAPI(scope_double.url) as api:
        with pytest.raises(LoadFailed, match="no pipeline is loaded"):
            await api.offer("v=0", "offer", {"pipeline_ids": ["passthrough"]})


async def test_a_web_page_instead_of_json():
    app = web.Application()
    app.router.add_get("/health", _html)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with ScopeAPI(f"http://127.0.0.1:{port}") as api:
            with pytest.raises(StreamError, match="web page instead of JSON"):
                await api.health()
    finally:
        await runner.cleanup()


async def _html(request: web.Request) -> web.Response:
    return web.Response(text="<html>index</html>", content_type="text/html")


async def test_wait_loaded_skips_the_stale_state(scope_double):
    scope_double.preload("passthrough", height=128, width=128)
    request = PipelineRequest(("passthrough",), {"height": 256, "width": 256})
    async with ScopeAPI(scope_double.url) as api:
        await api.load(request)
        stale = await api.status()
        assert stale.status == "loaded" and not stale.matches(request)
        stages = []
        status = await api.wait_loaded(request, on_stage=stages.append, poll=0.02)
    assert status.matches(request) and status.load_params["height"] == 256
    assert stages and stages[-1]


async def test_wait_loaded_reports_the_one_shot_error(scope_double):
    request = PipelineRequest(("longlive",), {"height": 500, "width": 512})
    async with ScopeAPI(scope_double.url) as api:
        await api.load(request)
        with pytest.raises(LoadFailed, match="failed to load; its log has the reason"):
            await api.wait_loaded(request, poll=0.02)


async def test_wait_loaded_sees_a_failure_someone_else_observed():
    """Scope's UI polled first and consumed ``error``: loading -> not_loaded is a failure."""
    double = ScopeDouble(load_delay=1.0)
    await double.start()
    request = PipelineRequest(("longlive",), {"height": 512, "width": 512})
    double.loader.fail_next = "CUDA out of memory"
    try:
        async with ScopeAPI(double.url) as api, ScopeAPI(double.url) as ui:
            await api.load(request)
            await double.wait_for(lambda: double.loader.loads_started, "loading")
            # ours polls slowly (it saw "loading" first); the UI polls fast and gets "error"
            waiting = asyncio.ensure_future(api.wait_loaded(request, poll=1.0))
            while (await ui.status()).status == "loading":
                await asyncio.sleep(0.01)
            with pytest.raises(LoadFailed):
                await waiting
            assert double.loader.errors_reported == 1
    finally:
        await double.stop()


async def test_config_loras_resolve_on_the_server_and_an_unknown_one_is_named(scope_double):
    """One matcher (the `perform loras` one) resolves the config's LoRAs for a load."""
    from perform.config import AppConfig
    from perform.stream.loading import config_request

    config = AppConfig.model_validate(
        {
            "scope": {
                "loras": [
                    {"file": "arcane", "scale": 0.8},
                    {"file": "/elsewhere/mine.safetensors", "scale": 1.0},
                ]
            }
        }
    )
    async with ScopeAPI(scope_double.url) as api:
        request = await config_request(config, api)
        paths = [entry["path"] for entry in request.load_params["loras"]]
        assert paths == [scope_double.lora_files[0]["path"], "/elsewhere/mine.safetensors"]
        typo = AppConfig.model_validate({"scope": {"loras": [{"file": "arcan", "scale": 1.0}]}})
        with pytest.raises(StreamError) as refused:
            await config_request(typo, api)
    assert refused.value.title == "LoRA not found"
    assert refused.value.message.startswith(
        "config: [scope] loras[0]: 'arcan' is not on the Scope server (did you mean 'arcane'?)"
    )
