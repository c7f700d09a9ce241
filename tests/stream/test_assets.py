"""Scope's assets and LoRA-file endpoints on the double, and perform's uploader against them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import aiohttp

from perform.stream.assets import AssetUploader
from perform.stream.scope_api import ScopeAPI
from tests.scope_double.assets import ASSETS_DIR
from tests.scope_double.pipelines import LORA_DIR
from tests.stream.test_double_http import call

PNG_DIR = Path(__file__).resolve().parents[2] / "setlists" / "vace"


async def upload(double, filename: str | None, data: bytes):
    query = "" if filename is None else f"?filename={filename}"
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{double.url}/api/v1/assets{query}",
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        ) as response,
    ):
        return response.status, await response.json(content_type=None)


async def test_assets_take_a_raw_body_list_newest_first_and_overwrite_silently(scope_double):
    status, info = await upload(scope_double, "ref1.png", b"first")
    assert status == 200
    assert info["path"] == f"{ASSETS_DIR}/ref1.png" and info["type"] == "image"
    assert info["name"] == "ref1" and info["folder"] is None
    status, info = await upload(scope_double, "refs/clip.mp4", b"video")
    assert (status, info["folder"], info["type"]) == (200, "refs", "video")
    status, info = await upload(scope_double, "ref1.png", b"second")  # same name: overwritten
    assert status == 200
    _, listing, _ = await call(scope_double, "GET", "/api/v1/assets")
    assert [a["name"] for a in listing["assets"]] == ["ref1", "clip"]  # newest first
    _, images, _ = await call(scope_double, "GET", "/api/v1/assets?type=image")
    assert [a["path"] for a in images["assets"]] == [f"{ASSETS_DIR}/ref1.png"]
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{scope_double.url}/api/v1/assets/ref1.png") as response,
    ):
        assert await response.read() == b"second"


async def test_asset_upload_errors_like_scope(scope_double):
    status, data = await upload(scope_double, "notes.txt", b"x")
    assert status == 400 and data["detail"].startswith("Invalid file type. Allowed types:")
    status, data = await upload(scope_double, None, b"x")
    assert status == 422 and data["detail"][0]["loc"] == ["query", "filename"]
    status, data = await upload(scope_double, "../escape.png", b"x")
    assert (status, data) == (400, {"detail": "Invalid filename"})
    assert (await call(scope_double, "GET", "/api/v1/assets/none.png"))[:2] == (
        404,
        {"detail": "Asset not found"},
    )


async def test_lora_install_and_download_follow_the_contract(scope_double):
    remote = "https://huggingface.co/someone/loras/resolve/main/inkwash.safetensors"
    scope_double.files.remote.files[remote] = b"inkwash weights"
    route = "/api/v1/loras"
    status, data, _ = await call(
        scope_double, "POST", route, {"url": "https://example.com/a.safetensors"}
    )
    assert status == 400 and "host not allowed" in data["detail"]
    blob = remote.replace("/resolve/", "/blob/")
    assert (await call(scope_double, "POST", route, {"url": blob}))[0] == 400
    missing = remote.replace("inkwash", "nothing")
    assert (await call(scope_double, "POST", route, {"url": missing}))[0] == 404
    status, data, _ = await call(scope_double, "POST", route, {"url": remote})
    assert status == 200
    assert data["file"]["path"] == f"{LORA_DIR}/inkwash.safetensors"
    assert data["file"]["sha256"] == hashlib.sha256(b"inkwash weights").hexdigest()
    assert (await call(scope_double, "POST", route, {"url": remote}))[0] == 409
    _, listing, _ = await call(scope_double, "GET", route)
    assert "inkwash" in [f["name"] for f in listing["lora_files"]]

    other = "https://civitai.com/api/download/models/77"
    scope_double.files.remote.files[other] = b"other weights"
    body = {"source": "url", "url": other, "expected_sha256": "0" * 64}
    status, data, _ = await call(scope_double, "POST", "/api/v1/lora/download", body)
    assert status == 400 and "SHA256 mismatch" in data["detail"]
    body["expected_sha256"] = hashlib.sha256(b"other weights").hexdigest()
    status, data, _ = await call(scope_double, "POST", "/api/v1/lora/download", body)
    assert status == 200 and data["size_bytes"] == len(b"other weights")
    assert data["sha256"] == body["expected_sha256"]


async def test_the_uploader_sends_each_distinct_image_once_across_runs(scope_double, tmp_path):
    glow = (tmp_path / "glow.png").resolve()
    glow.write_bytes((PNG_DIR / "glow.png").read_bytes())
    twin = tmp_path / "same_bytes.png"
    twin.write_bytes(glow.read_bytes())
    coral = tmp_path / "coral.png"
    coral.write_bytes((PNG_DIR / "coral.png").read_bytes())

    async with ScopeAPI(scope_double.url) as api:
        first = AssetUploader(api)
        paths = await first.ensure([str(glow), str(twin), str(coral)])
        assert first.uploads == 2  # glow and its twin are the same bytes
        assert paths[0] == paths[1] != paths[2]
        assert all(p.startswith(f"{ASSETS_DIR}/perform/") for p in paths)
        assert await first.ensure([str(coral)]) == [paths[2]]  # known: no request at all

        rerun = AssetUploader(api)  # a new run: it lists Scope's assets first
        assert await rerun.ensure([str(coral), str(glow)]) == [paths[2], paths[0]]
        assert rerun.uploads == 0
        assert len(scope_double.files.uploads) == 2

        coral.write_bytes(glow.read_bytes()[:-1] + b"\x00")  # edited: a new name, a new upload
        (changed,) = await rerun.ensure([str(coral)])
        assert changed not in paths and rerun.uploads == 1
