"""Scope's request models (``src/scope/server/schema.py``), as the double validates them.

The offer and the REST parameter endpoint validate ``initialParameters`` with Pydantic
(ranges, enums, prompts as objects); the data channel validates nothing. Errors are shaped
the way FastAPI shapes them: ``{"detail": [{"type", "loc", "msg", "input", ...}]}`` with
``loc`` starting at ``"body"``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Interpolation = Literal["linear", "slerp"]


class PromptItem(BaseModel):
    text: str
    weight: float = Field(1.0, ge=0)


class PromptTransition(BaseModel):
    target_prompts: list[PromptItem]
    num_steps: int = Field(4, ge=0)
    temporal_interpolation_method: Interpolation = "linear"


class LoRAScaleUpdate(BaseModel):
    path: str
    scale: float = Field(ge=-10, le=10)


class Parameters(BaseModel):
    """``Parameters``: unknown keys are allowed and passed through."""

    model_config = ConfigDict(extra="allow")

    pipeline_ids: list[str] | None = None
    input_mode: Literal["text", "video"] | None = None
    prompts: list[PromptItem] | None = None
    prompt_interpolation_method: Interpolation = "linear"
    transition: PromptTransition | None = None
    denoising_step_list: list[int] | None = None
    noise_scale: float | None = Field(None, ge=0, le=1)
    noise_controller: bool | None = None
    manage_cache: bool | None = None
    reset_cache: bool | None = None
    kv_cache_attention_bias: float | None = Field(None, ge=0.01, le=1)
    paused: bool | None = None
    lora_scales: list[LoRAScaleUpdate] | None = None
    vace_enabled: bool | None = None
    vace_use_input_video: bool | None = None
    vace_ref_images: list[str] | None = None
    vace_context_scale: float = Field(1.0, ge=0, le=2)
    output_sinks: dict[str, Any] | None = None
    input_source: dict[str, Any] | None = None
    recording: bool | None = None
    graph: dict[str, Any] | None = None


class WebRTCOfferRequest(BaseModel):
    sdp: str
    type: str
    initialParameters: Parameters | None = None
    user_id: str | None = None
    connection_id: str | None = None
    connection_info: dict[str, Any] | None = None


class PipelineInstance(BaseModel):
    node_id: str
    pipeline_id: str
    load_params: dict[str, Any] | None = None


class PipelineLoadRequest(BaseModel):
    pipeline_ids: list[str] | None = None
    pipelines: list[PipelineInstance] | None = None
    load_params: dict[str, Any] | None = None
    connection_id: str | None = None
    connection_info: dict[str, Any] | None = None
    user_id: str | None = None


class IceCandidate(BaseModel):
    candidate: str
    sdpMid: str | None = None
    sdpMLineIndex: int | None = None


class IceCandidateRequest(BaseModel):
    candidates: list[IceCandidate]


class RequestInvalid(Exception):
    """A 422: carries FastAPI's ``detail`` list."""

    def __init__(self, detail: list[dict[str, Any]]) -> None:
        super().__init__(detail)
        self.detail = detail


def fastapi_errors(exc: ValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors(include_url=False):
        item: dict[str, Any] = {
            "type": error["type"],
            "loc": ["body", *error["loc"]],
            "msg": error["msg"],
            "input": error.get("input"),
        }
        if "ctx" in error:
            item["ctx"] = {k: _plain(v) for k, v in error["ctx"].items()}
        errors.append(item)
    return errors


def _plain(value: Any) -> Any:
    return value if isinstance(value, int | float | str | bool | type(None)) else str(value)


def parse(model: type[BaseModel], body: Any) -> Any:
    """Validate a JSON body like FastAPI (raises :class:`RequestInvalid`)."""
    if not isinstance(body, dict):
        raise RequestInvalid(
            [
                {
                    "type": "model_attributes_type",
                    "loc": ["body"],
                    "msg": "Input should be a valid dictionary or object to extract fields from",
                    "input": body,
                }
            ]
        )
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise RequestInvalid(fastapi_errors(exc)) from None


def applied(parameters: Parameters) -> dict[str, Any]:
    """``model_dump(exclude_none=True)``: what the server really takes (defaults injected)."""
    return parameters.model_dump(exclude_none=True)
