"""The double's pipeline catalogue, LoRA files and the load state machine (contract §1.2-1.5).

What it reproduces of ``pipeline_manager.py``: the POST returns at once and the load runs
in the background; for ``stale_window`` seconds nothing changes, so a poll still shows the
previous state; ``error`` is reported exactly once, then the failed instance is forgotten
(``not_loaded``) and the ``error`` field is always ``null``; an identical re-load is a
no-op; any other request unloads what it does not name.
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

LORA_DIR = "/root/.daydream-scope/models/lora"
STAGES = ("Loading diffusion model...", "Loading text encoder...", "Loading VAE...")
WARM_UP = "Warming up model..."


@dataclass(frozen=True)
class PipelineInfo:
    id: str
    supported_modes: tuple[str, ...]
    default_mode: str
    frames_per_chunk: int
    default_size: tuple[int, int]
    """(height, width) the schema offers."""
    video_steps: tuple[int, ...] = (1000, 750)
    needs_models: bool = True
    multiple_of_16: bool = True
    supports_lora: bool = True

    def schema(self) -> dict[str, Any]:
        height, width = self.default_size
        props = {
            "height": {"type": "integer", "default": height, "ui": {"is_load_param": True}},
            "width": {"type": "integer", "default": width, "ui": {"is_load_param": True}},
            "denoising_steps": {
                "type": "array",
                "default": [1000, 750, 500, 250],
                "ui": {"is_load_param": True, "modulatable": True},
            },
            "noise_scale": {"type": "number", "default": 0.7, "ui": {"is_load_param": False}},
        }
        meta: dict[str, Any] = {
            "id": self.id,
            "name": self.id.replace("-", " ").title(),
            "description": f"{self.id} (Scope test double)",
            "version": "1.0.0",
            "docs_url": None,
            "supported_modes": list(self.supported_modes),
            "default_mode": self.default_mode,
            "supports_prompts": self.supports_lora,
            "supports_lora": self.supports_lora,
            "supports_vace": self.supports_lora,
            "supports_cache_management": self.supports_lora,
            "supports_kv_cache_bias": False,
            "supports_quantization": self.supports_lora,
            "produces_video": True,
            "produces_audio": False,
            "estimated_vram_gb": 20 if self.needs_models else None,
            "config_schema": {"type": "object", "properties": props},
            "plugin_name": None,
        }
        if "video" in self.supported_modes and self.supports_lora:
            meta["mode_defaults"] = {
                "video": {
                    "height": 512,
                    "width": 512,
                    "denoising_steps": list(self.video_steps),
                    "noise_scale": 0.7,
                    "noise_controller": True,
                }
            }
        return meta


CATALOGUE: dict[str, PipelineInfo] = {
    p.id: p
    for p in (
        PipelineInfo(
            "passthrough",
            ("video",),
            "video",
            4,
            (512, 512),
            needs_models=False,
            multiple_of_16=False,
            supports_lora=False,
        ),
        PipelineInfo("longlive", ("text", "video"), "text", 12, (320, 576)),
        PipelineInfo("streamdiffusionv2", ("text", "video"), "video", 4, (512, 512), (750, 250)),
    )
}


def lora_file(stem: str, folder: str | None = None) -> dict[str, Any]:
    """A ``GET /api/v1/loras`` entry with an absolute server-side path."""
    where = PurePosixPath(LORA_DIR, folder) if folder else PurePosixPath(LORA_DIR)
    return {
        "name": stem,
        "path": str(where / f"{stem}.safetensors"),
        "size_mb": 143.2,
        "folder": folder,
        "sha256": None,
        "provenance": None,
        "read_only": False,
    }


@dataclass
class Instance:
    key: str
    pipeline_id: str
    load_params: dict[str, Any]
    state: str = "loading"
    stage: str | None = None
    adapters: list[dict[str, Any]] = field(default_factory=list)


class Loader:
    """``POST /pipeline/load`` and ``GET /pipeline/status`` semantics."""

    def __init__(
        self,
        *,
        lora_paths: set[str],
        models_missing: set[str],
        load_delay: float,
        stale_window: float,
    ) -> None:
        self.lora_paths = lora_paths
        self.models_missing = models_missing
        self.load_delay = load_delay
        self.stale_window = stale_window
        self.instances: dict[str, Instance] = {}
        self.loads_started = 0
        self.fail_next: str | None = None
        """Set to a reason to make the next load end in ``error`` (e.g. "CUDA out of memory")."""
        self.errors_reported = 0
        self.log: list[str] = []
        self._task: asyncio.Task[None] | None = None

    # --- requests -------------------------------------------------------------------------
    def request(self, wanted: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Start loading ``[(key, pipeline_id, load_params)]`` in the background."""
        if self._same_as_loaded(wanted):
            return
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = asyncio.get_running_loop().create_task(self._load(wanted))

    def _same_as_loaded(self, wanted: list[tuple[str, str, dict[str, Any]]]) -> bool:
        if len(wanted) != len(self.instances):
            return False
        for key, pipeline_id, params in wanted:
            have = self.instances.get(key)
            if have is None or have.state != "loaded":
                return False
            if have.pipeline_id != pipeline_id or have.load_params != params:
                return False
        return True

    async def _load(self, wanted: list[tuple[str, str, dict[str, Any]]]) -> None:
        await asyncio.sleep(self.stale_window)  # the POST returned; nothing visible yet
        self.loads_started += 1
        self.instances = {
            key: Instance(key, pid, copy.deepcopy(params)) for key, pid, params in wanted
        }
        stages = (*STAGES, WARM_UP)
        for stage in stages:
            for inst in self.instances.values():
                inst.stage = stage
            await asyncio.sleep(self.load_delay / len(stages))
        for inst in self.instances.values():
            reason = self._failure(inst)
            if reason is None:
                inst.state, inst.stage = "loaded", None
                inst.adapters = self._adapters(inst)
            else:
                inst.state, inst.stage = "error", None
                self.log.append(f"ERROR loading {inst.key}: {reason}")
        self.fail_next = None

    def _failure(self, inst: Instance) -> str | None:
        info = CATALOGUE.get(inst.pipeline_id)
        if info is None:
            return f"Unknown pipeline: {inst.pipeline_id}"
        if self.fail_next:
            return self.fail_next
        if info.needs_models and inst.pipeline_id in self.models_missing:
            return f"Model files for {inst.pipeline_id} are missing"
        height = inst.load_params.get("height", info.default_size[0])
        width = inst.load_params.get("width", info.default_size[1])
        if info.multiple_of_16 and (int(height) % 16 or int(width) % 16):
            return f"height and width must be divisible by 16 (got {height}x{width})"
        for lora in inst.load_params.get("loras") or []:
            if lora.get("path") not in self.lora_paths:
                return f"LoRA file not found: {lora.get('path')}"
        return None

    @staticmethod
    def _adapters(inst: Instance) -> list[dict[str, Any]]:
        info = CATALOGUE.get(inst.pipeline_id)
        if info is not None and not info.supports_lora:
            return []  # a pipeline without LoRA support loads none (the files are ignored)
        params = inst.load_params
        mode = params.get("lora_merge_mode") or "permanent_merge"
        out = []
        for lora in params.get("loras") or []:
            merge = lora.get("merge_mode") or mode
            entry = {
                "path": lora["path"],
                "scale": float(lora.get("scale", 1.0)),
                "merge_mode": merge,
            }
            if merge == "runtime_peft":
                entry["adapter_name"] = PurePosixPath(lora["path"]).stem
            out.append(entry)
        return out

    # --- status ---------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """What ``GET /api/v1/pipeline/status`` answers; observing ``error`` consumes it."""
        states = [i.state for i in self.instances.values()]
        first = next(iter(self.instances.values()), None)
        if "loading" in states:
            overall = "loading"
        elif "error" in states:
            overall = "error"
            self.errors_reported += 1
            self.instances = {k: i for k, i in self.instances.items() if i.state != "error"}
        elif states and all(s == "loaded" for s in states):
            overall = "loaded"
        else:
            overall = "not_loaded"
        adapters: dict[str, dict[str, Any]] = {}
        for inst in self.instances.values():
            for adapter in inst.adapters:
                adapters.setdefault(adapter["path"], adapter)
        return {
            "status": overall,
            "pipeline_id": first.key if first else None,
            "load_params": first.load_params if first else None,
            "loaded_lora_adapters": [dict(a) for a in adapters.values()] or None,
            "error": None,
            "loading_stage": first.stage if first and overall == "loading" else None,
            "produces_video": True,
            "produces_audio": False,
        }

    def loaded(self, key: str) -> Instance | None:
        inst = self.instances.get(key)
        return inst if inst is not None and inst.state == "loaded" else None

    def adapter(self, path: str) -> dict[str, Any] | None:
        for inst in self.instances.values():
            for adapter in inst.adapters:
                if adapter["path"] == path:
                    return adapter
        return None

    def preload(self, key: str, pipeline_id: str, params: dict[str, Any]) -> None:
        """Make ``pipeline_id`` loaded at once (test set-up; no HTTP, no delay)."""
        inst = Instance(key, pipeline_id, copy.deepcopy(params), state="loaded")
        reason = self._failure(inst)
        if reason is not None:
            raise ValueError(reason)
        inst.adapters = self._adapters(inst)
        self.instances = {key: inst}

    def unload(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self.instances = {}

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
