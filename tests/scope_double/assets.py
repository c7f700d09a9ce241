"""The double's assets and LoRA-file endpoints (contract §1.10, §1.11), kept in memory.

Assets: ``POST /api/v1/assets?filename=`` takes the raw file bytes as the body (any
content type), 422 without ``filename``, 400 "Invalid file type" for an extension
Scope does not allow, 400 "Invalid filename" for a path escape, and silently
overwrites an existing file; ``GET /api/v1/assets[?type=]`` lists newest first with
absolute server-side paths; ``GET /api/v1/assets/{path}`` serves the bytes.

LoRA files: ``POST /api/v1/loras`` installs from civitai.com / huggingface.co / hf.co
only (400 for other hosts, an HF ``/blob/`` URL or a non-.safetensors name, 409 if the
file exists, 404 when the remote has no such file); ``POST /api/v1/lora/download``
checks ``expected_sha256`` (400 on a mismatch, like Scope's ``ValueError``). The
"internet" is :attr:`Remote.files`, filled by the test. Installed files carry their
sha256 and provenance in the list, as Scope's manifest does.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from aiohttp import web

from tests.scope_double import models
from tests.scope_double.pipelines import LORA_DIR

if TYPE_CHECKING:
    from tests.scope_double import ScopeDouble

ASSETS_DIR = "/root/.daydream-scope/assets"
EXTENSIONS = {
    "image": (".png", ".jpg", ".jpeg", ".webp", ".bmp"),
    "video": (".mp4", ".avi", ".mov", ".mkv", ".webm"),
    "audio": (".wav", ".mp3", ".flac", ".ogg"),
}
LORA_HOSTS = ("civitai.com", "huggingface.co", "hf.co")


@dataclass
class Asset:
    name: str
    """Relative path under the assets dir (may hold a sub-folder)."""
    data: bytes
    created_at: float

    def info(self) -> dict[str, Any]:
        rel = PurePosixPath(self.name)
        kind = next(k for k, exts in EXTENSIONS.items() if rel.suffix.lower() in exts)
        return {
            "name": rel.stem,
            "path": str(PurePosixPath(ASSETS_DIR) / rel),
            "size_mb": round(len(self.data) / 1e6, 2),
            "folder": str(rel.parent) if str(rel.parent) != "." else None,
            "type": kind,
            "created_at": self.created_at,
        }


@dataclass
class Remote:
    """What the double's "internet" serves to LoRA installs: URL -> file bytes."""

    files: dict[str, bytes] = field(default_factory=dict)


@dataclass
class Store:
    assets: dict[str, Asset] = field(default_factory=dict)
    uploads: list[str] = field(default_factory=list)
    """Every accepted upload's filename, in order (overwrites included)."""
    remote: Remote = field(default_factory=Remote)
    installs: list[dict[str, Any]] = field(default_factory=list)


def _kind(filename: str) -> str | None:
    suffix = PurePosixPath(filename).suffix.lower()
    return next((k for k, exts in EXTENSIONS.items() if suffix in exts), None)


async def upload(double: ScopeDouble, request: web.Request) -> web.Response:
    filename = request.query.get("filename")
    if filename is None:
        raise models.RequestInvalid(
            [
                {
                    "type": "missing",
                    "loc": ["query", "filename"],
                    "msg": "Field required",
                    "input": None,
                }
            ]
        )
    if _kind(filename) is None:
        allowed = ", ".join(e for exts in EXTENSIONS.values() for e in exts)
        return web.json_response(
            {"detail": f"Invalid file type. Allowed types: {allowed}"}, status=400
        )
    rel = PurePosixPath(filename)
    if rel.is_absolute() or ".." in rel.parts or not filename.strip():
        return web.json_response({"detail": "Invalid filename"}, status=400)
    data = await request.read()
    asset = Asset(str(rel), data, time.time())
    double.files.assets[str(rel)] = asset  # an existing file is overwritten silently
    double.files.uploads.append(str(rel))
    double.notify()
    return web.json_response(asset.info())


async def list_assets(double: ScopeDouble, request: web.Request) -> web.Response:
    kind = request.query.get("type")
    items = [a.info() for a in double.files.assets.values()]
    if kind is not None:
        items = [i for i in items if i["type"] == kind]
    items.sort(key=lambda i: i["created_at"], reverse=True)
    return web.json_response({"assets": items})


async def serve_asset(double: ScopeDouble, request: web.Request) -> web.Response:
    rel = request.match_info["rel"]
    if ".." in PurePosixPath(rel).parts:
        return web.json_response({"detail": "Access denied"}, status=403)
    asset = double.files.assets.get(rel)
    if asset is None:
        return web.json_response({"detail": "Asset not found"}, status=404)
    return web.Response(body=asset.data, content_type="application/octet-stream")


def _lora_entry(name: str, data: bytes, provenance: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": PurePosixPath(name).stem,
        "path": str(PurePosixPath(LORA_DIR) / name),
        "size_mb": round(len(data) / 1e6, 2),
        "folder": None,
        "sha256": hashlib.sha256(data).hexdigest(),
        "provenance": provenance,
        "read_only": False,
    }


def _add_lora(double: ScopeDouble, entry: dict[str, Any]) -> None:
    double.lora_files.append(entry)
    double.loader.lora_paths.add(entry["path"])
    double.files.installs.append(entry)
    double.notify()


async def install_lora(double: ScopeDouble, request: web.Request) -> web.Response:
    body = await _json_object(request)
    url = body.get("url")
    if not isinstance(url, str):
        raise models.RequestInvalid(
            [{"type": "missing", "loc": ["body", "url"], "msg": "Field required", "input": body}]
        )
    host = (urlparse(url).hostname or "").lower()
    if not any(host == h or host.endswith("." + h) for h in LORA_HOSTS):
        return web.json_response(
            {"detail": f"URL host not allowed: {host or url}. Allowed: {', '.join(LORA_HOSTS)}"},
            status=400,
        )
    if host.endswith(("huggingface.co", "hf.co")) and "/blob/" in url:
        return web.json_response(
            {"detail": "Use a /resolve/ URL instead of /blob/ for HuggingFace files"},
            status=400,
        )
    filename = body.get("filename") or PurePosixPath(urlparse(url).path).name
    if not filename:
        return web.json_response({"detail": "Could not determine filename"}, status=400)
    if not filename.endswith(".safetensors"):
        return web.json_response(
            {"detail": "Invalid file extension. Allowed: .safetensors"}, status=400
        )
    if any(f["path"] == str(PurePosixPath(LORA_DIR) / filename) for f in double.lora_files):
        return web.json_response({"detail": f"LoRA file already exists: {filename}"}, status=409)
    data = double.files.remote.files.get(url)
    if data is None:
        return web.json_response({"detail": f"Remote file not found: {url}"}, status=404)
    entry = _lora_entry(filename, data, {"source": "url", "url": url})
    _add_lora(double, entry)
    return web.json_response({"message": f"Installed {filename}", "file": entry})


async def download_lora(double: ScopeDouble, request: web.Request) -> web.Response:
    body = await _json_object(request)
    source = body.get("source")
    if source not in ("huggingface", "civitai", "url"):
        raise models.RequestInvalid(
            [
                {
                    "type": "literal_error",
                    "loc": ["body", "source"],
                    "msg": "Input should be 'huggingface', 'civitai' or 'url'",
                    "input": source,
                }
            ]
        )
    if source == "url":
        url = str(body.get("url") or "")
    elif source == "huggingface":
        url = f"https://huggingface.co/{body.get('repo_id')}/resolve/main/{body.get('hf_filename')}"
    else:
        url = f"https://civitai.com/api/download/models/{body.get('version_id')}"
    data = double.files.remote.files.get(url)
    if data is None:
        return web.json_response({"detail": f"Download failed: {url} not found"}, status=400)
    filename = PurePosixPath(urlparse(url).path).name
    if not filename.endswith(".safetensors"):
        filename += ".safetensors"
    if body.get("subfolder"):
        filename = f"{body['subfolder']}/{filename}"
    digest = hashlib.sha256(data).hexdigest()
    expected = body.get("expected_sha256")
    if expected and str(expected).lower() != digest:
        return web.json_response(
            {"detail": f"SHA256 mismatch: expected {expected}, got {digest}"}, status=400
        )
    entry = _lora_entry(filename, data, {"source": source, "url": url})
    _add_lora(double, entry)
    return web.json_response(
        {"filename": filename, "path": entry["path"], "sha256": digest, "size_bytes": len(data)}
    )


async def _json_object(request: web.Request) -> dict[str, Any]:
    from tests.scope_double.app import read_json

    body = await read_json(request)
    if not isinstance(body, dict):
        models.parse(models.IceCandidateRequest, body)  # raises FastAPI's 422 shape
    return body


def register(router: web.UrlDispatcher, bind: Any) -> None:
    router.add_get("/api/v1/assets", bind(list_assets))
    router.add_post("/api/v1/assets", bind(upload))
    router.add_get("/api/v1/assets/{rel:.+}", bind(serve_asset))
    router.add_post("/api/v1/loras", bind(install_lora))
    router.add_post("/api/v1/lora/download", bind(download_lora))
