"""Check a ``.safetensors`` LoRA without loading a single weight.

Why: the LoRA step is where a show loses its evening. An interrupted copy leaves a
truncated file; a bad transfer a header that is not JSON (Scope's log then says "Error
while deserializing header: invalid JSON"); a LoRA trained for Wan2.1 1.3B fails to load
into a 14B pipeline (krea). Scope finds each only as a failed pipeline load, with the
reason in its own log. This module reads the 8-byte header length, the JSON header and
the file size, and nothing else:

* the header length must fit in the file, the header must be UTF-8 JSON object;
* every tensor needs a known dtype, a shape and ``data_offsets`` inside the data
  section, sized ``prod(shape) * itemsize``; a file shorter than its header says is
  *truncated* (the most common failure);
* the base model is read from tensor shapes: Wan2.1's hidden size is 1536 for the 1.3B
  model and 5120 for the 14B one (a LoRA's ``lora_A`` is ``(rank, hidden)``, its
  ``lora_B`` ``(hidden, rank)``), so a 1.3B adapter meant for ``longlive`` is refused by
  name before ``krea-realtime-video`` is asked to load it.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from pathlib import Path

HEADER_LIMIT = 100 * 1024 * 1024
"""The safetensors reference implementation refuses headers above 100 MB."""

DTYPE_SIZES = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
    "I16": 2,
    "U16": 2,
    "F16": 2,
    "BF16": 2,
    "I32": 4,
    "U32": 4,
    "F32": 4,
    "I64": 8,
    "U64": 8,
    "F64": 8,
}

#: Wan2.1 hidden size -> base model name (``dim`` in the models' configs).
HIDDEN_SIZES = {1536: "Wan2.1 1.3B", 5120: "Wan2.1 14B"}

#: Which base model each Scope pipeline loads LoRAs into (contract §4, §6).
PIPELINE_BASES = {
    "krea-realtime-video": "Wan2.1 14B",
    "longlive": "Wan2.1 1.3B",
    "streamdiffusionv2": "Wan2.1 1.3B",
    "reward-forcing": "Wan2.1 1.3B",
    "memflow": "Wan2.1 1.3B",
}


@dataclass
class LoraCheck:
    """The verdict on one file: ``ok`` unless ``problems``; ``base`` when it can tell."""

    path: Path
    size: int = 0
    tensors: int = 0
    base: str | None = None
    hidden_sizes: tuple[int, ...] = ()
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def refuse(self, message: str) -> LoraCheck:
        self.problems.append(message)
        return self


def check_file(path: str | Path, pipeline: str | None = None) -> LoraCheck:
    """Validate ``path``; with ``pipeline``, also refuse an adapter for another base model."""
    path = Path(path)
    result = LoraCheck(path)
    if path.suffix.lower() != ".safetensors":
        return result.refuse(
            f"{path}: not a .safetensors file (Scope lists only .safetensors LoRAs)"
        )
    try:
        result.size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
            if len(head) < 8:
                return result.refuse(
                    f"{path}: truncated: {result.size} bytes, not even the 8-byte header length"
                )
            (length,) = struct.unpack("<Q", head)
            if length > HEADER_LIMIT:
                return result.refuse(
                    f"{path}: corrupted header: its length field says {length} bytes (more "
                    "than 100 MB); this is not a safetensors file, or its start is damaged"
                )
            if 8 + length > result.size:
                return result.refuse(
                    f"{path}: truncated: the header alone needs {8 + length} bytes, the file "
                    f"has {result.size} (an interrupted download or copy?)"
                )
            raw = handle.read(length)
    except OSError as exc:
        return result.refuse(f"{path}: cannot read it ({exc.strerror or exc})")
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return result.refuse(
            f"{path}: corrupted header: not valid JSON ({exc}); Scope would fail with "
            "'Error while deserializing header'. Download or copy the file again"
        )
    if not isinstance(header, dict):
        return result.refuse(
            f"{path}: corrupted header: JSON {type(header).__name__}, not an object"
        )
    _check_tensors(result, header, result.size - 8 - length)
    if result.ok:
        _infer_base(result, header)
        if pipeline is not None:
            _check_pipeline(result, pipeline)
    return result


def _check_tensors(result: LoraCheck, header: dict[str, object], data_size: int) -> None:
    path = result.path
    end_max = 0
    spans: list[tuple[int, int, str]] = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(info, dict):
            result.refuse(f"{path}: corrupted header: tensor '{name}' is not described")
            continue
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if dtype not in DTYPE_SIZES:
            result.refuse(f"{path}: corrupted header: tensor '{name}' has unknown dtype {dtype!r}")
            continue
        if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
            result.refuse(f"{path}: corrupted header: tensor '{name}' has a bad shape {shape!r}")
            continue
        if not (
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(isinstance(o, int) for o in offsets)
            and 0 <= offsets[0] <= offsets[1]
        ):
            result.refuse(
                f"{path}: corrupted header: tensor '{name}' has bad data_offsets {offsets!r}"
            )
            continue
        begin, end = offsets
        expected = math.prod(shape) * DTYPE_SIZES[str(dtype)]
        if end - begin != expected:
            result.refuse(
                f"{path}: corrupted header: tensor '{name}' {dtype}{shape} needs {expected} "
                f"bytes but its offsets span {end - begin}"
            )
            continue
        result.tensors += 1
        end_max = max(end_max, end)
        spans.append((begin, end, name))
    if not result.ok:
        return
    if end_max > data_size:
        result.refuse(
            f"{path}: truncated: the header describes {end_max} bytes of tensor data, the file "
            f"holds {max(data_size, 0)} ({result.size} bytes in all); an interrupted download "
            "or copy. Fetch it again"
        )
        return
    spans.sort()
    for (_, end_a, name_a), (begin_b, _, name_b) in zip(spans, spans[1:], strict=False):
        if begin_b < end_a:
            result.refuse(f"{path}: corrupted header: tensors '{name_a}' and '{name_b}' overlap")
            return
    if result.tensors == 0:
        result.refuse(f"{path}: holds no tensors: not a LoRA")


def _infer_base(result: LoraCheck, header: dict[str, object]) -> None:
    seen: set[int] = set()
    for name, info in header.items():
        if name == "__metadata__" or not isinstance(info, dict):
            continue
        for dim in info.get("shape") or []:
            if dim in HIDDEN_SIZES:
                seen.add(int(dim))
    result.hidden_sizes = tuple(sorted(seen))
    if len(seen) == 1:
        result.base = HIDDEN_SIZES[seen.pop()]


def _check_pipeline(result: LoraCheck, pipeline: str) -> None:
    wanted = PIPELINE_BASES.get(pipeline)
    if wanted is None or result.base is None or result.base == wanted:
        return
    fits = sorted(p for p, base in PIPELINE_BASES.items() if base == result.base)
    result.refuse(
        f"{result.path}: a {result.base} LoRA (hidden size "
        f"{', '.join(map(str, result.hidden_sizes))}) cannot load into {pipeline}, which is "
        f"{wanted}: Scope's pipeline load would fail. Use a LoRA trained for {wanted}, or "
        f"load it into {' / '.join(fits)}"
    )


def describe(result: LoraCheck) -> str:
    """One line for ``perform loras check``."""
    if not result.ok:
        return "BAD   " + "; ".join(result.problems)
    base = result.base or "base model unknown (no Wan2.1 hidden size in its shapes)"
    return f"ok    {result.path}: {result.tensors} tensors, {result.size} bytes, {base}"
