"""Write real ``.safetensors`` LoRA files with numpy (tiny tensors, real layouts).

A Wan2.1 LoRA's ``lora_A`` is ``(rank, hidden)`` and its ``lora_B`` ``(hidden, rank)``;
with rank 1 and F16 a 14B-shaped pair is 20 KB, a 1.3B one 6 KB: the shapes in the
header are the models' real hidden sizes and the offsets match the bytes on disk.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy

WAN_1_3B = 1536
WAN_14B = 5120


def safetensors_bytes(
    tensors: dict[str, numpy.ndarray], metadata: dict[str, str] | None = None
) -> bytes:
    header: dict[str, object] = {}
    blobs = []
    offset = 0
    dtypes = {numpy.dtype("float16"): "F16", numpy.dtype("float32"): "F32"}
    for name, array in tensors.items():
        data = numpy.ascontiguousarray(array).tobytes()
        header[name] = {
            "dtype": dtypes[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)  # the format pads the header to 8 bytes
    return struct.pack("<Q", len(raw)) + raw + b"".join(blobs)


def wan_lora(hidden: int, *, blocks: int = 2, rank: int = 1) -> dict[str, numpy.ndarray]:
    rng = numpy.random.default_rng(hidden)
    tensors = {}
    for block in range(blocks):
        for proj in ("q", "v"):
            stem = f"diffusion_model.blocks.{block}.self_attn.{proj}"
            tensors[f"{stem}.lora_A.weight"] = rng.standard_normal((rank, hidden)).astype("float16")
            tensors[f"{stem}.lora_B.weight"] = numpy.zeros((hidden, rank), "float16")
    return tensors


def write_lora(path: Path, hidden: int, **options: int) -> Path:
    path.write_bytes(safetensors_bytes(wan_lora(hidden, **options), {"format": "pt"}))
    return path
