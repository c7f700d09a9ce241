"""The double answers like Scope: success and error shapes, the load state machine."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.scope_double import ScopeDouble


async def call(double: ScopeDouble, method: str, path: str, body=None, raw: str | None = None):
    async with aiohttp.ClientSession() as http:
        kwargs = {"data": raw} if raw is not None else {"json": body}
        async with http.request(method, double.url + path, **kwargs) as response:
            try:
                data = await response.json(content_type=None)
            except ValueError:
                data = None
            return response.status, data, response.headers


async def test_health_has_the_documented_fields_and_cors(scope_double):
    status, data, headers = await call(scope_double, "GET", "/health")
    assert status == 200
    assert set(data) == {"status", "timestamp", "server_start_time", "version", "git_commit"}
    assert headers["Access-Control-Allow-Origin"] == "*"


async def test_unknown_paths_like_fastapi_with_the_spa_catch_all(scope_double):
    assert (await call(scope_double, "GET", "/api/v1/nope"))[:2] == (
        404,
        {"detail": "Frontend not built"},
    )
    assert (await call(scope_double, "POST", "/api/v1/nope", {}))[0] == 405


async def test_load_errors_400_and_422(scope_double):
    status, data, _ = await call(scope_double, "POST", "/api/v1/pipeline/load", {})
    assert (status, data) == (
        400,
        {"detail": "Either 'pipelines' or 'pipeline_ids' must be provided"},
    )
    status, data, _ = await call(
        scope_double, "POST", "/api/v1/pipeline/load", {"pipelines": [{"pipeline_id": "x"}]}
    )
    assert status == 422
    assert data["detail"][0]["loc"] == ["body", "pipelines", 0, "node_id"]
    status, data, _ = await call(scope_double, "POST", "/api/v1/pipeline/load", raw="{not json")
    assert status == 422 and data["detail"][0]["type"] == "json_invalid"


async def test_load_shows_stale_state_then_loading_then_loaded(scope_double):
    scope_double.preload("passthrough", height=128, width=128)
    status, data, _ = await call(
        scope_double,
        "POST",
        "/api/v1/pipeline/load",
        {"pipeline_ids": ["passthrough"], "load_params": {"height": 256, "width": 256}},
    )
    assert (status, data) == (200, {"message": "Pipeline loading initiated successfully"})
    _, first, _ = await call(scope_double, "GET", "/api/v1/pipeline/status")
    assert first["status"] == "loaded" and first["load_params"] == {"height": 128, "width": 128}
    seen = set()

    async def poll():
        _, data, _ = await call(scope_double, "GET", "/api/v1/pipeline/status")
        seen.add(data["status"])
        if data["status"] == "loading":
            assert data["loading_stage"]
        return data["status"] == "loaded" and data["load_params"]["height"] == 256

    async def loaded():
        while not await poll():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(loaded(), 20)
    assert "loading" in seen
    assert scope_double.loader.loads_started == 1


async def test_identical_reload_is_a_no_op(scope_double):
    scope_double.preload("passthrough", height=128, width=128)
    body = {"pipeline_ids": ["passthrough"], "load_params": {"height": 128, "width": 128}}
    await call(scope_double, "POST", "/api/v1/pipeline/load", body)
    await asyncio.sleep(scope_double.loader.stale_window + 0.1)
    assert scope_double.loader.loads_started == 0
    _, data, _ = await call(scope_double, "GET", "/api/v1/pipeline/status")
    assert data["status"] == "loaded"


@pytest.mark.parametrize(
    ("pipeline", "params"),
    [
        ("nope", {}),
        ("longlive", {"height": 500, "width": 512}),
        ("longlive", {"loras": [{"path": "/elsewhere/x.safetensors", "scale": 1}]}),
    ],
)
async def test_load_error_is_reported_once_with_a_null_error_field(scope_double, pipeline, params):
    await call(
        scope_double,
        "POST",
        "/api/v1/pipeline/load",
        {"pipeline_ids": [pipeline], "load_params": params},
    )
    statuses = []

    async def until_error():
        while True:
            _, data, _ = await call(scope_double, "GET", "/api/v1/pipeline/status")
            statuses.append(data)
            if data["status"] == "error":
                return
            await asyncio.sleep(0.02)

    await asyncio.wait_for(until_error(), 20)
    assert statuses[-1]["error"] is None
    _, after, _ = await call(scope_double, "GET", "/api/v1/pipeline/status")
    assert after["status"] == "not_loaded"


async def test_missing_models_fail_the_load(scope_double):
    double = ScopeDouble(models_missing={"longlive"}, load_delay=0.05)
    await double.start()
    try:
        _, data, _ = await call(double, "GET", "/api/v1/models/status?pipeline_id=longlive")
        assert data["downloaded"] is False
        await call(double, "POST", "/api/v1/pipeline/load", {"pipeline_ids": ["longlive"]})
        await double.wait_for(
            lambda: "error" in {i.state for i in double.loader.instances.values()}
        )
    finally:
        await double.stop()


async def test_lora_adapters_report_merge_modes(scope_double):
    _, files, _ = await call(scope_double, "GET", "/api/v1/loras")
    paths = {f["name"]: f["path"] for f in files["lora_files"]}
    assert paths["arcane"].startswith("/") and paths["arcane"].endswith("arcane.safetensors")
    scope_double.preload(
        "longlive",
        height=128,
        width=128,
        loras=[
            {"path": paths["arcane"], "scale": 0.8},
            {"path": paths["pixel_art"], "scale": 0.5, "merge_mode": "permanent_merge"},
        ],
        lora_merge_mode="runtime_peft",
    )
    _, data, _ = await call(scope_double, "GET", "/api/v1/pipeline/status")
    adapters = {a["path"]: a for a in data["loaded_lora_adapters"]}
    assert adapters[paths["arcane"]] == {
        "path": paths["arcane"],
        "scale": 0.8,
        "merge_mode": "runtime_peft",
        "adapter_name": "arcane",
    }
    assert "adapter_name" not in adapters[paths["pixel_art"]]


async def test_offer_errors(scope_double):
    status, data, _ = await call(
        scope_double, "POST", "/api/v1/webrtc/offer", {"sdp": "v=0", "type": "offer"}
    )
    assert (status, data) == (400, {"detail": "Pipeline not loaded. Please load pipeline first."})
    scope_double.preload("passthrough")
    for bad in (
        {"noise_scale": 1.5},
        {"prompts": "a bare string"},
        {"prompts": [{"text": "x", "weight": -1}]},
        {"input_mode": "audio"},
        {"transition": {"target_prompts": [], "num_steps": -1}},
        {"lora_scales": [{"scale": 1.0}]},
    ):
        status, data, _ = await call(
            scope_double,
            "POST",
            "/api/v1/webrtc/offer",
            {"sdp": "v=0", "type": "offer", "initialParameters": bad},
        )
        assert status == 422, bad
        assert data["detail"][0]["loc"][:2] == ["body", "initialParameters"]
    status, data, _ = await call(scope_double, "POST", "/api/v1/webrtc/offer", {})
    assert status == 422
    status, data, _ = await call(
        scope_double, "POST", "/api/v1/webrtc/offer", {"sdp": "garbage", "type": "offer"}
    )
    assert status == 500 and isinstance(data["detail"], str)


async def test_patch_and_delete_shapes(scope_double):
    status, data, _ = await call(
        scope_double, "PATCH", "/api/v1/webrtc/offer/abc", {"candidates": []}
    )
    assert (status, data) == (404, {"detail": "Session abc not found"})
    assert (await call(scope_double, "PATCH", "/api/v1/webrtc/offer/abc", {}))[0] == 422
    assert (await call(scope_double, "DELETE", "/api/v1/webrtc/offer/abc"))[0] == 204


async def test_ice_servers_point_at_a_public_stun_server(scope_double):
    _, data, _ = await call(scope_double, "GET", "/api/v1/webrtc/ice-servers")
    assert data["iceServers"][0]["urls"] == ["stun:stun.l.google.com:19302"]


async def test_injected_faults_answer_with_the_route_error(scope_double):
    scope_double.faults[("GET", "/api/v1/pipeline/status")] = (500, "boom")
    assert (await call(scope_double, "GET", "/api/v1/pipeline/status"))[:2] == (
        500,
        {"detail": "boom"},
    )


async def test_kill_and_restart_on_the_same_port(scope_double):
    scope_double.preload("passthrough")
    _, before, _ = await call(scope_double, "GET", "/health")
    await scope_double.kill()
    with pytest.raises(aiohttp.ClientConnectorError):
        await call(scope_double, "GET", "/health")
    await scope_double.restart()
    _, after, _ = await call(scope_double, "GET", "/health")
    assert after["server_start_time"] > before["server_start_time"]
    _, data, _ = await call(scope_double, "GET", "/api/v1/pipeline/status")
    assert data["status"] == "not_loaded"
