"""What to load in Scope and how: the config (or a setlist's ``SCOPE_LOAD``) -> a loaded
pipeline, with precise messages for everything that can be checked before the POST."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from perform.config import AppConfig
from perform.errors import StreamError, did_you_mean
from perform.events import PipelineRequest
from perform.loras.server import from_config, match
from perform.registry import lora_param_name
from perform.stream.scope_api import LoraFile, PipelineStatus, ScopeAPI

log = logging.getLogger(__name__)

#: Input frames per pipeline call (contract §6); unknown pipelines get the larger, safer one.
FRAMES_PER_CHUNK = {
    "krea-realtime-video": 12,
    "longlive": 12,
    "reward-forcing": 12,
    "memflow": 12,
    "streamdiffusionv2": 4,
    "passthrough": 4,
}
DEFAULT_FRAMES_PER_CHUNK = 12


def frames_per_chunk(config: AppConfig, pipeline_ids: tuple[str, ...]) -> int:
    if config.scope.frames_per_chunk:
        return config.scope.frames_per_chunk
    main = pipeline_ids[-1] if pipeline_ids else ""
    return FRAMES_PER_CHUNK.get(main, DEFAULT_FRAMES_PER_CHUNK)


async def config_request(config: AppConfig, api: ScopeAPI) -> PipelineRequest:
    """The pipeline the config asks for, LoRA names resolved to the server's paths."""
    scope = config.scope
    params: dict[str, Any] = {
        "height": scope.height or config.stream.height,
        "width": scope.width or config.stream.width,
        "vace_enabled": scope.vace_enabled,
    }
    if scope.quantization is not None:
        params["quantization"] = scope.quantization
    if scope.base_seed is not None:
        params["base_seed"] = scope.base_seed
    params.update(scope.load)
    names: dict[str, str] = {}
    if scope.loras:
        files = await api.loras()
        entries = []
        where = str(config.source or "config")
        for lora, wanted in zip(scope.loras, from_config(config, where), strict=True):
            found, why = match(wanted, files)
            if found is None and not wanted.absolute:
                raise StreamError(f"{wanted.where}: {why}.", title="LoRA not found")
            found = found or LoraFile(wanted.stem, wanted.file)  # Scope opens a path as given
            entry: dict[str, Any] = {"path": found.path, "scale": lora.scale}
            if lora.merge_mode:
                entry["merge_mode"] = lora.merge_mode
            entries.append(entry)
            names[lora_param_name(found.name)] = found.path
        params["loras"] = entries
        params["lora_merge_mode"] = scope.lora_merge_mode
    return PipelineRequest((scope.pipeline,), params, names)


def complete_request(request: PipelineRequest, config: AppConfig) -> PipelineRequest:
    """A setlist's request, with the stream's size when it names none."""
    params = dict(request.load_params)
    params.setdefault("height", config.stream.height)
    params.setdefault("width", config.stream.width)
    return PipelineRequest(
        tuple(request.pipeline_ids), params, dict(request.lora_names), request.assets
    )


def with_assets(request: PipelineRequest, assets: tuple[str, ...]) -> PipelineRequest:
    """The config's request for a show that names no pipeline but uses VACE images."""
    if not assets:
        return request
    params = {**request.load_params, "vace_enabled": True}
    return PipelineRequest(request.pipeline_ids, params, dict(request.lora_names), assets)


def vace_refusal(pipeline: str, meta: dict[str, Any]) -> str | None:
    """Why ``pipeline`` cannot take VACE reference images (from its capability flag)."""
    if not meta or meta.get("supports_vace") is not False:
        return None
    return (
        f"{pipeline} has no VACE support (its schema says supports_vace = false): the show's "
        "reference images and vace_scale are not sent. Use a VACE pipeline (longlive, krea, "
        "streamdiffusionv2...) in [scope] pipeline."
    )


async def ensure_loaded(
    api: ScopeAPI,
    request: PipelineRequest,
    *,
    timeout: float,
    on_stage: Callable[[str | None], None],
) -> PipelineStatus:
    """Reuse what is loaded when it is exactly ``request``; else check, POST and wait."""
    status = await api.status()
    if status.matches(request):
        return status
    if not request.pipeline_ids:
        raise StreamError("the pipeline request names no pipeline", title="Scope load")
    schemas = await api.schemas()
    for pipeline in request.pipeline_ids:
        if schemas and pipeline not in schemas:
            raise StreamError(
                f"Scope has no pipeline '{pipeline}'{did_you_mean(pipeline, schemas)}; it offers: "
                f"{', '.join(sorted(schemas))}. (Scope lists GPU pipelines only on a machine "
                "with CUDA.) Set [scope] pipeline.",
                title="Unknown pipeline",
            )
        if await api.models_downloaded(pipeline) is False:
            raise StreamError(
                f"Scope has not downloaded the models for '{pipeline}': run `uv run "
                f"download_models --pipeline {pipeline}` on the Scope machine (or start the "
                "download from Scope's UI), then perform loads it.",
                title="Models missing",
            )
    on_stage(None)
    await api.load(request)
    return await api.wait_loaded(request, on_stage=on_stage, timeout=timeout)


def base_parameters(config: AppConfig) -> dict[str, Any]:
    """What every stream starts with besides the live state (steps, cache, output sinks)."""
    scope = config.scope
    base: dict[str, Any] = {
        "denoising_step_list": list(scope.denoising_steps),
        "manage_cache": scope.manage_cache,
    }
    sinks = {
        kind: {"enabled": sink.enabled, "name": sink.name}
        for kind in ("spout", "ndi", "syphon")
        if (sink := getattr(scope.output_sinks, kind)) is not None
    }
    if sinks:
        base["output_sinks"] = sinks
    return base


def choose_input_mode(wanted: str, pipeline: str, meta: dict[str, Any]) -> tuple[str, str | None]:
    """(mode to stream in, a refusal message when ``wanted`` is not supported)."""
    modes = [str(m) for m in meta.get("supported_modes") or []]
    if not modes or wanted in modes:
        return wanted, None
    fallback = str(meta.get("default_mode") or modes[0])
    return fallback, (
        f"{pipeline} takes {' or '.join(modes)} input only: "
        f"streaming in {fallback} mode instead of {wanted}."
    )
